"""How a backstop verdict is told, in report.py's one message, once.

One trip, one report, whatever the path:

- mode "raise" inside a guard block, or where a refusal is turned into numguard's error
  (`scope.translating`: a notebook cell, a dask task): the exception carries the
  message; the record on logger "numguard" is written at INFO, for machines;
- mode "raise" outside every block (an armed process): NumPy's bare MemoryError is all
  the program sees, so the record is a WARNING, and goes to stderr too when no handler
  would show it (a production process that configured no logging must still say why);
- mode "warn": the warning carries the message, the record is INFO; with warnings
  turned into errors the request is refused instead, and the warning is what leaves the
  block (`error_for`);
- mode "log": the record, a WARNING, and nothing else.

`allocation_estimate` stands a NumPy data request in for an Estimate (only its size is
known at the allocator); `error_for` turns NumPy's MemoryError for a refusal into
numguard's error when it leaves a guard block, with the request's shape and dtype
where NumPy's _ArrayMemoryError carries them.
"""

from __future__ import annotations

import logging
import sys
import warnings
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ..errors import MemoryLimitWarning
from ..memory import format_bytes
from ..projection.record import Estimate
from ..report import (
    Site,
    Trip,
    describe,
    log,
    numpy_allocation,
    shown,
    site_of,
)
from ..report import (
    error_for as report_error,
)

KINDS = ("malloc", "calloc", "realloc")

logger = logging.getLogger("numguard")


@dataclass(frozen=True)
class Refusal:
    """A request the backstop refused (kept per thread, for the translation)."""

    trip: Trip
    site: tuple[str, int] | None
    nbytes: int
    warning: Warning | None = None
    """The warning that was raised instead of shown (warnings turned into errors)."""
    frame_site: Site | None = None
    diagnosis: Any = None
    """What the user's line was evaluating (numguard.diagnosis), read when refused."""


def allocation_estimate(nbytes: int, shape: Any = None, dtype: Any = None) -> Estimate:
    """A NumPy data request as an Estimate: its bytes, and its shape and dtype if known."""
    known = shape is not None and dtype is not None
    return Estimate(
        func=numpy_allocation, method="__call__",
        shapes=(tuple(shape),) if known else (), dtypes=(dtype,) if known else (),
        nbytes=nbytes, exact=True, operand_shapes=(), operand_dtypes=(), stretched=(),
    )


def diagnosed(frame: FrameType | None) -> Any:
    """numguard.diagnosis's reading of the user's line, taken now: once the refusal
    unwinds or the line goes on, the frame says something else. Never raises."""
    try:
        from ..diagnosis import diagnose, user_frame

        user = user_frame(frame)
        return None if user is None else diagnose(user)
    except Exception:  # noqa: BLE001 - a report without it is still a report
        return None


def request_estimate(nbytes: int, diagnosis: Any, shape: Any = None, dtype: Any = None) -> Estimate:
    """The diagnosed projection when it accounts for the request, else the request."""
    if diagnosis is not None and diagnosis.estimate is not None and diagnosis.accounts_for(nbytes):
        return diagnosis.estimate
    return allocation_estimate(nbytes, shape, dtype)


def report_trip(nbytes: int, kind: int, mode: str, trip: Trip, frame: FrameType | None,
                carried: bool, diagnosis: Any = None) -> tuple[bool, Warning | None]:
    """Report a trip once, as the module docstring says; (refuse, the warning raised)."""
    site = site_of(frame)
    estimate = request_estimate(nbytes, diagnosis)
    allocator = KINDS[kind] if 0 <= kind < len(KINDS) else str(kind)
    refuse = mode == "raise"
    raised: Warning | None = None
    if mode == "warn":
        message = describe(estimate, trip, site, refused=False, diagnosis=diagnosis)
        try:
            warnings.warn_explicit(message, MemoryLimitWarning, site.filename, site.lineno,
                                   module="numguard")
        except Warning as warning:  # warnings are errors here: refuse, raise it on leaving
            refuse, raised = True, warning
        log(message, estimate, trip, site, "refused" if refuse else "allowed", mode,
            rule="backstop", allocator=allocator, level=logging.INFO)
        return refuse, raised
    if mode == "log":
        log(describe(estimate, trip, site, refused=False, diagnosis=diagnosis), estimate, trip, site, "allowed",
            mode, rule="backstop", allocator=allocator)
        return False, None
    level = logging.INFO if carried else logging.WARNING
    if not logger.isEnabledFor(level) and carried:
        return True, None  # the error will carry the message: build nothing now
    message = describe(estimate, trip, site, refused=True, diagnosis=diagnosis)
    log(message, estimate, trip, site, "refused", mode, rule="backstop", allocator=allocator,
        level=level)
    if not carried and not shown(logger):
        _stderr(message)
    return True, None


def report_failure(nbytes: int, error: BaseException, refused: bool) -> None:
    """Judging itself failed (a handler raised, the stack was exhausted): through
    sys.unraisablehook, where Python reports what cannot be raised."""
    verdict = "refused" if refused else "allowed"
    unraisable(error, f"numguard could not judge a NumPy allocation of "
                      f"{format_bytes(nbytes)}, which was {verdict}", None)


def unraisable(error: BaseException, message: str, about: object) -> None:
    """Hand `error` to sys.unraisablehook (the arguments PyErr_WriteUnraisable gives)."""
    arguments = type("UnraisableHookArgs", (), {
        "exc_type": type(error), "exc_value": error, "exc_traceback": error.__traceback__,
        "err_msg": message, "object": about})()
    try:
        sys.unraisablehook(arguments)
    except BaseException:  # noqa: BLE001 - the hook failed too: one plain line
        _stderr(f"{message} ({type(error).__name__}: {error})")


def _stderr(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
    except Exception:  # noqa: BLE001, S110 - nowhere left to say it
        pass


def error_for(refusal: Refusal, error: MemoryError) -> BaseException:
    """numguard's error for NumPy's MemoryError `error`, which `refusal` caused."""
    if refusal.warning is not None:
        return refusal.warning
    estimate = request_estimate(refusal.nbytes, refusal.diagnosis, getattr(error, "shape", None),
                                getattr(error, "dtype", None))
    site = refusal.frame_site or (Site(*refusal.site) if refusal.site else Site("<unknown>", 0))
    message = describe(estimate, refusal.trip, site, refused=True, diagnosis=refusal.diagnosis)
    return report_error(estimate, refusal.trip, message)
