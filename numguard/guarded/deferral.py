"""Who goes first, and the views in and out: shared by all three override protocols.

- `defers(types, protocols)`: NEP 13/18. When any operand's type has its own
  `__array_ufunc__`/`__array_function__` (not ndarray's, not a guarded class's), the
  protocol returns NotImplemented (a method just runs NumPy's own code) before
  anything is estimated or converted: dask, xarray, pint or astropy then run their
  own code, and numguard never calls their `__array__`.
- `plain_view`/`plain`: the kernel runs on views of the user's own class (ndarray for
  GuardedArray, np.matrix for a guarded matrix, ...), so NumPy and that class behave
  exactly as without numguard.
- `rewrap`: results of that class (or plain ndarrays) come back guarded, the one way.

Imports NumPy only: the guarded classes register nothing here, they are recognised
by the `Guarded` base every one of them derives from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

_ndarray = np.ndarray
_matrix = np.matrix

UFUNC = ("__array_ufunc__",)
FUNCTION = ("__array_function__",)
EITHER = UFUNC + FUNCTION


class Guarded:
    """Base of every guarded class: marks it, and names the class it guards."""

    __slots__ = ()
    #: The user's class whose behaviour a guarded class keeps (ndarray for GuardedArray).
    _unguarded: type = _ndarray
    #: The guarded class for plain ndarray results (set once GuardedArray exists).
    _for_ndarray: type = _ndarray

    if TYPE_CHECKING:  # what the ndarray (sub)class a guarded class also derives from has
        def view(self, *args: Any, **kwargs: Any) -> Any: ...


_NUMPY_OWN = {name: getattr(_ndarray, name) for name in EITHER}
#: Per protocol tuple: type -> whether it overrides one of them itself.
_FOREIGN: dict[tuple[str, ...], dict[type, bool]] = {UFUNC: {}, FUNCTION: {}, EITHER: {}}


def _is_foreign(kind: type, protocols: tuple[str, ...]) -> bool:
    known = _FOREIGN[protocols]
    answer = known.get(kind)
    if answer is None:
        answer = not issubclass(kind, Guarded) and any(
            getattr(kind, name, None) not in (None, _NUMPY_OWN[name]) for name in protocols
        )
        known[kind] = answer
    return answer


_NEVER_FOREIGN = frozenset({int, float, complex, bool, str, bytes, type(None), type(Ellipsis),
                            slice, tuple, list, dict, _ndarray})


def defers(types: Any, protocols: tuple[str, ...]) -> bool:
    """True when any of `types` overrides one of `protocols` itself (see module doc)."""
    for kind in types:
        if kind not in _NEVER_FOREIGN and _is_foreign(kind, protocols):
            return True
    return False


def defers_any(values: Any, protocols: tuple[str, ...]) -> bool:
    """`defers` for values, looking one level into lists and tuples (np.choose's
    choices, np.block's rows)."""
    for value in values:
        kind = type(value)
        if kind is list or kind is tuple:
            if defers_any(value, protocols):
                return True
        elif kind not in _NEVER_FOREIGN and _is_foreign(kind, protocols):
            return True
    return False


def plain_view(x: Any) -> Any:
    """A view of a guarded array as the user's own class; anything else unchanged."""
    if isinstance(x, Guarded):
        return x.view(x._unguarded)
    return x


def plain_one(x: Any) -> Any:
    """`plain_view`, with lists and tuples (np.block nests them) unwrapped item by item."""
    kind = type(x)
    if kind is _ndarray:
        return x
    if kind is list or kind is tuple:
        return kind([plain_one(item) for item in x])
    if isinstance(x, Guarded):
        return x.view(x._unguarded)
    return x


def plain(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """An array function's arguments with every guarded array as a plain view."""
    return (tuple([plain_one(a) for a in args]),
            {k: plain_one(v) for k, v in kwargs.items()} if kwargs else kwargs)


def rewrap(result: Any, guarded: type[Guarded]) -> Any:
    """Results back as guarded arrays: a plain ndarray as GuardedArray, an instance of
    exactly the user's class of `guarded` as `guarded`; inside the tuples and lists
    that divmod, meshgrid, split or unique_all return too. Anything else (a scalar,
    np.ma.masked, another class) is returned as it is."""
    kind = type(result)
    if kind is _ndarray:
        return result.view(guarded._for_ndarray)
    if kind is guarded._unguarded:
        return same_shape_view(result, guarded)
    if kind is tuple or kind is list:
        return kind([rewrap(r, guarded) for r in result])
    if isinstance(result, tuple) and hasattr(result, "_fields"):  # unique_all and friends
        return kind(*[rewrap(r, guarded) for r in result])
    return result


def same_shape_view(array: Any, guarded: type[Guarded]) -> Any:
    """`array.view(guarded)`, of `array`'s shape, or `array` itself if it cannot be.

    A guarded view must never change an answer, but a class's __array_finalize__ may
    reshape views of it: np.matrix squeezes a view of a 3-d matrix (which its own
    __getitem__ makes, e.g. `m[None]`) to 2-d, unless the flag its __getitem__ sets
    (`_getitem`) is up while the view is made; numguard sets it the same way.
    """
    if isinstance(array, _matrix):
        array._getitem = True  # type: ignore[attr-defined]
        try:
            view: Any = array.view(guarded)
        finally:
            array._getitem = False  # type: ignore[attr-defined]
    else:
        view = array.view(guarded)
    if view.shape != array.shape:
        return array  # never a wrong shape: the user's own array instead
    return view


def returned(given: Any, result: Any, guarded: type[Guarded]) -> Any:
    """What NumPy returns for an output: the array the caller gave, else a new one."""
    return given if isinstance(given, _ndarray) else rewrap(result, guarded)
