"""numguard: stop NumPy memory blow-ups before the allocation happens."""

from numguard.estimate import Estimate, Stretch, estimate
from numguard.memory import Budget, Source, budget, format_bytes

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Estimate",
    "Source",
    "Stretch",
    "budget",
    "estimate",
    "format_bytes",
]
