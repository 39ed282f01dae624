"""The backstop's Python half: thresholds for the C fast path, verdicts, reports.

The handler calls `Judge.decide(nbytes, kind)` only for requests above `fast_max`,
with the GIL held, before anything is allocated. The verdict uses the process settings
(`configure`, `enable`, the NUMGUARD_* variables), not a `guard` block's: the handler
has no cheap way to see a block's ContextVar, and a backstop whose threshold depended
on where each allocation happened could not keep its fast path in C. A `guard` block
still matters: a refusal inside one reaches the user as BroadcastMemoryError
(`translate`).

Thresholds, for the process settings in force:

- mode "off": nothing is judged (enable() disarms instead).
- a fixed limit L: fast_max = L, so only a request over the limit reaches Python.
- a share of available memory: fast_max = the monitor's "small" bound (at least
  NEGLIGIBLE_NBYTES, at most the limit itself), from the last budget reading, which
  each decision refreshes by the monitor's own policy. Requests above it are rare and
  large (hundreds of MiB on a 24 GiB host), so a reading of tens of microseconds
  costs nothing next to touching the memory they ask for.
- hard_max, the verdict C gives on its own when Python cannot be asked (a nested
  allocation inside a decision, interpreter shutdown, a failing decision): the limit
  in mode "raise", unlimited otherwise.
"""

from __future__ import annotations

import linecache
import logging
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from .. import settings as _settings
from ..projection.record import Estimate
from ..memory import Budget, budget_for, format_bytes
from ..memory.monitor import SMALL_DIVISOR, SMALL_FLOOR
from ..policy import NEGLIGIBLE_NBYTES
from ..report import (
    BroadcastMemoryError,
    NumguardError,
    NumguardWarning,
    Trip,
    call_site,
)
from ..settings import Settings

UNLIMITED = 2**64 - 1
KINDS = ("malloc", "calloc", "realloc")

logger = logging.getLogger("numguard")


def process_settings() -> Settings:
    """The process defaults, whatever `guard` block the calling thread is in."""
    return _settings.process_settings()


def thresholds(settings: Settings, budget: Budget | None = None) -> tuple[int, int]:
    """(fast_max, hard_max) for the C handler: see the module docstring."""
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


@dataclass(frozen=True)
class Refusal:
    """A request the backstop refused (kept per thread, for `translate`)."""

    nbytes: int
    limit: int
    limit_text: str
    budget: Budget | None
    message: str
    filename: str
    lineno: int


def allocation() -> None:
    """Stands for "a NumPy data allocation" in the Estimate of a backstop refusal."""


allocation.__module__ = "numguard.backstop"


class Judge:
    """Decides for the handler; `configure_handler` is the handler module's configure."""

    def __init__(self, configure_handler) -> None:
        self._configure_handler = configure_handler
        self._settings: Settings | None = None
        self._local = threading.local()

    def apply(self, settings: Settings | None = None, budget: Budget | None = None) -> None:
        """Give the handler the thresholds for `settings` (default: the process's)."""
        settings = settings or process_settings()
        fast, hard = thresholds(settings, budget)
        self._settings = settings
        self._configure_handler(fast, hard, self.decide)

    def detach(self) -> None:
        """No more Python decisions (e.g. at interpreter exit): C judges by hard_max alone."""
        settings = self._settings or process_settings()
        fast, hard = thresholds(settings)
        self._configure_handler(fast, hard, None)

    # Called from C, with the GIL, for requests above fast_max. Must not raise: the
    # handler would report it as unraisable and fall back to hard_max.
    def decide(self, nbytes: int, kind: int) -> bool:
        settings = process_settings()
        if settings.mode == "off":
            return True
        limit = settings.limit
        budget = None if limit.nbytes is not None else budget_for(nbytes)
        if settings is not self._settings or budget is not None:
            self.apply(settings, budget)  # follow configure() and the budget's drift
        allowed = limit.nbytes if budget is None else limit.resolve(budget.available)
        if nbytes <= allowed:
            self._local.refusal = None
            return True
        return self._over_limit(nbytes, kind, settings, allowed, budget)

    def _over_limit(
        self, nbytes: int, kind: int, settings: Settings, allowed: int, budget: Budget | None
    ) -> bool:
        if budget is None:
            budget = budget_for(nbytes)  # for the record only: a refusal is rare
        site = call_site()
        mode = settings.mode
        refuse = mode == "raise"
        message = describe(nbytes, allowed, settings, budget, site.filename, site.lineno, refuse)
        if mode == "warn":
            try:
                warnings.warn_explicit(
                    message, NumguardWarning, site.filename, site.lineno, module="numguard"
                )
            except Exception:  # noqa: BLE001 - warnings are errors here: refuse instead
                refuse = True
                message = describe(
                    nbytes, allowed, settings, budget, site.filename, site.lineno, True
                )
        record(message, nbytes, kind, settings, allowed, budget, site, refuse)
        self._local.refusal = (
            Refusal(nbytes, allowed, settings.limit.text, budget, message,
                    site.filename, site.lineno)
            if refuse else None
        )
        return not refuse

    def translate(self, error: MemoryError) -> BaseException | None:
        """NumPy's MemoryError for a refusal in this thread, as BroadcastMemoryError."""
        refusal = getattr(self._local, "refusal", None)
        if refusal is None or isinstance(error, NumguardError):
            return None
        total = getattr(error, "_total_size", None)
        if total is not None and total != refusal.nbytes:
            return None
        if (refusal.filename, refusal.lineno) not in _traceback_lines(error):
            return None  # another MemoryError; the refusal was caught and handled before
        self._local.refusal = None
        shape = getattr(error, "shape", None)
        dtype = getattr(error, "dtype", None)
        estimate = Estimate(
            func=allocation,
            method="__call__",
            shapes=(tuple(shape),) if shape is not None else (),
            dtypes=(dtype,) if dtype is not None else (),
            nbytes=refusal.nbytes,
            exact=True,
            operand_shapes=(),
            operand_dtypes=(),
            stretched=(),
        )
        what = f" for an array with shape {tuple(shape)} and data type {dtype}" if (
            shape is not None and dtype is not None) else ""
        headline, _, rest = refusal.message.partition("\n")
        message = f"{headline}{what}\n{rest}" if what else refusal.message
        trip = Trip("memory", refusal.limit, refusal.limit_text, refusal.budget)
        return BroadcastMemoryError(message, estimate, trip, refusal.budget)


def _traceback_lines(error: BaseException) -> set[tuple[str, int]]:
    lines = set()
    entry = error.__traceback__
    while entry is not None:
        lines.add((entry.tb_frame.f_code.co_filename, entry.tb_lineno))
        entry = entry.tb_next
    return lines


def describe(
    nbytes: int, allowed: int, settings: Settings, budget: Budget, filename: str,
    lineno: int, refused: bool,
) -> str:
    """The human message: what was asked, the limit and its source, the user's line."""
    verb = "refused" if refused else "allowed"
    limit = settings.limit
    if limit.nbytes is not None:
        source = f"limit={limit.text}"
    else:
        source = f"{limit.text} of {format_bytes(budget.available)} available"
    code = linecache.getline(filename, lineno).strip() if lineno else ""
    return "\n".join([
        (f"numguard backstop: {verb} a NumPy allocation of {format_bytes(nbytes)} "
         f"({nbytes:,} bytes), over the limit"),
        f"  limit: {format_bytes(allowed)} ({source}); mode={settings.mode}",
        f"  budget: {format_bytes(budget.available)} available, bound by {budget.binding}",
        f"  at {filename}:{lineno}" + (f": {code}" if code else ""),
    ])


def record(
    message: str, nbytes: int, kind: int, settings: Settings, allowed: int, budget: Budget,
    site: Any, refused: bool,
) -> None:
    """The structured record on logger "numguard"; on stderr if nothing would show it."""
    extra = {
        "numguard_rule": "backstop",
        "action": "refused" if refused else "allowed",
        "nbytes": nbytes,
        "limit": allowed,
        "limit_text": settings.limit.text,
        "mode": settings.mode,
        "available": budget.available,
        "binding": budget.binding,
        "site": f"{site.filename}:{site.lineno}",
        "allocator": KINDS[kind] if 0 <= kind < len(KINDS) else str(kind),
    }  # the thread is the record's own threadName
    try:
        logger.warning(message, extra=extra)
        if logger.isEnabledFor(logging.WARNING) and not _shown(logger):
            sys.stderr.write(message + "\n")
    except Exception:  # noqa: BLE001 - a report must never turn into an allocation failure
        try:
            sys.stderr.write(message + "\n")
        except Exception:  # noqa: BLE001, S110
            pass


def _shown(log: logging.Logger) -> bool:
    """Whether a WARNING on `log` reaches a handler other than a NullHandler."""
    current: logging.Logger | None = log
    while current is not None:
        if any(not isinstance(h, logging.NullHandler) and h.level <= logging.WARNING
               for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent  # type: ignore[assignment]
    return False
