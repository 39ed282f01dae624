"""np.cov and np.corrcoef (rowvar, bias, ddof, weights, dtype), and the triangle index
helpers tril_indices_from/triu_indices_from.

Traps: with the rowvar=True default, (n_samples, n_features) data gives an
(n_samples, n_samples) result (hint "rowvar=False"); the index helpers of a large
square return about n*n/2 index pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import INTP


@projects(np.cov)
def cov(func: Any, /, m: Any, y: Any = None, rowvar: Any = True, bias: Any = False,
        ddof: Any = None, fweights: Any = None, aweights: Any = None, *,
        dtype: Any = None) -> Estimate:
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    weighted = fweights is not None or aweights is not None
    return _covariance(func, m, y, rowvar, weighted, dtype)


@projects(np.corrcoef)
def corrcoef(func: Any, /, x: Any, y: Any = None, rowvar: Any = True, *,
             dtype: Any = None) -> Estimate:
    """cov, then divided in place by the standard deviations (small vectors)."""
    return _covariance(func, x, y, rowvar, False, dtype)


def _covariance(func: Any, m: Any, y: Any, rowvar: Any, weighted: bool,
                dtype: Any) -> Estimate:
    """NumPy's cov: X = np.array(m, ndmin=2, dtype) (a copy), transposed unless rowvar
    (a 2-d m; y where it has more than one row), y converted and concatenated (a new
    X, the converted y kept); the means (with weights: the weighted data first, a
    whole temporary); X centred in place; X * w (float64 weights: a float64 copy at
    least), its conjugate (complex), then dot(X, X.T) squeezed. No variables: an
    empty float64 (0, 0)."""
    m = as_array(m)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    operands = [m]
    if y is not None:
        y = as_array(y)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
        operands.append(y)
    dtype = np.dtype(np.result_type(*operands, np.float64) if dtype is None else dtype)
    two = (1,) * (2 - m.ndim) + m.shape
    rows, cols = two[::-1] if not rowvar and m.ndim != 1 else two
    if rows == 0:
        return build(func, ((0, 0),), (np.dtype(np.float64),), tuple(operands),
                     extra=m.size * dtype.itemsize)
    item = dtype.itemsize
    held, joined = rows * cols * item, 0  # X
    if y is not None:
        y_two = (1,) * (2 - y.ndim) + y.shape
        y_rows, y_cols = y_two[::-1] if not rowvar and y_two[0] != 1 else y_two
        if y_cols != cols:
            raise ValueError("all the input array dimensions except for the "
                             "concatenation axis must match exactly")
        converted = y_rows * y_cols * item if y.dtype != dtype else 0
        rows += y_rows
        joined = held + converted + rows * cols * item  # the old X, freed after
        held = converted + rows * cols * item
    weighted_dtype = np.result_type(dtype, np.float64) if weighted else dtype
    whole = rows * cols * weighted_dtype.itemsize
    means = whole if weighted else 0  # average's weighted product
    scaled = whole if weighted else 0  # X * w
    conjugated = whole if dtype.kind == "c" else 0
    result_dtype = np.dot(np.empty((0, 0), dtype), np.empty((0, 0), weighted_dtype)).dtype
    # dot converts an operand of another dtype than its result's (a copy)
    casts = sum(rows * cols * result_dtype.itemsize for d in (dtype, weighted_dtype)
                if d != result_dtype)
    shape = (rows, rows) if rows != 1 else ()
    if func is np.corrcoef and rows != 1:  # the standard deviations
        conjugated += rows * np.empty(0, result_dtype).real.itemsize
    peak = max(joined, held + 2 * rows * item + max(
        means, scaled + conjugated + casts + rows * rows * result_dtype.itemsize))
    hint = "rowvar=False" if rowvar and rows > cols and m.ndim == 2 else ""
    return build(func, (shape,), (result_dtype,), tuple(operands),
                 nbytes=rows * rows * result_dtype.itemsize, peak=peak, hint=hint)


@projects(np.tril_indices_from)
def tril_indices_from(func: Any, /, arr: Any, k: Any = 0) -> Estimate:
    return _triangle(func, arr, k, lower=True)


@projects(np.triu_indices_from)
def triu_indices_from(func: Any, /, arr: Any, k: Any = 0) -> Estimate:
    return _triangle(func, arr, k, lower=False)


def _triangle(func: Any, arr: Any, k: Any, lower: bool) -> Estimate:
    """Two intp arrays of the pairs in the triangle, through an (n, m) boolean mask."""
    a = as_array(arr)
    if a.ndim != 2:
        raise ValueError("input array must be 2-d")
    n, m = a.shape
    count = lower_count(n, m, k) if lower else n * m - lower_count(n, m, k - 1)
    return build(func, ((count,), (count,)), (INTP, INTP), (a,), extra=n * m,
                 hint="a smaller array (it returns about n*n/2 index pairs per axis)")


def lower_count(n: int, m: int, k: int) -> int:
    """How many (i, j), 0 <= i < n, 0 <= j < m, have j <= i + k: row i holds
    min(max(i + k + 1, 0), m)."""
    first = max(0, -k)  # first row holding any
    full = max(first, min(n, m - k - 1))  # first row holding all m
    partial = sum_range(first + k + 1, full + k + 1) if full > first else 0
    return partial + max(n - full, 0) * m if n > first else 0


def sum_range(start: int, stop: int) -> int:
    """start + (start + 1) + ... + (stop - 1)."""
    return (stop - start) * (start + stop - 1) // 2 if stop > start else 0
