"""How a trip reaches a person: exceptions, warnings, log records, and one message.

The message names the operation as the user wrote it (the operator `+` or
`np.add.reduce`), each operand, the result and the axes broadcasting stretched, the
projected size against the limit and where that limit comes from, and the user's
own line of code. Frames are walked only here, when something is reported.
"""

from __future__ import annotations

import dis
import linecache
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from types import FrameType

import numpy as np

from .projection.record import Estimate
from .memory import Budget, format_bytes

logger = logging.getLogger("numguard")
logger.addHandler(logging.NullHandler())


class NumguardError(Exception):
    """Base class of numguard's refusals; `.estimate` is the projection that tripped."""

    def __init__(self, message: str, estimate: Estimate, trip: Trip | None = None) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.trip = trip

    def __reduce__(self) -> tuple:
        # Crosses process boundaries (ProcessPoolExecutor) and copies intact.
        return (type(self), (str(self), self.estimate, self.trip))


class BroadcastMemoryError(NumguardError, MemoryError):
    """The result would not fit the memory limit; raised before anything is allocated.

    `.budget` is the memory figure it was judged against (None for a fixed limit
    when no budget was read).
    """

    def __init__(
        self, message: str, estimate: Estimate, trip: Trip | None = None,
        budget: Budget | None = None,
    ) -> None:
        super().__init__(message, estimate, trip)
        self.budget = budget

    def __reduce__(self) -> tuple:
        return (type(self), (str(self), self.estimate, self.trip, self.budget))


class InflationError(NumguardError, ValueError):
    """The result is larger than its largest operand by more than the inflation factor."""


class RankPromotionError(NumguardError, ValueError):
    """Operands of different ranks were broadcast together (JAX's rank promotion)."""


class NumguardWarning(ResourceWarning):
    """Base class of numguard's warnings; the memory-limit trip warns with this class."""


class InflationWarning(NumguardWarning):
    """An inflation trip in mode="warn"."""


class RankPromotionWarning(NumguardWarning):
    """A rank-promotion trip in mode="warn"."""


# ResourceWarning is ignored by Python's default filters, which would make mode="warn"
# silent. Show numguard's warnings (once per location) unless the user configured
# warnings with -W or PYTHONWARNINGS, whose choice then stands.
if not sys.warnoptions:
    warnings.filterwarnings("default", category=NumguardWarning)


@dataclass(frozen=True, slots=True)
class Trip:
    """A rule that fired: which, the figures it compared, and the budget if one was read."""

    rule: str  # "memory", "inflation", "rank_promotion"
    limit: int | None = None
    limit_text: str = ""
    budget: Budget | None = None
    factor: float | None = None


_ERRORS = {"memory": BroadcastMemoryError, "inflation": InflationError,
           "rank_promotion": RankPromotionError}
_WARNINGS = {"memory": NumguardWarning, "inflation": InflationWarning,
             "rank_promotion": RankPromotionWarning}


def act(mode: str, estimate: Estimate, trip: Trip) -> None:
    """Raise, warn or log, as `mode` says. Returns only when the operation may run."""
    site = call_site()
    message = describe(estimate, trip, site)
    if mode == "raise":
        error = _ERRORS[trip.rule]
        if error is BroadcastMemoryError:
            raise BroadcastMemoryError(message, estimate, trip, trip.budget)
        raise error(message, estimate, trip)
    if mode == "warn":
        warnings.warn_explicit(
            message, _WARNINGS[trip.rule], site.filename, site.lineno, module="numguard"
        )
        return
    logger.warning(
        message,
        extra={
            "numguard_rule": trip.rule,
            "operation": site.operation(estimate),
            "shapes": estimate.operand_shapes,
            "dtypes": tuple(str(d) for d in estimate.operand_dtypes),
            "result_shapes": estimate.shapes,
            "nbytes": estimate.nbytes,
            "limit": trip.limit,
            "site": f"{site.filename}:{site.lineno}",
        },
    )


@dataclass(frozen=True, slots=True)
class Site:
    """The user's line, and the operator written there if the call came from one."""

    filename: str
    lineno: int
    operator: str | None

    def operation(self, estimate: Estimate) -> str:
        name = estimate.operation
        return f"`{self.operator}` ({name})" if self.operator else name


_OWN_DIRS = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
    os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
)


def call_site() -> Site:
    """The first frame outside numguard and NumPy, and the operator it was running."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_DIRS):
        frame = frame.f_back
    if frame is None:
        return Site("<unknown>", 0, None)
    return Site(frame.f_code.co_filename, frame.f_lineno or 0, _operator_at(frame))


_BINARY_NAMES = {
    "BINARY_ADD": "+", "BINARY_SUBTRACT": "-", "BINARY_MULTIPLY": "*",
    "BINARY_TRUE_DIVIDE": "/", "BINARY_FLOOR_DIVIDE": "//", "BINARY_MODULO": "%",
    "BINARY_POWER": "**", "BINARY_MATRIX_MULTIPLY": "@", "BINARY_AND": "&",
    "BINARY_OR": "|", "BINARY_XOR": "^", "BINARY_LSHIFT": "<<", "BINARY_RSHIFT": ">>",
    "UNARY_NEGATIVE": "-", "UNARY_POSITIVE": "+", "UNARY_INVERT": "~",
}


def _operator_at(frame: FrameType) -> str | None:
    """The Python operator whose bytecode the frame is executing, if any."""
    try:
        for instruction in dis.get_instructions(frame.f_code):
            if instruction.offset == frame.f_lasti:
                if instruction.opname in ("BINARY_OP", "COMPARE_OP"):
                    return instruction.argrepr or None
                if instruction.opname.startswith("INPLACE_"):
                    return _BINARY_NAMES.get("BINARY_" + instruction.opname[8:], "") + "="
                return _BINARY_NAMES.get(instruction.opname)
    except Exception:  # noqa: BLE001 - a report must never fail on introspection
        return None
    return None


def describe(estimate: Estimate, trip: Trip, site: Site | None = None) -> str:
    """The one message every mode uses, readable at a glance."""
    site = site or call_site()
    operation = site.operation(estimate)
    results = ", ".join(f"{s} {d}" for s, d in zip(estimate.shapes, estimate.dtypes))
    lower = "" if estimate.exact else " at least"
    if trip.rule == "memory":
        headline = (
            f"{operation} would allocate{lower} {format_bytes(estimate.nbytes)} "
            f"for a {results} result"
        )
        detail = f"  limit: {format_bytes(trip.limit or 0)} ({_limit_source(trip)})"
    elif trip.rule == "inflation":
        headline = (
            f"{operation} would turn operands of at most "
            f"{estimate.largest_operand_size:,} elements into a {results} result "
            f"({estimate.result_size:,} elements)"
        )
        detail = f"  inflation: more than the factor {trip.factor:g} allowed"
    else:
        headline = f"{operation} broadcasts operands of different ranks into a {results} result"
        detail = "  rank promotion: operands have different numbers of dimensions"
    lines = [f"numguard: {headline}.", detail]
    for index, (shape, dtype) in enumerate(
        zip(estimate.operand_shapes, estimate.operand_dtypes)
    ):
        kind = f"Python {dtype.__name__}" if isinstance(dtype, type) else str(dtype)
        lines.append(f"  operand {index}: {shape} {kind}")
    for stretch in estimate.stretched:
        origin = "a missing axis" if stretch.operand_size is None else str(stretch.operand_size)
        lines.append(
            f"  broadcast: operand {stretch.operand} stretched along axis {stretch.axis}, "
            f"{origin} -> {stretch.size:,}"
        )
    code = linecache.getline(site.filename, site.lineno).strip()
    lines.append(f"  at {site.filename}:{site.lineno}" + (f": {code}" if code else ""))
    return "\n".join(lines)


def _limit_source(trip: Trip) -> str:
    if trip.budget is None:
        return f"limit={trip.limit_text}"
    return (
        f"{trip.limit_text} of {format_bytes(trip.budget.available)} available; "
        f"bound by {trip.budget.binding}"
    )
