"""Which ufunc a Python operator on NumPy arrays calls, and with which operands.

ndarray's number slots call one ufunc with the operands in the order written
(`2 * a` is np.multiply(2, a)); rich comparisons with an array on the right only are
answered by the array, reflected (`2 < a` is np.greater(a, 2)). `**` is the exception:
for some exponents NumPy calls a unary ufunc instead (`a ** 2` is np.square(a) in
NumPy 2). Which exponents, and for which dtypes, has changed between NumPy versions,
so `power_ufunc` asks this NumPy: it replays the operator once per (dtype, exponent)
on an empty array whose `__array_ufunc__` records the ufunc and declines. (Some
versions cast an integer base to float64 first: the replay sees that cast too.)
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np

#: BinOp operator -> (symbol, ufunc).
BINARY: dict[type, tuple[str, np.ufunc]] = {
    ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
    ast.Div: ("/", np.divide), ast.FloorDiv: ("//", np.floor_divide),
    ast.Mod: ("%", np.remainder), ast.Pow: ("**", np.power),
    ast.LShift: ("<<", np.left_shift), ast.RShift: (">>", np.right_shift),
    ast.BitAnd: ("&", np.bitwise_and), ast.BitOr: ("|", np.bitwise_or),
    ast.BitXor: ("^", np.bitwise_xor), ast.MatMult: ("@", np.matmul),
}
#: UnaryOp operator -> (symbol, ufunc); `not` allocates nothing.
UNARY: dict[type, tuple[str, np.ufunc]] = {
    ast.USub: ("-", np.negative), ast.UAdd: ("+", np.positive), ast.Invert: ("~", np.invert),
}
#: Compare operator -> (symbol, ufunc, the ufunc when reflected).
COMPARE: dict[type, tuple[str, np.ufunc, np.ufunc]] = {
    ast.Lt: ("<", np.less, np.greater), ast.LtE: ("<=", np.less_equal, np.greater_equal),
    ast.Gt: (">", np.greater, np.less), ast.GtE: (">=", np.greater_equal, np.less_equal),
    ast.Eq: ("==", np.equal, np.equal), ast.NotEq: ("!=", np.not_equal, np.not_equal),
}

#: Exponents some NumPy turns into a unary ufunc (NumPy 1.x: 1, -1, 0, 0.5, 2;
#: NumPy 2: int 2 and -1, float 0.5). Any other exponent is np.power.
_SPECIAL_EXPONENTS = (-1, 0, 0.5, 1, 2)
_EXPONENT_TYPES = frozenset({int, float, bool}) | frozenset(
    t for t in np.sctypeDict.values() if issubclass(t, (np.integer, np.floating)))
_power_cache: dict[tuple, tuple | None] = {}


def power_ufunc(base: np.ndarray, exponent: Any,
                inplace: bool = False) -> tuple[np.ufunc, np.dtype] | None:
    """(the unary ufunc `base ** exponent` calls, the dtype NumPy first casts `base`
    to), or None for np.power(base, exponent)."""
    kind = type(exponent)
    if kind not in _EXPONENT_TYPES:
        return None
    try:
        special = exponent in _SPECIAL_EXPONENTS
    except Exception:  # noqa: BLE001
        return None
    if not special:
        return None
    key = (base.dtype, kind, exponent, inplace)
    try:
        return _power_cache[key]
    except KeyError:
        pass
    found = _replay_power(base.dtype, exponent, inplace)
    if len(_power_cache) >= 1024:
        _power_cache.clear()
    _power_cache[key] = found
    return found


def _replay_power(dtype: np.dtype, exponent: Any,
                  inplace: bool) -> tuple[np.ufunc, np.dtype] | None:
    seen: list = []

    class Recorder(np.ndarray):
        """Records the ufunc NumPy's operator calls (on this array or on a cast of it:
        a cast keeps the class), and declines to run it."""

        def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
            seen.append((ufunc, inputs))
            return NotImplemented

    recorder = np.empty(0, dtype).view(Recorder)
    try:
        if inplace:
            operator.ipow(recorder, exponent)
        else:
            operator.pow(recorder, exponent)
    except Exception:  # noqa: BLE001, S110 - the declined ufunc raises TypeError
        pass
    if not seen or len(seen[0][1]) != 1:
        return None
    ufunc, (cast,) = seen[0]
    return ufunc, cast.dtype
