"""np.linalg.norm, vector_norm and matrix_norm: the temporaries of each `ord`.

NumPy converts non-float data to float64 first (a copy), then reduces an array of
the input's size: |x| for ord 1, inf, -inf and the general p (raised to p in place),
x != 0 as floats for ord 0, x * conj(x) for 2 and "fro" (for complex data the
conjugate is a second array), or singular values for 2, -2 and "nuc" of matrices.
The default of a whole array is one dot product of the raveled input (a copy only
where it is not contiguous). vector_norm ravels or reshapes first (a copy where
the layout needs one).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..ndarray_methods import ravel_copies, reshape_copies
from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import data_free, elides
from .lapack import real_of
from .linalg import svd

_INF = float("inf")


@projects(np.linalg.norm)
def norm(func: Any, /, x: Any, ord: Any = None, axis: Any = None,  # noqa: A002
         keepdims: Any = False) -> Estimate:
    x = as_array(x)
    stand = np.ones((1,) * x.ndim, x.dtype) if x.ndim else np.ones((), x.dtype)
    dtype = np.asarray(np.linalg.norm(stand, ord, axis, keepdims)).dtype
    work = x.dtype if x.dtype.kind in "fcO" else np.dtype(float)
    copy = 0 if work == x.dtype else x.size * work.itemsize
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = normalize_axis_tuple(axis if isinstance(axis, tuple) else (axis,), x.ndim)
    _check_minimum(x.shape, ord, axes)
    if keepdims:
        shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    result = math.prod(shape) * dtype.itemsize
    held, outside = _work(x, ord, axis, axes, work, bool(copy))
    return build(func, (shape,), (dtype,), (x,), peak=copy + held + result, outside=outside)


def _check_minimum(shape: tuple, ord: Any, axes: tuple) -> None:
    """The orders that end in a minimum (-inf of vectors; -1, -inf, -2 of matrices)
    raise NumPy's error where that minimum is over nothing."""
    lengths = [shape[i] for i in axes]
    empty = (len(axes) == 1 and ord == -_INF and lengths[0] == 0) or (len(axes) == 2 and (
        (ord == -1 and lengths[1] == 0) or (ord == -_INF and lengths[0] == 0)
        or (ord == -2 and 0 in lengths)))
    if empty:
        raise ValueError("zero-size array to reduction operation minimum which has no "
                         "identity")


def _work(x: Any, ord: Any, axis: Any, axes: tuple, work: np.dtype, copied: bool
          ) -> tuple[int, int]:
    """Bytes norm holds beside its result and its float copy, and how many of them
    LAPACK holds outside NumPy's allocator (the singular values' workspace)."""
    size, ndim = x.size, x.ndim
    real = real_of(work) if work.kind != "O" else work
    whole = size * real.itemsize
    # (x.conj() * x).real: complex data, its conjugate and the product (computed in
    # the conjugate where NumPy's elision can)
    complex_ = work.kind in "cO"
    squares = size * work.itemsize * (1 if elides(work, size * work.itemsize, work.type(0))
                                      else 2) if complex_ else whole
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        return (0 if copied or not ravel_copies(x, "K") else size * work.itemsize), 0
    if len(axes) == 1:
        if ord == 0:
            return size + whole, 0
        if ord is None or ord == 2:
            return squares, 0
        return whole, 0
    if ord in (2, -2, "nuc"):
        moved = np.moveaxis(data_free(x.shape, work), axes, (-2, -1))
        values = svd(np.linalg.svd, moved, compute_uv=False)
        return values.peak, values.outside
    if ord in (None, "fro", "f"):
        return squares, 0
    row = x.shape[axes[0] if ord in (1, -1) else axes[1]] or 1
    return whole + whole // row, 0  # |x|, and its sum along one axis


@projects(np.linalg.vector_norm)
def vector_norm(func: Any, x: Any, /, *, axis: Any = None, keepdims: Any = False,
                ord: Any = 2) -> Estimate:  # noqa: A002
    """x.ravel() (axis=None) or the axes moved first and reshaped into one, then
    norm along that one axis."""
    x = as_array(x)
    stand = np.ones((1,) * x.ndim, x.dtype)
    dtype = np.asarray(np.linalg.vector_norm(stand, axis=axis, keepdims=keepdims,
                                             ord=ord)).dtype
    if axis is None:
        flat, inner_axis = (x.size,), 0
        copy = 0 if x.flags.c_contiguous else x.nbytes
    elif isinstance(axis, tuple):
        axes = normalize_axis_tuple(axis, x.ndim)
        rest = tuple(i for i in range(x.ndim) if i not in axes)
        flat = (math.prod(x.shape[i] for i in axes),) + tuple(x.shape[i] for i in rest)
        view = np.transpose(x, axis + rest)
        copy = x.nbytes if reshape_copies(view, (flat,), "C") else 0
        inner_axis = 0
    else:
        flat, inner_axis, copy = x.shape, axis, 0
    inner = norm(np.linalg.norm, data_free(flat, x.dtype), ord, inner_axis, False)
    all_axes = range(x.ndim) if axis is None else normalize_axis_tuple(axis, x.ndim)
    if keepdims:
        shape = tuple(1 if i in all_axes else n for i, n in enumerate(x.shape))
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in all_axes)
    return build(func, (shape,), (dtype,), (x,), peak=copy + inner.peak)


@projects(np.linalg.matrix_norm)
def matrix_norm(func: Any, x: Any, /, *, keepdims: Any = False, ord: Any = "fro") -> Estimate:
    x = as_array(x)
    if x.ndim < 2:
        raise np.linalg.LinAlgError(f"{x.ndim}-dimensional array given. Array must be at "
                                    "least two-dimensional")
    est = norm(np.linalg.norm, x, ord, (-2, -1), keepdims)
    return est._replace(func=func)
