"""numguard: stop NumPy memory blow-ups before the allocation happens.

Three ways in: `wrap()` an array (GuardedArray checks everything done with it), a
`guard(...)` block or decorator (every NumPy allocation inside it is judged), and the
process switch (`enable()`, or any NUMGUARD_* environment variable at start-up).
`estimate()` answers "what would this call allocate?" without running it, and
`budget()` says how much memory this process can really use.
"""

import sys

from numguard.guarded import GuardedArray, unwrap, wrap
from numguard.backstop import disable, enable
from numguard.errors import (
    BroadcastMemoryError,
    MemoryLimitError,
    NumguardError,
    NumguardWarning,
)
from numguard.growth import scaling
from numguard.memory import budget
from numguard.projection import estimate
from numguard.scope import guard
from numguard.settings import Settings, configure, configure_from_environment, get_settings

__version__ = "0.1.0"

__all__ = [
    "BroadcastMemoryError",
    "GuardedArray",
    "MemoryLimitError",
    "NumguardError",
    "NumguardWarning",
    "Settings",
    "budget",
    "configure",
    "disable",
    "enable",
    "estimate",
    "get_settings",
    "guard",
    "scaling",
    "unwrap",
    "wrap",
]



def load_ipython_extension(ipython: object) -> None:
    """`%load_ext numguard`: arm the session's cells (numguard.ipython; IPython only then)."""
    from numguard.ipython import load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """`%unload_ext numguard`: NumPy's own behaviour again, the settings as they were."""
    from numguard.ipython import unload

    unload(ipython)


def _started_as_numguard_cli() -> bool:
    """Whether `python -m numguard` is importing this package: runpy sets argv[0] to "-m"
    while it imports the package of the module it runs, and orig_argv names the module."""
    if sys.argv[:1] != ["-m"]:
        return False
    given = sys.orig_argv
    return any(arg == "-mnumguard" or (arg == "-m" and given[i + 1:i + 2] == ["numguard"])
               for i, arg in enumerate(given))


# The process defaults from NUMGUARD_* (a bad value stops the import with a clear error;
# under `python -m numguard` the command line reports it itself, in one line, exit 2).
try:
    configure_from_environment()
except ValueError:
    if not _started_as_numguard_cli():
        raise
del configure_from_environment
