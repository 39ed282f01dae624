"""The backstop's Python half: thresholds for the C fast path, and the verdicts.

The handler calls `Judge.decide(nbytes, kind, repeat)` only for requests above its fast
bound, with the GIL held, before anything is allocated. The verdict uses the settings of
the ALLOCATING context: the innermost `guard` block of that thread or asyncio task
(whatever its settings: a bare `guard()` is a block too), else the process settings if
the process is armed (`enable()`, NUMGUARD_*), else none (the request is allowed:
outside every block, an unarmed process is not judged).

Thresholds (`thresholds`), for one set of settings (a block's, or the armed process's):

- mode "off": nothing is judged.
- floor: requests up to it never ask (1 MiB, or less under a smaller fixed limit): they
  cannot matter unless almost no memory is left at all.
- fast: requests up to it ask Python only when the last budget reading is older than
  the monitor's MAX_AGE (C checks the clock; `fresh_until`): the monitor's "small"
  bound (at least NEGLIGIBLE_NBYTES, at most the limit itself) from the last reading.
  So the bound follows memory that shrinks after arming (a lowered RLIMIT_AS, a cgroup
  that fills up) within MAX_AGE, at the price of one Python call per MAX_AGE for
  requests between the floor and the fast bound.
- hard, the verdict C gives on its own when Python cannot be asked (a nested
  allocation inside a decision, interpreter shutdown): the process limit in mode
  "raise", unlimited otherwise.

Whose allocation it is (`whose`), read from the innermost frame outside NumPy's own:

- numguard's bookkeeping (projections' stand-ins, budget readers, reports): never judged;
- an operation a GuardedArray has projected and judged (`policy.JUDGED` holds its
  allowance, and the frame is numguard's, which called NumPy's kernel): allocations
  within the allowance pass without a second verdict (one operation, one report); one
  beyond it is judged like any other, so a projection that was too low costs an extra
  report, never an unjudged allocation;
- anything else, user code that NumPy calls back during a judged operation included
  (object-dtype loops, np.frompyfunc, a subclass's __array_finalize__): judged.

When judging fails for any reason (KeyboardInterrupt, RecursionError, a logging handler
that raises, even SystemExit), the request is refused in mode "raise" and allowed in
"warn" and "log" (they promise never to stop a program); a KeyboardInterrupt is
delivered again as soon as NumPy returns (the C handler re-raises the signal). See
`Judge.decide`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from types import FrameType
from typing import TYPE_CHECKING, Any

from ..memory import Budget, budget_for
from ..memory.monitor import MAX_AGE, SMALL_DIVISOR, SMALL_FLOOR
from ..policy import (
    JUDGED,
    NEGLIGIBLE_NBYTES,
    judge_bytes,
    judge_shapes,
    mode_for,
    uses_shape_rules,
)
from ..settings import Settings, _scoped, process_settings

if TYPE_CHECKING:
    from ..report import Trip

# What reports a trip (._report, numguard.report, numguard.diagnosis) is imported where a
# request trips: a process armed at start-up loads it only when it has something to say.

UNLIMITED = 2**64 - 1

#: What decide() answers (bit flags; the C handler reads them).
ALLOW, INTERRUPT, REPORTED = 1, 2, 4

#: (allocated, floor, refused) of each `watch` block live in this thread or task.
Watcher = tuple[Callable[[int], None], int, "Callable[[int], None] | None"]
WATCHERS: ContextVar[tuple[Watcher, ...]] = ContextVar("numguard_watchers", default=())


#: With inflation or rank promotion on, results above this many bytes (8 float64) are
#: read for what they broadcast. Below it, 0-d results and NumPy's small bookkeeping are
#: most allocations of a test suite; an inflation there (at most 8 elements) shows no
#: explosion. Measured on scikit-learn's preprocessing tests: all allocations 1.8x the
#: wall time, above 64 bytes 1.24x (README, "What it costs").
SHAPE_RULES_FLOOR = 64


def thresholds(settings: Settings, budget: Budget | None = None) -> tuple[int, int, int]:
    """(floor, fast, hard) for the C handler: see the module docstring."""
    if settings.mode == "off":
        return UNLIMITED, UNLIMITED, UNLIMITED
    limit = settings.limit
    budget = budget or budget_for(0)
    allowed = limit.resolve(budget.available)
    small = max(SMALL_FLOOR, budget.available // SMALL_DIVISOR)
    fast = max(NEGLIGIBLE_NBYTES, min(allowed, small))
    if limit.nbytes is not None:
        fast = min(fast, limit.nbytes)  # a request over a fixed limit always asks Python
    hard = allowed if settings.mode == "raise" else UNLIMITED
    if uses_shape_rules(settings):
        fast = SHAPE_RULES_FLOOR  # every result is read for what it broadcast
    floor = min(fast, SMALL_FLOOR)
    return min(floor, UNLIMITED), min(fast, UNLIMITED), min(hard, UNLIMITED)


def fresh_until(budget: Budget) -> float:
    """Until when (time.monotonic) a reading may stand for requests below the fast bound."""
    return budget.taken_at + MAX_AGE


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: numguard's own bookkeeping: projections (their stand-ins, an index list made an
#: array), budget readers, reports, diagnoses. What these allocate is never judged.
_BOOKKEEPING = tuple(_PACKAGE + name for name in (
    "projection" + os.sep, "memory" + os.sep, "diagnosis" + os.sep, "report.py"))
#: Where numguard calls NumPy's kernel for an operation it has judged.
_OPERATIONS = tuple(_PACKAGE + name for name in ("guarded" + os.sep, "policy.py"))


def _numpy_dir() -> str:
    import numpy

    return os.path.dirname(os.path.abspath(numpy.__file__)) + os.sep


_NUMPY = _numpy_dir()
_TESTS = (os.sep + "tests" + os.sep,)


def is_numpys_own(filename: str) -> bool:
    """NumPy's library code (its test files are user code: they call NumPy as users do)."""
    return filename.startswith(_NUMPY) and not any(part in filename[len(_NUMPY) - 1:]
                                                    for part in _TESTS)


#: code object -> whether its frames are skipped (NumPy's library code, the backstop's).
_skipped: dict[Any, bool] = {}
_BACKSTOP = _PACKAGE + "backstop" + os.sep


def innermost_outside_numpy() -> FrameType | None:
    """The innermost Python frame that is not NumPy's own library code (None: the
    allocating thread runs no Python at all, e.g. one started on a C function)."""
    try:
        frame: FrameType | None = sys._getframe(1)
    except ValueError:
        return None
    skipped = _skipped
    while frame is not None:
        code = frame.f_code
        skip = skipped.get(code)
        if skip is None:
            filename = code.co_filename
            skip = filename.startswith(_BACKSTOP) or is_numpys_own(filename)
            if len(skipped) > 8192:
                skipped.clear()
            skipped[code] = skip
        if not skip:
            return frame
        frame = frame.f_back
    return None


def whose(frame: FrameType | None) -> str:
    """"numguard" (bookkeeping), "operation" (a judged operation's kernel) or "user"."""
    if frame is None:
        return "user"
    filename = frame.f_code.co_filename
    if filename.startswith(_BOOKKEEPING):
        return "numguard"
    if filename.startswith(_OPERATIONS):
        return "operation"
    return "user"


def allocating_settings(armed: bool) -> tuple[Settings | None, bool]:
    """(settings that judge this context's allocations or None, whether from a block).

    Membership in a block is the presence of a Scope in this context, never a property
    of the Settings object (a bare `guard()` scopes the process settings themselves).
    """
    scope = _scoped.get()
    if scope is not None:
        return scope.settings, True
    return (process_settings() if armed else None), False


class Judge:
    """Decides for the handler. `on_budget` hears each budget a decision read."""

    def __init__(self, on_budget: Callable[[Settings, Budget, bool], None]) -> None:
        self.armed = False  # set by the controller: the process settings judge too
        self._on_budget = on_budget
        self._local = threading.local()

    # Called from C, with the GIL, for requests above the fast bound. Never raises (the
    # handler would have to guess); answers ALLOW, INTERRUPT and REPORTED bits.
    def decide(self, nbytes: int, kind: int, repeat: bool = False) -> int:
        try:
            return self._decide(nbytes, kind, repeat)
        except BaseException as error:  # noqa: BLE001 - judging failed: see the docstring
            return self._failed(nbytes, error)

    def _decide(self, nbytes: int, kind: int, repeat: bool) -> int:
        frame = innermost_outside_numpy()
        owner = whose(frame)
        if owner == "numguard":
            return ALLOW
        verdict = self._verdict(nbytes, kind, repeat, frame, owner)
        watchers = WATCHERS.get()
        if watchers:
            _notify(watchers, nbytes, bool(verdict & ALLOW))
        return verdict

    def _verdict(self, nbytes: int, kind: int, repeat: bool, frame: FrameType | None,
                 owner: str) -> int:
        settings, scoped = allocating_settings(self.armed)
        budget = budget_for(nbytes) if nbytes > NEGLIGIBLE_NBYTES else None
        if budget is not None:  # the fast bound follows the drift, whoever allocates
            self._on_budget(settings or process_settings(), budget, scoped)
        if settings is None or settings.mode == "off":
            return ALLOW
        if owner == "operation":
            left = JUDGED.get()
            if left is not None and nbytes <= left:
                JUDGED.set(left - nbytes)  # the operation's own reset restores it after
                return ALLOW
        trip = judge_bytes(nbytes, settings, budget)
        if trip is None and uses_shape_rules(settings):
            trip = shape_trip(nbytes, settings, frame)
        if trip is None:
            self._local.refusal = None
            return ALLOW
        return self._over_limit(nbytes, kind, repeat, settings, trip, scoped, frame)

    def _over_limit(self, nbytes: int, kind: int, repeat: bool, settings: Settings,
                    trip: Trip, scoped: bool, frame: FrameType | None) -> int:
        from dataclasses import replace

        from ..report import site_of
        from ._report import Refusal, diagnosed, report_trip

        if trip.budget is None:  # for the record only: a refusal is rare
            trip = replace(trip, budget=budget_for(nbytes))
        mode = mode_for(trip, settings)
        if mode == "off" or (repeat and mode != "raise"):
            return ALLOW  # the same buffer growing again (np.fromstring): reported once
        diagnosis = diagnosed(frame)
        refuse, warning = report_trip(nbytes, kind, mode, trip, frame,
                                      carried=scoped or _translating(), diagnosis=diagnosis)
        self._local.refusal = (Refusal(trip, frame_site(frame), nbytes, warning, site_of(frame),
                                       diagnosis) if refuse else None)
        return REPORTED if refuse else ALLOW | REPORTED

    def _failed(self, nbytes: int, error: BaseException) -> int:
        """The verdict when judging failed: refuse in mode "raise", allow otherwise."""
        interrupt = INTERRUPT if isinstance(error, KeyboardInterrupt) else 0
        try:
            settings, _ = allocating_settings(self.armed)
            refuse = settings is not None and settings.mode == "raise"
        except BaseException:  # noqa: BLE001 - not even that: refusing is safe
            refuse = True
        try:
            self._local.refusal = None
            if not interrupt:
                from ._report import report_failure

                report_failure(nbytes, error, refuse)
        except BaseException:  # noqa: BLE001, S110
            pass
        return interrupt if refuse else ALLOW | interrupt

    def translate(self, error: MemoryError) -> BaseException | None:
        """NumPy's MemoryError for a refusal in this thread, as numguard's error."""
        from ..errors import NumguardError
        from ._report import error_for

        refusal = getattr(self._local, "refusal", None)
        if refusal is None or isinstance(error, NumguardError):
            return None
        total = getattr(error, "_total_size", None)
        if total is not None and total != refusal.nbytes:
            return None
        if refusal.site is not None and refusal.site not in _traceback_lines(error):
            return None  # another MemoryError; the refusal was caught and handled before
        self._local.refusal = None
        return error_for(refusal, error)


#: (code, instruction, bytes) of results already found not to trip the shape rules.
_cleared: dict[tuple[Any, int, int, Any, str], bool] = {}


def shape_trip(nbytes: int, settings: Settings, frame: FrameType | None) -> Trip | None:
    """Inflation or rank promotion for a plain allocation, in a block that asks for them:
    judged on what the user's line broadcasts (numguard.diagnosis), for the allocation
    of its result only (its buffers and temporaries are not what grew).

    A site that made a result of these bytes without tripping the rules is not read
    again for a result of the same bytes (under the same rules): a test suite runs its
    lines with the same shapes again and again, and reading the operands costs tens of
    microseconds. A result of other bytes at that site is read afresh.
    """
    from ..diagnosis import broadcast_estimate, user_frame

    user = user_frame(frame)
    if user is None:
        return None
    key = (user.f_code, user.f_lasti, nbytes, settings.inflation, settings.rank_promotion)
    if key in _cleared:
        return None
    estimate = broadcast_estimate(user)
    del user
    trip = None
    if estimate is not None and any(math.prod(shape) * dtype.itemsize == nbytes
                                    for shape, dtype in zip(estimate.shapes, estimate.dtypes)):
        trip = judge_shapes(estimate, settings)
    if trip is None:
        if len(_cleared) > 65536:
            _cleared.clear()
        _cleared[key] = True
    return trip


def frame_site(frame: FrameType | None) -> tuple[str, int] | None:
    if frame is None:
        return None
    return (frame.f_code.co_filename, frame.f_lineno or 0)


def _notify(watchers: tuple[Watcher, ...], nbytes: int, allowed: bool) -> None:
    """Tell this context's `watch` blocks: what was allocated, or what was refused."""
    for callback, floor, refused in watchers:
        try:
            if not allowed:
                if refused is not None:  # every refusal, whatever the floor
                    refused(nbytes)
            elif nbytes >= floor:
                callback(nbytes)
        except Exception:  # noqa: BLE001, S112 - an observer never breaks NumPy
            continue


def _translating() -> bool:
    from ..settings import translating_here, translating_threads

    return translating_here.get() or threading.get_ident() in translating_threads


def _traceback_lines(error: BaseException) -> set[tuple[str, int]]:
    lines = set()
    entry = error.__traceback__
    while entry is not None:
        lines.add((entry.tb_frame.f_code.co_filename, entry.tb_lineno))
        entry = entry.tb_next
    return lines
