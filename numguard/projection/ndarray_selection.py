"""ndarray selections: take, compress, repeat, choose, searchsorted, nonzero, and
the data-dependent errors NumPy raises for them (read only when a call is refused)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .broadcast import broadcast_shapes, stretches
from .indexing import out_of_bounds
from .operands import gather_exact, plain_array, repeat_copies, split_axis
from .record import Estimate, build

_ndarray = np.ndarray
_INTP = np.dtype(np.intp)
_MODES = ("raise", "wrap", "clip")


def take(
    a: np.ndarray, indices: Any, /, axis: Any = None, out: Any = None, mode: Any = "raise"
) -> Estimate | None:
    index = plain_array(indices)
    if mode not in _MODES and mode not in (0, 1, 2):
        raise ValueError("Use one of 'clip', 'raise', or 'wrap' for clip mode")
    before, length, after = split_axis(a, axis)
    shape = before + index.shape + after
    if length == 0 and math.prod(shape):
        raise IndexError("cannot do a non-empty take from an empty axes.")
    if out is not None and mode not in ("raise", 2) and not _needs_buffer(out, a):
        return None  # written straight into out
    # mode="raise" copies into a buffer before writing out (so out is untouched on error);
    # PyArray_TakeFrom reads a C-contiguous a: a copy of any other
    return build(_ndarray.take, (shape,), (a.dtype,), (a, index), exact=gather_exact(a.dtype),
                 extra=_contiguous_copy(a) + index_copy(index))


def index_copy(indices: Any) -> int:
    """The C-contiguous intp copy PyArray_TakeFrom makes of other indices."""
    index = np.asarray(indices)
    return 0 if index.dtype == _INTP and index.flags.c_contiguous else index.size * 8


def _contiguous_copy(a: np.ndarray) -> int:
    """The C-contiguous copy PyArray_TakeFrom makes of a non-contiguous a."""
    return 0 if a.flags.c_contiguous else a.size * a.itemsize


def _needs_buffer(out: Any, a: np.ndarray) -> bool:
    return (not isinstance(out, _ndarray) or out.dtype != a.dtype
            or not out.flags.c_contiguous or np.may_share_memory(out, a))


def compress(a: np.ndarray, /, condition: Any, axis: Any = None, out: Any = None) -> Estimate:
    cond = plain_array(condition)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    count = int(np.count_nonzero(cond))
    before, _, after = split_axis(a, axis)
    shape = before + (count,) + after
    # NumPy takes nonzero(condition) (the indices) in mode "raise": out, if given, is
    # buffered; a non-contiguous a is copied first
    return build(_ndarray.compress, (shape,), (a.dtype,), (a, cond), exact=gather_exact(a.dtype),
                 extra=count * 8 + _contiguous_copy(a))


def repeat(a: np.ndarray, repeats: Any, /, axis: Any = None) -> Estimate:
    counts = plain_array(repeats)
    if counts.ndim > 1:
        raise ValueError("repeats must be a scalar or a 1-d array")
    counts = counts.astype(np.intp, copy=False)  # NumPy casts repeats unsafely
    before, length, after = split_axis(a, axis)
    if counts.size == 1:
        each = int(counts.reshape(()))
        if each < 0 and length:
            raise ValueError("repeats may not contain negative values.")
        total = length * each
    elif counts.size != length:
        raise ValueError("operands could not be broadcast together")
    elif counts.size == 0:
        total = 0
    else:
        if int(counts.min()) < 0:
            raise ValueError("repeats may not contain negative values.")
        high = int(counts.max())
        total = int(counts.sum()) if high <= (2**62) // counts.size else sum(map(int, counts))
    shape = before + (total,) + after
    return build(_ndarray.repeat, (shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype),
                 extra=repeat_copies(a, plain_array(repeats)))


def choose(a: np.ndarray, /, choices: Any, out: Any = None, mode: Any = "raise") -> Estimate | None:
    if mode not in _MODES and mode not in (0, 1, 2):
        raise ValueError("Use one of 'clip', 'raise', or 'wrap' for clip mode")
    if isinstance(choices, _ndarray):
        options = [choices[i] for i in range(len(choices))]
    else:
        options = [c if type(c) in (int, float, complex) else plain_array(c) for c in choices]
    if not options:
        raise ValueError("0-length sequence")
    shapes = [a.shape] + [np.shape(c) for c in options]
    shape = broadcast_shapes(shapes)
    # The common dtype, as NumPy finds it: replay on zero-size stand-ins.
    replay = np.choose(np.zeros(0, np.intp),
                       [c if type(c) in (int, float, complex) else np.empty(0, c.dtype)
                        for c in options])
    dtype = replay.dtype
    if out is not None and mode not in ("raise", 2) and not _needs_buffer(out, a):
        return None
    operands = (a,) + tuple(np.asarray(c) if type(c) in (int, float, complex) else c
                            for c in options)
    # the choices converted to the common dtype, the indices to intp (copies)
    casts = sum(c.size * dtype.itemsize for c in options
                if type(c) not in (int, float, complex) and c.dtype != dtype)
    casts += a.size * 8 if a.dtype != np.intp else 0
    return build(_ndarray.choose, (shape,), (dtype,), operands, exact=gather_exact(dtype),
                 stretched=stretches(shapes, shape), broadcast=True, extra=casts)


def searchsorted(a: np.ndarray, v: Any, /, side: Any = "left", sorter: Any = None) -> Estimate:
    if a.ndim != 1:
        raise ValueError("searchsorted needs a 1-d array")
    values = plain_array(v)
    return build(_ndarray.searchsorted, (values.shape,), (_INTP,), (a, values),
                 extra=searchsorted_copies(a, v, sorter))


def searchsorted_copies(a: Any, v: Any, sorter: Any) -> int:
    """PyArray_SearchSorted reads `a` and `v` as C-contiguous arrays of their common
    dtype (a Python scalar v as its default array: 3 is int64), and the sorter as
    intp: copies of those that are not."""
    values = np.asarray(v)
    common = np.result_type(a.dtype, values.dtype)
    copies = sum(x.size * common.itemsize for x in (a, values)
                 if x.dtype != common or not x.flags.c_contiguous)
    if sorter is not None:
        order = np.asarray(sorter)
        copies += order.size * _INTP.itemsize if (order.dtype != _INTP or not
                                                   order.flags.c_contiguous) else 0
    return copies


def nonzero(a: np.ndarray, /) -> Estimate:
    """`ndim` index arrays, one entry per nonzero element: bounded by a.size (exact=False,
    an upper bound here; nonzero_exact counts)."""
    return _nonzero(a, None)


def nonzero_exact(a: np.ndarray, /) -> Estimate:
    """The exact nonzero estimate: one pass of np.count_nonzero over the data."""
    return _nonzero(a, int(np.count_nonzero(plain_array(a))))


def _nonzero(a: np.ndarray, count: int | None) -> Estimate:
    if a.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed.")
    n = a.size if count is None else count
    return build(_ndarray.nonzero, ((n,),) * a.ndim, (_INTP,) * a.ndim, (a,),
                 exact=count is not None)


# -- data-dependent errors ----------------------------------------------------------
# Projections read shapes, not data. When a call is refused, these say whether NumPy
# would have rejected it on its data anyway (then NumPy's own error is the better
# answer). They must be certain: True lets NumPy run.



def take_rejects(a: np.ndarray, indices: Any, /, axis: Any = None, out: Any = None,
                 mode: Any = "raise") -> bool:
    if mode not in ("raise", 2):
        return False
    before, length, _ = split_axis(a, axis)
    # NumPy checks each index once per run of the leading dimensions: none, none checked.
    return math.prod(before) > 0 and out_of_bounds(plain_array(indices), length)


def compress_rejects(a: np.ndarray, /, condition: Any, axis: Any = None, out: Any = None) -> bool:
    cond = plain_array(condition)
    before, length, _ = split_axis(a, axis)
    return cond.ndim == 1 and math.prod(before) > 0 and bool(np.count_nonzero(cond[length:]))


def choose_rejects(a: np.ndarray, /, choices: Any, out: Any = None, mode: Any = "raise") -> bool:
    if mode not in ("raise", 2):
        return False
    options = len(choices)
    shape = broadcast_shapes([a.shape] + [np.shape(c) for c in choices])
    return 0 not in shape and out_of_bounds(plain_array(a), options, negative=False)


def searchsorted_rejects(a: np.ndarray, v: Any, /, side: Any = "left", sorter: Any = None) -> bool:
    if sorter is None:
        return False
    order = plain_array(sorter)
    return order.shape != a.shape or out_of_bounds(order, a.size, negative=False)
