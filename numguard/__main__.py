"""numguard's command line: ``python -m numguard info [--json]``.

Each subcommand is a pair of functions, one adding its arguments and one running it,
registered in COMMANDS; adding ``run`` later means adding one entry.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable, Sequence

from .memory import Budget, Source, budget, format_bytes


def versions() -> dict[str, str]:
    import numpy

    from . import __version__

    return {
        "numguard": __version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def add_info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the same report as JSON")


def run_info(arguments: argparse.Namespace) -> int:
    reading = budget()
    if arguments.json:
        print(json.dumps({"versions": versions(), "budget": reading.to_dict()}, indent=2))
    else:
        print(format_info(versions(), reading))
    return 0


def format_info(version_of: dict[str, str], reading: Budget) -> str:
    """The human report: versions, the figure, what binds, then every source in detail."""
    lines = [
        "numguard {numguard}, numpy {numpy}, Python {python} on {platform}".format(**version_of),
        "",
        f"available: {format_bytes(reading.available)} ({reading.available} bytes)",
        f"binding:   {reading.binding}",
        "",
        "sources (smallest available wins; * binds):",
    ]
    for source in reading.sources:
        lines.extend(_source_lines(source, source is reading.binding_source))
    return "\n".join(lines)


def _source_lines(source: Source, binds: bool) -> list[str]:
    figures = [
        f"{label} {format_bytes(value)}"
        for label, value in (
            ("available", source.available),
            ("limit", source.limit),
            ("in use", source.used),
        )
        if value is not None
    ]
    detail = ", ".join(figures + ([source.note] if source.note else []))
    lines = [f"{'*' if binds else ' '} {source.name}", f"    {detail}"]
    if source.origin:
        lines.append(f"    from {source.origin}")
    return lines


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "info": ("show the memory budget and every source behind it", add_info_arguments, run_info),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m numguard", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        subparser = subcommands.add_parser(name, help=help_text, description=help_text)
        add_arguments(subparser)
        subparser.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
