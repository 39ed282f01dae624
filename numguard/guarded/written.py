"""Run an operator on object arrays the way the user wrote it, as NumPy would have.

NumPy elides temporaries: an operand with no other reference (refcount 1) and at least
256 KiB may be reused as the result's buffer. Inside an object-dtype loop each element
is held only by its container, so it looks like a temporary, and whether NumPy reuses
it depends on the C call chain that reached it (NumPy inspects the stack). For
`data * 2` written by the user NumPy does not reuse it; for `np.multiply(data, 2)` it
does, and the container's own elements are overwritten. A GuardedArray reaches the
ufunc from Python even for `w * 2`, which would overwrite the user's elements where
NumPy would not: a changed result. So when an object array's ufunc call came from an
operator in the user's line, numguard runs that operator on the plain views instead
(the same C path as without numguard); an explicit ufunc call stays a ufunc call.
Numeric arrays cannot be affected: the views numguard passes own no data.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from numguard.report import _operator_at, user_frame

_ndarray = np.ndarray

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
    ">>": operator.rshift, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift,
    ">>=": operator.irshift,
}
_UNARY: dict[str, Callable[[Any], Any]] = {"-": operator.neg, "+": operator.pos,
                                            "~": operator.invert}


def involves_objects(inputs: tuple) -> bool:
    return any(isinstance(x, _ndarray) and x.dtype.kind == "O" for x in inputs)


def written_operator(inputs: tuple, kwargs: dict) -> Callable[..., Any] | None:
    """The operator the user's line is running, if this ufunc call came from it (one or
    two inputs, no keyword but an in-place operator's own `out`), else None."""
    if kwargs:
        outs = kwargs.get("out")
        if len(kwargs) != 1 or outs is None or len(outs) != 1 or outs[0] is not inputs[0]:
            return None
    try:
        frame = user_frame(sys._getframe(1))
    except ValueError:
        return None
    if frame is None:
        return None
    symbol = _operator_at(frame.f_code, frame.f_lasti)
    del frame
    if symbol is None:
        return None
    in_place = symbol.endswith("=") and symbol not in ("==", "!=", "<=", ">=")
    if in_place != bool(kwargs):
        return None
    if len(inputs) == 2:
        return _BINARY.get(symbol)
    if len(inputs) == 1:
        return _UNARY.get(symbol)
    return None
