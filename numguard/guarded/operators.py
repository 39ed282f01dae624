"""Binary operators that let another ndarray subclass's reflected method go first.

`a * m` with `m` an np.matrix is a matrix product: Python tries `matrix.__rmul__`
before `ndarray.__mul__` because matrix subclasses ndarray. A GuardedArray is not a
base of np.matrix, so Python would call the guarded `__mul__` first and NumPy would
multiply element-wise. These overrides restore the order of the unguarded pair: when
the right operand's own class (its user class if it is guarded) is a proper subclass
of the left operand's own class with a different reflected method, that method runs
first, exactly as Python would run it; otherwise, and when it returns NotImplemented,
ndarray's operator runs as usual. Scalars, ndarrays and arrays of the same guarded
class skip the question (one set lookup); for element-wise operators between arrays
of one GuardedArray class and Python scalars they go straight to the ufunc hot path
(what NumPy's dispatch to `__array_ufunc__` would reach), which pays for the override.
The element-wise ones have the C fast path in front (see ufuncs.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import settings as _settings

from .deferral import Guarded
from .ufuncs import FASTPATH, SLOW, add_entry, binary_hot_path, guarded_ufunc

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
_SCALARS = frozenset({int, float, complex, bool})
_scoped_get = _settings._scoped.get
_NO_KWARGS: dict = {}
#: Operators that are exactly one ufunc call for same-class arrays and Python scalars
#: (not `**`: NumPy turns `a ** 2` into np.square; not comparisons: rich comparison
#: has its own rules for strings and structured dtypes).
ELEMENTWISE = {
    "__add__": np.add, "__sub__": np.subtract, "__mul__": np.multiply,
    "__truediv__": np.true_divide, "__floordiv__": np.floor_divide, "__mod__": np.remainder,
    "__divmod__": np.divmod, "__lshift__": np.left_shift, "__rshift__": np.right_shift,
    "__and__": np.bitwise_and, "__or__": np.bitwise_or, "__xor__": np.bitwise_xor,
}
_goes_first: dict[tuple[type, type, str], bool] = {}


def _reflected_first(left: type[Guarded], right: type, reflected: str) -> bool:
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
    ufunc = ELEMENTWISE.get(name)

    def operator(self: Any, other: Any) -> Any:
        kind = type(other)
        guarded = type(self)
        if kind is guarded or kind in _SCALARS:
            if ufunc is not None and guarded._unguarded is _ndarray:
                settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
                settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
                fast = binary_hot_path(guarded, ufunc, self, other, _NO_KWARGS, settings)
                if fast is not SLOW:
                    return fast
                # Where ndarray's operator would lead (its ufunc's __array_ufunc__), minus
                # a second try of the hot path that just said no.
                return guarded_ufunc(guarded, ufunc, "__call__", (self, other), {}, settings)
            return forward(self, other)
        if kind not in _NEVER_FIRST and kind is not guarded and isinstance(other, _ndarray):
            if _reflected_first(guarded, kind, reflected):
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


_binary_pow = ReflectedOperators.__pow__  # type: ignore[operator]
_power.__name__, _power.__qualname__ = "__pow__", "ReflectedOperators.__pow__"
_power.__doc__ = _ndarray.__pow__.__doc__
ReflectedOperators.__pow__ = _power  # type: ignore[operator]

# The element-wise operators get the C fast path's entries in front (see ufuncs.py): it
# runs `self <op> other` itself for the calls it takes, else calls the operator above.
for _name, _ufunc in ELEMENTWISE.items():
    add_entry(ReflectedOperators, _name,
              lambda python, ufunc=_ufunc: FASTPATH.operator(ufunc, python))  # type: ignore[misc]
del _name, _ufunc


def own_operators(unguarded: type) -> dict[str, Any]:
    """The operators `unguarded` defines itself: a guarded twin keeps them, so they win
    over these overrides as they would without numguard."""
    return {name: getattr(unguarded, name) for name in REFLECTED
            if getattr(unguarded, name) is not getattr(_ndarray, name)}
