"""np.linalg built on the decompositions and on ufuncs: pinv, matrix_rank, cond, the
norms and multi_dot (the intermediates of the order NumPy chooses)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.linalg._linalg import _multi_dot_matrix_chain_order

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import VOID, dot_dtype
from .lapack import lapack_types, nbytes, real_of, stacked_2d
from .linalg import inv, svd


@projects(np.linalg.pinv)
def pinv(func: Any, /, a: Any, rcond: Any = None, hermitian: Any = False, *,
         rtol: Any = np._NoValue) -> Estimate:
    """svd(full_matrices=False), then vt.T @ (s * u.T): (…, N, M)."""
    a = as_array(a)
    stacked_2d(a)
    t, r = lapack_types(a)
    *stack, m, n = a.shape
    k = min(m, n)
    factors = svd(np.linalg.svd, a, full_matrices=False, hermitian=hermitian)
    shape = tuple(stack) + (n, m)
    product = nbytes(tuple(stack) + (k, m), r)
    conj = a.nbytes if a.dtype.kind == "c" else 0
    peak = conj + max(factors.peak, factors.nbytes + product + nbytes(shape, r))
    return build(func, (shape,), (r,), (a,), peak=peak)


@projects(np.linalg.matrix_rank)
def matrix_rank(func: Any, /, A: Any, tol: Any = None, hermitian: Any = False, *,  # noqa: N803
                rtol: Any = None) -> Estimate:
    a = as_array(A)
    if a.ndim < 2:
        return build(func, ((),), (np.dtype(np.intp),), (a,), peak=a.size)  # a == 0
    values = svd(np.linalg.svd, a, compute_uv=False, hermitian=hermitian)
    shape = a.shape[:-2]
    peak = values.peak + values.nbytes // values.dtype.itemsize  # and S > tol
    return build(func, (shape,), (np.dtype(np.intp),), (a,), peak=peak)


@projects(np.linalg.cond)
def cond(func: Any, /, x: Any, p: Any = None) -> Estimate:
    """p None, 2, -2: singular values; otherwise inv(x) and two norms."""
    x = as_array(x)
    stacked_2d(x)
    t, r = lapack_types(x)
    shape = x.shape[:-2]
    dtype = real_of(r)
    if p in (None, 2, -2):
        step = svd(np.linalg.svd, x, compute_uv=False)
    else:
        inverse = inv(np.linalg.inv, x)
        norm_step = norm(np.linalg.norm, x, p, (-2, -1))
        step = inverse._replace(temporaries=inverse.temporaries + norm_step.peak)
    return build(func, (shape,), (dtype,), (x,), peak=step.peak + 2 * nbytes(shape, dtype))


@projects(np.linalg.norm)
def norm(func: Any, /, x: Any, ord: Any = None, axis: Any = None,  # noqa: A002
         keepdims: Any = False) -> Estimate:
    """NumPy converts integers to float first (a copy), then reduces |x| or x*conj(x):
    one temporary of the input's size (two for a general p, an SVD for 2, -2, 'nuc')."""
    x = as_array(x)
    stand = np.ones((1,) * x.ndim, x.dtype) if x.ndim else np.ones((), x.dtype)
    dtype = np.asarray(np.linalg.norm(stand, ord, axis, keepdims)).dtype
    work = x.dtype if x.dtype.kind in "fcO" else np.dtype(float)
    copy = 0 if work == x.dtype else nbytes(x.shape, work)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = normalize_axis_tuple(axis if isinstance(axis, tuple) else (axis,), x.ndim)
    if keepdims:
        shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    temp = nbytes(x.shape, real_of(work) if work.kind != "O" else work)
    if axis is None and ord is None:
        temp = 0 if x.flags.c_contiguous or x.flags.f_contiguous else nbytes(x.shape, work)
    elif len(axes) == 2 and ord in (2, -2, "nuc"):
        moved = np.moveaxis(np.empty(x.shape, VOID), axes, (-2, -1))
        temp = svd(np.linalg.svd, np.empty(moved.shape, work), compute_uv=False).peak
    elif ord not in (None, 1, -1, np.inf, -np.inf, "fro", 2, 0):
        temp *= 2  # abs(x) ** ord
    return build(func, (shape,), (dtype,), (x,), peak=copy + temp + nbytes(shape, dtype))


@projects(np.linalg.vector_norm)
def vector_norm(func: Any, x: Any, /, *, axis: Any = None, keepdims: Any = False,
                ord: Any = 2) -> Estimate:  # noqa: A002
    """Reshapes x to put the axes together (a copy where the layout needs one)."""
    x = as_array(x)
    axes = (tuple(range(x.ndim)) if axis is None else
            normalize_axis_tuple(axis if isinstance(axis, tuple) else (axis,), x.ndim))
    inner = norm(np.linalg.norm, x, ord if ord != 2 else None, None if axis is None else
                 axes[0] if len(axes) == 1 else None, False)
    stand = np.ones((1,) * x.ndim, x.dtype)
    dtype = np.asarray(np.linalg.vector_norm(stand, axis=axis, keepdims=keepdims,
                                             ord=ord)).dtype
    if keepdims:
        shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    copy = x.nbytes if len(axes) > 1 and not x.flags.c_contiguous else 0
    return build(func, (shape,), (dtype,), (x,),
                 peak=copy + inner.peak - inner.nbytes + nbytes(shape, dtype))


@projects(np.linalg.matrix_norm)
def matrix_norm(func: Any, x: Any, /, *, keepdims: Any = False, ord: Any = "fro") -> Estimate:
    x = as_array(x)
    stacked_2d(x)
    est = norm(np.linalg.norm, x, ord, (-2, -1), keepdims)
    return est._replace(func=func)


@projects(np.linalg.multi_dot)
def multi_dot(func: Any, /, arrays: Any, *, out: Any = None) -> Estimate:
    """The order NumPy chooses (its own chain-order rule, run on 0-byte stand-ins), and
    the intermediates alive along it; a 1-D first or last array is a row or column."""
    arrays = [as_array(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    shapes = [a.shape for a in arrays]
    first_1d, last_1d = len(shapes[0]) == 1, len(shapes[-1]) == 1
    if first_1d:
        shapes[0] = (1,) + shapes[0]
    if last_1d:
        shapes[-1] = shapes[-1] + (1,)
    if any(len(s) != 2 for s in shapes):
        raise ValueError("multi_dot: every array but the first and last must be 2-D")
    for left, right in zip(shapes, shapes[1:]):
        if left[1] != right[0]:
            raise ValueError("shapes not aligned")
    dtype = arrays[0].dtype
    for a in arrays[1:]:
        dtype = dot_dtype(np.empty(0, dtype), a)
    item = dtype.itemsize
    n = len(shapes)
    peak = 0
    if n > 2:
        order = (None if n == 3 else
                 _multi_dot_matrix_chain_order([np.empty(s, VOID) for s in shapes]))
        peak = _chain_peak(shapes, order, 0, n - 1, item)[1]
    shape = (shapes[0][0], shapes[-1][1])
    result = shape[(1 if first_1d else 0):(1 if last_1d else 2)]
    result_bytes = 0 if out is not None else math.prod(result) * item
    return build(func, (result,), (dtype if out is None else out.dtype,), tuple(arrays),
                 outs=(out,), peak=max(peak, result_bytes))


def _chain_peak(shapes: list, order: Any, i: int, j: int, item: int) -> tuple[int, int]:
    """(bytes of the product of shapes[i..j], peak bytes while computing it)."""
    if i == j:
        return 0, 0
    if order is None:  # three arrays: NumPy's _multi_dot_three compares two costs
        (a0, a1b0), (b1c0, c1) = shapes[0], shapes[2]
        ab_first = a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0)
        inner = a0 * b1c0 if ab_first else a1b0 * c1
        total = a0 * c1
        return total * item, (inner + total) * item
    k = order[i, j]
    left, left_peak = _chain_peak(shapes, order, i, k, item)
    right, right_peak = _chain_peak(shapes, order, k + 1, j, item)
    mine = shapes[i][0] * shapes[j][1] * item
    return mine, max(left_peak, left + right_peak, left + right + mine)
