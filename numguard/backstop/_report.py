"""How a backstop verdict is told, in report.py's one message.

`allocation_estimate` stands a NumPy data request in for an Estimate (only its size is
known at the allocator); `record` puts the message on the "numguard" logger, with the
same `extra` keys GuardedArray's reports carry, and on stderr when no handler would
show it (a production process that configured no logging must still say why it
failed); `error_for` turns NumPy's MemoryError for a refusal into numguard's error when
it leaves a guard block, with the request's shape and dtype where NumPy's
_ArrayMemoryError carries them.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

from ..projection.record import Estimate
from ..report import Site, Trip, describe, error_for as report_error, log, numpy_allocation

KINDS = ("malloc", "calloc", "realloc")

logger = logging.getLogger("numguard")


@dataclass(frozen=True)
class Refusal:
    """A request the backstop refused (kept per thread, for the translation)."""

    trip: Trip
    site: Site
    nbytes: int


def allocation_estimate(nbytes: int, shape: Any = None, dtype: Any = None) -> Estimate:
    """A NumPy data request as an Estimate: its bytes, and its shape and dtype if known."""
    known = shape is not None and dtype is not None
    return Estimate(
        func=numpy_allocation, method="__call__",
        shapes=(tuple(shape),) if known else (), dtypes=(dtype,) if known else (),
        nbytes=nbytes, exact=True, operand_shapes=(), operand_dtypes=(), stretched=(),
    )


def record(message: str, estimate: Estimate, trip: Trip, site: Site, kind: int, mode: str,
           refused: bool, echo: bool = True) -> None:
    """The structured record on logger "numguard"; on stderr (`echo`) if nothing would
    show it."""
    allocator = KINDS[kind] if 0 <= kind < len(KINDS) else str(kind)
    try:
        log(message, estimate, trip, site, "refused" if refused else "allowed", mode,
            rule="backstop", allocator=allocator)
        if echo and logger.isEnabledFor(logging.WARNING) and not shown(logger):
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
    estimate = allocation_estimate(refusal.nbytes, getattr(error, "shape", None),
                                   getattr(error, "dtype", None))
    message = describe(estimate, refusal.trip, refusal.site, refused=True)
    return report_error(estimate, refusal.trip, message)
