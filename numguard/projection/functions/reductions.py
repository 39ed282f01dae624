"""Reductions, cumulative sums, traces and diff.

Those NumPy implements through ndarray methods and ufunc methods are `delegated`:
GuardedArray checks each step where it reaches `__array_ufunc__`. The nan* functions,
arg-reductions, median and the quantiles copy their input outside the ufunc path
(np.array(a, copy=True), partitioning a copy): projected here, result plus that copy.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..operands import NO_VALUE, as_array, quiet, unit
from ..record import Estimate, build
from ..registry import projects
from .common import atleast, out_array, void

NV = NO_VALUE


@projects(np.nansum, np.nanprod)
@projects(np.sum, np.prod, delegated=True)
def sum_(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
         keepdims: Any = NV, initial: Any = NV, where: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {"dtype": dtype})


@projects(np.nanmax, np.nanmin)
@projects(np.max, np.min, np.amax, np.amin, delegated=True)
def max_(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV,
         initial: Any = NV, where: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {})


@projects(np.any, np.all, delegated=True)
def any_(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV, *,
         where: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {})


@projects(np.nanmean)
@projects(np.mean, delegated=True)
def mean(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
         keepdims: Any = NV, *, where: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {"dtype": dtype})


@projects(np.nanstd, np.nanvar)
@projects(np.std, np.var, delegated=True)
def std(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
        ddof: Any = 0, keepdims: Any = NV, *, where: Any = NV, mean: Any = NV,
        correction: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims,
                      {"dtype": dtype, "ddof": ddof, "correction": correction})


@projects(np.ptp, delegated=True)
def ptp(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {})


@projects(np.average, delegated=True)
def average(func: Any, /, a: Any, axis: Any = None, weights: Any = None, returned: Any = False,
            *, keepdims: Any = NV) -> Estimate:
    options: dict = {"returned": returned}
    if weights is not None:  # ones: zero weights refuse
        options["weights"] = np.ones_like(unit(weights, np.ndim(a)))
    return _reduction(func, a, axis, None, keepdims, options)


@projects(np.count_nonzero, delegated=True)
def count_nonzero(func: Any, /, a: Any, axis: Any = None, *, keepdims: Any = False) -> Estimate:
    return _reduction(func, a, axis, None, keepdims, {})


@projects(np.argmax, np.argmin, np.nanargmax, np.nanargmin)
def argmax(func: Any, /, a: Any, axis: Any = None, out: Any = None, *,
           keepdims: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {})


@projects(np.median)
def median(func: Any, /, a: Any, axis: Any = None, out: Any = None, overwrite_input: Any = False,
           keepdims: Any = False) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {}, overwrite_input=overwrite_input)


@projects(np.nanmedian)
def nanmedian(func: Any, /, a: Any, axis: Any = None, out: Any = None,
              overwrite_input: Any = False, keepdims: Any = NV) -> Estimate:
    return _reduction(func, a, axis, out, keepdims, {}, overwrite_input=overwrite_input)


@projects(np.percentile, np.quantile)
def percentile(func: Any, /, a: Any, q: Any, axis: Any = None, out: Any = None,
               overwrite_input: Any = False, method: Any = "linear", keepdims: Any = False, *,
               weights: Any = None) -> Estimate:
    return _quantile(func, a, q, axis, out, overwrite_input, method, keepdims, weights)


@projects(np.nanpercentile, np.nanquantile)
def nanpercentile(func: Any, /, a: Any, q: Any, axis: Any = None, out: Any = None,
                  overwrite_input: Any = False, method: Any = "linear", keepdims: Any = NV, *,
                  weights: Any = None) -> Estimate:
    return _quantile(func, a, q, axis, out, overwrite_input, method, keepdims, weights)


def _quantile(func: Any, a: Any, q: Any, axis: Any, out: Any, overwrite_input: Any,
              method: Any, keepdims: Any, weights: Any) -> Estimate:
    options: dict = {"method": method}
    if weights is not None:
        options["weights"] = np.ones_like(unit(weights, np.ndim(a)))
    return _reduction(func, a, axis, out, keepdims, options, q=q,
                      overwrite_input=overwrite_input)


_PARTITIONING = frozenset({"median", "nanmedian", "percentile", "quantile", "nanpercentile",
                           "nanquantile"})


def _reduction(func: Any, a: Any, axis: Any, out: Any, keepdims: Any, options: dict, *,
               q: Any = NV, overwrite_input: Any = False) -> Estimate:
    """Shape from the axes; dtype from NumPy running the same function on a one-element
    stand-in with the keywords that decide it (`options`: None and <no value> dropped)."""
    a = as_array(a)
    out = out_array(out)
    keep = False if keepdims is NV else bool(keepdims)
    axes = _axes(axis, a.ndim)
    if keep:
        reduced = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    else:
        reduced = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    call = {k: v for k, v in options.items() if v is not None and v is not NV}
    if axis is not None:
        call["axis"] = axis
    if keepdims is not NV:
        call["keepdims"] = keepdims
    q_shape: tuple = ()
    one = unit(a) if call.get("dtype") is None else np.zeros(
        (1,) * a.ndim, quiet(a.dtype, call["dtype"]))
    if q is not NV:
        q_shape = np.asarray(q).shape
        stand = func(one, q, **call)
    else:
        stand = func(one, **call)
    if isinstance(stand, tuple):  # average(returned=True)
        stand = stand[0]
    dtype = np.asarray(stand).dtype if out is None else out.dtype
    name = func.__name__
    extra = 0
    if name.startswith("nan") and a.dtype.kind in "fc":
        extra += a.size * (a.itemsize + 1)  # the copy with NaNs replaced, and the mask
    if name in _PARTITIONING and not overwrite_input:
        extra += a.nbytes  # partitioned in a copy
    return build(func, (q_shape + reduced,), (dtype,), (a,), outs=(out,), extra=extra)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The reduced axes; a 0-d array reduces nothing (its axis is checked by NumPy)."""
    if not ndim:
        return ()
    if axis is None:
        return tuple(range(ndim))
    axes = normalize_axis_tuple(axis, ndim, allow_duplicate=True)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return axes


_CUMULATIVE = {
    "cumsum": np.cumsum, "cumprod": np.cumprod, "nancumsum": np.cumsum,
    "nancumprod": np.cumprod, "cumulative_sum": np.cumsum, "cumulative_prod": np.cumprod,
}


@projects(np.nancumsum, np.nancumprod)
@projects(np.cumsum, np.cumprod, delegated=True)
def cumsum(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Estimate:
    a = as_array(a)
    if axis is None:
        shape = (a.size,)
    else:
        shape = a.shape
        normalize_axis_index(axis, max(a.ndim, 1))
    return _cumulative(func, a, shape, dtype, out)


@projects("cumulative_sum", "cumulative_prod", delegated=True)
def cumulative_sum(func: Any, x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
                   include_initial: Any = False) -> Estimate:
    a = as_array(x)
    if axis is None:
        if a.ndim > 1:
            raise ValueError("The `axis` argument is required when the input has "
                             "more than one dimension.")
        shape, ax = atleast(a.shape, 1), 0
    else:
        shape, ax = a.shape, normalize_axis_index(axis, a.ndim)
    if include_initial:
        shape = shape[:ax] + (shape[ax] + 1,) + shape[ax + 1:]
    return _cumulative(func, a, shape, dtype, out)


def _cumulative(func: Any, a: Any, shape: tuple, dtype: Any, out: Any) -> Estimate:
    out = out_array(out)
    result = _CUMULATIVE[func.__name__](np.zeros(1, quiet(a.dtype, dtype)), dtype=dtype).dtype
    extra = 0
    if func.__name__.startswith("nan") and a.dtype.kind in "fc":
        extra = a.size * (a.itemsize + 1)  # NumPy's copy with NaNs replaced, and the mask
    return build(func, (shape,), (result if out is None else out.dtype,), (a,), outs=(out,),
                 extra=extra)


@projects(np.trace, delegated=True)
def trace(func: Any, /, a: Any, offset: Any = 0, axis1: Any = 0, axis2: Any = 1,
          dtype: Any = None, out: Any = None) -> Estimate:
    return _trace(func, as_array(a), offset, (axis1, axis2), dtype, out_array(out))


@projects("linalg.trace", delegated=True)
def linalg_trace(func: Any, x: Any, /, *, offset: Any = 0, dtype: Any = None) -> Estimate:
    return _trace(func, as_array(x), offset, (-2, -1), dtype, None)


def _trace(func: Any, a: Any, offset: Any, axes: tuple, dtype: Any, out: Any) -> Estimate:
    shape = np.diagonal(void(a.shape), offset, *axes).shape[:-1]
    stand = np.zeros((1, 1), quiet(a.dtype, dtype))
    result = np.trace(stand, dtype=dtype).dtype if out is None else out.dtype
    return build(func, (shape,), (result,), (a,), outs=(out,))


@projects(np.diff, delegated=True)
def diff(func: Any, /, a: Any, n: Any = 1, axis: Any = -1, prepend: Any = NV,
         append: Any = NV) -> Estimate:
    a, n = as_array(a), operator.index(n)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    if n == 0:
        return build(func, (a.shape,), (a.dtype,), (a,), view=True)  # returns `a` itself
    ax = normalize_axis_index(axis, a.ndim)
    length = a.shape[ax]
    parts = [a]
    for extra in (prepend, append):
        if extra is not NV:
            e = as_array(extra)
            length += 1 if e.ndim == 0 else e.shape[ax]
            parts.append(e)
    joined = np.result_type(*parts) if len(parts) > 1 else a.dtype
    dtype = np.diff(np.zeros(2, joined)).dtype
    shape = a.shape[:ax] + (max(length - n, 0),) + a.shape[ax + 1:]
    return build(func, (shape,), (dtype,), (a,))
