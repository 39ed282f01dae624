"""Order statistics: median, percentile, quantile and their nan* forms.

Each partitions a copy of its input (np.partition copies, `flatten` for axis=None),
unless overwrite_input: a.nbytes beside the result. Several axes are first moved
together and reshaped (a copy where the layout needs one). Linear interpolation then
holds a few arrays of the result's size (the lower and upper values, their
difference, the weighted step). Weighted quantiles sort instead: an argsort index,
sorted copies of the data and the weights, and the cumulative weights.

The nan* forms remove NaNs slice by slice: along an axis NumPy applies the 1-d
function to each slice (np.apply_along_axis: per-slice temporaries only; below 600
elements per slice nanmedian goes through a masked array instead, modelled from
measurement as three copies of the data and three masks); for axis=None, one NaN
mask of the whole input, the NaN positions, and a copy where any NaN is found.
Where the data may hold NaN, the positions are counted at their most (every element
but one): a bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..ndarray_methods import reshape_copies
from ..operands import as_array, plain_array, unit
from ..record import Estimate
from ..registry import projects
from .common import INTP
from .reductions import NV, Reduced, reduced, result_estimate

#: Methods whose result is taken from the data without interpolation.
_DISCONTINUOUS = frozenset({"inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                            "lower", "higher", "nearest"})


@projects(np.median)
def median(func: Any, /, a: Any, axis: Any = None, out: Any = None, overwrite_input: Any = False,
           keepdims: Any = False) -> Estimate:
    r = reduced(func, a, axis, out, keepdims, {})
    work = _joined(r.a, axis) + _partitioned(r.a, axis, overwrite_input)
    nan_check = r.size * (r.a.dtype.itemsize + 1)
    return result_estimate(func, r, extra=work + nan_check + r.size * r.dtype.itemsize)


@projects(np.percentile, np.quantile)
def percentile(func: Any, /, a: Any, q: Any, axis: Any = None, out: Any = None,
               overwrite_input: Any = False, method: Any = "linear", keepdims: Any = False, *,
               weights: Any = None) -> Estimate:
    r = _quantile_reduced(func, a, q, axis, out, method, keepdims, weights)
    work = _joined(r.a, axis) + _quantile_work(r, q, axis, overwrite_input, method, weights)
    return result_estimate(func, r, extra=work)


def _quantile_reduced(func: Any, a: Any, q: Any, axis: Any, out: Any, method: Any,
                      keepdims: Any, weights: Any) -> Reduced:
    options: dict = {"method": method}
    if weights is not None:
        options["weights"] = np.ones_like(unit(weights, np.ndim(a)))
    r = reduced(func, a, axis, out, keepdims, options, q=q)
    x = r.a
    if func in (np.quantile, np.percentile) and r.length == 0 and math.prod(r.shape):
        # taking the quantiles' positions (the nan* forms answer NaN instead)
        raise IndexError("cannot do a non-empty take from an empty axes.")
    if (out is None and np.ndim(q) == 0 and len(r.axes) == x.ndim and x.size
            and x.dtype.kind in "fc" and r.dtype != x.dtype
            and np.isnan((np.maximum if func in (np.quantile, np.percentile) else np.fmax)
                         .reduce(plain_array(x), axis=None))):
        # a NaN in the data (nan* forms: only NaN): a 0-d result is then the
        # partitioned data's last element (nan*: a NaN), of the data's own dtype (the
        # data decides; maximum propagates NaN, fmax only where all are; neither
        # allocates)
        return r._replace(dtype=x.dtype.newbyteorder("="))
    return r


def _joined(a: Any, axis: Any) -> int:
    """_ureduce moves several axes last and reshapes them into one: a copy where the
    layout needs it (`a` itself is viewed, never copied, to find out)."""
    if axis is None or np.ndim(axis) == 0 or a.ndim == 0:
        return 0
    axes = normalize_axis_tuple(axis, a.ndim)
    if len(axes) == 1:
        return 0
    keep = [i for i in range(a.ndim) if i not in axes]
    moved = np.moveaxis(a, keep, range(len(keep)))
    return a.nbytes if reshape_copies(moved, (moved.shape[:len(keep)] + (-1,),), "C") else 0


def _partitioned(a: Any, axis: Any, overwrite_input: Any) -> int:
    """The copy np.partition works on: always without overwrite_input; with it, only
    the ravel of a non-contiguous input for axis=None."""
    if not overwrite_input:
        return a.nbytes
    return 0 if axis is not None or a.flags.c_contiguous else a.nbytes


def _taken_from_copy(a: np.ndarray, axis: Any) -> int:
    """The discontinuous methods np.take the data with its reduction axis moved to the
    front: take copies it first (C order) unless that axis already was first."""
    if axis is None or a.ndim < 2:
        return 0
    axes = np.lib.array_utils.normalize_axis_tuple(axis, a.ndim)
    others = math.prod(n for i, n in enumerate(a.shape) if i not in axes)
    if others <= 1 or axes == (0,):
        return 0
    return a.size * a.dtype.itemsize


def _quantile_work(r: Reduced, q: Any, axis: Any, overwrite_input: Any, method: Any,
                   weights: Any) -> int:
    """What _quantile holds beside its result."""
    a = r.a
    values = r.size * max(a.dtype.itemsize, 8)
    copy = _partitioned(a, axis, overwrite_input)
    if weights is not None:  # argsort, the sorted data and weights, the cdf and its cast
        w = as_array(weights)
        return copy + a.size * (INTP.itemsize + a.dtype.itemsize + 8 + 8 + 1) + (
            a.size * w.dtype.itemsize)
    if method in _DISCONTINUOUS:
        return copy + values + _taken_from_copy(a, axis)
    return copy + 4 * values + r.size  # lower, upper, their difference, its product


@projects(np.nanmedian)
def nanmedian(func: Any, /, a: Any, axis: Any = None, out: Any = None,
              overwrite_input: Any = False, keepdims: Any = NV) -> Estimate:
    r = reduced(func, a, axis, out, keepdims, {})
    x = r.a
    if x.size == 0:  # np.nanmean
        return result_estimate(func, r)
    joined = _joined(x, axis)
    if axis is not None and x.ndim > 1 and r.length < 600:
        return result_estimate(func, r, extra=joined + 3 * x.nbytes + 3 * x.size)
    each = r.length * x.dtype.itemsize if axis is not None and x.ndim > 1 else 0
    slice_work = _nan_slices(r, axis, overwrite_input, each + r.size * (x.dtype.itemsize + 1))
    return result_estimate(func, r, extra=joined + slice_work)


@projects(np.nanpercentile, np.nanquantile)
def nanpercentile(func: Any, /, a: Any, q: Any, axis: Any = None, out: Any = None,
                  overwrite_input: Any = False, method: Any = "linear", keepdims: Any = NV, *,
                  weights: Any = None) -> Estimate:
    r = _quantile_reduced(func, a, q, axis, out, method, keepdims, weights)
    x = r.a
    if x.size == 0:  # np.nanmean: no q axis
        return result_estimate(func, reduced(np.nanmean, x, axis, out, keepdims, {}))
    if weights is None and out is None and np.ndim(q) > 1:
        r = r._replace(shape=_nan_quantile_shape(r, np.shape(q), keepdims))
    work = _quantile_work(r, q, 0, True, method, weights) if axis is None else (
        r.length * (x.dtype.itemsize * 2 + 9 + 8 * (weights is not None)))
    return result_estimate(func, r, extra=_joined(x, axis) + _nan_slices(
        r, axis, overwrite_input, work))


def _nan_quantile_shape(r: Reduced, q_shape: tuple[int, ...], keepdims: Any
                        ) -> tuple[int, ...]:
    """The result's shape as NumPy's nan* quantiles build it, replayed on a zero-strided
    stand-in (nothing allocated). Over several axes but not all, _ureduce merges them
    into a last axis (axis=-1), and _nanquantile_ureduce_func moves the q axes "from
    axis + i": [-1, 0, 1, ...], so a q of two or more dimensions lands out of order (its
    last dimension first, then the kept axes'), unlike np.quantile's q.shape + kept."""
    a, axes = r.a, r.axes
    keep = [i for i in range(a.ndim) if i not in axes]
    if len(axes) < 2 or not keep:
        return r.shape
    applied = tuple(a.shape[i] for i in keep) + tuple(q_shape)  # np.apply_along_axis(-1)
    stand = np.lib.stride_tricks.as_strided(np.zeros(1, bool), applied, (0,) * len(applied))
    result = np.moveaxis(stand, [-1 + i for i in range(len(q_shape))], range(len(q_shape)))
    if keepdims is not NV and keepdims:
        result = result[(Ellipsis,) + tuple(np.newaxis if i in axes else slice(None)
                                            for i in range(a.ndim))]
    return result.shape


def _nan_slices(r: Reduced, axis: Any, overwrite_input: Any, work: int) -> int:
    """_remove_nan_1d and then the 1-d statistic: slice by slice along an axis (one
    slice's mask, positions and copy at a time, plus `work`), or on the whole raveled
    input for axis=None."""
    x = r.a
    if axis is not None and x.ndim > 1:
        return r.length * (x.dtype.itemsize + 1 + 8) + work
    ravel = 0 if x.flags.c_contiguous else x.nbytes
    if not _may_hold_nan(x):
        return ravel + max(x.size, _partitioned(x, None, overwrite_input) + work)
    positions = (x.size - 1) * 8
    return ravel + x.size + positions + x.nbytes + work


def _may_hold_nan(a: Any) -> bool:
    """Whether `a` may hold a NaN: a sum over it, which allocates nothing, is NaN if any
    element is (or if +inf meets -inf: then "may")."""
    if a.dtype.kind not in "fc":
        return a.dtype.kind == "O"
    with np.errstate(all="ignore"):
        return bool(np.isnan(np.add.reduce(a, axis=None)))
