"""numguard's command line: ``python -m numguard info [--json]``, ``python -m numguard run``.

Each subcommand is a pair of functions, one adding its arguments and one running it,
registered in COMMANDS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
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


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = (
        "python -m numguard run [--mode M] [--limit L] script.py [args ...]\n"
        "       python -m numguard run [--mode M] [--limit L] -m module [args ...]"
    )
    parser.add_argument("--mode", help="raise | warn | log | off (default: NUMGUARD_MODE, else raise)")
    parser.add_argument("--limit", help="e.g. 2GiB, 75%% (default: NUMGUARD_LIMIT, else 80%%)")
    parser.add_argument(
        "-m", dest="module", action="store_true", help="run a module, as python -m does"
    )
    parser.add_argument("program", help="the script, or the module with -m")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the program's own arguments")


def run_program(arguments: argparse.Namespace) -> int:
    """Arm the backstop, then run the program as ``python script.py`` / ``python -m`` would.

    --mode and --limit are exported as NUMGUARD_MODE / NUMGUARD_LIMIT (and the mode in
    force when neither says), so the program's own Python subprocesses are armed too,
    by the start-up hook.
    """
    from .backstop import enable
    from .settings import ENVIRONMENT, settings_from_environment, validate

    given = {"mode": arguments.mode, "limit": arguments.limit}
    try:
        validate({name: value for name, value in given.items() if value is not None})
    except ValueError as error:
        print(f"python -m numguard run: {error}", file=sys.stderr)
        return 2
    if not arguments.module and not os.path.isfile(arguments.program):
        print(f"python -m numguard run: no such file: {arguments.program!r}", file=sys.stderr)
        return 2
    for variable, name in ENVIRONMENT.items():
        if given.get(name) is not None:
            os.environ[variable] = given[name]
    try:
        settings = enable(**settings_from_environment())
    except ValueError as error:
        print(f"python -m numguard run: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("NUMGUARD_MODE", settings.mode)

    if arguments.module:
        # `python -m numguard` already put the working directory first on sys.path.
        sys.argv = [arguments.program, *arguments.args]
        runpy.run_module(arguments.program, run_name="__main__", alter_sys=True)
        return 0
    script = arguments.program
    sys.argv = [script, *arguments.args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "info": ("show the memory budget and every source behind it", add_info_arguments, run_info),
    "run": ("run a program with the allocation backstop armed", add_run_arguments, run_program),
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
