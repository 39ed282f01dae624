"""numguard: stop NumPy memory blow-ups before the allocation happens.

Three ways in: `wrap()` an array (GuardedArray checks everything done with it), a
`guard(...)` block or decorator (every NumPy allocation inside it is judged), and the
process switch (`enable()`, or any NUMGUARD_* environment variable at start-up).
`estimate()` answers "what would this call allocate?" without running it, and
`budget()` says how much memory this process can really use.

Importing numguard loads only what the allocation backstop needs to judge (the
settings, the budget, the handler): a process armed at start-up imports numguard
inside `import numpy`, and pays for nothing it does not use. The rest (GuardedArray,
the projection layer, `scaling`, the errors, `guard`) loads on first use, through
the module `__getattr__` below (PEP 562).
"""

from __future__ import annotations

import os as _os
import sys as _sys
from typing import TYPE_CHECKING, Any

# NumPy first: the backstop's import reads NumPy's C API, and NumPy's import is where a
# start-up hook arms the process (numguard-backstop.pth); imported here, the hook finds
# numguard.backstop whole rather than half-way through its own import.
import numpy  # noqa: F401

from numguard.backstop import disable, enable
from numguard.memory import budget
from numguard.environment import configure_from_environment
from numguard.settings import Settings, configure, get_settings

if TYPE_CHECKING:  # what __getattr__ loads on first use, for type checkers
    from numguard.errors import (
        BroadcastMemoryError,
        MemoryLimitError,
        NumguardError,
        NumguardWarning,
    )
    from numguard.growth import scaling
    from numguard.guarded import GuardedArray, unwrap, wrap
    from numguard.projection import estimate
    from numguard.scope import guard

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

#: Public names loaded on first use, and the module each one lives in.
_LAZY = {
    "BroadcastMemoryError": "numguard.errors",
    "MemoryLimitError": "numguard.errors",
    "NumguardError": "numguard.errors",
    "NumguardWarning": "numguard.errors",
    "GuardedArray": "numguard.guarded",
    "unwrap": "numguard.guarded",
    "wrap": "numguard.guarded",
    "estimate": "numguard.projection",
    "scaling": "numguard.growth",
    "guard": "numguard.scope",
}

#: Subpackages and modules that `import numguard` used to import, so that code reading
#: `numguard.errors.InflationError` after a bare `import numguard` still finds them.
_SUBMODULES = frozenset({"errors", "growth", "guarded", "policy", "projection", "report",
                         "scope"})


def __getattr__(name: str) -> Any:
    """A public name or a submodule, imported on first use (then a plain attribute)."""
    from importlib import import_module

    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


def _finish_imports_before_fork() -> None:
    """Wait, in the forking thread, for the numguard imports other threads are making.

    With names loaded on first use, a thread may be importing numguard.guarded (or any
    numguard module) when another forks: the child inherits that import's lock held by
    a thread it does not have, and its own first use of the module hangs forever
    (tests/test_fork_locks.py). Importing a module another thread is importing waits
    for that import to finish, so the child gets it whole. A fork with no such import
    under way costs one pass over sys.modules.
    """
    from importlib import import_module

    for name, module in list(_sys.modules.items()):
        if name.startswith("numguard.") and getattr(
                getattr(module, "__spec__", None), "_initializing", False):
            try:
                import_module(name)
            except Exception:  # noqa: BLE001, S112 - the fork goes on; first use will say
                continue


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext numguard`: arm the session's cells (numguard.ipython; IPython only then)."""
    from numguard.ipython import load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """`%unload_ext numguard`: NumPy's own behaviour again, the settings as they were."""
    from numguard.ipython import unload

    unload(ipython)


# The process defaults from NUMGUARD_*. A bad value never breaks the import (a pytest run
# loads numguard's plugin whether or not it uses numguard): its setting keeps the
# default, and numguard.environment.problems lists it for whoever acts on it (the
# start-up hook reports it when it arms the process, the pytest plugin when asked to
# guard, `python -m numguard` with exit status 2).
configure_from_environment()
del configure_from_environment, numpy
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(before=_finish_imports_before_fork)
