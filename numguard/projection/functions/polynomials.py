"""The np.poly* helpers: 1-D coefficient arrays (lengths from the inputs' lengths, dtypes
from NumPy on short stand-ins); poly, roots and polyfit run LAPACK (eigvals, lstsq)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operands import as_array, plain_array, unit
from ..record import Estimate, build
from ..registry import projects
from . import linalg
from .common import INTP, count_nonzero, data_free, elides
from .lapack import complex_of, lapack_types


def _coefficients(p: Any) -> np.ndarray:
    a = as_array(p)
    if a.ndim > 1:
        raise ValueError("Polynomial must be 1d only.")
    return a


def _short(a: Any) -> np.ndarray:
    """Two coefficients of a's dtype: enough for NumPy to decide the result dtype."""
    return np.ones(2, as_array(a).dtype)


@projects(np.polyadd, np.polysub)
def polyadd(func: Any, /, a1: Any, a2: Any) -> Estimate:
    """The shorter one padded with leading zeros (zeros, then their concatenation),
    then the sum: computed in the concatenation where NumPy's temporary elision can
    (polysub only where the concatenation is the left operand)."""
    x, y = np.atleast_1d(as_array(a1)), np.atleast_1d(as_array(a2))
    n = max(x.shape[0], y.shape[0])
    dtype = np.asarray(func(_short(x), _short(y))).dtype
    if x.shape[0] == y.shape[0]:
        return build(func, ((n,),), (dtype,), (x, y))
    short, other = (x, y) if x.shape[0] < y.shape[0] else (y, x)
    zeros, padded = (n - short.shape[0]) * short.itemsize, n * short.itemsize
    in_place = (func is np.polyadd or short is x) and elides(short.dtype, padded, unit(other))
    return build(func, ((n,),), (dtype,), (x, y), extra=zeros + (0 if in_place else padded))


@projects(np.polymul)
def polymul(func: Any, /, a1: Any, a2: Any) -> Estimate:
    """np.convolve of the two as np.poly1d holds them: leading zeros trimmed (one zero
    left of an all-zero or empty one)."""
    x, y = _coefficients(a1), _coefficients(a2)
    dtype = np.asarray(np.polymul(_short(x), _short(y))).dtype
    n, m = _trimmed(x), _trimmed(y)
    if n is None or m is None:  # object data: its own truth decides, counted untrimmed
        n, m = max(x.size, 1), max(y.size, 1)
        return build(func, ((n + m - 1,),), (dtype,), (x, y), exact=False)
    # convolve(a, v) is correlate(a, v[::-1]): a copy of the shorter one reversed, and
    # of the longer where its dtype is not the result's
    longer = x if n >= m else y
    copies = (min(n, m) * dtype.itemsize if min(n, m) > 1 else 0) + (
        max(n, m) * dtype.itemsize if longer.dtype != dtype else 0)
    result = (n + m - 1) * dtype.itemsize
    # np.trim_zeros finds the zeros by np.argwhere: two index arrays of the nonzeros
    found = max(count_nonzero(x), count_nonzero(y)) * 2 * INTP.itemsize
    return build(func, ((n + m - 1,),), (dtype,), (x, y), peak=max(found, copies + result))


def _trimmed(a: np.ndarray) -> int | None:
    """len(np.trim_zeros(a, "f")), at least 1; found block by block from the front.
    None for data whose truth NumPy asks of each object."""
    if a.dtype.kind in "OTV":
        return None
    flat = plain_array(a).reshape(-1)
    for start in range(0, flat.size, _BLOCK):
        found = np.flatnonzero(flat[start:start + _BLOCK])
        if found.size:
            return flat.size - start - int(found[0])
    return 1


_BLOCK = 4096


@projects(np.polydiv)
def polydiv(func: Any, /, u: Any, v: Any) -> Estimate:
    """Quotient of len(u) - len(v) + 1; the remainder at most len(u) (its leading zeros
    are trimmed: the data decides)."""
    x, y = _coefficients(u), _coefficients(v)
    dtype = np.polydiv(_short(x), _short(y))[0].dtype
    q = max(x.size - y.size + 1, 1)
    # u + 0.0 and v + 0.0 (float copies), r = u.astype (a copy, whose leading zeros are
    # then sliced off: r views all of it), and d * v at each step
    floats = x.size * (x + 0.0 if x.size == 0 else np.add(x[:1], 0.0)).dtype.itemsize + (
        y.size * np.add(y[:1], 0.0).dtype.itemsize)
    return build(func, ((q,), (max(x.size, 1),)), (dtype, dtype), (x, y), exact=False,
                 extra=floats + y.size * dtype.itemsize)


@projects(np.polyder)
def polyder(func: Any, /, p: Any, m: Any = 1) -> Estimate:
    """m derivatives, one coefficient fewer each; m=0 returns the coefficients.

    Each level computes `p[:-1] * arange(n, 0, -1)` before it looks at m, and keeps
    it alive while the next level runs: m + 1 products (the last one thrown away) and
    the last arange are alive at the deepest level."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    x = _coefficients(p)
    if m == 0:
        return build(func, (x.shape,), (x.dtype,), (x,), view=True)
    dtype = np.polyder(np.ones(3, x.dtype), 1).dtype
    n, held, peak, source = x.size, 0, 0, x.dtype
    for level in range(1, m + 2):
        length = max(n - level, 0)
        # the product is computed in the arange where its elision can (integer p)
        in_place = elides(INTP, length * INTP.itemsize, np.zeros(0, source))
        peak = max(peak, held + length * (dtype.itemsize + (0 if in_place else INTP.itemsize)))
        held, source = held + length * dtype.itemsize, dtype
    return build(func, ((max(n - m, 0),),), (dtype,), (x,), peak=peak)


@projects(np.polyint)
def polyint(func: Any, /, p: Any, m: Any = 1, k: Any = None) -> Estimate:
    """m integrals, one coefficient more each; m=0 returns p itself.

    Each level divides by arange(len(p), 0, -1) (a quotient, then its concatenation
    with k[0]), and keeps its result alive while the next level runs."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    x = _coefficients(p)
    if m == 0:
        return build(func, (x.shape,), (x.dtype,), (x,), view=True)
    dtype = np.polyint(np.ones(2, x.dtype), 1).dtype
    n, item = x.size, dtype.itemsize
    before = sum(n + j for j in range(1, m)) * item  # the earlier levels' results
    last = n + m - 1  # the deepest level's input length
    deepest = max(last * (INTP.itemsize + item), (2 * last + 1) * item)
    return build(func, ((n + m,),), (dtype,), (x,), peak=before + deepest)


@projects(np.poly)
def poly(func: Any, /, seq_of_zeros: Any) -> Estimate:
    """N + 1 coefficients, by N convolutions: of the roots' own type (mintypecode: a
    float type, float32 kept), or the eigenvalues of a square matrix (real or complex:
    the data decides); a complex result whose roots pair up as conjugates is made real
    (the data decides). No roots: the Python float 1.0."""
    a = as_array(seq_of_zeros)
    if a.ndim == 0:  # its dispatcher iterates over it
        raise TypeError("dispatcher for __array_function__ did not return an iterable")
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] != 0:
        n, dtype = a.shape[0], complex_of(lapack_types(a)[0])
        return build(func, ((n + 1,),), (dtype,), (a,), exact=False, extra=n * n * 16)
    if a.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if a.size == 0:
        return build(func, ((),), (np.dtype(float),), (a,), nbytes=0)
    # a root of 1j has no conjugate: the complex outcome of complex roots
    dtype = np.asarray(np.poly(np.array([1j if a.dtype.kind == "c" else 0], a.dtype))).dtype
    roots = a.size * dtype.itemsize if a.dtype != dtype else 0  # astype(mintypecode)
    if dtype.kind != "c":
        return build(func, ((a.size + 1,),), (dtype,), (a,), extra=roots)
    # the roots as complex and their sorted copies (two, and their conjugates')
    check = a.size * 16 * 4
    return build(func, ((a.size + 1,),), (dtype,), (a,), exact=False, extra=roots + check)


@projects(np.roots)
def roots(func: Any, /, p: Any) -> Estimate:
    """Zeros at both ends are trimmed (counted here, as NumPy finds them), then the
    eigenvalues of an (N - 1, N - 1) companion matrix of p's dtype (real or complex:
    the data decides, complex projected), one zero appended per trailing zero."""
    x = np.atleast_1d(as_array(p))
    if x.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    found = np.flatnonzero(plain_array(x))
    if found.size == 0:
        return build(func, ((0,),), (np.dtype(float),), (x,))
    trailing = x.size - int(found[-1]) - 1
    n = int(found[-1]) - int(found[0]) + 1
    if n <= 1:
        return build(func, ((trailing,),), (np.dtype(float),), (x,))
    companion = data_free((n - 1, n - 1), x.dtype)
    found_values = linalg.eigvals(np.linalg.eigvals, companion)
    dtype = found_values.dtype
    result = (n - 1 + trailing) * dtype.itemsize
    return build(func, ((n - 1 + trailing,),), (dtype,), (x,), exact=False,
                 peak=companion.size * x.itemsize + found_values.peak + result,
                 outside=found_values.outside)


@projects(np.polyfit)
def polyfit(func: Any, /, x: Any, y: Any, deg: Any, rcond: Any = None, full: Any = False,
            w: Any = None, cov: Any = False) -> Estimate:
    """The results of NumPy on deg + 2 points (their shapes do not depend on the number
    of points); temporaries: the Vandermonde matrix, its scaled copy, lstsq's copies."""
    x, y = as_array(x), as_array(y)
    deg = int(deg)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1 or y.ndim not in (1, 2) or x.shape[0] != y.shape[0] or x.size == 0:
        raise TypeError("expected 1D vector for x, non-empty, with y of the same length")
    order = deg + 1
    if cov and cov != "unscaled" and not full and x.size <= order:
        raise ValueError("the number of data points must exceed order to scale the "
                         "covariance matrix")
    # order + 1 distinct points: full rank, so the replay never warns (RankWarning)
    points = order + 1
    stand_x = np.linspace(-1, 1, points).astype(x.dtype if x.dtype.kind in "fc" else float)
    stand_y = np.ones((points,) + y.shape[1:], y.dtype)
    stand_w = None if w is None else np.ones(points, as_array(w).dtype)
    result = np.polyfit(stand_x, stand_y, deg, rcond, full, stand_w, cov)
    parts = [np.asarray(r) for r in (result if isinstance(result, tuple) else (result,))]
    shapes = [r.shape for r in parts]
    exact = True
    if full:  # lstsq's residuals: none unless more points than the order and full rank
        if x.size <= order:
            shapes[1] = (0,)
        else:
            exact = False  # the rank decides
    vander = x.size * (deg + 1) * 16 + y.nbytes
    return build(func, tuple(shapes), tuple(r.dtype for r in parts), (x, y), exact=exact,
                 extra=2 * vander)
