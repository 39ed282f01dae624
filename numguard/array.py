"""GuardedArray: the one place numguard touches NumPy's override protocols.

A GuardedArray is an ndarray (a view: no copy, shared memory). Each ufunc call on it
is projected, judged and acted on before NumPy's own kernel runs on plain views of
the operands; results come back as GuardedArrays. Other array types that override
`__array_ufunc__` (dask, xarray, pint, astropy) get NotImplemented, as NEP 13 asks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import settings as _settings
from .projection import project_ufunc as estimate_ufunc
from .functions.dispatch import ArrayFunctionDispatch
from .guarded_methods import AllocatingMethods
from .policy import NEGLIGIBLE_NBYTES, enforce

_ndarray = np.ndarray
_ndarray_ufunc = np.ndarray.__array_ufunc__
_scoped_get = _settings._scoped.get
_PLAIN_TYPES = frozenset({int, float, complex, bool, np.ndarray})


class GuardedArray(ArrayFunctionDispatch, AllocatingMethods, np.ndarray):
    """An ndarray whose ufunc calls are checked against numguard's settings first."""

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        settings = _scoped_get() or _settings._process
        if len(inputs) == 2 and method == "__call__":
            fast = _binary_hot_path(ufunc, inputs[0], inputs[1], kwargs, settings)
            if fast is not _SLOW:
                return fast
        if settings.mode != "off":
            check(ufunc, method, inputs, kwargs, settings)
        unwrapped = []
        for x in inputs:
            if isinstance(x, GuardedArray):
                unwrapped.append(x.view(_ndarray))
            elif type(x) in _PLAIN_TYPES or _defers_to_us(x):
                unwrapped.append(x)
            else:
                return NotImplemented
        where = kwargs.get("where")
        if isinstance(where, GuardedArray):
            kwargs["where"] = where.view(_ndarray)
        outs = kwargs.get("out")
        if outs is not None:
            plain_outs = []
            for o in outs:
                if isinstance(o, GuardedArray):
                    plain_outs.append(o.view(_ndarray))
                elif o is None or o is Ellipsis or _defers_to_us(o):
                    plain_outs.append(o)
                else:
                    return NotImplemented
            kwargs["out"] = tuple(plain_outs)
        result = getattr(ufunc, method)(*unwrapped, **kwargs)
        if method == "at":
            return None
        if type(result) is tuple:
            if outs is None:
                return tuple([_wrap(r) for r in result])
            return tuple([_returned(o, r) for o, r in zip(outs, result)])
        if outs is None:
            return _wrap(result)
        return _returned(outs[0], result)


_SLOW = object()
_SCALAR_TYPES = frozenset({int, float, complex, bool})


def _binary_hot_path(
    ufunc: np.ufunc, a: Any, b: Any, kwargs: dict, settings: _settings.Settings
) -> Any:
    """`a + b`, `a * 2.5`, `a += b` between GuardedArrays of one shape and Python scalars.

    Inlined and cheap: when nothing can trip (no broadcasting, so no inflation and no
    rank promotion, and a result too small for any limit, or written into `out=`), no
    estimate is made at all. Anything else returns _SLOW for the general path.
    """
    out = None
    if kwargs:
        out = kwargs.get("out")
        if len(kwargs) != 1 or out is None or len(out) != 1 or type(out[0]) is not GuardedArray:
            return _SLOW
        out = out[0]
    type_a, type_b = type(a), type(b)
    if type_a is GuardedArray:
        shape, size, itemsizes = a.shape, a.size, a.itemsize
        if type_b is GuardedArray:
            if b.shape != shape:
                return _SLOW
            itemsizes += b.itemsize
            b = b.view(_ndarray)
        elif type_b in _SCALAR_TYPES:
            itemsizes += 16
        else:
            return _SLOW
        a = a.view(_ndarray)
    elif type_b is GuardedArray and type_a in _SCALAR_TYPES:
        shape, size, itemsizes = b.shape, b.size, b.itemsize + 16
        b = b.view(_ndarray)
    else:
        return _SLOW
    if out is not None:
        if out.shape != shape:
            return _SLOW
        if ufunc.nout != 1:
            return _SLOW
        # Written in place: nothing is allocated and nothing is stretched.
        ufunc(a, b, out=out.view(_ndarray))
        return out
    if settings.mode != "off" and size * (itemsizes + 32) > _small_bound(settings):
        return _SLOW
    result = ufunc(a, b)
    if type(result) is _ndarray:
        return result.view(GuardedArray)
    return tuple([_wrap(r) for r in result]) if type(result) is tuple else result


def _defers_to_us(x: Any) -> bool:
    """Plain ndarray subclasses and non-arrays without their own __array_ufunc__."""
    override = getattr(type(x), "__array_ufunc__", None)
    return override is None or override is _ndarray_ufunc


def _wrap(result: Any) -> Any:
    return result.view(GuardedArray) if type(result) is _ndarray else result


def _returned(given: Any, result: Any) -> Any:
    """What NumPy returns for an output: the array the caller gave, else a new one."""
    return given if isinstance(given, _ndarray) else _wrap(result)


def check(
    ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict, settings: _settings.Settings
) -> None:
    """Project, judge and act. NumPy's own errors are left for NumPy to raise."""
    if method == "__call__" and not kwargs and len(inputs) == 2 and _trivially_small(
        inputs[0], inputs[1], settings
    ):
        return
    try:
        estimate = estimate_ufunc(ufunc, method, inputs, kwargs)
    except Exception:  # noqa: BLE001 - NumPy raises its own error when it runs
        return
    enforce(estimate, settings)


def _trivially_small(a: Any, b: Any, settings: _settings.Settings) -> bool:
    """Two arrays of one shape whose result cannot trip anything: skip the estimate.

    Equal shapes mean no broadcasting (so no inflation, no rank promotion), and the
    result's bytes are bounded by size x (both itemsizes + 32), which must stay
    under every limit in force.
    """
    if not isinstance(a, _ndarray) or not isinstance(b, _ndarray) or a.shape != b.shape:
        return False
    return a.size * (a.itemsize + b.itemsize + 32) <= _small_bound(settings)


def _small_bound(settings: _settings.Settings) -> int:
    """Results up to this many bytes cannot trip the memory limit in force."""
    limit = settings.limit.nbytes
    return NEGLIGIBLE_NBYTES if limit is None else min(limit, NEGLIGIBLE_NBYTES)


def wrap(array: Any) -> Any:
    """A GuardedArray view of `array` (no copy). With NUMGUARD_MODE=off at import, or
    mode "off" in force, `array` itself comes back: a switched-off guard costs nothing."""
    if (_scoped_get() or _settings._process).mode == "off":
        return array
    if isinstance(array, GuardedArray):
        return array
    return np.asarray(array).view(GuardedArray)


def unwrap(array: Any) -> Any:
    """A plain ndarray view of a GuardedArray (anything else comes back unchanged)."""
    if isinstance(array, GuardedArray):
        return array.view(_ndarray)
    return array
