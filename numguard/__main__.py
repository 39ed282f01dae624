"""numguard's command line: ``python -m numguard info [--json]`` and ``python -m numguard run``.

Each subcommand is a pair of functions, one adding its arguments and one running it,
registered in COMMANDS. ``run`` passes the program's own arguments on untouched ("--"
included), so its command line is split by hand before argparse sees numguard's options.
Every way to fail says so in one line on stderr, with exit status 2, as argparse does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import runpy
import site
import sys
from collections.abc import Callable, Mapping, Sequence

from . import backstop
from .environment import ENVIRONMENT, settings_from_environment
from .memory import Budget, budget, format_bytes
from .settings import Settings, process_settings, validate

PROG = "python -m numguard"
DESCRIPTION = "numguard's command line: inspect the memory budget, or run a program protected."
RUN_USAGE = (
    f"{PROG} run [--mode MODE] [--limit LIMIT] script.py [args ...]\n"
    f"       {PROG} run [--mode MODE] [--limit LIMIT] -m module [args ...]"
)
RUN_DESCRIPTION = (
    "Run a Python program with the allocation backstop armed, as 'python script.py' or "
    "'python -m module' would run it. --mode and --limit are exported as NUMGUARD_MODE and "
    "NUMGUARD_LIMIT, so the program's own Python subprocesses are armed too."
)
RUN_EPILOG = "Everything after the script or module is the program's own, passed on exactly as given ('--' included)."
WHAT_TO_RUN = f"give the program to run: {PROG} run script.py [args ...], or {PROG} run -m module [args ...]"
HOOK_FILE = "numguard-backstop.pth"


class UsageError(Exception):
    """A command line or environment numguard cannot act on: reported in one line, exit 2."""


# -- info -----------------------------------------------------------------------------------------


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
    """Versions, the settings in force and where each came from, the backstop, the budget."""
    reading = budget()
    settings = process_settings()
    rows = settings_rows(settings, reading)
    armed, why = backstop_state(os.environ)
    if arguments.json:
        report = {
            "versions": versions(),
            "settings": {
                name: {"value": _plain(getattr(settings, name)), "shown": shown, "origin": origin}
                for name, shown, origin in rows
            },
            "backstop": {**backstop.status(), "explanation": why},
            "budget": reading.to_dict(),
        }
        print(json.dumps(report, indent=2))
        return 0
    lines = ["numguard {numguard}, numpy {numpy}, Python {python} on {platform}".format(**versions()), ""]
    lines.append("settings in force (outside every guard block):")
    name_width, value_width = (max(len(row[column]) for row in rows) for column in (0, 1))
    lines.extend(f"  {name:<{name_width}}  {value:<{value_width}}  from {origin}" for name, value, origin in rows)
    lines += ["", f"backstop: {'armed' if armed else 'not armed'}: {why}", "", reading.describe()]
    print("\n".join(lines))
    return 0


def settings_rows(settings: Settings, reading: Budget) -> list[tuple[str, str, str]]:
    """(name, value, origin) for each setting, the limit resolved against the budget; the
    origin is what Settings records ("NUMGUARD_LIMIT", "configure() at job.py:3", "default")."""
    rows = []
    for name in ENVIRONMENT.values():
        value = getattr(settings, name)
        if name == "limit" and value.fraction is not None:
            text = f"{value} of {format_bytes(reading.available)} available = {format_bytes(value.resolve(reading.available))}"
        elif name == "inflation":
            text = "none (rule off)" if value is None else f"{value:g}"
        else:
            text = str(value)
        rows.append((name, text, settings.origin(name)))
    return rows


def _plain(value: object) -> object:
    """A setting as JSON: the limit as written ('80%', '2GiB'), the others as they are."""
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


def backstop_state(environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether this process (started with this environment) is armed, and why, plainly."""
    status = backstop.status()
    given = [variable for variable in ENVIRONMENT if environ.get(variable, "").strip()]
    if status["armed"]:
        return True, (
            f"every NumPy data allocation is judged against the limit, in every thread (mode "
            f"{status['mode']}, backend {status['backend']}); armed at start-up by {', '.join(given) or 'enable()'}"
        )
    if environ.get("NUMGUARD_MODE", "").strip().lower() == "off":
        return False, "NUMGUARD_MODE=off switches numguard off: nothing is checked"
    if not given:
        return False, (
            "no NUMGUARD_* variable is set. Any of them (NUMGUARD_MODE, NUMGUARD_LIMIT, ...) arms "
            "every Python process at start-up, the mode defaulting to raise; or use "
            f"'{PROG} run', or numguard.enable() in code"
        )
    why = (
        f"the installed {HOOK_FILE} may predate the rule that any NUMGUARD_* variable arms: reinstall numguard"
        if start_up_hook_installed()
        else f"{HOOK_FILE} is not installed in site-packages: install numguard with pip"
    )
    return False, f"{', '.join(given)} is set, but the start-up hook did not arm this process ({why})"


def start_up_hook_installed() -> bool:
    directories = [*site.getsitepackages(), site.getusersitepackages()]
    return any(os.path.exists(os.path.join(directory, HOOK_FILE)) for directory in directories)


# -- run ------------------------------------------------------------------------------------------


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = RUN_USAGE
    parser.description = RUN_DESCRIPTION
    parser.epilog = RUN_EPILOG
    parser.add_argument("--mode", help="raise | warn | log | off (default: NUMGUARD_MODE, else raise)")
    parser.add_argument("--limit", help="e.g. 2GiB, 75%% (default: NUMGUARD_LIMIT, else 80%%)")
    # Shown in --help only: split_run_arguments takes "-m module" off before argparse runs.
    parser.add_argument("-m", dest="module_help", metavar="module", help="run a module, as python -m does")


def split_run_arguments(argv: Sequence[str]) -> tuple[list[str], bool, str | None, list[str]]:
    """numguard's own options, whether -m was given, the program, and the program's arguments.

    The first argument that is not one of numguard's options is the program, as for
    ``python``: everything after it belongs to the program, "--" and "-x" alike.
    """
    own: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in ("--mode", "--limit"):
            own += argv[index : index + 2]
            index += 2
        elif token.startswith(("--mode=", "--limit=")) or token in ("-h", "--help"):
            own.append(token)
            index += 1
        elif token == "-m" or (token.startswith("-m") and not token.startswith("--")):
            module = token[2:] or (argv[index + 1] if index + 1 < len(argv) else None)
            rest = argv[index + (1 if token[2:] else 2) :]
            return own, True, module, list(rest)
        elif token == "--":  # ends numguard's options: the program follows
            program = argv[index + 1] if index + 1 < len(argv) else None
            return own, False, program, list(argv[index + 2 :])
        elif token.startswith("-") and token != "-":
            own.append(token)  # argparse names the unknown option
            index += 1
        else:
            return own, False, token, list(argv[index + 1 :])
    return own, False, None, []


def run_program(arguments: argparse.Namespace) -> int:
    """Arm the backstop, then run the program as ``python script.py`` / ``python -m`` would."""
    given = {"mode": arguments.mode, "limit": arguments.limit}
    try:
        validate({name: value for name, value in given.items() if value is not None})
    except ValueError as error:
        raise UsageError(str(error)) from None
    if arguments.program is None:
        raise UsageError(WHAT_TO_RUN)
    if not arguments.module and not os.path.isfile(arguments.program):
        raise UsageError(f"no such file: {arguments.program!r}")
    for variable, name in ENVIRONMENT.items():
        if given.get(name) is not None:
            os.environ[variable] = given[name]
    try:
        settings = settings_from_environment()
    except ValueError as error:
        raise UsageError(str(error)) from None
    # Each setting named as the user gave it: "limit=2GiB from numguard run --limit".
    origins = {name: (f"numguard run --{name}" if given.get(name) is not None else variable)
               for variable, name in ENVIRONMENT.items()}
    armed = backstop.enable_as(origins, **settings)
    os.environ.setdefault("NUMGUARD_MODE", armed.mode)
    if arguments.module:
        check_module(arguments.program)
        # `python -m numguard` already put the working directory first on sys.path.
        sys.argv = [arguments.program, *arguments.args]
        return run_as_python_would(runpy.run_module, arguments.program, run_name="__main__",
                                   alter_sys=True)
    script = arguments.program
    sys.argv = [script, *arguments.args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python script.py` does
    return run_as_python_would(runpy.run_path, script, run_name="__main__")


#: Frames a program's traceback starts with that are the runner's, not the program's.
_RUNNER_FILES = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
                 os.path.abspath(runpy.__file__), "<frozen runpy>")


def run_as_python_would(run: Callable[..., object], *args: object, **kwargs: object) -> int:
    """Run the program; an exception that escapes it is printed as Python prints it for
    ``python script.py``, without runpy's or numguard's frames (as `coverage run` does),
    and gives exit status 1 (130 for Ctrl-C). SystemExit passes through unchanged."""
    try:
        run(*args, **kwargs)
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - reported as python would report it
        entry = error.__traceback__
        while entry is not None and entry.tb_frame.f_code.co_filename.startswith(_RUNNER_FILES):
            entry = entry.tb_next
        sys.excepthook(type(error), error.with_traceback(entry), entry)
        return 130 if isinstance(error, KeyboardInterrupt) else 1
    return 0


def check_module(name: str) -> None:
    """A module that cannot be found is one line, as for a missing script (python says the same)."""
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            main = importlib.util.find_spec(f"{name}.__main__")
            if main is None:
                raise UsageError(f"no module named '{name}.__main__'; '{name}' is a package and cannot be run directly")
    except (ImportError, ValueError) as error:  # a parent package missing, or a relative name
        raise UsageError(f"cannot run module {name!r}: {error}") from None
    if spec is None:
        raise UsageError(f"no module named {name!r}")


# -- the parser and main -----------------------------------------------------------------------------


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "info": ("show the settings in force, the backstop, and the memory budget behind them", add_info_arguments, run_info),
    "run": ("run a program with the allocation backstop armed", add_run_arguments, run_program),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="{info,run}")
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        subparser = subcommands.add_parser(name, help=help_text, description=help_text)
        add_arguments(subparser)
        subparser.set_defaults(run=run)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """argparse for numguard's options; run's program and its arguments are split off first."""
    parser = build_parser()
    if not argv or argv[0] != "run":
        return parser.parse_args(argv)
    own, module, program, program_arguments = split_run_arguments(argv[1:])
    arguments = parser.parse_args(["run", *own])
    arguments.module, arguments.program, arguments.args = module, program, program_arguments
    return arguments


def check_environment(argv: Sequence[str]) -> None:
    """UsageError naming the NUMGUARD_* variable that is invalid, its value and the accepted
    forms, for every command (--help included). A variable that run's --mode/--limit
    replaces is not judged: run judges the option itself."""
    replaced = run_replaces(argv)
    environ = {variable: value for variable, value in os.environ.items() if variable not in replaced}
    try:
        settings_from_environment(environ)
    except ValueError as error:
        raise UsageError(str(error)) from None


def run_replaces(argv: Sequence[str]) -> set[str]:
    """The variables that run's --mode/--limit options will set."""
    if argv[:1] != ["run"]:
        return set()
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--mode")
    options.add_argument("--limit")
    given = vars(options.parse_known_args(split_run_arguments(argv[1:])[0])[0])
    return {variable for variable, name in ENVIRONMENT.items() if given.get(name) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv[:1] and argv[0] in COMMANDS else None
    try:
        check_environment(argv)
        arguments = parse(argv)
        return arguments.run(arguments)
    except UsageError as error:
        print(f"{PROG}{' ' + command if command else ''}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
