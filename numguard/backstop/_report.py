"""How a backstop verdict is told: the message, the log record, the error a block raises.

`describe` is the one wording of an allocator-level trip (the lead may point it at
report.py's formatter); `record` puts it on the "numguard" logger (on stderr when no
handler would show it); `error_for` turns NumPy's MemoryError for a refusal into
numguard's error when it leaves a guard block, with the request's shape and dtype
where NumPy's _ArrayMemoryError carries them.
"""

from __future__ import annotations

import linecache
import logging
import sys
from dataclasses import dataclass
from typing import Any

from ..estimate import Estimate
from ..memory import Budget, format_bytes
from ..report import BroadcastMemoryError, Site, Trip
from ..settings import Settings

KINDS = ("malloc", "calloc", "realloc")

logger = logging.getLogger("numguard")


@dataclass(frozen=True)
class Refusal:
    """A request the backstop refused (kept per thread, for the translation)."""

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


def describe(
    nbytes: int, allowed: int, settings: Settings, origin: str, budget: Budget,
    site: Site, refused: bool,
) -> str:
    """The human message: what was asked, the limit and its source, the user's line."""
    verb = "refused" if refused else "allowed"
    limit = settings.limit
    if limit.nbytes is not None:
        source = f"limit={limit.text}"
    else:
        source = f"{limit.text} of {format_bytes(budget.available)} available"
    code = linecache.getline(site.filename, site.lineno).strip() if site.lineno else ""
    return "\n".join([
        (f"numguard backstop: {verb} a NumPy allocation of {format_bytes(nbytes)} "
         f"({nbytes:,} bytes), over the limit"),
        f"  limit: {format_bytes(allowed)} ({source}); mode={settings.mode}; from {origin}",
        f"  budget: {format_bytes(budget.available)} available, bound by {budget.binding}",
        f"  at {site.filename}:{site.lineno}" + (f": {code}" if code else ""),
    ])


def record(
    message: str, nbytes: int, kind: int, settings: Settings, allowed: int, budget: Budget,
    site: Site, refused: bool,
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
        if logger.isEnabledFor(logging.WARNING) and not shown(logger):
            sys.stderr.write(message + "\n")
    except Exception:  # noqa: BLE001 - a report must never turn into an allocation failure
        try:
            sys.stderr.write(message + "\n")
        except Exception:  # noqa: BLE001, S110
            pass


def shown(log: logging.Logger) -> bool:
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


def error_for(refusal: Refusal, error: MemoryError) -> BaseException:
    """numguard's error for NumPy's MemoryError `error`, which `refusal` caused."""
    shape: Any = getattr(error, "shape", None)
    dtype: Any = getattr(error, "dtype", None)
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
