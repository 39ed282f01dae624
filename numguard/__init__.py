"""numguard: stop NumPy memory blow-ups before the allocation happens.

Three ways in: `wrap()` an array (GuardedArray checks everything done with it), a
`guard(...)` block or decorator (every NumPy allocation inside it is judged), and the
process switch (`enable()`, or any NUMGUARD_* environment variable at start-up).
`estimate()` answers "what would this call allocate?" without running it, and
`budget()` says how much memory this process can really use.
"""

from numguard.array import GuardedArray, unwrap, wrap
from numguard.backstop import disable, enable
from numguard.errors import (
    BroadcastMemoryError,
    MemoryLimitError,
    NumguardError,
    NumguardWarning,
)
from numguard.memory import budget
from numguard.estimate import estimate  # TRANSITION: numguard.projection
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
    "unwrap",
    "wrap",
]

# The process defaults from NUMGUARD_* (a bad value stops the import with a clear error).
configure_from_environment()
del configure_from_environment
