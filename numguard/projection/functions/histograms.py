"""Histograms: counts and edges, with the padded bincount NumPy builds on the way."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import F8, INTP


def _bin_count(bins: Any) -> int:
    if isinstance(bins, str):
        raise TypeError("bins chosen from the data are not projected")
    edges = np.asarray(bins)
    if edges.ndim == 0:
        n = operator.index(bins)
        if n < 1:
            raise ValueError("`bins` must be positive")
        return n
    if edges.ndim != 1:
        raise ValueError("`bins` must be 1d")
    return edges.size - 1


def _edge_dtype(a: np.ndarray) -> np.dtype:
    return np.result_type(a.dtype, float) if a.dtype.kind != "c" else a.dtype


@projects(np.histogram)
def histogram(func: Any, /, a: Any, bins: Any = 10, range: Any = None,  # noqa: A002
              density: Any = None, weights: Any = None) -> Estimate:
    a = as_array(a)
    n = _bin_count(bins)
    if density:
        dtype = F8
    elif weights is None:
        dtype = INTP
    else:
        dtype = as_array(weights).dtype
    return build(func, ((n,), (n + 1,)), (dtype, _edge_dtype(a)), (a,))


@projects(np.histogram2d)
def histogram2d(func: Any, /, x: Any, y: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                density: Any = None, weights: Any = None) -> Estimate:
    try:
        n_bins = len(bins)
    except TypeError:
        n_bins = 1
    if n_bins != 2:
        bins = [bins, bins]  # edges shared by both axes
    return _histogramdd(func, [as_array(x), as_array(y)], 2, bins)


@projects(np.histogramdd)
def histogramdd(func: Any, /, sample: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                density: Any = None, weights: Any = None) -> Estimate:
    if isinstance(sample, np.ndarray):
        dims = 1 if sample.ndim == 1 else sample.shape[1]
        samples = [sample]
    else:
        samples = [as_array(s) for s in sample]
        dims = len(samples)
    try:
        if len(bins) != dims:
            raise ValueError("The dimension of bins must be equal to the dimension "
                             "of the sample x.")
    except TypeError:
        bins = [bins] * dims
    return _histogramdd(func, samples, dims, bins)


def _histogramdd(func: Any, samples: list, dims: int, bins: Any) -> Estimate:
    counts = [_bin_count(x) for x in bins]
    # NumPy counts into a bincount with an outlier bin at each end of each axis, then
    # converts it to float: both of that padded size, and one intp index per sample.
    padded = math.prod(n + 2 for n in counts)
    n_samples = max((s.shape[0] if s.ndim else 1) for s in samples)
    extra = 2 * padded * 8 + n_samples * 8 * (dims + 1)
    edges = tuple((n + 1,) for n in counts)
    return build(func, (tuple(counts), *edges), (F8,) * (1 + dims), tuple(samples),
                 extra=extra)


@projects(np.histogram_bin_edges)
def histogram_bin_edges(func: Any, /, a: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                        weights: Any = None) -> Estimate:
    a = as_array(a)
    n = _bin_count(bins)
    return build(func, ((n + 1,),), (_edge_dtype(a),), (a,))
