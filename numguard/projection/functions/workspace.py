"""What numpy.linalg's gufuncs take with plain malloc, per matrix: the linearized
(Fortran-order) copies of the operands and outputs, and LAPACK's work arrays.

NumPy's umath_linalg.cpp allocates both with malloc, outside NumPy's allocator: real
memory that neither tracemalloc nor an allocation backstop sees (the Estimate's
`outside`). They are reused along a stack of matrices.

The work arrays' sizes are what LAPACK's workspace query answers, which depends on
the LAPACK build (block sizes from ILAENV): these formulas reproduce the answers of
the OpenBLAS NumPy bundles (block size 32; checked on NumPy 2.4 for the shapes in
tests/test_projection_linalg.py) and are a model elsewhere (MKL, Accelerate). Sizes
are in elements of the LAPACK type `t` unless said otherwise; results in bytes.
"""

from __future__ import annotations

import math

import numpy as np

#: OpenBLAS's block size for the blocked LAPACK routines (ILAENV).
NB = 32
_INT = 4  # LAPACK's integer (fortran_int) in NumPy's bundles


def _real(t: np.dtype) -> int:
    return t.itemsize // 2 if t.kind == "c" else t.itemsize


def gesdd(m: int, n: int, jobz: str, t: np.dtype) -> int:
    """svd: a, s, u, vt, iwork (and rwork for complex) in one block, then work.
    jobz "N" (values only), "S" (reduced) or "A" (full)."""
    mn, mx = min(m, n), max(m, n)
    u_rows, vt_cols = {"N": (0, 0), "S": (mn, mn), "A": (m, n)}[jobz]
    block = (m * n + u_rows * m + n * vt_cols) * t.itemsize + mn * _real(t) + 8 * mn * _INT
    tall = mx >= mn * 11 // 6
    if t.kind == "c":
        rwork = 7 * mn if jobz == "N" else 5 * mn * mn + 5 * mn  # touched as reals
        block += rwork * _real(t)
        if jobz == "N":
            work = 2 * mn + (2 * mn if tall else m + n) * NB
        elif tall and jobz == "A":
            work = mn * mn + mn + mx * NB
        else:
            work = 2 * mn + (m + n) * NB
    elif jobz == "N":
        work = 3 * mn + (2 * mn if tall else m + n) * NB + 7 * mn
    elif tall:
        work = max(4 * mn * mn + 7 * mn, mn * mn + 3 * mn + 2 * mn * NB)
        if jobz == "A":
            work = max(work, mn * mn + mn + mx * NB)
    else:
        work = max(3 * mn + (m + n) * NB, 3 * mn * mn + 7 * mn)
    return block + max(work, 1) * t.itemsize


def syevd(n: int, vectors: bool, t: np.dtype) -> int:
    """eigh/eigvalsh: a and w, then work (and rwork for complex) and iwork."""
    block = n * n * t.itemsize + n * _real(t)
    if vectors:
        if t.kind == "c":
            work = (n * n + 2 * n) * t.itemsize + (1 + 5 * n + 2 * n * n) * _real(t)
        else:
            work = (1 + 6 * n + 2 * n * n) * t.itemsize
        return block + work + (3 + 5 * n) * _INT
    work = (NB + 2) * n * t.itemsize + (n * _real(t) if t.kind == "c" else 0)
    return block + work + _INT


def geev(n: int, vectors: bool, t: np.dtype) -> int:
    """eig/eigvals: a, the real and imaginary parts, the vectors and their complex
    form (real types), or a, w, the vectors and rwork (complex), then work."""
    if t.kind == "c":
        block = (n * n + n + (n * n if vectors else 0)) * t.itemsize + 2 * n * _real(t)
    else:
        vr = n * n if vectors else 0
        block = (n * n + 2 * n + vr + 2 * n + 2 * vr) * t.itemsize
    work = (4 * NB + 2) * n if vectors else (NB + 15) * n
    return block + work * t.itemsize


def gesv(n: int, rhs: int, t: np.dtype) -> int:
    """solve/inv (inv: rhs = n, an identity): a, b and the pivots."""
    return (n * n + n * rhs) * t.itemsize + n * _INT


def getrf(n: int, t: np.dtype) -> int:
    """det/slogdet: a and the pivots."""
    return n * n * t.itemsize + n * _INT


def potrf(n: int, t: np.dtype) -> int:
    """cholesky: a."""
    return n * n * t.itemsize


def geqrf(m: int, n: int, t: np.dtype) -> int:
    """qr's factorization: a and tau, then work."""
    return (m * n + min(m, n) + max(n, 1) * NB) * t.itemsize


def orgqr(m: int, n: int, mc: int, t: np.dtype) -> int:
    """qr's q: q, tau and a, then work."""
    return (m * mc + min(m, n) + m * n + max(mc, n, 1) * NB) * t.itemsize


def gelsd(m: int, n: int, rhs: int, t: np.dtype) -> int:
    """lstsq: a, b (max(m, n) rows), s, then work and iwork (rwork for complex)."""
    mn, mx = min(m, n), max(m, n)
    block = (m * n + mx * rhs) * t.itemsize + mn * _real(t)
    levels = max(int(math.log2(mn / 26)) + 1, 0) if mn else 0
    base = 12 * mn + 2 * mn * 25 + 8 * mn * levels + mn * rhs + 26 * 26
    if m < n:
        base += m * m + m
    iwork = (3 * mn * levels + 11 * mn) * _INT
    rwork = base * _real(t) if t.kind == "c" else 0
    return block + base * t.itemsize + iwork + rwork
