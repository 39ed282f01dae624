"""Selection and ordering: sort, take, diagonal, searchsorted, isin, index conversions."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..broadcast import broadcast_shapes
from ..operands import as_array
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
    return build(func, (shape,), (dtype,), (a,))


@projects(np.sort_complex)
def sort_complex(func: Any, /, a: Any) -> Estimate:
    a = as_array(a)
    dtype = np.sort_complex(np.zeros(1, a.dtype)).dtype
    return build(func, (a.shape,), (dtype,), (a,))


@projects(np.lexsort)
def lexsort(func: Any, /, keys: Any, axis: Any = -1) -> Estimate:
    first = as_array(keys[0]) if isinstance(keys, (list, tuple)) else as_array(keys)[0]
    return build(func, (first.shape,), (INTP,), (first,))


@projects(np.take)
def take(func: Any, /, a: Any, indices: Any, axis: Any = None, out: Any = None,
         mode: Any = "raise") -> Estimate:
    a, indices, out = as_array(a), as_array(indices), out_array(out)
    if axis is None:
        shape = indices.shape
    else:
        ax = normalize_axis_index(axis, a.ndim)
        shape = a.shape[:ax] + indices.shape + a.shape[ax + 1:]
    return build(func, (shape,), (a.dtype,), (a, indices), outs=(out,))


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
    a, v = as_array(a), as_array(v)
    return build(func, (v.shape,), (INTP,), (a, v))


@projects(np.interp)
def interp(func: Any, /, x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Estimate:
    x, fp = as_array(x), as_array(fp)
    dtype = np.complex128 if fp.dtype.kind == "c" else F8
    return build(func, (x.shape,), (dtype,), (x, as_array(xp), fp))


@projects(np.digitize)
def digitize(func: Any, /, x: Any, bins: Any, right: Any = False) -> Estimate:
    x = as_array(x)
    return build(func, (x.shape,), (INTP,), (x, as_array(bins)))


@projects(np.isin)
def isin(func: Any, /, element: Any, test_elements: Any, assume_unique: Any = False,
         invert: Any = False, *, kind: Any = None) -> Estimate:
    e, t = as_array(element), as_array(test_elements)
    return build(func, (e.shape,), (BOOL,), (e, t))


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
    a = as_array(ary)
    n = max(a.size - 1, 0)
    for extra in (to_end, to_begin):
        if extra is not None:
            n += np.size(extra)
    return build(func, ((n,),), (a.dtype,), (a,))


@projects(np.bincount)
def bincount(func: Any, x: Any, /, weights: Any = None, minlength: Any = 0) -> Estimate:
    """max(minlength, max(x) + 1) counts; max(x) is one pass over x that allocates
    nothing, so the projection is exact."""
    x = as_array(x)
    if x.size == 0:
        n = operator.index(minlength)
    else:
        n = max(operator.index(minlength), int(x.max()) + 1)
    dtype = F8 if weights is not None else INTP
    return build(func, ((n,),), (dtype,), (x,))
