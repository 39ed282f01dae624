"""The backstop's Python half: thresholds for the C fast path, and the verdicts.

The handler calls `Judge.decide(nbytes, kind)` only for requests above its fast bound,
with the GIL held, before anything is allocated. The verdict uses the settings of the
ALLOCATING context: the innermost `guard` block of that thread or asyncio task, else
the process settings if the process is armed (`enable()`, NUMGUARD_*), else none (the
request is allowed: outside every block, an unarmed process is not judged).

Thresholds (`thresholds`), for one set of settings (a block's, or the armed process's):

- mode "off": nothing is judged.
- a fixed limit L: fast = L, so only a request over the limit reaches Python.
- a share of available memory: fast = the monitor's "small" bound (at least
  NEGLIGIBLE_NBYTES, at most the limit itself), from the last budget reading, which
  each decision refreshes by the monitor's own policy. Requests above it are rare and
  large (hundreds of MiB on a 24 GiB host), so a reading of tens of microseconds
  costs nothing next to touching the memory they ask for.
- hard, the verdict C gives on its own when Python cannot be asked (a nested
  allocation inside a decision, interpreter shutdown, a failing decision): the
  process limit in mode "raise", unlimited otherwise (a block's limit is not used
  there: C cannot tell which context allocates).

An allocation made inside a GuardedArray operation (numguard's own code is on the
stack) is left to the guard, which judged that operation's projection already: one
operation, one verdict, one report (issue #10.7), and numguard's own bookkeeping is
never refused.

`verdict(nbytes, settings)` is the whole decision; `_report` words and records it.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable

from ..memory import Budget, budget_for
from ..memory.monitor import SMALL_DIVISOR, SMALL_FLOOR
from ..policy import NEGLIGIBLE_NBYTES
from ..report import NumguardError, NumguardWarning, call_site
from ..settings import Settings, get_settings, process_settings
from ._report import Refusal, describe, error_for, record

UNLIMITED = 2**64 - 1


def thresholds(settings: Settings, budget: Budget | None = None) -> tuple[int, int]:
    """(fast, hard) for the C handler: see the module docstring."""
    if settings.mode == "off":
        return UNLIMITED, UNLIMITED
    limit = settings.limit
    if limit.nbytes is not None:
        allowed = limit.nbytes
        fast = allowed
    else:
        budget = budget or budget_for(0)
        allowed = limit.resolve(budget.available)
        small = max(SMALL_FLOOR, budget.available // SMALL_DIVISOR)
        fast = max(NEGLIGIBLE_NBYTES, min(allowed, small))
    hard = allowed if settings.mode == "raise" else UNLIMITED
    return min(fast, UNLIMITED), min(hard, UNLIMITED)


def verdict(nbytes: int, settings: Settings) -> tuple[bool, int, Budget | None]:
    """(allowed, limit in bytes, budget read or None) for a request of `nbytes`."""
    if settings.mode == "off":
        return True, UNLIMITED, None
    limit = settings.limit
    if limit.nbytes is not None:
        return nbytes <= limit.nbytes, limit.nbytes, None
    budget = budget_for(nbytes)
    allowed = limit.resolve(budget.available)
    return nbytes <= allowed, allowed, budget


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: numguard's files that run the user's code (guard's wrappers, `python -m numguard run`,
#: the backstop's own frames): a frame there says nothing about who allocates.
_RUNS_USER_CODE = tuple(_PACKAGE + name for name in ("settings.py", "__main__.py", "backstop" + os.sep))


def judged_by_the_guard() -> bool:
    """Whether numguard's own code is allocating: a GuardedArray operation the guard
    already judged (its projection, its one report), or numguard's bookkeeping.

    The backstop stays out of it: one operation, one verdict, one report.
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_PACKAGE) and not filename.startswith(_RUNS_USER_CODE):
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
        settings, scoped = allocating_settings(self.armed)
        if settings is None or judged_by_the_guard():
            return True
        allowed, limit, budget = verdict(nbytes, settings)
        if budget is not None and not scoped:
            self._on_process_budget(settings, budget)  # the fast bound follows the drift
        if allowed:
            self._local.refusal = None
            return True
        return self._over_limit(nbytes, kind, settings, limit, budget, scoped)

    def _over_limit(
        self, nbytes: int, kind: int, settings: Settings, limit: int,
        budget: Budget | None, scoped: bool,
    ) -> bool:
        if budget is None:
            budget = budget_for(nbytes)  # for the record only: a refusal is rare
        site = call_site()
        mode = settings.mode
        refuse = mode == "raise"
        origin = "a guard block" if scoped else "the process settings"

        def message_for(refused: bool) -> str:
            return describe(nbytes, limit, settings, origin, budget, site, refused)

        message = message_for(refuse)
        if mode == "warn":
            try:
                warnings.warn_explicit(
                    message, NumguardWarning, site.filename, site.lineno, module="numguard"
                )
            except Exception:  # noqa: BLE001 - warnings are errors here: refuse instead
                refuse = True
                message = message_for(True)
        record(message, nbytes, kind, settings, limit, budget, site, refuse)
        self._local.refusal = (
            Refusal(nbytes, limit, settings.limit.text, budget, message,
                    site.filename, site.lineno)
            if refuse else None
        )
        return not refuse

    def translate(self, error: MemoryError) -> BaseException | None:
        """NumPy's MemoryError for a refusal in this thread, as numguard's error."""
        refusal = getattr(self._local, "refusal", None)
        if refusal is None or isinstance(error, NumguardError):
            return None
        total = getattr(error, "_total_size", None)
        if total is not None and total != refusal.nbytes:
            return None
        if (refusal.filename, refusal.lineno) not in _traceback_lines(error):
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

