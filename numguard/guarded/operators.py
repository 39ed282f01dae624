"""Binary operators that let another ndarray subclass's reflected method go first.

`a * m` with `m` an np.matrix is a matrix product: Python tries `matrix.__rmul__`
before `ndarray.__mul__` because matrix subclasses ndarray. A GuardedArray is not a
base of np.matrix, so Python would call the guarded `__mul__` first and NumPy would
multiply element-wise. These overrides restore the order of the unguarded pair: when
the right operand's own class (its user class if it is guarded) is a proper subclass
of the left operand's own class with a different reflected method, that method runs
first, exactly as Python would run it; otherwise, and when it returns NotImplemented,
ndarray's operator runs as usual. Scalars, ndarrays and arrays of the same guarded
class skip the question (one set lookup).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .deferral import Guarded

_ndarray = np.ndarray

#: operator -> the reflected method Python would try first on a subclass.
REFLECTED = {
    "__add__": "__radd__", "__sub__": "__rsub__", "__mul__": "__rmul__",
    "__matmul__": "__rmatmul__", "__truediv__": "__rtruediv__",
    "__floordiv__": "__rfloordiv__", "__mod__": "__rmod__", "__divmod__": "__rdivmod__",
    "__pow__": "__rpow__", "__lshift__": "__rlshift__", "__rshift__": "__rrshift__",
    "__and__": "__rand__", "__or__": "__ror__", "__xor__": "__rxor__",
    "__lt__": "__gt__", "__le__": "__ge__", "__eq__": "__eq__", "__ne__": "__ne__",
    "__gt__": "__lt__", "__ge__": "__le__",
}

_NEVER_FIRST = frozenset({int, float, complex, bool, _ndarray})
_goes_first: dict[tuple[type, type, str], bool] = {}


def _reflected_first(left: type, right: type, reflected: str) -> bool:
    """Would Python try `right`'s reflected method first for the unguarded pair?"""
    key = (left, right, reflected)
    answer = _goes_first.get(key)
    if answer is None:
        own_left = left._unguarded
        own_right = right._unguarded if issubclass(right, Guarded) else right
        answer = (
            not issubclass(right, left)  # else Python has already given it its turn
            and own_right is not own_left
            and issubclass(own_right, own_left)
            and getattr(own_right, reflected, None) is not getattr(own_left, reflected, None)
        )
        _goes_first[key] = answer
    return answer


def _operator(name: str) -> Any:
    forward = getattr(_ndarray, name)
    reflected = REFLECTED[name]

    def operator(self: Any, other: Any) -> Any:
        kind = type(other)
        if kind not in _NEVER_FIRST and kind is not type(self) and isinstance(other, _ndarray):
            if _reflected_first(type(self), kind, reflected):
                result = getattr(other, reflected)(self)
                if result is not NotImplemented:
                    return result
        return forward(self, other)

    operator.__name__ = name
    operator.__qualname__ = f"ReflectedOperators.{name}"
    operator.__doc__ = forward.__doc__
    return operator


class ReflectedOperators:
    """Mixin for GuardedArray; see the module docstring."""

    __slots__ = ()


for _name in REFLECTED:
    setattr(ReflectedOperators, _name, _operator(_name))
del _name


def _power(self: Any, other: Any, *modulo: Any) -> Any:
    """`__pow__` takes pow()'s third argument; only the two-argument form reflects."""
    if modulo:
        return _ndarray.__pow__(self, other, *modulo)
    return _binary_pow(self, other)


_binary_pow = ReflectedOperators.__pow__
_power.__name__, _power.__qualname__ = "__pow__", "ReflectedOperators.__pow__"
_power.__doc__ = _ndarray.__pow__.__doc__
ReflectedOperators.__pow__ = _power  # type: ignore[method-assign]


def own_operators(unguarded: type) -> dict[str, Any]:
    """The operators `unguarded` defines itself: a guarded twin keeps them, so they win
    over these overrides as they would without numguard."""
    return {name: getattr(unguarded, name) for name in REFLECTED
            if getattr(unguarded, name) is not getattr(_ndarray, name)}
