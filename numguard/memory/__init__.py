"""How much memory this process can really use, and a cache cheap enough for every operation.

``budget()`` reads every source afresh: the host's MemAvailable, the process's cgroup (v1 or
v2, its own and every visible ancestor), RLIMIT_AS and RLIMIT_DATA; off Linux, psutil. The
smallest figure wins. ``budget_for(n)`` serves the guard's hot path from a cache and
re-reads only when an allocation of ``n`` bytes could matter: the policy and its constants
are documented in ``numguard.memory.monitor``.
"""

from .model import Budget, Source
from .monitor import BudgetMonitor, budget_for, default_monitor, recent_budget
from .sources import budget
from .units import format_bytes

__all__ = ["Budget", "BudgetMonitor", "Source", "budget", "budget_for", "default_monitor", "format_bytes", "recent_budget"]
