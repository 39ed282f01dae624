"""numguard: stop NumPy memory blow-ups before the allocation happens.

Three ways in: `wrap()` an array (GuardedArray checks everything done with it), a
`guard(...)` block or decorator (every NumPy allocation inside it is judged), and the
process switch (`enable()`, or any NUMGUARD_* environment variable at start-up).
`estimate()` answers "what would this call allocate?" without running it, and
`budget()` says how much memory this process can really use.
"""

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
from numguard.environment import configure_from_environment
from numguard.settings import Settings, configure, get_settings

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


# The process defaults from NUMGUARD_*. A bad value never breaks the import (a pytest run
# loads numguard's plugin whether or not it uses numguard): its setting keeps the
# default, and numguard.environment.problems lists it for whoever acts on it (the
# start-up hook reports it when it arms the process, the pytest plugin when asked to
# guard, `python -m numguard` with exit status 2).
configure_from_environment()
del configure_from_environment
