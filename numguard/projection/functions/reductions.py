"""Reductions, arg-reductions, cumulative sums, traces and diff.

Those NumPy implements through ndarray methods and ufunc methods are `delegated`:
GuardedArray checks each step where it reaches `__array_ufunc__`; their estimates
still model what the steps hold together (np.var's `x - mean`, np.ptp's two
reductions), for `numguard.estimate`. The arg-reductions copy their input where the
reduced axis is not the contiguous last one (NumPy transposes, then copies).
The nan* functions are in `nanfunctions`, the order statistics in `quantiles`.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..operands import NO_VALUE, arg_copy, as_array, quiet, unit
from ..record import Estimate, build
from ..registry import projects
from .common import BOOL, F8, atleast, out_array, void

NV = NO_VALUE


class Reduced(NamedTuple):
    """What every reduction shares: the operand, the result, and what is reduced."""

    a: Any
    shape: tuple
    dtype: np.dtype
    out: Any
    axes: tuple
    length: int
    """Elements reduced into each result element (0: an empty reduction)."""

    @property
    def nbytes(self) -> int:
        """Bytes of the result NumPy allocates (0 with out=)."""
        if self.out is not None:
            return 0
        size = 1
        for n in self.shape:
            size *= n
        return size * self.dtype.itemsize

    @property
    def size(self) -> int:
        """Elements of the result."""
        size = 1
        for n in self.shape:
            size *= n
        return size


def reduced(func: Any, a: Any, axis: Any, out: Any, keepdims: Any, options: dict, *,
            q: Any = NV) -> Reduced:
    """Shape from the axes; dtype from NumPy running the same function on a one-element
    stand-in with the keywords that decide it (`options`: None and <no value> dropped)."""
    a = as_array(a)
    out = out_array(out)
    keep = False if keepdims is NV else bool(keepdims)
    axes = reduced_axes(axis, a.ndim)
    if keep:
        shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    else:
        shape = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    call = {k: v for k, v in options.items() if v is not None and v is not NV}
    if axis is not None:
        call["axis"] = axis
    if keepdims is not NV:
        call["keepdims"] = keepdims
    one = unit(a) if call.get("dtype") is None else np.zeros(
        (1,) * a.ndim, quiet(a.dtype, call["dtype"]))
    if q is not NV:
        shape = np.asarray(q).shape + shape
        stand = func(one, q, **call)
    else:
        stand = func(one, **call)
    if isinstance(stand, tuple):  # average(returned=True)
        stand = stand[0]
    dtype = np.asarray(stand).dtype if out is None else out.dtype
    length = 1
    for i in axes:
        length *= a.shape[i]
    return Reduced(a, shape, dtype, out, axes, length)


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The reduced axes; a 0-d array reduces nothing (its axis is checked by NumPy)."""
    if not ndim:
        return ()
    if axis is None:
        return tuple(range(ndim))
    axes = normalize_axis_tuple(axis, ndim, allow_duplicate=True)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return axes


def result_estimate(func: Any, r: Reduced, *, extra: int = 0, peak: int | None = None
                    ) -> Estimate:
    return build(func, (r.shape,), (r.dtype,), (r.a,), outs=(r.out,), extra=extra, peak=peak)


def check_identity(r: Reduced, operation: str, initial: Any, where: Any) -> None:
    """NumPy's errors for a reduction without an identity (maximum, minimum)."""
    if initial is not NV:
        return
    if where is not NV and where is not True:
        raise ValueError(f"reduction operation '{operation}' does not have an identity, "
                         "so to use a where mask one has to specify 'initial'")
    if r.length == 0:
        raise ValueError(f"zero-size array to reduction operation {operation} which has "
                         "no identity")


@projects(np.sum, np.prod, delegated=True)
def sum_(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
         keepdims: Any = NV, initial: Any = NV, where: Any = NV) -> Estimate:
    """One reduction (casts go through NumPy's small buffers)."""
    return result_estimate(func, reduced(func, a, axis, out, keepdims, {"dtype": dtype}))


@projects(np.max, np.min, np.amax, np.amin, delegated=True)
def max_(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV,
         initial: Any = NV, where: Any = NV) -> Estimate:
    r = reduced(func, a, axis, out, keepdims, {})
    check_identity(r, "maximum" if "max" in func.__name__ else "minimum", initial, where)
    return result_estimate(func, r)


@projects(np.any, np.all, delegated=True)
def any_(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV, *,
         where: Any = NV) -> Estimate:
    return result_estimate(func, reduced(func, a, axis, out, keepdims, {}))


@projects(np.mean, delegated=True)
def mean(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
         keepdims: Any = NV, *, where: Any = NV) -> Estimate:
    """A sum divided in place; float16 sums in float32, then converts (a second result)."""
    r = reduced(func, a, axis, out, keepdims, {"dtype": dtype})
    half = dtype is None and out is None and r.a.dtype == np.float16
    return result_estimate(func, r, extra=2 * r.nbytes if half else 0)


@projects(np.std, np.var, delegated=True)
def std(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
        ddof: Any = 0, keepdims: Any = NV, *, where: Any = NV, mean: Any = NV,
        correction: Any = NV) -> Estimate:
    """NumPy's _var: the mean (kept dims), then `x = a - mean` over the whole input,
    squared in place (object and bool data square through a conjugate: a second
    whole-size temporary), then the sum of x. A given `mean` is not recomputed."""
    r = reduced(func, a, axis, out, keepdims, {"dtype": dtype})
    check_correction(ddof, correction)
    return result_estimate(func, r, extra=deviations(r.a, r.size, dtype, mean))


def check_correction(ddof: Any, correction: Any) -> None:
    """NumPy's check of ddof and correction (neither changes the dtype, so the
    stand-in runs without them: with one element it would warn about them)."""
    if correction is not NV and ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")


def deviations(a: Any, result_size: int, dtype: Any, mean: Any) -> int:
    """Bytes _var holds beside its result: the mean and the deviations `a - mean`."""
    if dtype is None and a.dtype.kind in "iub":
        dtype = F8
    if mean is NV or mean is None:
        zero = np.empty(0, a.dtype if dtype is None else quiet(a.dtype, dtype))
        mean_dtype = np.add.reduce(zero, dtype=dtype).dtype
        held = result_size * mean_dtype.itemsize
    else:
        mean_dtype, held = as_array(mean).dtype, 0
    x = np.subtract(np.empty(0, a.dtype), np.empty(0, mean_dtype)).dtype
    squares = 1 if a.dtype.kind in "iufc" and x.kind in "iufc" else 2
    return held + squares * a.size * x.itemsize


@projects(np.ptp, delegated=True)
def ptp(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV) -> Estimate:
    """max - min: the two reductions and their difference."""
    r = reduced(func, a, axis, out, keepdims, {})
    check_identity(r, "maximum", NV, NV)
    return result_estimate(func, r, extra=2 * r.size * r.a.dtype.itemsize)


@projects(np.average, delegated=True)
def average(func: Any, /, a: Any, axis: Any = None, weights: Any = None, returned: Any = False,
            *, keepdims: Any = NV) -> Estimate:
    """mean without weights; with them, the sum of the weights and of a * weights (a
    whole-size product in the result type). returned=True adds the weights' sum,
    broadcast to the result's shape (a copy)."""
    options: dict = {"returned": returned}
    if weights is not None:  # ones: zero weights refuse
        options["weights"] = np.ones_like(unit(weights, np.ndim(a)))
    r = reduced(func, a, axis, None, keepdims, options)
    extra = 0
    if weights is not None:
        w = as_array(weights)
        product = np.result_type(r.a.dtype, w.dtype, *(["f8"] if r.a.dtype.kind in "iub"
                                                       else []))
        extra = r.a.size * product.itemsize + 2 * r.size * product.itemsize
    if not returned:
        return result_estimate(func, r, extra=extra)
    stand = func(unit(r.a), **{k: v for k, v in options.items() if k != "returned"},
                 returned=True, **({} if axis is None else {"axis": axis}),
                 **({} if keepdims is NV else {"keepdims": keepdims}))
    second = np.asarray(stand[1]).dtype
    return build(func, (r.shape, r.shape), (r.dtype, second), (r.a,), extra=extra)


@projects(np.count_nonzero, delegated=True)
def count_nonzero(func: Any, /, a: Any, axis: Any = None, *, keepdims: Any = False) -> Estimate:
    """Along axes: a boolean copy of non-boolean data, then its sum."""
    r = reduced(func, a, axis, None, keepdims, {})
    whole = axis is None and not keepdims
    copy = 0 if whole or r.a.dtype == BOOL else r.a.size
    return result_estimate(func, r, extra=copy)


@projects(np.argmax, np.argmin)
def argmax(func: Any, /, a: Any, axis: Any = None, out: Any = None, *,
           keepdims: Any = NV) -> Estimate:
    """NumPy moves the axis last and copies where that is not C-contiguous."""
    r = reduced(func, a, axis, out, keepdims, {})
    check_arg_length(func, r.a, axis)
    return result_estimate(func, r, extra=arg_copy(r.a, axis))


def check_arg_length(func: Any, a: Any, axis: Any) -> None:
    length = a.size if axis is None or a.ndim == 0 else a.shape[normalize_axis_index(
        axis, a.ndim)]
    if length == 0:
        raise ValueError(f"attempt to get {func.__name__.removeprefix('nan')} of an "
                         "empty sequence")


_CUMULATIVE = {
    "cumsum": np.cumsum, "cumprod": np.cumprod, "nancumsum": np.cumsum,
    "nancumprod": np.cumprod, "cumulative_sum": np.cumsum, "cumulative_prod": np.cumprod,
}


@projects(np.cumsum, np.cumprod, delegated=True)
def cumsum(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Estimate:
    a = as_array(a)
    ravel = 0
    if axis is None:
        shape = (a.size,)
        ravel = 0 if a.flags.c_contiguous or a.ndim == 1 else a.nbytes  # 1-d: no ravel
    else:
        shape = a.shape
        normalize_axis_index(axis, max(a.ndim, 1))
    return cumulative(func, a, shape, dtype, out, ravel)


@projects("cumulative_sum", "cumulative_prod", delegated=True)
def cumulative_sum(func: Any, x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
                   include_initial: Any = False) -> Estimate:
    """ufunc.accumulate (no integer promotion), then, with include_initial, the
    concatenation of the identity and that result."""
    a = as_array(x)
    if axis is None:
        if a.ndim > 1:
            raise ValueError("The `axis` argument is required when the input has "
                             "more than one dimension.")
        shape, ax = atleast(a.shape, 1), 0
    else:
        shape, ax = a.shape, normalize_axis_index(axis, a.ndim)
    ufunc = np.add if func.__name__ == "cumulative_sum" else np.multiply
    zero = np.empty(0, quiet(a.dtype, dtype))
    result = ufunc.accumulate(zero, dtype=dtype).dtype
    out = out_array(out)
    cast = a.size * result.itemsize if a.dtype != result else 0
    step = 1
    for n in shape:
        step *= n
    if include_initial:
        shape = shape[:ax] + (shape[ax] + 1,) + shape[ax + 1:]
        return build(func, (shape,), (result if out is None else out.dtype,), (a,),
                     outs=(out,), extra=cast + step * result.itemsize)
    return build(func, (shape,), (result if out is None else out.dtype,), (a,), outs=(out,),
                 extra=cast)


def cumulative(func: Any, a: Any, shape: tuple, dtype: Any, out: Any, ravel: int,
               extra: int = 0) -> Estimate:
    """ufunc.accumulate: its result, and a whole copy of the input in the loop's dtype
    where that differs (accumulate casts without buffers: cumsum of int16 sums a copy
    in int64), besides a ravel copy for axis=None."""
    out = out_array(out)
    zero = np.zeros(1, quiet(a.dtype, dtype))
    loop = _CUMULATIVE[func.__name__](zero, dtype=dtype).dtype
    cast = a.size * loop.itemsize if a.dtype != loop else 0
    return build(func, (shape,), (loop if out is None else out.dtype,), (a,), outs=(out,),
                 extra=extra + ravel + cast)


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
    """n differences, each alive beside the previous one; prepend/append first
    concatenate everything (a copy alive during the first difference)."""
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
    dtype = np.diff(np.zeros(n + 1, joined), n=n).dtype
    rest = 1
    for i, m in enumerate(a.shape):
        if i != ax:
            rest *= m
    previous = rest * length * joined.itemsize if len(parts) > 1 else 0
    peak = 0
    for k in range(1, n + 1):
        new = rest * max(length - k, 0) * dtype.itemsize
        peak = max(peak, previous + new)
        previous = new
    shape = a.shape[:ax] + (max(length - n, 0),) + a.shape[ax + 1:]
    return build(func, (shape,), (dtype,), (a,), peak=peak)

