"""GuardedArray, the guarded twins of other ndarray classes, wrap() and unwrap().

GuardedArray is assembled here from the three override protocols (ufuncs, array
functions, allocating ndarray methods) and the operators that keep Python's operand
order; each lives in its own module of this package.

Subclasses keep their class and behaviour. `wrap(x)` for an instance of an ndarray
subclass S (np.matrix, a masked array, a recarray, a memmap, a chararray, a user's
class) returns a view of x as `guarded_class(S)`: a class derived from GuardedArray
and from S, created once per class and cached. Its ufunc and array-function kernels
run on views of S, so S's `__array_wrap__`, `__array_finalize__` and own overrides
run as without numguard; the methods and operators S defines itself are kept (the
allocating ones are checked first, then S's own runs). Why a twin rather than
dropping the class: dropping it changes results (a matrix product becomes
element-wise, masked values are summed). A class that cannot be combined with
GuardedArray (an incompatible instance layout) is declined with a TypeError.

wrap() does the same in every mode: with mode "off" the checks are skipped, the
types and results are the same, so switching numguard on or off never changes an
answer. Arrays of other libraries (types with their own `__array_ufunc__` or
`__array_function__` that are not ndarrays: dask, xarray, cupy...) come back
unchanged: converting them would compute or copy them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import forksafe

from .allocating import AllocatingMethods, overrides_for
from .deferral import EITHER, Guarded, defers, same_shape_view
from .functions import FunctionProtocol
from .operators import ReflectedOperators, own_operators
from .ufuncs import UfuncProtocol, subclass_array_ufunc

_ndarray = np.ndarray


class GuardedArray(ReflectedOperators, UfuncProtocol, FunctionProtocol, AllocatingMethods,  # type: ignore[misc]
                   Guarded, np.ndarray):
    """An ndarray whose allocating operations are checked against numguard's settings
    first: ufunc calls, array functions and the ndarray methods that allocate."""


GuardedArray._for_ndarray = GuardedArray

_twins: dict[type, type] = {_ndarray: GuardedArray}
_twins_lock = forksafe.lock(__name__, "_twins_lock")


def guarded_class(unguarded: type) -> type:
    """The guarded twin of the ndarray subclass `unguarded` (created once, cached)."""
    twin = _twins.get(unguarded)
    if twin is not None:
        return twin
    if not (isinstance(unguarded, type) and issubclass(unguarded, _ndarray)):
        raise TypeError(f"guarded_class() takes an ndarray subclass, not {unguarded!r}")
    if issubclass(unguarded, Guarded):
        return unguarded
    with _twins_lock:
        twin = _twins.get(unguarded)
        if twin is None:
            twin = _create_twin(unguarded)
            _twins[unguarded] = twin
    return twin


def _create_twin(unguarded: type) -> type:
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": f"Guarded{unguarded.__name__}",
        "__doc__": f"A guarded {unguarded.__qualname__}: behaves as one, checked first.",
        "_unguarded": unguarded,
        "__array_ufunc__": subclass_array_ufunc,
        "__reduce_ex__": _reduce_as_unguarded,
        "__reduce__": _reduce_as_unguarded,
    }
    namespace.update(own_operators(unguarded))
    namespace.update(overrides_for(unguarded))
    try:
        return type(f"Guarded{unguarded.__name__}", (GuardedArray, unguarded), namespace)
    except TypeError as error:
        raise TypeError(
            f"numguard cannot guard {unguarded.__module__}.{unguarded.__qualname__} "
            f"arrays ({error}); pass np.asarray(x) to guard the data as a plain "
            f"ndarray, or leave this array unguarded"
        ) from None


def _reduce_as_unguarded(self: Any, protocol: int = 2) -> Any:
    """A twin pickles as the user's own class (dynamic classes cannot be pickled by
    name): unpickled, the array is the one the user wrapped, unguarded."""
    return self.view(self._unguarded).__reduce_ex__(protocol)


def wrap(array: Any) -> Any:
    """A guarded view of `array` (no copy), of the same class (see the module doc).

    The same in every mode. Lists, scalars and other array-likes are converted with
    np.asarray first; arrays of other libraries come back unchanged.
    """
    if isinstance(array, Guarded):
        return array
    kind = type(array)
    if kind is _ndarray:
        return array.view(GuardedArray)
    if isinstance(array, _ndarray):
        return same_shape_view(array, guarded_class(kind))
    if defers((kind,), EITHER):
        return array
    return np.asarray(array).view(GuardedArray)


def unwrap(array: Any) -> Any:
    """A view of a guarded array as its user's class (ndarray for GuardedArray);
    anything else comes back unchanged."""
    if isinstance(array, Guarded):
        return array.view(array._unguarded)
    return array
