"""The backstop's Python half: thresholds for the C fast path, and the verdicts.

The handler calls `Judge.decide(nbytes, kind)` only for requests above its fast bound,
with the GIL held, before anything is allocated. The verdict uses the settings of the
ALLOCATING context: the innermost `guard` block of that thread or asyncio task, else
the process settings if the process is armed (`enable()`, NUMGUARD_*), else none (the
request is allowed: outside every block, an unarmed process is not judged).

Thresholds (`thresholds`), for one set of settings (a block's, or the armed process's):

- mode "off": nothing is judged.
- the monitor's "small" bound (at least NEGLIGIBLE_NBYTES, at most the limit itself),
  from the last budget reading, which each decision refreshes by the monitor's own
  policy. For a share of available memory that is where the limit could bind; for a
  fixed limit too, because an explicit limit is a cap, never a promise of memory
  (policy.judge_bytes): above what the process can allocate, that figure binds.
  Requests above the bound are rare and large (hundreds of MiB on a 24 GiB host), so
  a reading of tens of microseconds costs nothing next to touching their memory.
- hard, the verdict C gives on its own when Python cannot be asked (a nested
  allocation inside a decision, interpreter shutdown, a failing decision): the
  process limit in mode "raise", unlimited otherwise (a block's limit is not used
  there: C cannot tell which context allocates).

An allocation made while NumPy runs an operation GuardedArray has projected and
judged (`policy.JUDGED`) is left alone: one operation, one verdict, one report (issue
#10.7). What GuardedArray could not project is judged here like any other allocation.

`policy.judge_bytes(nbytes, settings)` is the whole decision, the same rule GuardedArray
applies; report.py words it, in the one message both paths share.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace

from ..errors import MemoryLimitWarning, NumguardError
from ..memory import Budget, budget_for
from ..memory.monitor import SMALL_DIVISOR, SMALL_FLOOR
from ..policy import JUDGED, NEGLIGIBLE_NBYTES, judge_bytes
from ..report import Trip, call_site, describe
from ..settings import Settings, get_settings, process_settings, translating_here
from ._report import Refusal, allocation_estimate, error_for, record

UNLIMITED = 2**64 - 1

#: (callback, floor) pairs of the `watch` blocks live in this thread or task.
WATCHERS: ContextVar[tuple[tuple[Callable[[int], None], int], ...]] = ContextVar(
    "numguard_watchers", default=())


def thresholds(settings: Settings, budget: Budget | None = None) -> tuple[int, int]:
    """(fast, hard) for the C handler: see the module docstring."""
    if settings.mode == "off":
        return UNLIMITED, UNLIMITED
    limit = settings.limit
    budget = budget or budget_for(0)
    allowed = limit.resolve(budget.available)
    small = max(SMALL_FLOOR, budget.available // SMALL_DIVISOR)
    fast = max(NEGLIGIBLE_NBYTES, min(allowed, small))
    if limit.nbytes is not None:
        fast = min(fast, limit.nbytes)  # a request over a fixed limit always asks Python
    hard = allowed if settings.mode == "raise" else UNLIMITED
    return min(fast, UNLIMITED), min(hard, UNLIMITED)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: numguard's own bookkeeping: projections (their stand-ins, an index list made an
#: array), budget readers and reports. What these allocate is numguard's, never judged.
_BOOKKEEPING = tuple(_PACKAGE + name for name in (
    "projection" + os.sep, "memory" + os.sep, "report.py", "policy.py"))


def numguards_own() -> bool:
    """Whether the allocation is numguard's: an operation GuardedArray has already judged
    (`policy.JUDGED`: one operation, one verdict, one report), or its bookkeeping."""
    if JUDGED.get():
        return True
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(_BOOKKEEPING):
            return True
        frame = frame.f_back
    return False


def allocating_settings(armed: bool) -> tuple[Settings | None, bool]:
    """(settings that judge this context's allocations or None, whether from a block)."""
    settings = get_settings()
    if settings is not process_settings():  # a guard block's own Settings object
        return settings, True
    return (settings if armed else None), False


class Judge:
    """Decides for the handler. `on_process_budget` hears each budget the process read."""

    def __init__(self, on_process_budget: Callable[[Settings, Budget], None]) -> None:
        self.armed = False  # set by the controller: the process settings judge too
        self._on_process_budget = on_process_budget
        self._local = threading.local()

    # Called from C, with the GIL, for requests above the fast bound. Must not raise:
    # the handler would report it as unraisable and fall back to its hard bound.
    def decide(self, nbytes: int, kind: int) -> bool:
        watchers = WATCHERS.get()
        if watchers and not numguards_own():
            for callback, floor in watchers:
                if nbytes >= floor:
                    try:
                        callback(nbytes)
                    except Exception:  # noqa: BLE001, S112 - an observer never breaks NumPy
                        continue
        settings, scoped = allocating_settings(self.armed)
        if settings is None or settings.mode == "off" or numguards_own():
            return True
        budget = budget_for(nbytes) if nbytes > NEGLIGIBLE_NBYTES else None
        if budget is not None and not scoped:
            self._on_process_budget(settings, budget)  # the fast bound follows the drift
        trip = judge_bytes(nbytes, settings, budget)
        if trip is None:
            self._local.refusal = None
            return True
        return self._over_limit(nbytes, kind, settings, trip, scoped)

    def _over_limit(self, nbytes: int, kind: int, settings: Settings, trip: Trip,
                    scoped: bool) -> bool:
        if trip.budget is None:  # for the record only: a refusal is rare
            trip = replace(trip, budget=budget_for(nbytes))
        site = call_site()
        estimate = allocation_estimate(nbytes)
        refuse = settings.mode == "raise"
        message = describe(estimate, trip, site, refused=refuse)
        if settings.mode == "warn":
            try:
                warnings.warn_explicit(
                    message, MemoryLimitWarning, site.filename, site.lineno, module="numguard"
                )
            except Exception:  # noqa: BLE001 - warnings are errors here: refuse instead
                refuse = True
                message = describe(estimate, trip, site, refused=True)
        # A refusal inside a guard block leaves it as numguard's error, message included:
        # stderr then would say it twice. Outside, NumPy's own error needs the record.
        record(message, estimate, trip, site, kind, settings.mode, refuse,
               echo=not (refuse and (scoped or translating_here.get())))
        self._local.refusal = Refusal(trip, site, nbytes) if refuse else None
        return not refuse

    def translate(self, error: MemoryError) -> BaseException | None:
        """NumPy's MemoryError for a refusal in this thread, as numguard's error."""
        refusal = getattr(self._local, "refusal", None)
        if refusal is None or isinstance(error, NumguardError):
            return None
        total = getattr(error, "_total_size", None)
        if total is not None and total != refusal.nbytes:
            return None
        if (refusal.site.filename, refusal.site.lineno) not in _traceback_lines(error):
            return None  # another MemoryError; the refusal was caught and handled before
        self._local.refusal = None
        return error_for(refusal, error)


def _traceback_lines(error: BaseException) -> set[tuple[str, int]]:
    lines = set()
    entry = error.__traceback__
    while entry is not None:
        lines.add((entry.tb_frame.f_code.co_filename, entry.tb_lineno))
        entry = entry.tb_next
    return lines

