"""np.linalg's decompositions and solvers (LAPACK): results, input copies, buffers.

Traps refused with a hint: np.linalg.svd's full_matrices=True default builds an
(M, M) `u` (298 GiB for a (200000, 10) input) and qr(mode="complete") the same `q`.
The memory model is in `lapack`.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.linalg import LinAlgError

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import data_free
from . import workspace
from .lapack import (
    cast_copies,
    complex_of,
    gufunc_estimate,
    lapack_types,
    nbytes,
    real_of,
    stacked_2d,
    stacked_square,
)

_FULL_MATRICES = "full_matrices=False"


@projects(np.linalg.svd)
def svd(func: Any, /, a: Any, full_matrices: Any = True, compute_uv: Any = True,
        hermitian: Any = False) -> Estimate:
    """u (M, M) and vh (N, N) with full_matrices, (M, K) and (K, N) without; s (K,)."""
    a = as_array(a)
    if hermitian:
        return _hermitian_svd(func, a, compute_uv)
    stacked_2d(a)
    t, r = lapack_types(a)
    *stack, m, n = a.shape
    stack, k = tuple(stack), min(m, n)
    s = (stack + (k,), real_of(t), real_of(r))
    if not compute_uv:
        outputs, jobz = [s], "N"
    else:
        cols, rows = (m, n) if full_matrices else (k, k)
        outputs = [(stack + (m, cols), t, r), s, (stack + (rows, n), t, r)]
        jobz = "A" if full_matrices else "S"
    hint = _FULL_MATRICES if compute_uv and full_matrices and m != n else ""
    return gufunc_estimate(func, (a,), outputs, copies=cast_copies(t, a),
                           outside=workspace.gesdd(m, n, jobz, t), hint=hint)


def _hermitian_svd(func: Any, a: Any, compute_uv: Any) -> Estimate:
    """hermitian=True: eigh, then |w| sorted, and u reordered (a new (M, M) array) and
    scaled by the signs (another; complex data conjugates it: a third)."""
    decomposed = _eigh(np.linalg.eigh if compute_uv else np.linalg.eigvalsh, a, "L",
                       vectors=bool(compute_uv))
    *stack, m, _ = a.shape
    stack = tuple(stack)
    w = decomposed.dtypes[0]
    values = nbytes(stack + (m,), w)
    if not compute_uv:  # sort(abs(w))[..., ::-1]: two arrays of the values
        after = decomposed.nbytes + 2 * values
        return build(func, ((stack + (m,)),), (w,), (a,),
                     peak=max(decomposed.peak, after),
                     outside=decomposed.outside if decomposed.peak > after else 0)
    vectors = decomposed.dtypes[1]
    square = nbytes(stack + (m, m), vectors)
    after = values * 4 + square * (3 if vectors.kind == "c" else 2)
    return build(func, (stack + (m, m), stack + (m,), stack + (m, m)), (vectors, w, vectors),
                 (a,), peak=max(decomposed.peak, decomposed.nbytes + square, after),
                 outside=decomposed.outside if decomposed.peak > after else 0)


@projects(np.linalg.svdvals)
def svdvals(func: Any, x: Any, /) -> Estimate:
    return svd(func, x, compute_uv=False)


@projects(np.linalg.qr)
def qr(func: Any, /, a: Any, mode: Any = "reduced") -> Estimate:
    """NumPy copies `a` to the LAPACK type first (astype(copy=True)) and factors that
    copy in place (tau); then q from a second gufunc (its own malloc'd copies of q
    and a), and r = triu(a[..., :mc, :]) through a boolean mask."""
    if mode not in ("reduced", "complete", "r", "raw", "economic"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    a = as_array(a)
    stacked_2d(a)
    t, r = lapack_types(a)
    *stack, m, n = a.shape
    stack, k = tuple(stack), min(m, n)
    copy = nbytes(a.shape, t)
    tau = nbytes(stack + (k,), t)
    factor = copy + tau + workspace.geqrf(m, n, t)  # the first gufunc, at its worst
    factor_alloc = copy + tau
    if mode in ("raw", "economic"):
        if mode == "economic":  # removed from NumPy 2: the call raises before this
            raise ValueError(f"Unrecognized mode '{mode}'")
        shapes, dtypes = (stack + (n, m), stack + (k,)), (r, r)
        recast = (nbytes(shapes[0], r) + nbytes(shapes[1], r)) if r != t else 0
        return build(func, shapes, dtypes, (a,), peak=max(factor, copy + tau + recast),
                     outside=max(factor, copy + tau + recast) - max(factor_alloc,
                                                                     copy + tau + recast))
    mc = m if mode == "complete" and m > n else k
    r_shape = stack + (mc, n)
    mask = mc * n
    r_bytes = nbytes(r_shape, t) + (nbytes(r_shape, r) if r != t else 0)
    if mode == "r":
        after = copy + tau + mask + r_bytes
        return build(func, (r_shape,), (r,), (a,), peak=max(factor, after),
                     outside=max(factor, after) - max(factor_alloc, after))
    q_shape = stack + (m, mc)
    q = nbytes(q_shape, t)
    q_phase = copy + tau + q + workspace.orgqr(m, n, mc, t)
    q_recast = nbytes(q_shape, r) if r != t else 0
    after = copy + tau + q + max(mask + nbytes(r_shape, t), q_recast + r_bytes)
    total = max(factor, q_phase, after)
    return build(func, (q_shape, r_shape), (r, r), (a,), peak=total,
                 outside=total - max(copy + tau + q, after),
                 hint='mode="reduced"' if mc > k else "")


@projects(np.linalg.eig)
def eig(func: Any, /, a: Any) -> Estimate:
    return _eig(func, a, vectors=True)


@projects(np.linalg.eigvals)
def eigvals(func: Any, /, a: Any) -> Estimate:
    return _eig(func, a, vectors=False)


def _eig(func: Any, a: Any, vectors: bool) -> Estimate:
    """Complex results, or real views of them where every eigenvalue is real (the data
    decides): the complex arrays are what is held, a bound. NumPy first checks that
    `a` is finite (a boolean array of its size)."""
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    *stack, m, _ = a.shape
    stack = tuple(stack)
    ct, cr = complex_of(t), complex_of(r)
    outputs = [(stack + (m,), ct, cr)]
    if vectors:
        outputs.append((stack + (m, m), ct, cr))
    return gufunc_estimate(func, (a,), outputs, copies=cast_copies(t, a) + a.size,
                           outside=workspace.geev(m, vectors, t), exact=False)


@projects(np.linalg.eigh)
def eigh(func: Any, /, a: Any, UPLO: Any = "L") -> Estimate:  # noqa: N803 - NumPy's name
    return _eigh(func, a, UPLO, vectors=True)


@projects(np.linalg.eigvalsh)
def eigvalsh(func: Any, /, a: Any, UPLO: Any = "L") -> Estimate:  # noqa: N803
    return _eigh(func, a, UPLO, vectors=False)


def _eigh(func: Any, a: Any, uplo: Any, vectors: bool) -> Estimate:
    if not isinstance(uplo, str) or uplo.upper() not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    *stack, m, _ = a.shape
    stack = tuple(stack)
    outputs = [(stack + (m,), real_of(t), real_of(r))]
    if vectors:
        outputs.append((stack + (m, m), t, r))
    return gufunc_estimate(func, (a,), outputs, copies=cast_copies(t, a),
                           outside=workspace.syevd(m, vectors, t))


@projects(np.linalg.inv)
def inv(func: Any, /, a: Any) -> Estimate:
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    m = a.shape[-1]
    return gufunc_estimate(func, (a,), [(a.shape, t, r)], copies=cast_copies(t, a),
                           outside=workspace.gesv(m, m, t))


@projects(np.linalg.cholesky)
def cholesky(func: Any, a: Any, /, *, upper: Any = False) -> Estimate:
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    m = a.shape[-1]
    return gufunc_estimate(func, (a,), [(a.shape, t, r)], copies=cast_copies(t, a),
                           outside=workspace.potrf(m, t))


@projects(np.linalg.det)
def det(func: Any, /, a: Any) -> Estimate:
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    m = a.shape[-1]
    return gufunc_estimate(func, (a,), [(a.shape[:-2], t, r)], copies=cast_copies(t, a),
                           outside=workspace.getrf(m, t))


@projects(np.linalg.slogdet)
def slogdet(func: Any, /, a: Any) -> Estimate:
    a = as_array(a)
    stacked_square(a)
    t, r = lapack_types(a)
    m, stack = a.shape[-1], a.shape[:-2]
    return gufunc_estimate(func, (a,), [(stack, t, r), (stack, real_of(t), real_of(r))],
                           copies=cast_copies(t, a), outside=workspace.getrf(m, t))


@projects(np.linalg.solve)
def solve(func: Any, /, a: Any, b: Any) -> Estimate:
    """b of one dimension is one right-hand side; otherwise stacks broadcast."""
    a, b = as_array(a), as_array(b)
    stacked_square(a)
    t, r = lapack_types(a, b)
    m = a.shape[-1]
    if b.ndim == 1:
        if b.shape[0] != m:
            raise ValueError("solve: operand 1 has a mismatch in its core dimension 0")
        shape, rhs = a.shape[:-2] + (m,), 1
    else:
        if b.shape[-2] != m:
            raise ValueError("solve: operand 1 has a mismatch in its core dimension 0")
        rhs = b.shape[-1]
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, rhs)
    return gufunc_estimate(func, (a, b), [(shape, t, r)], copies=cast_copies(t, a, b),
                           outside=workspace.gesv(m, rhs, t))


@projects(np.linalg.lstsq)
def lstsq(func: Any, /, a: Any, b: Any, rcond: Any = None) -> Estimate:
    """x (N,) or (N, K), residuals (K,) or empty (the rank decides: a bound), rank, s.
    NumPy copies x once more at the end (astype(copy=True))."""
    a, b = as_array(a), as_array(b)
    rhs = 1 if b.ndim == 1 else b.shape[-1] if b.ndim == 2 else -1
    if a.ndim != 2 or rhs < 0:
        raise LinAlgError("array must be two-dimensional")
    m, n = a.shape
    if b.shape[0] != m:
        raise LinAlgError("Incompatible dimensions")
    t, r = lapack_types(a, b)
    x = (n,) if b.ndim == 1 else (n, rhs)
    outputs = [(x, t, r), ((max(rhs, 1),), real_of(t), real_of(r)), ((), np.dtype(np.intc),
               np.dtype(np.intc)), ((min(m, n),), real_of(t), real_of(r))]
    est = gufunc_estimate(func, (a, b), outputs, copies=cast_copies(t, a, b),
                          outside=workspace.gelsd(m, n, max(rhs, 1), t), exact=False)
    copy = nbytes(x, r)
    total = max(est.peak, est.nbytes + copy)
    return est._replace(temporaries=total - est.nbytes,
                        outside=est.outside if est.peak >= est.nbytes + copy else 0)


@projects(np.linalg.matrix_power)
def matrix_power(func: Any, /, a: Any, n: Any) -> Estimate:
    """Binary decomposition: the result, the running power and one product at once."""
    a = as_array(a)
    stacked_square(a)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n < 0:
        inverse = inv(np.linalg.inv, a)
        base_dtype, start, outside = inverse.dtype, inverse.peak, inverse.outside
    else:
        base_dtype, start, outside = a.dtype, 0, 0
    if n == 0:  # empty_like(a), then an identity of one matrix written into each
        return build(func, (a.shape,), (a.dtype,), (a,), extra=a.shape[-1] ** 2 * a.itemsize)
    if abs(n) == 1:
        return build(func, (a.shape,), (base_dtype,), (a,), view=n == 1, peak=start,
                     outside=outside)
    dtype = np.matmul(np.empty((0, 0), base_dtype), np.empty((0, 0), base_dtype)).dtype
    one = nbytes(a.shape, dtype)
    # n 2: one product; 3: two; beyond, binary decomposition: the result, the running
    # square and the new product
    alive = {2: 1, 3: 2}.get(abs(n), 3)
    return build(func, (a.shape,), (dtype,), (a,), peak=max(start, alive * one),
                 outside=outside if start > alive * one else 0)


@projects(np.linalg.tensorinv)
def tensorinv(func: Any, /, a: Any, ind: Any = 2) -> Estimate:
    a = as_array(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    rows = math.prod(a.shape[ind:])
    if rows == 0 or a.size % rows or a.size // rows != rows:
        raise LinAlgError("Last 2 dimensions of the array must be square")
    square = inv(np.linalg.inv, data_free((rows, rows), a.dtype))
    copy = 0 if a.flags.c_contiguous else a.nbytes  # reshape copies a non-contiguous a
    return build(func, (a.shape[ind:] + a.shape[:ind],), square.dtypes, (a,),
                 peak=square.peak + copy, outside=square.outside)


@projects(np.linalg.tensorsolve)
def tensorsolve(func: Any, /, a: Any, b: Any, axes: Any = None) -> Estimate:
    a, b = as_array(a), as_array(b)
    order = list(range(a.ndim))
    if axes is not None:
        for k in axes:
            order.remove(k)
            order.insert(a.ndim, k)
    shape = tuple(a.shape[i] for i in order)
    x_shape = shape[-(a.ndim - b.ndim):] if a.ndim > b.ndim else ()
    prod = math.prod(x_shape)
    if a.size != prod ** 2:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    square = solve(np.linalg.solve, data_free((prod, prod), a.dtype),
                   data_free((prod,), b.dtype))
    copy = a.nbytes if axes is not None or not a.flags.c_contiguous else 0
    return build(func, (x_shape,), square.dtypes, (a, b), peak=square.peak + copy,
                 outside=square.outside)
