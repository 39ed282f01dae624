"""What the user's line was doing when NumPy asked for memory: the expression, the
operation, its operands and numguard's projection of it.

The allocation backstop sees only a byte count. At report time (and, for blocks that
set the inflation or rank-promotion rules, at every allocation) this package reads
the user's frame: `source` finds the AST node of the instruction the frame runs,
`values` evaluates its operands without running user code (names, static
attributes, array views), and `operations` asks numguard's projection layer what the
operation allocates. It never raises: what it cannot read, `Diagnosis.reason` says.

Called from inside NumPy's allocator (with the GIL held): it allocates no array data
beyond a few bytes (views, shape arithmetic, one-element stand-ins, a projection's own
zero-size replays), keeps no frame or array after returning, and its caches are
plain dicts (atomic under the GIL; no locks, so fork-safe).

    frame = user_frame(sys._getframe(1))
    found = diagnose(frame)          # the full analysis, for a report
    del frame
"""

from __future__ import annotations

from dataclasses import dataclass
from types import FrameType
from typing import Any

from ..projection.record import Estimate
from .frames import is_user_code, user_frame

__all__ = ["Diagnosis", "broadcast_estimate", "diagnose", "is_user_code", "user_frame"]


@dataclass(frozen=True)
class Diagnosis:
    """The expression a frame was running, and numguard's projection of it."""

    filename: str
    lineno: int
    expression: str
    """The source text of the node the frame is running ("" if not found)."""
    operation: str | None
    """As a user writes it: "`*` (np.multiply)", "np.outer", "x.repeat()", "a[idx]"."""
    estimate: Estimate | None
    """numguard's projection of that operation with its evaluated operands."""
    operand_texts: tuple[str, ...]
    """The source text of each operand, in `estimate.operand_shapes` order ("" for one
    that could not be named)."""
    reason: str
    """When `estimate` is None: why ("`load(x)` is a call: not evaluated", ...)."""

    def accounts_for(self, nbytes: int) -> bool:
        """Whether the projection explains an allocation of `nbytes`: one result's
        bytes, or a request within the operation's peak (results and temporaries)."""
        found = self.estimate
        if found is None or nbytes < 0:
            return False
        for shape, dtype in zip(found.shapes, found.dtypes):
            size = 1
            for n in shape:
                size *= n
            if size * dtype.itemsize == nbytes:
                return True
        return 0 < nbytes <= found.peak


def diagnose(frame: FrameType) -> Diagnosis:
    """The full analysis of what `frame` is running (see the module docstring)."""
    try:
        filename = frame.f_code.co_filename
        lineno = frame.f_lineno or 0
    except Exception as error:  # noqa: BLE001 - not a frame
        return Diagnosis("<unknown>", 0, "", None, None, (), f"no frame to read ({error!r})")
    try:
        from .source import locate

        located = locate(frame)
        if located.node is None or located.reason:
            return Diagnosis(filename, lineno, located.text, None, None, (), located.reason)
        from .operations import analyse
        from .values import Evaluator

        found = analyse(located.node, Evaluator(frame, located.segment, analyse), named=True)
        return Diagnosis(filename, lineno, located.text, found.operation, found.estimate,
                         found.operand_texts, found.reason)
    except Exception as error:  # noqa: BLE001 - a diagnosis never raises
        return Diagnosis(filename, lineno, "", None, None, (),
                         f"the diagnosis failed ({type(error).__name__}: {error})")


def broadcast_estimate(frame: FrameType) -> Estimate | None:
    """The projection of what `frame` runs, if it broadcasts operands of different
    shapes element-wise against each other (what the inflation and rank-promotion
    rules can trip on), else None: also for an array and a scalar, or arrays of one
    shape, where neither rule can trip.

    Cheap for the sites that cannot broadcast: their verdict is cached per code
    object and instruction offset (see `sites`).
    """
    try:
        return (_estimate_at or _load_sites())(frame)
    except Exception:  # noqa: BLE001 - never raises
        return None


_estimate_at = None


def _load_sites() -> Any:
    """sites.broadcast_estimate, imported on first use and then kept (an import
    statement per allocation would cost more than the cached answer)."""
    global _estimate_at
    from .sites import broadcast_estimate as estimate_at

    _estimate_at = estimate_at
    return estimate_at
