"""The hot-path cache: a Budget that is re-read only when a projected allocation could matter.

Policy, for a projected allocation of ``n`` bytes against the last reading ``B``:

1. The first call, and the first call after a fork, discovers the sources (walks
   /proc/self/cgroup and /proc/self/mountinfo), opens their files and reads them.
2. Small: ``n < SMALL_FLOOR`` (1 MiB) returns ``B`` and reads no file: such a request cannot
   matter unless almost no memory is left at all.
3. Large: ``n >= B.available // LARGE_DIVISOR`` (a quarter of what was left) always
   refreshes: such an allocation can exhaust memory on its own, and writing even 1/4 of a
   budget costs milliseconds against a refresh of tens of microseconds.
4. In between: refresh when ``B`` is older than ``MAX_AGE`` (0.1 s). That bounds both the
   staleness of the figure and the refresh rate, to 10 per second (well under 0.1% of one
   core even at 50 µs each), whatever a loop of medium-sized operations does.

The floor of rule 2 applies first, so tiny operations never read a file even when memory is
exhausted. Above it, no reading older than MAX_AGE is trusted: memory can shrink after a
reading (a lowered RLIMIT_AS, a cgroup that other processes fill, a container resized), and
a figure of 23 GiB kept for minutes would let a 300 MiB request through where 200 MiB are
left. (``SMALL_DIVISOR`` is where the allocation backstop's C fast path stops trusting a
fresh reading without asking: 1/64 of what was available.)

A refresh re-reads descriptors kept open (``os.pread``), and reads usage files only for
cgroups that have a limit; see benchmarks/bench_memory.py for its cost. The no-refresh
path takes no lock and makes no system call (the clock is read only in the middle band);
a lock serialises refreshes, and a thread that waited on it reuses the figure another
thread just took.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable

from .. import forksafe
from .cgroups import DEFAULT_CGROUP_ROOT, DEFAULT_PROC_ROOT
from .files import FileReader
from .model import Budget, Source
from .sources import Probe, discover_probes, measure
from .units import MiB

SMALL_FLOOR = 1 * MiB
SMALL_DIVISOR = 64
LARGE_DIVISOR = 4
MAX_AGE = 0.1  # seconds

class BudgetMonitor:
    """Caches a Budget and refreshes it by the policy in this module's docstring."""

    def __init__(
        self,
        *,
        proc_root: str = DEFAULT_PROC_ROOT,
        cgroup_root: str = DEFAULT_CGROUP_ROOT,
        small_floor: int = SMALL_FLOOR,
        small_divisor: int = SMALL_DIVISOR,
        large_divisor: int = LARGE_DIVISOR,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.proc_root = proc_root
        self.cgroup_root = cgroup_root
        self.small_floor = small_floor
        self.small_divisor = small_divisor
        self.large_divisor = large_divisor
        self.max_age = max_age
        self._clock = clock
        forksafe.lock(self, "_lock")
        # (budget, small below, large from, stale after): replaced whole, read without a lock.
        self._state: tuple[Budget, int, int, float] | None = None
        self._pid: int | None = None
        self._probes: tuple[Probe, ...] = ()
        self._reader = FileReader(keep_open=True)
        weakref.finalize(self, self._reader.close)

    def current(self, projected_nbytes: int) -> Budget:
        """The budget to judge an allocation of ``projected_nbytes`` against."""
        state = self._state
        if state is not None:
            budget, small, large, stale_after = state
            if projected_nbytes < small:
                return budget
            if projected_nbytes < large and self._clock() < stale_after:
                return budget
        return self._refresh(state)

    def recent(self, max_age: float) -> Budget | None:
        """The last reading if it is younger than `max_age` seconds, else None (no read)."""
        state = self._state
        if state is None or self._clock() - state[0].taken_at > max_age:
            return None
        return state[0]

    def refresh(self) -> Budget:
        """Re-read every source now, whatever the policy says."""
        with self._lock:
            return self._read()

    def close(self) -> None:
        """Close the kept descriptors; the next refresh reopens them."""
        with self._lock:
            self._reader.close()
            self._pid = None

    def _refresh(self, seen: tuple[Budget, int, int, float] | None) -> Budget:
        with self._lock:
            state = self._state
            if state is not seen and state is not None:
                return state[0]  # another thread refreshed while this one waited
            return self._read()

    def _read(self) -> Budget:
        try:
            pid = os.getpid()
            if pid != self._pid:  # first use, or a forked child holding its parent's descriptors
                self._reader.close()
                self._probes = discover_probes(self.proc_root, self.cgroup_root)
                self._pid = pid
            budget = measure(self._probes, self._reader, self._clock)
        except Exception as error:  # noqa: BLE001 - the judged operation must not fail here
            return self._unread(error)
        small = self.small_floor
        large = budget.available // self.large_divisor
        self._state = (budget, small, large, budget.taken_at + self.max_age)
        return budget

    def _unread(self, error: Exception) -> Budget:
        """The last reading when a refresh failed as a whole (every probe already records
        its own failures, so this takes a MemoryError in the reading itself); with no
        reading yet, a Budget that assumes no limit. Nothing is cached: the next call retries."""
        self._pid = None  # rediscover next time
        if self._state is not None:
            return self._state[0]
        failed = Source("budget reading", None, note=f"failed: {type(error).__name__}")
        return Budget.from_sources((failed,), 0.0)

#: The process-wide monitor behind ``budget_for``.
default_monitor = BudgetMonitor()


def recent_budget(max_age: float) -> Budget | None:
    """The process-wide monitor's last reading if younger than `max_age` seconds."""
    return default_monitor.recent(max_age)


def budget_for(projected_nbytes: int) -> Budget:
    """The cached budget for an allocation of ``projected_nbytes``, refreshed when it matters."""
    return default_monitor.current(projected_nbytes)
