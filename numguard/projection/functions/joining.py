"""Joining, stacking, repeating and padding: results that grow by design."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..operands import as_array, plain_array, repeat_copies, split_axis
from ..record import Estimate, build
from ..registry import projects
from .common import INTP, atleast, concat_shape, count_nonzero, join_dtype, out_array, shape_arg, void


@projects(np.concatenate)
def concatenate(func: Any, arrays: Any, /, axis: Any = 0, out: Any = None, *,
                dtype: Any = None, casting: Any = "same_kind") -> Estimate:
    arrays = [as_array(a) for a in arrays]
    shape = concat_shape([a.shape for a in arrays], axis)
    out = out_array(out)
    result = join_dtype(arrays, dtype, casting, out)
    return build(func, (shape,), (result,), tuple(arrays), outs=(out,))


@projects(np.stack)
def stack(func: Any, /, arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None,
          casting: Any = "same_kind") -> Estimate:
    arrays = [as_array(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    first = arrays[0].shape
    if any(a.shape != first for a in arrays):
        raise ValueError("all input arrays must have the same shape")
    ax = normalize_axis_index(axis, len(first) + 1)
    shape = first[:ax] + (len(arrays),) + first[ax:]
    out = out_array(out)
    result = join_dtype(arrays, dtype, casting, out)
    return build(func, (shape,), (result,), tuple(arrays), outs=(out,))


@projects(np.hstack, np.vstack)
def hstack(func: Any, /, tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Estimate:
    return _stacked(func, tup, dtype, casting)


@projects(np.dstack, np.column_stack)
def dstack(func: Any, /, tup: Any) -> Estimate:
    return _stacked(func, tup, None)


def _stacked(func: Any, tup: Any, dtype: Any, casting: Any = "same_kind") -> Estimate:
    arrays = [as_array(a) for a in tup]
    name = func.__name__
    if name == "hstack":
        shapes = [atleast(a.shape, 1) for a in arrays]
        axis = 0 if shapes and len(shapes[0]) == 1 else 1
    elif name == "vstack":
        shapes, axis = [atleast(a.shape, 2) for a in arrays], 0
    elif name == "dstack":
        shapes, axis = [atleast(a.shape, 3) for a in arrays], 2
    else:  # column_stack
        shapes = [(a.size, 1) if a.ndim < 2 else a.shape for a in arrays]
        axis = 1
    shape = concat_shape(shapes, axis)
    return build(func, (shape,), (join_dtype(arrays, dtype, casting),), tuple(arrays))


@projects(np.block)
def block(func: Any, /, arrays: Any) -> Estimate:
    from numpy._core.shape_base import _block_info_recursion, _block_setup

    nested, list_ndim, result_ndim, _ = _block_setup(arrays)
    leaves: list = []

    def collect(x: Any) -> None:
        if isinstance(x, list):
            for item in x:
                collect(item)
        else:
            leaves.append(x)

    collect(nested)
    # NumPy's own shape logic, on zero-itemsize stand-ins (it reads shapes only).
    stand = _map_leaves(nested, lambda a: void(a.shape))
    shape, _, _ = _block_info_recursion(stand, list_ndim, result_ndim)
    dtype = np.result_type(*leaves)
    return build(func, (tuple(shape),), (dtype,), tuple(leaves))


def _map_leaves(x: Any, fn: Any) -> Any:
    if isinstance(x, list):
        return [_map_leaves(item, fn) for item in x]
    return fn(x)


@projects(np.append)
def append(func: Any, /, arr: Any, values: Any, axis: Any = None) -> Estimate:
    """concatenate((arr, values)); axis=None ravels both first (copies of those not
    C-contiguous: arr only where it has several axes)."""
    x, v = as_array(arr), as_array(values)
    copies = 0
    if axis is None:
        shape = (x.size + v.size,)
        copies = (x.nbytes if x.ndim > 1 and not x.flags.c_contiguous else 0) + (
            0 if v.flags.c_contiguous else v.nbytes)
    else:
        shape = concat_shape([x.shape, v.shape], axis)
    return build(func, (shape,), (join_dtype([x, v], None),), (x, v), extra=copies)


@projects(np.tile)
def tile(func: Any, /, A: Any, reps: Any) -> Estimate:  # noqa: N803 - NumPy's name
    a = as_array(A)
    try:
        tup = tuple(reps)
    except TypeError:
        tup = (reps,)
    tup = tuple(operator.index(r) for r in tup)
    if any(r < 0 for r in tup):
        raise ValueError("negative dimensions are not allowed")
    d = len(tup)
    shape = a.shape
    if a.ndim < d:
        shape = (1,) * (d - a.ndim) + shape
    elif d < a.ndim:
        tup = (1,) * (a.ndim - d) + tup
    result = tuple(s * r for s, r in zip(shape, tup))
    if all(r == 1 for r in tup):  # np.array(A, copy=True)
        return build(func, (result,), (a.dtype,), (a,))
    # c = c.reshape(-1, n).repeat(nrep, 0) for each axis whose repeat is not 1: each
    # new array beside the previous one (the first reshape copies a strided a)
    size, n, peak = a.size, a.size, 0
    previous = 0 if a.flags.c_contiguous else a.nbytes
    for length, nrep in zip(shape, tup):
        if size and nrep != 1:
            new = size * nrep
            peak = max(peak, previous + new * a.itemsize)
            previous, size = new * a.itemsize, new
        n = n // length if length else n
    return build(func, (result,), (a.dtype,), (a,), peak=peak)


@projects(np.repeat)
def repeat(func: Any, /, a: Any, repeats: Any, axis: Any = None) -> Estimate:
    """PyArray_Repeat: `a` as a C-contiguous array (raveled for axis=None; a copy where
    it is not one, even for an empty result), the counts as intp."""
    a, counts = as_array(a), np.asarray(repeats)
    before, length, after = split_axis(a, axis)
    shape, ax = before + (length,) + after, len(before)
    if counts.dtype.kind == "O":  # Python ints beyond int64: NumPy's OverflowError
        counts = np.asarray(repeats, dtype=np.intp)
    elif not np.can_cast(counts.dtype, np.intp, "safe"):
        raise TypeError(f"Cannot cast array data from {counts.dtype!r} to "
                        f"{np.dtype(np.intp)!r} according to the rule 'safe'")
    if counts.ndim > 1:
        raise ValueError("repeats must be a scalar or a 1-d array")
    if counts.size == 1:
        length = shape[ax] * int(counts.reshape(-1)[0])  # NumPy allows -1 on empty axes
        if length < 0:
            raise ValueError("negative dimensions are not allowed")
    else:
        if counts.size != shape[ax]:
            raise ValueError("operands could not be broadcast together")
        if counts.size and int(counts.min()) < 0:
            raise ValueError("repeats may not contain negative values.")
        length = int(counts.sum(dtype=np.int64))
    result = shape[:ax] + (length,) + shape[ax + 1:]
    return build(func, (result,), (a.dtype,), (a,), extra=repeat_copies(a, counts))



@projects(np.pad)
def pad(func: Any, /, array: Any, pad_width: Any, mode: Any = "constant",
        **kwargs: Any) -> Estimate:
    a = as_array(array)
    width = np.asarray(pad_width)
    if width.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    pairs = np.broadcast_to(width, (a.ndim, 2))
    if (pairs < 0).any():
        raise ValueError("index can't contain negative values")
    shape = tuple(n + int(lo) + int(hi) for n, (lo, hi) in zip(a.shape, pairs.tolist()))
    if a.size == 0 and mode not in ("constant", "empty") and not callable(mode):
        for axis, (n, (lo, hi)) in enumerate(zip(a.shape, pairs.tolist())):
            if n == 0 and (lo or hi):
                raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                 "'constant' or 'empty'")
    return build(func, (shape,), (a.dtype,), (a,))


@projects(np.resize)
def resize(func: Any, /, a: Any, new_shape: Any) -> Estimate:
    """ravel(a) (a copy where not C-contiguous), then a[:new_size] of the
    concatenation of enough copies of it: the result views that whole concatenation."""
    a = as_array(a)
    shape = shape_arg(new_shape)
    if any(n < 0 for n in shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    size = math.prod(shape)
    ravel = 0 if a.flags.c_contiguous else a.nbytes
    if a.size == 0 or size == 0:  # zeros_like(a, shape=new_shape)
        return build(func, (shape,), (a.dtype,), (a,), extra=ravel)
    repeats = -(-size // a.size)
    joined = repeats * a.size * a.itemsize
    dtype = np.concatenate([np.empty(0, a.dtype)] * 2).dtype  # native byte order
    # concatenate((a,) * repeats): the tuple, and concatenate's own bookkeeping of
    # each array in it (pointers, dtypes): about 40 bytes a repeat (measured)
    return build(func, (shape,), (dtype,), (a,), nbytes=joined, extra=ravel + 40 * repeats,
                 exact=a.dtype.kind != "T")


@projects(np.meshgrid)
def meshgrid(func: Any, /, *xi: Any, copy: Any = True, sparse: Any = False,
             indexing: Any = "xy") -> Estimate:
    xs = [as_array(x) for x in xi]
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    full = [x.size for x in xs]
    if indexing == "xy" and len(xs) > 1:
        full[0], full[1] = full[1], full[0]
    n = len(xs)
    if sparse:
        shapes = []
        for i in range(n):
            s = [1] * n
            j = i
            if indexing == "xy" and n > 1 and i < 2:
                j = 1 - i
            s[j] = xs[i].size
            shapes.append(tuple(s))
    else:
        shapes = [tuple(full)] * n
    # copy=False: broadcast views
    return build(func, tuple(shapes), tuple(x.dtype for x in xs), tuple(xs), view=not copy)


@projects(np.vander)
def vander(func: Any, /, x: Any, N: Any = None, increasing: Any = False) -> Estimate:  # noqa: N803
    x = as_array(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = x.size if N is None else operator.index(N)
    dtype = np.promote_types(x.dtype, int)
    return build(func, ((x.size, n),), (dtype,), (x,))


@projects(np.diag, np.diagflat)
def diag(func: Any, /, v: Any, k: Any = 0) -> Estimate:
    v = as_array(v)
    k = operator.index(k)
    if func.__name__ == "diagflat" or v.ndim == 1:
        n = (v.size if func.__name__ == "diagflat" else v.shape[0]) + abs(k)
        return build(func, ((n, n),), (v.dtype,), (v,))
    if v.ndim != 2:
        raise ValueError("Input must be 1- or 2-d.")
    # np.diagonal: a read-only view
    return build(func, (np.diagonal(void(v.shape), k).shape,), (v.dtype,), (v,), view=True)


@projects(np.insert)
def insert(func: Any, /, arr: Any, obj: Any, values: Any, axis: Any = None) -> Estimate:
    """NumPy's insert: the new length is known from the shapes (a boolean obj: its
    nonzero count), so the projection is exact. One index: `values` converted to
    arr's dtype (ndmin=arr.ndim; moved to the axis for a scalar index), copied in
    with slices. Several: the indices (a copy), their sort order and an arange, a
    mask of the old entries, then `new[..., indices] = values` and `new[..., mask] =
    arr` (the mask as nonzero indices where arr has more than one axis). axis=None
    works on arr raveled (a copy where it is not C-contiguous)."""
    a = as_array(arr)
    shape, ravel = a.shape, 0
    if axis is None:
        if a.ndim != 1:
            shape, ravel = (a.size,), 0 if a.flags.c_contiguous else a.size * a.itemsize
        ax = len(shape) - 1
    else:
        ax = normalize_axis_index(axis, a.ndim)
    n = shape[ax]
    if isinstance(obj, slice):
        positions = range(*obj.indices(n))
        count, index_ndim, work = len(positions), 1, len(positions) * INTP.itemsize
        first = positions[0] if count == 1 else None
    else:
        index = np.asarray(obj)
        if index.dtype == bool:
            if not hasattr(obj, "ndim"):
                raise AttributeError(f"'{type(obj).__name__}' object has no attribute 'ndim'")
            if obj.ndim != 1:
                raise ValueError("boolean array argument obj to insert must be one "
                                 "dimensional")
            count, index_ndim = count_nonzero(index), 1
            first = int(np.flatnonzero(plain_array(index))[0]) if count == 1 else None
        elif index.ndim > 1:
            raise ValueError("index array argument obj to insert must be one "
                             "dimensional or scalar")
        else:
            count, index_ndim = index.size, index.ndim
            first = index.item() if count == 1 else None
        work = count * max(index.itemsize, INTP.itemsize)
    v = values if type(values) in (int, float, complex, bool) else as_array(values)
    v_shape = np.shape(v)
    if count == 1:
        if first < -n or first > n:
            raise IndexError(f"index {obj} is out of bounds for axis {ax} with size {n}")
        v_shape = (1,) * (len(shape) - len(v_shape)) + v_shape  # ndmin=arr.ndim
        if index_ndim == 0:  # np.moveaxis(values, 0, axis)
            v_shape = v_shape[1:ax + 1] + v_shape[:1] + v_shape[ax + 1:]
        added = v_shape[ax]
        target = shape[:ax] + (added,) + shape[ax + 1:]
        _fits(v_shape, target, "could not broadcast input array from shape {} into shape {}")
        converted = math.prod(v_shape) * a.itemsize if np.ndim(v) == 0 or (
            v.dtype != a.dtype) else 0
        new_shape = shape[:ax] + (n + added,) + shape[ax + 1:]
        return build(func, (new_shape,), (a.dtype,), (a,),
                     peak=ravel + converted + math.prod(new_shape) * a.itemsize)
    if count and not isinstance(obj, slice) and index.dtype.kind not in "iub":
        raise IndexError("arrays used as indices must be of integer type")
    if count and not isinstance(obj, slice) and index.dtype != bool:
        low, high = int(np.min(plain_array(index))), int(np.max(plain_array(index)))
        if low < -n or high > n:
            raise IndexError(f"index {high if high > n else low} is out of bounds for "
                             f"axis 0 with size {n + count}")
    target = shape[:ax] + (count,) + shape[ax + 1:]
    _fits(v_shape, target, "shape mismatch: value array of shape {} could not be broadcast "
          "to indexing result of shape {}")
    new_shape = shape[:ax] + (n + count,) + shape[ax + 1:]
    mask = n + count  # the old entries' mask
    nonzero = n * INTP.itemsize if len(shape) > 1 else 0
    return build(func, (new_shape,), (a.dtype,), (a,), peak=ravel + 3 * work + mask + (
        math.prod(new_shape) * a.itemsize + nonzero))


def _fits(shape: tuple, target: tuple, message: str) -> None:
    """NumPy's check of an assignment: `shape` broadcasts to `target`."""
    try:
        fits = np.broadcast_shapes(shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(message.format(shape, target))
