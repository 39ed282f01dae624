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
    """linspace of the data's own min and max: float data keeps its type (float16
    edges for float16 data), anything else is float64 (bool is taken as uint8)."""
    return a.dtype.newbyteorder("=") if a.dtype.kind == "f" else F8


def _given_edges(bins: Any) -> bool:
    """bins given as an array: NumPy returns it as the edges (np.asarray: a view)."""
    return isinstance(bins, np.ndarray) and bins.ndim == 1


@projects(np.histogram)
def histogram(func: Any, /, a: Any, bins: Any = 10, range: Any = None,  # noqa: A002
              density: Any = None, weights: Any = None) -> Estimate:
    """Counts and edges; the data is counted in blocks of 65536 (a few temporaries of
    that size: the block's positions as floats and as indices, masks), after a ravel
    (a copy of non-contiguous data)."""
    a = as_array(a)
    n = _bin_count(bins)
    counted = INTP if weights is None else as_array(weights).dtype
    dtype = np.result_type(counted, F8) if density else counted  # n / diff(edges, float)
    edges = (np.asarray(bins).dtype if _given_edges(bins) or np.ndim(bins) == 1
             else _edge_dtype(a))
    # bool data is counted as uint8 (a copy); the data raveled (a copy where needed)
    ravel = (0 if a.flags.c_contiguous else a.nbytes) + (a.size if a.dtype == bool else 0)
    block = min(a.size, _BLOCK) * _per_element(a, edges, weights, np.ndim(bins) == 1)
    counts = n * dtype.itemsize
    edge_bytes = 0 if _given_edges(bins) else (n + 1) * edges.itemsize
    return build(func, ((n,), (n + 1,)), (dtype, edges), (a,), nbytes=counts + edge_bytes,
                 extra=ravel + block)


_BLOCK = 65536


def _per_element(a: np.ndarray, edges: np.dtype, weights: Any, given: bool) -> int:
    """Bytes each element of a block holds at the worst step. Uniform bins: the block
    cast to the edges' type, its positions as floats and as intp, intp + 1, the edges
    gathered there, three masks (the weights as float64 for bincount). Bins given as
    an array: the block sorted, and as much again in the common type; with
    weights, its sort order, the weights sorted, their cumulative sum and its
    concatenation with a zero."""
    w = None if weights is None else as_array(weights)
    if given:
        common = np.result_type(a.dtype, edges)
        per = a.itemsize + common.itemsize  # measured: the sort's copy, then as much again
        return per if w is None else per + INTP.itemsize + 3 * w.itemsize
    cast = edges.itemsize if a.dtype != edges else 0
    weighted = 0 if w is None or w.dtype == F8 else F8.itemsize
    return cast + 2 * edges.itemsize + 2 * INTP.itemsize + 3 + weighted


@projects(np.histogram2d)
def histogram2d(func: Any, /, x: Any, y: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                density: Any = None, weights: Any = None) -> Estimate:
    try:
        n_bins = len(bins)
    except TypeError:
        n_bins = 1
    if n_bins != 2:
        bins = [bins, bins]  # edges shared by both axes
    return _histogramdd(func, [as_array(x), as_array(y)], 2, bins, range, density)


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
    return _histogramdd(func, samples, dims, bins, range, density)


def _histogramdd(func: Any, samples: list, dims: int, bins: Any, limits: Any,
                 density: Any) -> Estimate:
    """NumPy counts into a bincount padded with an outlier bin at each end of each
    axis, converts it to float, and returns a view of its core: that padded array is
    what the counts hold. On the way: the sample stacked into one (N, D) array (when
    given as a list), one bin index array per dimension and their raveled index."""
    counts = [_bin_count(x) for x in bins]
    padded = math.prod(n + 2 for n in counts)
    n_samples = max((s.shape[0] if s.ndim else 1) for s in samples)
    stacked = np.result_type(*samples) if len(samples) > 1 else samples[0].dtype
    # linspace of the data's min and max keeps a float type; ints, no data (0 and 1) and
    # a given range (Python numbers) give float64
    edge = stacked.newbyteorder("=") if stacked.kind == "f" and n_samples else F8
    limits = (None,) * dims if limits is None else limits
    edge_dtypes = [np.asarray(b).dtype if np.ndim(b) == 1 else F8 if r is not None else edge
                   for b, r in zip(bins, limits)]
    # density divides the float64 counts by each axis' edge differences
    dtypes = [np.result_type(F8, *edge_dtypes) if density else F8] + edge_dtypes
    edge_bytes = sum(0 if _given_edges(b) else (n + 1) * d.itemsize
                     for b, n, d in zip(bins, counts, dtypes[1:]))
    copy = n_samples * dims * stacked.itemsize if len(samples) > 1 else 0
    work = n_samples * 8 * (dims + 1) + padded * 8 + copy
    edges = tuple((n + 1,) for n in counts)
    # density divides into new arrays: the counts are then their own (unpadded)
    held = math.prod(counts) * dtypes[0].itemsize if density else padded * 8
    return build(func, (tuple(counts), *edges), tuple(dtypes), tuple(samples),
                 nbytes=held + edge_bytes, extra=work + (padded * 8 if density else 0))


@projects(np.histogram_bin_edges)
def histogram_bin_edges(func: Any, /, a: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                        weights: Any = None) -> Estimate:
    a = as_array(a)
    n = _bin_count(bins)
    if _given_edges(bins):
        return build(func, ((n + 1,),), (np.asarray(bins).dtype,), (a,), view=True)
    dtype = np.asarray(bins).dtype if np.ndim(bins) == 1 else _edge_dtype(a)
    return build(func, ((n + 1,),), (dtype,), (a,))
