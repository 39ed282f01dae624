"""How a trip reaches a person: one message, and the exception, warning or log record.

One formatter serves GuardedArray and the allocation backstop alike. The message names
the operation as the user wrote it (the operator `+`, or `np.add.reduce`), each operand,
the result and the axes broadcasting stretched, the projected size against the limit,
where that limit came from (`NUMGUARD_LIMIT`, `guard(limit=...)` at file:line,
`configure()`, or the default share of available memory, with the source that bound it),
the user's own line of code, and how to proceed. Frames are walked only here, when
something is reported.
"""

from __future__ import annotations

import dis
import linecache
import logging
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

import numpy as np

from .errors import (
    BroadcastMemoryError,
    InflationError,
    InflationWarning,
    MemoryLimitError,
    MemoryLimitWarning,
    RankPromotionError,
    RankPromotionWarning,
)
from .memory import Budget, format_bytes

logger = logging.getLogger("numguard")
logger.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class Trip:
    """A rule that fired: which, the figures it compared, and where the limit came from."""

    rule: str  # "memory", "inflation", "rank_promotion"
    limit: int | None = None
    limit_text: str = ""
    budget: Budget | None = None
    factor: float | None = None
    origin: str = ""
    """Where the limit was set: "NUMGUARD_LIMIT", "guard(limit=...) at job.py:3", "default"."""
    capped: bool = False
    """The explicit limit was above what the process can allocate: `limit` is that figure."""
    fixed: bool = False
    """The limit is a byte count (not a share of available memory)."""


_ERRORS = {"inflation": InflationError, "rank_promotion": RankPromotionError}
_WARNINGS = {"memory": MemoryLimitWarning, "inflation": InflationWarning,
             "rank_promotion": RankPromotionWarning}



def numpy_allocation() -> None:
    """Stands for "a NumPy data allocation" in the Estimate of an allocator-level trip
    (the backstop sees only a request's size; NumPy's error adds shape and dtype)."""


def act(mode: str, estimate: Any, trip: Trip) -> None:
    """Raise, warn or log, as `mode` says. Returns only when the operation may run.

    One report: the exception or the warning carries the message, and the record on
    logger "numguard" is then at INFO (for machines); in mode "log" the record, a
    WARNING, is the report. With warnings turned into errors, the warning is raised.
    """
    site = call_site()
    if mode == "raise":  # the text is built when shown: a handled refusal never pays for it
        render = _Rendered(lambda: describe(estimate, trip, site, refused=True))
        log(render, estimate, trip, site, "refused", mode, level=logging.INFO)
        raise error_for(estimate, trip, render.text)
    message = describe(estimate, trip, site, refused=False)
    if mode == "warn":
        log(message, estimate, trip, site, "allowed", mode, level=logging.INFO)
        warnings.warn_explicit(
            message, _WARNINGS[trip.rule], site.filename, site.lineno, module="numguard"
        )
        return
    log(message, estimate, trip, site, "allowed", "log")


class _Rendered:
    """A message built once, when first needed, by whichever reader needs it first (the
    exception, a log record)."""

    __slots__ = ("_build", "_text")

    def __init__(self, build: Callable[[], str]) -> None:
        self._build: Callable[[], str] | None = build
        self._text = ""

    def text(self) -> str:
        build, self._build = self._build, None
        if build is not None:
            self._text = build()
        return self._text

    __str__ = text


def error_for(estimate: Any, trip: Trip, message: str | Callable[[], str]) -> Exception:
    """The exception class for a refusal: a MemoryError subclass for the memory rule."""
    if trip.rule == "memory":
        cls = BroadcastMemoryError if estimate.stretched else MemoryLimitError
        return cls(message, estimate, trip, trip.budget)
    return _ERRORS[trip.rule](message, estimate, trip)


def log(message: Any, estimate: Any, trip: Trip, site: Site, action: str, mode: str,
        rule: str | None = None, allocator: str | None = None,
        level: int = logging.WARNING) -> None:
    """The structured record on logger "numguard": the same keys from every path.

    WARNING where the record is the report (mode "log", an armed process's refusal that
    only NumPy's bare error shows), INFO where an exception or a warning carries the
    message. `message` may be built lazily (anything whose str() is the text). A
    handler that fails is reported in one line on stderr and never fails the operation,
    on either path (logging's own handlers catch their errors the same way).
    """
    if not logger.isEnabledFor(level):
        return
    budget = trip.budget
    try:
        _emit(level, message, {
        "numguard_rule": rule or trip.rule,
        "action": action,
        "mode": mode,
        "operation": site.operation(estimate),
        "shapes": estimate.operand_shapes,
        "dtypes": tuple(str(d) for d in estimate.operand_dtypes),
        "result_shapes": estimate.shapes,
        "nbytes": estimate.nbytes,
        "peak": estimate.peak,
        "limit": trip.limit,
        "limit_text": trip.limit_text,
        "limit_origin": trip.origin,
        "available": budget.available if budget is not None else None,
        "binding": budget.binding if budget is not None else None,
        "site": f"{site.filename}:{site.lineno}",
        "allocator": allocator,
    })
    except Exception as error:  # noqa: BLE001 - a report never breaks the operation
        try:
            sys.stderr.write(f"numguard: a handler of logger 'numguard' failed "
                             f"({type(error).__name__}: {error}); the record was:\n{message}\n")
        except Exception:  # noqa: BLE001, S110
            pass


def _emit(level: int, message: Any, extra: dict[str, Any]) -> None:
    logger.log(level, message, extra=extra)


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


class Site:
    """The user's line, and the operator written there if the call came from one (read
    from the frame's bytecode when first asked: a refusal that is never shown skips it)."""

    __slots__ = ("_code", "_lasti", "_operator", "filename", "lineno")

    def __init__(self, filename: str, lineno: int, operator: str | None = None,
                 code: Any = None, lasti: int = -1) -> None:
        self.filename = filename
        self.lineno = lineno
        self._operator = operator
        self._code = code
        self._lasti = lasti

    @property
    def operator(self) -> str | None:
        if self._code is not None:
            self._operator = _operator_at(self._code, self._lasti)
            self._code = None
        return self._operator

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Site) and (self.filename, self.lineno, self.operator) == (
            other.filename, other.lineno, other.operator)

    def __hash__(self) -> int:
        return hash((self.filename, self.lineno, self.operator))

    def __repr__(self) -> str:
        return f"Site({self.filename!r}, {self.lineno!r}, {self.operator!r})"

    def operation(self, estimate: Any) -> str:
        if estimate.func is numpy_allocation:
            return "a NumPy allocation"
        name = estimate.operation
        return f"`{self.operator}` ({name})" if self.operator else name


_OWN_DIRS = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
    os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
)


def is_library_frame(filename: str) -> bool:
    """numguard's or NumPy's own code; NumPy's test files are user code (they call NumPy
    as users do, and a report should name the test's line)."""
    if not filename.startswith(_OWN_DIRS):
        return False
    return not (filename.startswith(_OWN_DIRS[1])
                and f"{os.sep}tests{os.sep}" in filename[len(_OWN_DIRS[1]) - 1:])


#: code object -> is_library_frame of its file (a report walks the same frames again).
_library_code: dict[CodeType, bool] = {}


def user_frame(frame: FrameType | None) -> FrameType | None:
    """The first frame from `frame` outwards that is the user's (see is_library_frame)."""
    known = _library_code
    while frame is not None:
        code = frame.f_code
        library = known.get(code)
        if library is None:
            library = is_library_frame(code.co_filename)
            if len(known) > 4096:
                known.clear()
            known[code] = library
        if not library:
            return frame
        frame = frame.f_back
    return None


def site_of(frame: FrameType | None) -> Site:
    """The user's line from `frame` outwards, and the operator it was running."""
    frame = user_frame(frame)
    if frame is None:
        return Site("<unknown>", 0, None)
    return Site(frame.f_code.co_filename, frame.f_lineno or 0, None, frame.f_code,
                frame.f_lasti)


def call_site() -> Site:
    """The first frame outside numguard and NumPy, and the operator it was running."""
    try:
        return site_of(sys._getframe(1))
    except ValueError:  # no Python frame at all
        return Site("<unknown>", 0, None)


_BINARY_NAMES = {
    "BINARY_ADD": "+", "BINARY_SUBTRACT": "-", "BINARY_MULTIPLY": "*",
    "BINARY_TRUE_DIVIDE": "/", "BINARY_FLOOR_DIVIDE": "//", "BINARY_MODULO": "%",
    "BINARY_POWER": "**", "BINARY_MATRIX_MULTIPLY": "@", "BINARY_AND": "&",
    "BINARY_OR": "|", "BINARY_XOR": "^", "BINARY_LSHIFT": "<<", "BINARY_RSHIFT": ">>",
    "UNARY_NEGATIVE": "-", "UNARY_POSITIVE": "+", "UNARY_INVERT": "~",
}


def _operator_at(code: CodeType, lasti: int) -> str | None:
    """The Python operator at bytecode offset `lasti` of `code`, if any."""
    try:
        for instruction in dis.get_instructions(code):
            if instruction.offset == lasti:
                if instruction.opname in ("BINARY_OP", "COMPARE_OP"):
                    return instruction.argrepr or None
                if instruction.opname.startswith("INPLACE_"):
                    return _BINARY_NAMES.get("BINARY_" + instruction.opname[8:], "") + "="
                return _BINARY_NAMES.get(instruction.opname)
    except Exception:  # noqa: BLE001 - a report must never fail on introspection
        return None
    return None


def describe(estimate: Any, trip: Trip, site: Site | None = None, *,
             refused: bool = True, diagnosis: Any = None) -> str:
    """The one message every path and mode uses, readable at a glance.

    `diagnosis` (numguard.diagnosis) is what the user's line was evaluating when a plain
    NumPy allocation tripped: with it, a plain array's report names the expression and
    its operands as a GuardedArray's does; `estimate` is then its projection when that
    projection accounts for the request, else the bare request.
    """
    site = site or call_site()
    mine = diagnosis is not None and diagnosis.estimate is estimate
    operation = (diagnosis.operation if mine and diagnosis.operation
                 else site.operation(estimate))
    results = ", ".join(f"{_shape(s)} {d}" for s, d in zip(estimate.shapes, estimate.dtypes))
    result_text = f" for a {results} result" if results else ""
    lower = "" if estimate.exact else " at least"
    if estimate.func is numpy_allocation:
        array = (f" for an array with shape {_shape(estimate.shapes[0])} and data type "
                 f"{estimate.dtypes[0]}" if estimate.shapes else "")
        verdict = "was refused" if refused else "is over the limit"
        headline = f"a NumPy allocation of {format_bytes(estimate.nbytes)}{array} {verdict}"
        detail = [f"  limit: {format_bytes(trip.limit or 0)} ({_limit_source(trip)})"]
    elif trip.rule == "memory":
        peak = estimate.peak
        headline = f"{operation} would allocate{lower} {format_bytes(peak)}{result_text}"
        if peak != estimate.nbytes:
            headline += (f" ({format_bytes(estimate.nbytes)} of results, "
                         f"{format_bytes(peak - estimate.nbytes)} of temporaries)")
        detail = [f"  limit: {format_bytes(trip.limit or 0)} ({_limit_source(trip)})"]
    elif trip.rule == "inflation":
        headline = (
            f"{operation} would turn operands of at most "
            f"{estimate.largest_operand_size:,} elements into a {results} result "
            f"({estimate.result_size:,} elements)"
        )
        detail = [f"  inflation: more than the factor {trip.factor:g} allowed"
                  + (f" ({trip.origin})" if trip.origin else "")]
    else:
        headline = f"{operation} broadcasts operands of different ranks into a {results} result"
        detail = ["  rank promotion: operands have different numbers of dimensions"]

    lines = [f"numguard: {headline}.", *detail]
    if diagnosis is not None:
        lines.append(_expression_line(diagnosis, mine))
    texts = diagnosis.operand_texts if mine else ()
    for index, (shape, dtype) in enumerate(
        zip(estimate.operand_shapes, estimate.operand_dtypes)
    ):
        kind = f"Python {dtype.__name__}" if isinstance(dtype, type) else str(dtype)
        named = f"{texts[index]}: " if index < len(texts) and texts[index] else ""
        lines.append(f"  operand {index}: {named}{_shape(shape)} {kind}")
    for stretch in estimate.stretched:
        origin = "a missing axis" if stretch.operand_size is None else str(stretch.operand_size)
        lines.append(
            f"  broadcast: operand {stretch.operand} stretched along axis {stretch.axis}, "
            f"{origin} -> {stretch.size:,}"
        )
    code = linecache.getline(site.filename, site.lineno).strip() if site.lineno else ""
    lines.append(f"  at {site.filename}:{site.lineno}" + (f": {code}" if code else ""))
    lines.append(f"  to proceed: {_advice(estimate, trip)}")
    return "\n".join(lines)


def _expression_line(diagnosis: Any, projected: bool) -> str:
    """What the line was evaluating, and why numguard could not say more when it can't."""
    text = diagnosis.expression
    if projected:
        return f"  expression: {text}"
    found = diagnosis.estimate
    if found is not None:
        what = diagnosis.operation or found.operation
        return (f"  expression: {text} ({what}, projected at {format_bytes(found.peak)}; "
                f"this request is not one of its results)")
    if text:
        return f"  expression: {text} (its operands were not evaluated: {diagnosis.reason})"
    return f"  expression: unknown ({diagnosis.reason})"


def _shape(shape: tuple) -> str:
    return str(tuple(shape))


def _limit_source(trip: Trip) -> str:
    """What the limit is and where it came from, and which bound won."""
    origin = trip.origin or "default"
    budget = trip.budget
    if trip.capped and budget is not None:
        return (f"limit={trip.limit_text} from {origin}, capped at what this process can "
                f"allocate: {format_bytes(budget.available)}, bound by {budget.binding}")
    if budget is None or trip.fixed:
        return f"limit={trip.limit_text} from {origin}"
    return (f"{trip.limit_text} of {format_bytes(budget.available)} available, from "
            f"{origin}; bound by {budget.binding}")


def _advice(estimate: Any, trip: Trip) -> str:
    hint = getattr(estimate, "hint", "")
    if trip.rule == "inflation":
        return ("if the growth is intended, raise the factor or turn the rule off "
                "(guard(inflation=None)); otherwise check the operands' shapes.")
    if trip.rule == "rank_promotion":
        return ("add the missing axes explicitly (x[None, :]) or allow it "
                "(guard(rank_promotion='allow')).")
    parts = []
    if hint:
        parts.append(hint)
    if estimate.stretched:
        parts.append("operands were repeated to fit each other: check their shapes, chunk the "
                     "operation, or reduce with np.einsum instead of materialising it")
    if trip.capped:
        parts.append("the limit is capped by what this process can allocate: free memory "
                     "or run with more")
    else:
        parts.append("if this size is intended, raise the limit with guard(limit=...) "
                     "or NUMGUARD_LIMIT")
    return "; ".join(parts) + "."
