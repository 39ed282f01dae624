"""np.cov and np.corrcoef (rowvar, bias, ddof, weights, dtype), and the triangle index
helpers tril_indices_from/triu_indices_from.

Traps: with the rowvar=True default, (n_samples, n_features) data gives an
(n_samples, n_samples) result (hint "rowvar=False"); the index helpers of a large
square return about n*n/2 index pairs.
"""

from __future__ import annotations

import math
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
    return _covariance(func, m, y, rowvar, fweights, aweights, dtype)


@projects(np.corrcoef)
def corrcoef(func: Any, /, x: Any, y: Any = None, rowvar: Any = True, *,
             dtype: Any = None) -> Estimate:
    """cov, then divided in place by the standard deviations (small vectors)."""
    return _covariance(func, x, y, rowvar, None, None, dtype)


def _covariance(func: Any, m: Any, y: Any, rowvar: Any, fweights: Any, aweights: Any,
                dtype: Any) -> Estimate:
    """NumPy copies the data (np.array(m, ndmin=2, dtype)), concatenates y, centres the
    copy in place, multiplies it by the weights (a second copy), then dot(X, X.T)."""
    m = as_array(m)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    operands = [m]
    if y is not None:
        y = as_array(y)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
        operands.append(y)
    if dtype is None:
        dtype = np.result_type(*operands, np.float64)
    dtype = np.dtype(dtype)
    rows, cols = _rows_cols(m.shape, rowvar)
    copies = rows * cols
    if y is not None:
        y_rows, y_cols = _rows_cols(y.shape, rowvar)
        if y_cols != cols:
            raise ValueError("all the input array dimensions except for the concatenation "
                             "axis must match exactly")
        copies = 2 * (rows + y_rows) * cols  # both copies, then their concatenation
        rows += y_rows
    weighted = fweights is not None or aweights is not None
    data = copies + (rows * cols if weighted else 0) + (rows * cols if dtype.kind == "c" else 0)
    shape = (rows, rows) if rows != 1 else ()
    hint = "rowvar=False" if rowvar and rows > cols and len(m.shape) == 2 else ""
    return build(func, (shape,), (dtype,), tuple(operands),
                 extra=data * dtype.itemsize + 2 * rows * dtype.itemsize, hint=hint)


def _rows_cols(shape: tuple, rowvar: Any) -> tuple[int, int]:
    """(variables, observations) of np.array(x, ndmin=2), transposed unless rowvar."""
    two = (1,) * (2 - len(shape)) + shape
    if not rowvar and two[0] != 1:
        two = two[::-1]
    return two


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
