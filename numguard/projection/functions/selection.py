"""Selection and ordering: sort, take, diagonal, searchsorted, isin, index conversions."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..broadcast import broadcast_shapes
from ..operands import as_array, plain_array, split_axis
from ..ndarray_selection import index_copy, searchsorted_copies
from ..record import Estimate, build
from ..registry import projects
from .common import BOOL, INTP, F8, out_array, shape_arg, void


@projects(np.sort, np.argsort)
def sort(func: Any, /, a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
         stable: Any = None) -> Estimate:
    return _sorted(func, a, axis)


@projects(np.partition, np.argpartition)
def partition(func: Any, /, a: Any, kth: Any, axis: Any = -1, kind: Any = "introselect",
              order: Any = None) -> Estimate:
    return _sorted(func, a, axis)


def _sorted(func: Any, a: Any, axis: Any) -> Estimate:
    """The input's shape (flattened for axis=None); intp for the arg* functions."""
    a = as_array(a)
    arg = func.__name__.startswith("arg")
    if axis is None:
        shape = (a.size,)
    elif a.ndim == 0:  # ndarray.argsort takes a 0-d array as 1-d; a.sort() does not
        if not arg:
            raise np.exceptions.AxisError(operator.index(axis), 0)
        normalize_axis_index(axis, 1)
        shape = (1,)
    else:
        normalize_axis_index(axis, a.ndim)
        shape = a.shape
    dtype = INTP if arg else a.dtype
    # the arg* functions ravel for axis=None (a copy of a non-C-contiguous a of several
    # axes); sort and partition flatten into the result itself
    ravel = a.size * a.itemsize if arg and axis is None and a.ndim > 1 and not (
        a.flags.c_contiguous) else 0
    return build(func, (shape,), (dtype,), (a,), extra=ravel)


@projects(np.sort_complex)
def sort_complex(func: Any, /, a: Any) -> Estimate:
    """A sorted copy of a, then cast to complex (a second array) unless it is."""
    a = as_array(a)
    dtype = np.sort_complex(np.zeros(1, a.dtype)).dtype
    return build(func, (a.shape,), (dtype,), (a,), extra=a.nbytes if dtype != a.dtype else 0)


@projects(np.lexsort)
def lexsort(func: Any, /, keys: Any, axis: Any = -1) -> Estimate:
    """An intp result of one key's shape. Where the axis is not the last or a key is
    not contiguous along it (or byte-swapped), NumPy sorts through buffers of one
    lane: the keys' largest item and an intp per element."""
    arrays = [as_array(k) for k in keys]
    first = arrays[0]
    copy = 0
    lane = split_axis(first, axis)[1]
    ax = normalize_axis_index(axis, first.ndim) if first.ndim else 0
    buffered = first.ndim and (ax != first.ndim - 1 or any(
        k.strides[ax] != k.itemsize or not k.dtype.isnative for k in arrays if k.ndim))
    if buffered:
        copy += lane * (max(k.itemsize for k in arrays) + INTP.itemsize)
    return build(func, (first.shape,), (INTP,), (first,), extra=copy)


@projects(np.take)
def take(func: Any, /, a: Any, indices: Any, axis: Any = None, out: Any = None,
         mode: Any = "raise") -> Estimate:
    a, indices, out = as_array(a), as_array(indices), out_array(out)
    before, length, after = split_axis(a, axis)
    shape = before + indices.shape + after
    if length == 0 and math.prod(shape):
        raise IndexError("cannot do a non-empty take from an empty axes.")
    # PyArray_TakeFrom reads a C-contiguous a and C-contiguous intp indices (copies of
    # any other), and writes a buffer first where out= may overlap a or mode is "raise"
    copy = 0 if a.flags.c_contiguous else a.nbytes
    copy += index_copy(indices)
    if out is not None and (mode in ("raise", 2) or np.may_share_memory(out, a)):
        copy += math.prod(shape) * a.dtype.itemsize
    return build(func, (shape,), (a.dtype,), (a, indices), outs=(out,), extra=copy)


@projects(np.take_along_axis)
def take_along_axis(func: Any, /, arr: Any, indices: Any, axis: Any = -1) -> Estimate:
    a, indices = as_array(arr), as_array(indices)
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return build(func, (indices.shape,), (a.dtype,), (a, indices))
    if indices.ndim != a.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = normalize_axis_index(axis, a.ndim)
    others = broadcast_shapes([a.shape[:ax] + (1,) + a.shape[ax + 1:],
                               indices.shape[:ax] + (1,) + indices.shape[ax + 1:]])
    shape = others[:ax] + (indices.shape[ax],) + others[ax + 1:]
    return build(func, (shape,), (a.dtype,), (a, indices))


@projects(np.diagonal)
def diagonal(func: Any, /, a: Any, offset: Any = 0, axis1: Any = 0, axis2: Any = 1) -> Estimate:
    """A read-only view: NumPy's own shape logic on a zero-itemsize stand-in, 0 bytes."""
    a = as_array(a)
    shape = np.diagonal(void(a.shape), offset, axis1, axis2).shape
    return build(func, (shape,), (a.dtype,), (a,), view=True)


@projects("linalg.diagonal")
def linalg_diagonal(func: Any, x: Any, /, *, offset: Any = 0) -> Estimate:
    return diagonal(func, x, offset, -2, -1)


@projects(np.searchsorted)
def searchsorted(func: Any, /, a: Any, v: Any, side: Any = "left", sorter: Any = None) -> Estimate:
    a, values = as_array(a), as_array(v)
    if a.ndim != 1:
        raise ValueError("object too deep for desired array" if a.ndim > 1 else
                         "object of too small depth for desired array")
    return build(func, (values.shape,), (INTP,), (a, values),
                 extra=searchsorted_copies(a, v, sorter))


@projects(np.interp)
def interp(func: Any, /, x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Estimate:
    """NumPy's compiled interp takes contiguous float64 copies of x and xp, and of fp
    in float64 or complex128, casting safely (float128 data is refused)."""
    x, xp, fp = as_array(x), as_array(xp), as_array(fp)
    dtype = np.dtype(np.complex128) if fp.dtype.kind == "c" else F8
    if period is not None:  # np.asarray(..., float64) in Python first: any cast goes
        if period == 0:
            raise ValueError("period must be a non-zero value")
        if xp.ndim != 1 or fp.ndim != 1:
            raise ValueError("Data points must be 1-D sequences")
        if fp.size != xp.size:
            raise ValueError("fp and xp are not of the same length")
    copies = 0
    # the compiled interp converts fp, then xp (1-d), then x, casting safely
    for value, target, ndim in ((fp, dtype, 1), (xp, F8, 1), (x, F8, None)):
        if period is None and not np.can_cast(value.dtype, target, "safe"):
            raise TypeError(f"Cannot cast array data from {value.dtype!r} to {target!r} "
                            "according to the rule 'safe'")
        if ndim is not None and value.ndim != ndim:
            raise ValueError("object too deep for desired array" if value.ndim > 1
                             else "object of too small depth for desired array")
        if value.dtype != target or not value.flags.c_contiguous:
            copies += value.size * target.itemsize
    if xp.size == 0:
        raise ValueError("array of sample points is empty")
    if fp.size != xp.size:
        raise ValueError("fp and xp are not of the same length.")
    if period is not None:  # x % period, and the sorted, extended xp and fp
        copies += x.size * 8 + 3 * (xp.size + 2) * 8 + (fp.size + 2) * dtype.itemsize
    if 0 < xp.size <= x.size:  # the slopes, precomputed (PyArray_malloc: traced)
        copies += (xp.size - 1) * dtype.itemsize
    return build(func, (x.shape,), (dtype,), (x, xp, fp), extra=copies)


@projects(np.digitize)
def digitize(func: Any, /, x: Any, bins: Any, right: Any = False) -> Estimate:
    """np.digitize: bins checked for monotonicity as contiguous float64 (a copy,
    cast safely: float128 bins are refused), then searchsorted of x in bins, or in
    bins reversed (a copy) and subtracted from len(bins) (a new array) for
    decreasing bins (their first and last elements tell)."""
    x, edges = as_array(x), as_array(bins)
    if x.dtype.kind == "c":
        raise TypeError("x may not be complex")
    if edges.ndim != 1:
        raise ValueError("object too deep for desired array" if edges.ndim > 1 else
                         "object of too small depth for desired array")
    if not np.can_cast(edges.dtype, F8, "safe"):
        raise TypeError(f"Cannot cast array data from {edges.dtype!r} to {F8!r} according "
                        "to the rule 'safe'")
    checked = edges.size * F8.itemsize if edges.dtype != F8 or not edges.flags.c_contiguous \
        else 0
    ends = plain_array(edges)[[0, -1]] if edges.size > 1 else None
    decreasing = ends is not None and bool(ends[0] > ends[-1])  # two elements read
    search = searchsorted_copies(edges[::-1] if decreasing else edges, x, None)
    result = x.size * INTP.itemsize
    return build(func, (x.shape,), (INTP,), (x, edges),
                 peak=max(checked, search + result, 2 * result if decreasing else 0))


@projects(np.isin)
def isin(func: Any, /, element: Any, test_elements: Any, assume_unique: Any = False,
         invert: Any = False, *, kind: Any = None) -> Estimate:
    """The result and what np.isin's method holds (every element taken as in range,
    or distinct, where the data decides): the table method for integers (a table of
    the test values' range, masks, the in-range elements and their positions), a
    loop of comparisons for few test values, else sorting (np.unique of both, their
    concatenation, its sort order and sorted copy)."""
    e, t = as_array(element), as_array(test_elements)
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None, 'sort' or 'table'.")
    ravel = sum(0 if v.flags.c_contiguous else v.nbytes for v in (e, t))
    integers = e.dtype.kind in "uib" and t.dtype.kind in "uib"
    if kind == "table" and not integers:
        raise ValueError("The 'table' method is only supported for boolean or integer "
                         "arrays. Please select 'sort' or None for kind.")
    work = _isin_work(e, t, kind, integers)
    return build(func, (e.shape,), (BOOL,), (e, t), extra=ravel + work)


def _count_between(a: Any, low: int, high: int) -> int:
    """How many elements of `a` lie in [low, high], as np.isin's table method selects
    them; counted block by block (a few small masks), or all where `a` is not one
    contiguous block."""
    if not a.flags.c_contiguous or a.dtype == BOOL:
        return a.size
    flat = a.reshape(-1)
    found = 0
    for start in range(0, flat.size, _BLOCK):
        block = flat[start:start + _BLOCK]
        found += int(np.count_nonzero((block >= low) & (block <= high)))
    return found


_BLOCK = 1 << 16


def _isin_work(e: Any, t: Any, kind: Any, integers: bool) -> int:
    n, m = e.size, t.size
    e, t = plain_array(e), plain_array(t)  # read without dispatching to an override
    if integers and kind in (None, "table") and m:
        low, high = (int(np.min(t)), int(np.max(t))) if t.dtype != BOOL else (0, 1)
        if high - low <= 6 * (n + m) or kind == "table":
            inside = _count_between(e, low, high)
            return high - low + 1 + m * 8 + 3 * n + inside * (e.dtype.itemsize + 8 + 1)
    if m < 10 * n ** 0.145 or e.dtype.hasobject or t.dtype.hasobject:
        return n  # mask |= (ar1 == a), one comparison at a time
    item = np.result_type(e, t).itemsize
    first = 2 * e.nbytes + n * (3 * 8 + 1)  # np.unique(ar1, return_inverse=True)
    held = e.nbytes + n * 8  # its values and inverse
    second = held + 2 * t.nbytes  # np.unique(ar2)
    merged = held + t.nbytes + (n + m) * (2 * item + 8 + 3)  # concat, order, sorted, flags
    return max(first, second, merged)


@projects(np.array_equal)
def array_equal(func: Any, /, a1: Any, a2: Any, equal_nan: Any = False) -> Estimate:
    return _equal(func, a1, a2)


@projects(np.array_equiv)
def array_equiv(func: Any, /, a1: Any, a2: Any) -> Estimate:
    return _equal(func, a1, a2)


def _equal(func: Any, a1: Any, a2: Any) -> Estimate:
    """A bool; on the way NumPy compares into a broadcast-size boolean temporary."""
    x, y = as_array(a1), as_array(a2)
    try:
        size = math.prod(broadcast_shapes([x.shape, y.shape]))
    except ValueError:
        size = 0  # NumPy answers False without comparing
    if func is np.array_equal and x.shape != y.shape:
        size = 0
    return build(func, ((),), (BOOL,), (x, y), extra=size)


@projects(np.unravel_index)
def unravel_index(func: Any, /, indices: Any, shape: Any, order: Any = "C") -> Estimate:
    indices = as_array(indices)
    dims = shape_arg(shape)
    return build(func, (indices.shape,) * len(dims), (INTP,) * len(dims), (indices,))


@projects(np.ravel_multi_index)
def ravel_multi_index(func: Any, /, multi_index: Any, dims: Any, mode: Any = "raise",
                      order: Any = "C") -> Estimate:
    parts = [as_array(x) for x in multi_index]
    shape = broadcast_shapes([p.shape for p in parts])
    return build(func, (shape,), (INTP,), tuple(parts))


@projects(np.ediff1d)
def ediff1d(func: Any, /, ary: Any, to_end: Any = None, to_begin: Any = None) -> Estimate:
    """ary raveled (a copy where it is not C-contiguous), then ary[1:] - ary[:-1]: in
    the subtraction's dtype, or, with to_begin or to_end, written into an array of
    ary's own dtype (those must cast to it, same_kind)."""
    a = as_array(ary)
    n = max(a.size - 1, 0)
    pair = np.zeros(2, a.dtype)
    dtype = np.subtract(pair[1:], pair[:-1]).dtype  # NumPy's error for bool data
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is not None:
            if not np.can_cast(np.asanyarray(extra), a.dtype, casting="same_kind"):
                raise TypeError(f"dtype of `{name}` must be compatible with input `ary` "
                                "under the `same_kind` rule.")
            n += np.size(extra)
            dtype = a.dtype
    ravel = 0 if a.flags.c_contiguous else a.size * a.itemsize
    return build(func, ((n,),), (dtype,), (a,), extra=ravel)


@projects(np.bincount)
def bincount(func: Any, x: Any, /, weights: Any = None, minlength: Any = 0) -> Estimate:
    """max(minlength, max(x) + 1) counts (intp, or float64 with weights; an empty x
    gives intp zeros either way); max(x) is one pass over x that allocates nothing,
    so the projection is exact. x and the weights are read as contiguous intp and
    float64 (copies where they are not)."""
    x = as_array(x)
    w = None if weights is None else as_array(weights)
    for v in (x,) if w is None else (x, w):
        if v.ndim > 1:
            raise ValueError("object too deep for desired array")
        if v.ndim < 1:
            raise ValueError("object of too small depth for desired array")
    # NumPy's casts and its checks of minlength, on stand-ins of x's size (at most 1)
    np.bincount(np.zeros(min(x.size, 1), x.dtype), minlength=minlength,
                weights=None if w is None else np.zeros(min(x.size, 1), w.dtype))
    if w is not None and w.size != x.size:
        raise ValueError("The weights and list don't have the same length.")
    copies = x.size * INTP.itemsize if x.dtype != INTP or not x.flags.c_contiguous else 0
    if x.size == 0:
        return build(func, ((operator.index(minlength),),), (INTP,), (x,), extra=copies)
    data = plain_array(x)
    if int(data.min()) < 0:
        raise ValueError("'list' argument must have no negative elements")
    n = max(operator.index(minlength), int(data.max()) + 1)
    if w is not None and (w.dtype != F8 or not w.flags.c_contiguous):
        copies += w.size * F8.itemsize
    dtype = F8 if w is not None else INTP
    return build(func, ((n,),), (dtype,), (x,), extra=copies)
