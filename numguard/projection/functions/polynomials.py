"""The np.poly* helpers: 1-D coefficient arrays (lengths from the inputs' lengths, dtypes
from NumPy on short stand-ins); poly, roots and polyfit run LAPACK (eigvals, lstsq)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
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
    then the sum: computed into the concatenation where NumPy can (its temporary
    elision: same dtype, at least 256 KiB)."""
    x, y = as_array(a1), as_array(a2)
    n = max(x.size, y.size, 1)
    dtype = np.asarray(func(_short(x), _short(y))).dtype
    short = x if x.size < y.size else y if y.size < x.size else None
    if short is None:
        return build(func, ((n,),), (dtype,), (x, y))
    zeros, padded = (n - short.size) * short.itemsize, n * short.itemsize
    elided = short.dtype == dtype and padded >= ELIDE_BYTES
    return build(func, ((n,),), (dtype,), (x, y), extra=zeros + (0 if elided else padded))


#: NumPy computes `temporary + b` in place in the temporary from this size on.
ELIDE_BYTES = 256 * 1024


@projects(np.polymul)
def polymul(func: Any, /, a1: Any, a2: Any) -> Estimate:
    x, y = _coefficients(a1), _coefficients(a2)
    dtype = np.asarray(np.polymul(_short(x), _short(y))).dtype
    return build(func, ((max(x.size + y.size - 1, 1),),), (dtype,), (x, y))


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
    """m derivatives, one coefficient fewer each (none left at the end); m=0 returns
    the coefficients themselves."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    x = _coefficients(p)
    if m == 0:
        return build(func, (x.shape,), (x.dtype,), (x,), view=True)
    dtype = np.polyder(np.ones(3, x.dtype), 1).dtype
    return build(func, ((max(x.size - m, 0),),), (dtype,), (x,))


@projects(np.polyint)
def polyint(func: Any, /, p: Any, m: Any = 1, k: Any = None) -> Estimate:
    """m integrals, one coefficient more each; m=0 returns p itself."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    x = _coefficients(p)
    if m == 0:
        return build(func, (x.shape,), (x.dtype,), (x,), view=True)
    dtype = np.polyint(np.ones(2, x.dtype), 1).dtype
    return build(func, ((x.size + m,),), (dtype,), (x,))


@projects(np.poly)
def poly(func: Any, /, seq_of_zeros: Any) -> Estimate:
    """N + 1 coefficients; real where complex roots pair up (the data decides)."""
    a = as_array(seq_of_zeros)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] != 0:
        n, dtype = a.shape[0], complex_of(lapack_types(a)[0])
    elif a.ndim == 1:
        n, dtype = a.size, np.result_type(a.dtype, np.float64)
    else:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    return build(func, ((n + 1,),), (dtype,), (a,), exact=dtype.kind != "c",
                 extra=n * n * 16 if a.ndim == 2 else 0)


@projects(np.roots)
def roots(func: Any, /, p: Any) -> Estimate:
    """At most N - 1 roots (zeros at either end are trimmed), through the eigenvalues of
    an (N - 1, N - 1) companion matrix."""
    x = _coefficients(p)
    n = max(x.size - 1, 0)
    dtype = complex_of(np.result_type(x.dtype, np.float64))
    return build(func, ((n,),), (dtype,), (x,), exact=False, extra=3 * n * n * 16)


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
    points = deg + 2 + (1 if cov and cov != "unscaled" else 0)
    stand_x = np.linspace(-1, 1, points).astype(x.dtype if x.dtype.kind in "fc" else float)
    stand_y = np.ones((points,) + y.shape[1:], y.dtype)
    stand_w = None if w is None else np.ones(points, as_array(w).dtype)
    result = np.polyfit(stand_x, stand_y, deg, rcond, full, stand_w, cov)
    parts = [np.asarray(r) for r in (result if isinstance(result, tuple) else (result,))]
    vander = x.size * (deg + 1) * 16 + y.nbytes
    return build(func, tuple(r.shape for r in parts), tuple(r.dtype for r in parts), (x, y),
                 extra=2 * vander)
