"""`__array_ufunc__`: defer, project, judge, then run NumPy's kernel on plain views.

GuardedArray's version starts with an inlined hot path for `a + b`, `a * 2.5` and
`a += b` between GuardedArrays of one shape and Python scalars; guarded twins of other
classes (np.matrix, masked arrays, ...) take the general path alone, so the kernel
always runs on views of their own class and its `__array_wrap__` behaves as without
numguard.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.policy import ELEMENT_SLACK, enforce, run_judged, small_bound
from numguard.projection import project_ufunc

from .deferral import UFUNC, Guarded, defers, returned, rewrap

_ndarray = np.ndarray
_scoped_get = _settings._scoped.get
SLOW = object()
_SCALAR_TYPES = frozenset({int, float, complex, bool})


def guarded_ufunc(guarded: type, ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict,
                  settings: _settings.Settings) -> Any:
    """The general path: defer to foreign types, check, run on plain views, rewrap."""
    outs = kwargs.get("out")
    if defers(map(type, inputs), UFUNC) or (
        outs is not None and defers(map(type, outs), UFUNC)
    ):
        return NotImplemented
    judged = settings.mode != "off" and check(ufunc, method, inputs, kwargs, settings)
    unwrapped = [x.view(x._unguarded) if isinstance(x, Guarded) else x for x in inputs]
    where = kwargs.get("where")
    if isinstance(where, Guarded):
        kwargs["where"] = where.view(where._unguarded)
    if outs is not None:
        kwargs["out"] = tuple([o.view(o._unguarded) if isinstance(o, Guarded) else o
                               for o in outs])
    kernel = getattr(ufunc, method)
    result = run_judged(kernel, *unwrapped, **kwargs) if judged else kernel(*unwrapped, **kwargs)
    if method == "at":
        return None
    if type(result) is tuple:
        if outs is None:
            return tuple([rewrap(r, guarded) for r in result])
        return tuple([returned(o, r, guarded) for o, r in zip(outs, result)])
    if outs is None:
        return rewrap(result, guarded)
    return returned(outs[0], result, guarded)


class UfuncProtocol:
    """GuardedArray's `__array_ufunc__`: the hot path, else the general path."""

    __slots__ = ()

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        settings = _scoped_get() or _settings._process
        if len(inputs) == 2 and method == "__call__":
            fast = binary_hot_path(type(self), ufunc, inputs[0], inputs[1], kwargs, settings)
            if fast is not SLOW:
                return fast
        return guarded_ufunc(type(self), ufunc, method, inputs, kwargs, settings)


def subclass_array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any,
                         **kwargs: Any) -> Any:
    """Guarded twins' `__array_ufunc__`: the general path alone."""
    return guarded_ufunc(type(self), ufunc, method, inputs, kwargs,
                         _scoped_get() or _settings._process)


def binary_hot_path(
    guarded: type, ufunc: np.ufunc, a: Any, b: Any, kwargs: dict, settings: _settings.Settings
) -> Any:
    """`a + b`, `a * 2.5`, `a += b` between arrays of the guarded class, of one shape,
    and Python scalars.

    Inlined and cheap: when nothing can trip (no broadcasting, so no inflation and no
    rank promotion, and a result too small for any limit, or written into `out=`), no
    estimate is made at all. Anything else returns SLOW for the general path.
    """
    out = None
    if kwargs:
        out = kwargs.get("out")
        if len(kwargs) != 1 or out is None or len(out) != 1 or type(out[0]) is not guarded:
            return SLOW
        out = out[0]
    type_a, type_b = type(a), type(b)
    given_a, given_b = a, b
    if type_a is guarded:
        shape, size, itemsizes = a.shape, a.size, a.itemsize
        if type_b is guarded:
            if b.shape != shape:
                return SLOW
            itemsizes += b.itemsize
            b = b.view(_ndarray)
        elif type_b in _SCALAR_TYPES:
            itemsizes += _SCALAR_ITEMSIZE
        else:
            return SLOW
        a = a.view(_ndarray)
    elif type_b is guarded and type_a in _SCALAR_TYPES:
        shape, size, itemsizes = b.shape, b.size, b.itemsize + _SCALAR_ITEMSIZE
        b = b.view(_ndarray)
    else:
        return SLOW
    if out is not None:
        if out.shape != shape:
            return SLOW
        if ufunc.nout != 1:
            return SLOW
        if settings.mode != "off" and size * out.itemsize > small_bound(settings) and (
            _overlaps(given_a, out) or _overlaps(given_b, out)
        ):
            return SLOW  # NumPy copies an overlapping operand first: project that copy
        # Written in place: nothing is allocated and nothing is stretched.
        ufunc(a, b, out=out.view(_ndarray))
        return out
    if settings.mode != "off" and size * (itemsizes + ELEMENT_SLACK) > small_bound(settings):
        return SLOW
    result = ufunc(a, b)
    if type(result) is _ndarray:
        return result.view(guarded)
    return rewrap(result, guarded)


#: Bytes a Python scalar operand can contribute per element (complex128 at most).
_SCALAR_ITEMSIZE = 16


def check(
    ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict, settings: _settings.Settings
) -> bool:
    """Project, judge and act; True when the call was decided here (judged, or too small
    to matter), False when it could not be projected (NumPy raises its own error, or
    the backstop judges what it allocates)."""
    if method == "__call__" and not kwargs and len(inputs) == 2 and _trivially_small(
        inputs[0], inputs[1], settings
    ):
        return True  # decided: too small to matter
    try:
        estimate = project_ufunc(ufunc, method, inputs, kwargs)
    except Exception:  # noqa: BLE001 - NumPy raises its own error when it runs
        return False
    enforce(estimate, settings)
    return True


def _trivially_small(a: Any, b: Any, settings: _settings.Settings) -> bool:
    """Two arrays of one shape whose result cannot trip anything: skip the estimate.

    Equal shapes mean no broadcasting (so no inflation, no rank promotion), and the
    result's bytes are bounded by size x (both itemsizes + ELEMENT_SLACK), which must
    stay under every limit in force (policy.small_bound).
    """
    if not isinstance(a, _ndarray) or not isinstance(b, _ndarray) or a.shape != b.shape:
        return False
    return a.size * (a.itemsize + b.itemsize + ELEMENT_SLACK) <= small_bound(settings)


def _overlaps(operand: Any, out: np.ndarray) -> bool:
    """An operand other than `out` itself whose memory may overlap it (bounds check)."""
    return operand is not out and isinstance(operand, _ndarray) and np.may_share_memory(
        operand, out)
