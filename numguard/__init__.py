"""numguard: stop NumPy memory blow-ups before the allocation happens."""

from numguard.guarded import GuardedArray, unwrap, wrap
from numguard.backstop import disable, enable
from numguard.estimate import Estimate, Stretch, estimate
from numguard.memory import Budget, Source, budget, format_bytes
from numguard.report import (
    BroadcastMemoryError,
    InflationError,
    InflationWarning,
    NumguardError,
    NumguardWarning,
    RankPromotionError,
    RankPromotionWarning,
)
from numguard.settings import (
    Limit,
    Settings,
    configure,
    get_settings,
    guard,
    settings_from_environment,
)

__version__ = "0.1.0"

__all__ = [
    "BroadcastMemoryError",
    "Budget",
    "Estimate",
    "GuardedArray",
    "InflationError",
    "InflationWarning",
    "Limit",
    "NumguardError",
    "NumguardWarning",
    "RankPromotionError",
    "RankPromotionWarning",
    "Settings",
    "Source",
    "Stretch",
    "budget",
    "configure",
    "disable",
    "enable",
    "estimate",
    "format_bytes",
    "get_settings",
    "guard",
    "unwrap",
    "wrap",
]

# The process defaults from NUMGUARD_* (a bad value stops the import with a clear error).
configure(**settings_from_environment())
