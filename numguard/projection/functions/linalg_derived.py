"""np.linalg built on the decompositions and on ufuncs: pinv, matrix_rank, cond and
multi_dot (the intermediates of the order NumPy chooses); the norms are in `norms`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.linalg._linalg import _multi_dot_matrix_chain_order

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import VOID, data_free, dot_dtype
from .lapack import lapack_types, nbytes, real_of, stacked_2d
from .linalg import inv, svd
from .norms import norm


def phases(*steps: tuple[int, int]) -> dict:
    """`build`'s peak and outside for a call made of steps, each (the bytes held at its
    worst, the part of them NumPy's allocator holds)."""
    peak = max(total for total, _ in steps)
    return {"peak": peak, "outside": peak - max(held for _, held in steps)}


def _step(est: Estimate, before: int = 0) -> tuple[int, int]:
    """An estimated call as a step, with `before` allocator bytes alive beside it."""
    return before + est.peak, before + est.allocator_peak


@projects(np.linalg.pinv)
def pinv(func: Any, /, a: Any, rcond: Any = None, hermitian: Any = False, *,
         rtol: Any = np._NoValue) -> Estimate:
    """a.conjugate() (a copy of complex data), svd(full_matrices=False), then
    vt.T @ (s * u.T): (..., N, M)."""
    a = as_array(a)
    stacked_2d(a)
    t, r = lapack_types(a)
    *stack, m, n = a.shape
    k = min(m, n)
    shape = tuple(stack) + (n, m)
    if a.size == 0:
        return build(func, (shape,), (a.dtype,), (a,))
    factors = svd(np.linalg.svd, a, full_matrices=False, hermitian=hermitian)
    product = nbytes(tuple(stack) + (k, m), r)
    conj = a.nbytes if a.dtype.kind == "c" else 0
    last = conj + factors.nbytes + product + nbytes(shape, r)
    return build(func, (shape,), (r,), (a,), **phases(_step(factors, conj), (last, last)))


@projects(np.linalg.matrix_rank)
def matrix_rank(func: Any, /, A: Any, tol: Any = None, hermitian: Any = False, *,  # noqa: N803
                rtol: Any = None) -> Estimate:
    a = as_array(A)
    if a.ndim < 2:
        return build(func, ((),), (np.dtype(np.intp),), (a,), peak=a.size)  # a == 0
    values = svd(np.linalg.svd, a, compute_uv=False, hermitian=hermitian)
    shape = a.shape[:-2]
    last = values.nbytes + values.nbytes // values.dtype.itemsize  # and S > tol
    return build(func, (shape,), (np.dtype(np.intp),), (a,),
                 **phases(_step(values), (last, last)))


@projects(np.linalg.cond)
def cond(func: Any, /, x: Any, p: Any = None) -> Estimate:
    """p None, 2, -2: singular values; otherwise inv(x) (in the LAPACK type) and the
    norms of x and of the inverse."""
    x = as_array(x)
    stacked_2d(x)
    t, r = lapack_types(x)
    shape = x.shape[:-2]
    dtype = real_of(r)
    last = 2 * nbytes(shape, dtype)
    if p in (None, 2, -2):
        values = svd(np.linalg.svd, x, compute_uv=False)
        return build(func, (shape,), (dtype,), (x,),
                     **phases(_step(values), (values.nbytes + last, values.nbytes + last)))
    inverse = inv(np.linalg.inv, x)
    held = nbytes(x.shape, t)
    of_x = norm(np.linalg.norm, x, p, (-2, -1))
    of_inverse = norm(np.linalg.norm, data_free(x.shape, t), p, (-2, -1))
    return build(func, (shape,), (dtype,), (x,),
                 **phases(_step(inverse), _step(of_x, held),
                          _step(of_inverse, held + of_x.nbytes), (held + last, held + last)))


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
