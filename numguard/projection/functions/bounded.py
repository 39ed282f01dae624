"""Results whose size depends on the data: an upper bound (`exact=False`), or the
exact size where NumPy itself counts first (nonzero, argwhere, flatnonzero, compress,
extract)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..operands import as_array, plain_array, split_axis
from ..record import Estimate, build
from ..registry import projects
from .common import INTP, count_nonzero, nonzero_estimate, out_array


@projects(np.nonzero)
def nonzero(func: Any, /, a: Any) -> Estimate:
    """Exact: NumPy counts the nonzero elements first, and so does the projection."""
    return nonzero_estimate(func, a)


@projects(np.argwhere)
def argwhere(func: Any, /, a: Any) -> Estimate:
    """transpose(nonzero(a)): the index arrays, then their stacked (ndim, count) copy,
    which the (count, ndim) result views. A 0-d a is taken as 1-d, then sliced to
    (count, 0)."""
    a = as_array(a)
    if a.ndim == 0:
        count = count_nonzero(a)
        n = 1 if count is None else count
        return build(func, ((n, 0),), (INTP,), (a,), exact=count is not None,
                     nbytes=n * INTP.itemsize, peak=2 * n * INTP.itemsize)
    found = nonzero_estimate(np.nonzero, a)
    n = found.shapes[0][0]
    return build(func, ((n, a.ndim),), (INTP,), (a,), exact=found.exact,
                 peak=2 * found.nbytes)


@projects(np.flatnonzero)
def flatnonzero(func: Any, /, a: Any) -> Estimate:
    """nonzero(ravel(a))[0]: a copy of `a` where ravel needs one."""
    a = as_array(a)
    count = count_nonzero(a)
    copy = 0 if a.flags.c_contiguous else a.nbytes
    return build(func, ((a.size if count is None else count,),), (INTP,), (a,),
                 exact=count is not None, extra=copy)


@projects(np.extract)
def extract(func: Any, /, condition: Any, arr: Any) -> Estimate:
    """take(ravel(arr), nonzero(ravel(condition))[0])."""
    return _masked(func, as_array(condition).reshape(-1), arr, None)


@projects(np.compress)
def compress(func: Any, /, condition: Any, a: Any, axis: Any = None, out: Any = None) -> Estimate:
    condition = as_array(condition)
    if condition.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    return _masked(func, condition, a, axis, out)


def _masked(func: Any, condition: Any, a: Any, axis: Any, out: Any = None) -> Estimate:
    """The condition's nonzero count decides the length (counted: exact; object data
    is taken as all true, a bound); on the way, the indices of the nonzeros, then a
    take of a C-contiguous `a` (raveled for axis=None: a copy where it is not one), in
    mode "raise": an out= is written through a buffer."""
    a, out = as_array(a), out_array(out)
    before, length, after = split_axis(a, axis)
    count = count_nonzero(condition)
    exact = count is not None
    if count is None:
        count = min(condition.size, length)
    elif count and condition.size > length:
        beyond = np.flatnonzero(plain_array(condition)[length:])
        if beyond.size:
            if length == 0:
                raise IndexError("cannot do a non-empty take from an empty axes.")
            raise IndexError(f"index {length + int(beyond[0])} is out of bounds for axis "
                             f"{0 if axis is None else axis} with size {length}")
    shape = before + (count,) + after
    copy = 0 if a.flags.c_contiguous else a.size * a.itemsize
    buffered = math.prod(shape) * a.itemsize if out is not None else 0
    return build(func, (shape,), (a.dtype,), (a, condition), exact=exact, outs=(out,),
                 extra=count * INTP.itemsize + copy + buffered)


@projects(np.delete)
def delete(func: Any, /, arr: Any, obj: Any, axis: Any = None) -> Estimate:
    """NumPy's delete, counted: a slice or one index (copies of the kept pieces), or
    a boolean mask or indices (their distinct valid ones: a mask of the axis, then a
    boolean selection, through nonzero indices where arr has several axes). axis=None
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
    mask = 0
    if isinstance(obj, slice):
        start, stop, step = obj.indices(n)
        gone = len(range(start, stop, step))
        mask = stop - start if gone > 0 and abs(step) != 1 else 0
    else:
        index = obj if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool) else (
            np.asarray(obj))
        if np.ndim(index) == 0 or (index.size == 1 and index.dtype.kind in "ui"):
            value = int(index if np.ndim(index) == 0 else index.reshape(-1)[0])
            if value < -n or value >= n:
                raise IndexError(f"index {value} is out of bounds for axis {ax} with size {n}")
            gone = 1
        elif index.dtype == bool:
            if index.shape != (n,):
                raise ValueError("boolean array argument obj to delete must be one "
                                 f"dimensional and match the axis length of {n}")
            gone, mask = count_nonzero(index), n
        else:
            gone, mask = _distinct(index.astype(INTP) if index.size == 0 else index, n), n
    kept = shape[:ax] + (n - gone,) + shape[ax + 1:]
    selection = (n - gone) * INTP.itemsize if mask and len(shape) > 1 else 0
    return build(func, (kept,), (a.dtype,), (a,), extra=ravel + mask + selection)


def _distinct(index: np.ndarray, n: int) -> int:
    """How many entries `keep[index] = False` clears (NumPy's own errors first)."""
    if index.dtype.kind not in "iu" and index.size:
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    values = plain_array(index).reshape(-1)
    if values.size and (int(values.min()) < -n or int(values.max()) >= n):
        bad = int(values.min()) if int(values.min()) < -n else int(values.max())
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")
    return int(np.unique(values % n).size) if n else 0


@projects(np.unique, bound=True)
def unique(func: Any, /, ar: Any, return_index: Any = False, return_inverse: Any = False,
           return_counts: Any = False, axis: Any = None, *, equal_nan: Any = True,
           sorted: Any = True) -> Estimate:  # noqa: A002 - NumPy's name
    """At most every element is distinct (plus the sorted copy)."""
    a = as_array(ar)
    n = a.size if axis is None else a.shape[normalize_axis_index(axis, a.ndim)]  # rows
    shapes, dtypes = [(n,) if axis is None else a.shape], [a.dtype]
    for flag, wanted in (("index", return_index), ("inverse", return_inverse),
                         ("counts", return_counts)):
        if wanted:
            shapes.append(a.shape if (flag == "inverse" and axis is None) else (n,))
            dtypes.append(INTP)
    return build(func, tuple(shapes), tuple(dtypes), (a,), exact=False,
                 extra=_unique_work(a, axis, return_index, return_inverse, return_counts))


def _unique_work(a: Any, axis: Any, index: Any, inverse: Any, counts: Any) -> int:
    """What _unique1d holds beside its results, every element taken as distinct: the
    flattened copy (and, along an axis, the rows made contiguous first), a sort order
    and the sorted copy where indices are wanted, the boundary mask, the cumulative
    sum behind the inverse, the boundaries' positions behind the counts."""
    rows = a.size if axis is None or a.ndim <= 1 else a.shape[normalize_axis_index(axis, a.ndim)]
    copy = a.nbytes
    if axis is not None and a.ndim > 1:
        moved = np.moveaxis(a, normalize_axis_index(axis, a.ndim), 0)
        copy += 0 if moved.flags.c_contiguous else a.nbytes
    order = rows * 8 + a.nbytes if index or inverse else 0
    return copy + order + rows + (rows * 8 if inverse else 0) + (2 * rows * 8 if counts else 0)


_UNIQUE_EXTRAS = {"unique_all": ("n", "shape", "n"), "unique_inverse": ("shape",),
                  "unique_counts": ("n",), "unique_values": ()}


@projects(np.unique_all, np.unique_counts, np.unique_inverse, np.unique_values, bound=True)
def unique_all(func: Any, /, x: Any) -> Estimate:
    a = as_array(x)
    n = a.size
    kinds = _UNIQUE_EXTRAS[func.__name__]
    extras = [(n,) if kind == "n" else a.shape for kind in kinds]
    work = _unique_work(a, None, len(kinds) == 3, "shape" in kinds, "n" in kinds)
    return build(func, ((n,), *extras), (a.dtype,) + (INTP,) * len(extras), (a,),
                 extra=work, exact=False)


@projects(np.setdiff1d, np.setxor1d, bound=True)
def setdiff1d(func: Any, /, ar1: Any, ar2: Any, assume_unique: Any = False) -> Estimate:
    return _set_op(func, ar1, ar2, False)


@projects(np.intersect1d, bound=True)
def intersect1d(func: Any, /, ar1: Any, ar2: Any, assume_unique: Any = False,
                return_indices: Any = False) -> Estimate:
    return _set_op(func, ar1, ar2, return_indices)


@projects(np.union1d, bound=True)
def union1d(func: Any, /, ar1: Any, ar2: Any) -> Estimate:
    return _set_op(func, ar1, ar2, False)


def _set_op(func: Any, ar1: Any, ar2: Any, return_indices: Any) -> Estimate:
    """At most every element of both inputs, with the sorted concatenation NumPy
    builds on the way."""
    x, y = as_array(ar1), as_array(ar2)
    name = func.__name__
    dtype = x.dtype if name == "setdiff1d" else np.result_type(x, y)
    n = {"setdiff1d": x.size, "intersect1d": min(x.size, y.size)}.get(name, x.size + y.size)
    shapes, dtypes = [(n,)], [dtype]
    if name == "intersect1d" and return_indices:
        shapes += [(n,), (n,)]
        dtypes += [INTP, INTP]
    temp = (x.size + y.size) * dtype.itemsize
    return build(func, tuple(shapes), tuple(dtypes), (x, y), extra=temp, exact=False)
