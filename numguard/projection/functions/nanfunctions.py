"""The nan* reductions, which copy their input outside the ufunc path.

NumPy's `_replace_nan` copies inexact (and object) data with the NaNs replaced, and
keeps the boolean NaN mask beside the copy: a.nbytes + a.size bytes before the
reduction starts. Integer data is not copied (no NaN to replace). np.nanmin and
np.nanmax of a plain float array reduce with fmin/fmax directly, without the copy.
The order statistics (nanmedian, nanpercentile, nanquantile) are in `quantiles`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..operands import arg_copy
from ..record import Estimate
from ..registry import projects
from .common import INTP
from .reductions import (
    NV,
    check_arg_length,
    check_correction,
    check_identity,
    cumulative,
    deviations,
    reduced,
    result_estimate,
)


def replaced(a: Any) -> int:
    """Bytes `_replace_nan` holds: the copy and the NaN mask, or nothing."""
    return a.nbytes + a.size if a.dtype.kind in "fcO" else 0


@projects(np.nansum, np.nanprod)
def nansum(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
           keepdims: Any = NV, initial: Any = NV, where: Any = NV) -> Estimate:
    r = reduced(func, a, axis, out, keepdims, {"dtype": dtype})
    return result_estimate(func, r, extra=replaced(r.a))


@projects(np.nanmax, np.nanmin)
def nanmax(func: Any, /, a: Any, axis: Any = None, out: Any = None, keepdims: Any = NV,
           initial: Any = NV, where: Any = NV) -> Estimate:
    """A plain array reduces with fmax/fmin, then tests its result for NaN; anything
    else goes through the copy, np.amax, and an all-NaN mask of the result's size."""
    r = reduced(func, a, axis, out, keepdims, {})
    plain = type(r.a) in (np.ndarray, np.memmap) and r.a.dtype.kind != "O"
    name = "fmax" if func.__name__ == "nanmax" else "fmin"
    check_identity(r, name if plain else name[1:] + "imum", initial, where)
    extra = r.size if plain else replaced(r.a) + r.size
    return result_estimate(func, r, extra=extra)


@projects(np.nanmean)
def nanmean(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: Any = NV, *, where: Any = NV) -> Estimate:
    """The copy and mask, then the count of ~mask (a second whole-size mask) and the
    sum; integer data is np.mean itself."""
    r = reduced(func, a, axis, out, keepdims, {"dtype": dtype})
    if not replaced(r.a):
        return result_estimate(func, r)
    counts = r.size * INTP.itemsize
    held = replaced(r.a) + counts
    return result_estimate(func, r, peak=held + max(r.a.size, r.nbytes + r.size))


@projects(np.nanstd, np.nanvar)
def nanstd(func: Any, /, a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
           ddof: Any = 0, keepdims: Any = NV, *, where: Any = NV, mean: Any = NV,
           correction: Any = NV) -> Estimate:
    """The copy and mask; the count (through ~mask) and the mean, kept-dims; the
    deviations squared in the copy (complex data through a conjugate, a second copy)."""
    r = reduced(func, a, axis, out, keepdims, {"dtype": dtype})
    check_correction(ddof, correction)
    x = r.a
    if not replaced(x):
        return result_estimate(func, r, extra=deviations(x, r.size, dtype, mean))
    counts = r.size * INTP.itemsize
    means = r.size * r.dtype.itemsize * (2 if x.dtype.kind == "c" else 1)
    conjugate = x.nbytes if x.dtype.kind == "c" else 0
    held = replaced(x) + counts
    return result_estimate(func, r, peak=held + max(x.size, means + conjugate + 2 * r.nbytes))


@projects(np.nanargmax, np.nanargmin)
def nanargmax(func: Any, /, a: Any, axis: Any = None, out: Any = None, *,
              keepdims: Any = NV) -> Estimate:
    """The copy and mask, an all-NaN test along the axis, then np.argmax of the copy
    (which copies again where the axis is not its contiguous last one)."""
    r = reduced(func, a, axis, out, keepdims, {})
    x = r.a
    check_arg_length(func, x, axis)
    if not replaced(x):
        return result_estimate(func, r, extra=arg_copy(x, axis))
    contiguous = x.flags.c_contiguous or x.flags.f_contiguous
    again = arg_copy(x, axis) if contiguous else _c_layout_copy(x, axis)
    return result_estimate(func, r, extra=max(x.size + r.size, again) + x.nbytes)


def _c_layout_copy(a: Any, axis: Any) -> int:
    """arg_copy for a C-contiguous copy of `a` (np.array(a, copy=True) of a strided a)."""
    if axis is None:
        return 0
    ax = normalize_axis_index(axis, a.ndim)
    after = 1
    for n in a.shape[ax + 1:]:
        after *= n
    return a.nbytes if after > 1 and a.shape[ax] > 1 else 0


@projects(np.nancumsum, np.nancumprod)
def nancumsum(func: Any, /, a: Any, axis: Any = None, dtype: Any = None,
              out: Any = None) -> Estimate:
    """The copy and mask, then cumsum of the copy."""
    r = reduced(np.sum, a, None, None, NV, {})  # the operand, read as NumPy reads it
    x = r.a
    if axis is None:
        shape = (x.size,)
        # a K-order copy keeps an F-contiguous layout; strided data comes out C-ordered
        c_ordered = x.flags.c_contiguous or (replaced(x) and not x.flags.f_contiguous)
        ravel = 0 if c_ordered or x.ndim <= 1 else x.nbytes
    else:
        shape = x.shape
        normalize_axis_index(axis, max(x.ndim, 1))
        ravel = 0
    return cumulative(func, x, shape, dtype, out, ravel, extra=replaced(x))

