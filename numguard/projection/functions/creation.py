"""New arrays and whole copies: *_like, creation with like=, linspace, copy, astype,
roll, tril/triu, packbits."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..broadcast import broadcast_shapes
from ..operands import as_array, shape_of, unit
from ..record import Estimate, build
from ..registry import projects
from .common import F8, shape_arg


@projects(np.empty_like)
def empty_like(func: Any, prototype: Any, /, dtype: Any = None, order: Any = "K",
               subok: Any = True, shape: Any = None, *, device: Any = None) -> Estimate:
    return _like(func, prototype, dtype, shape)


@projects(np.zeros_like, np.ones_like)
def zeros_like(func: Any, /, a: Any, dtype: Any = None, order: Any = "K", subok: Any = True,
               shape: Any = None, *, device: Any = None) -> Estimate:
    return _like(func, a, dtype, shape)


@projects(np.full_like)
def full_like(func: Any, /, a: Any, fill_value: Any, dtype: Any = None, order: Any = "K",
              subok: Any = True, shape: Any = None, *, device: Any = None) -> Estimate:
    return _like(func, a, dtype, shape)


def _like(func: Any, prototype: Any, dtype: Any, shape: Any) -> Estimate:
    proto = as_array(prototype)
    result = proto.shape if shape is None else shape_arg(shape)
    dtype = proto.dtype if dtype is None else np.dtype(dtype)
    return build(func, (result,), (dtype,), (proto,))


@projects(np.empty, np.zeros, np.ones)
def empty(func: Any, /, shape: Any, dtype: Any = None, order: Any = "C", *,
          device: Any = None, like: Any = None) -> Estimate:
    """Creation functions reach the guard only when called with like=GuardedArray."""
    return _created(func, shape_arg(shape), dtype)


@projects(np.full)
def full(func: Any, /, shape: Any, fill_value: Any, dtype: Any = None, order: Any = "C", *,
         device: Any = None, like: Any = None) -> Estimate:
    if dtype is None:
        dtype = np.array(fill_value).dtype
    return _created(func, shape_arg(shape), dtype)


@projects(np.identity)
def identity(func: Any, /, n: Any, dtype: Any = None, *, like: Any = None) -> Estimate:
    return _created(func, (n, n), dtype)


@projects(np.eye)
def eye(func: Any, /, N: Any, M: Any = None, k: Any = 0, dtype: Any = float,  # noqa: N803
        order: Any = "C", *, device: Any = None, like: Any = None) -> Estimate:
    return _created(func, (N, N if M is None else M), dtype)


@projects(np.tri)
def tri(func: Any, /, N: Any, M: Any = None, k: Any = 0, dtype: Any = float, *,  # noqa: N803
        like: Any = None) -> Estimate:
    """greater_equal.outer of two aranges (a boolean (N, M)), cast to dtype (a copy)."""
    est = _created(func, (N, N if M is None else M), dtype)
    mask = math.prod(est.shape)
    return est if est.dtype == bool else est._replace(temporaries=mask)


def _created(func: Any, shape: tuple, dtype: Any) -> Estimate:
    if any(n < 0 for n in shape):
        raise ValueError("negative dimensions are not allowed")
    return build(func, (shape,), (np.dtype(dtype if dtype is not None else float),))


@projects(np.linspace)
def linspace(func: Any, /, start: Any, stop: Any, num: Any = 50, endpoint: Any = True,
             retstep: Any = False, dtype: Any = None, axis: Any = 0, *,
             device: Any = None) -> Estimate:
    """arange(num) in the computation type, scaled (a new array where start and stop
    are arrays), cast to `dtype` where it differs; retstep adds the step: one per
    start/stop pair (a float nan where there is no step: num <= 1)."""
    options = {"endpoint": endpoint, "dtype": dtype, "device": device}
    est = _spaced(func, start, stop, num, axis, options, samples=1)
    if not retstep:
        return est
    ax = normalize_axis_index(axis, len(est.shape))
    rest = est.shape[:ax] + est.shape[ax + 1:]
    if operator.index(num) - (1 if endpoint else 0) <= 0:
        return build(func, (est.shape, ()), (est.dtype, F8), _given_arrays(start, stop),
                     nbytes=est.nbytes, peak=est.peak)
    step = np.asarray(np.linspace(*_ends(start, stop), num=2, endpoint=endpoint,
                                  retstep=True)[1]).dtype
    step_bytes = math.prod(rest) * step.itemsize
    return build(func, (est.shape, rest), (est.dtype, step), _given_arrays(start, stop),
                 nbytes=est.nbytes + step_bytes, peak=est.peak + step_bytes)


@projects(np.logspace)
def logspace(func: Any, /, start: Any, stop: Any, num: Any = 50, endpoint: Any = True,
             base: Any = 10.0, dtype: Any = None, axis: Any = 0) -> Estimate:
    """linspace, then base ** it (a second array of the samples)."""
    return _spaced(func, start, stop, num, axis,
                   {"endpoint": endpoint, "base": base, "dtype": dtype}, samples=2)


@projects(np.geomspace)
def geomspace(func: Any, /, start: Any, stop: Any, num: Any = 50, endpoint: Any = True,
              dtype: Any = None, axis: Any = 0) -> Estimate:
    """logspace of the ends' logarithms (two arrays of the samples)."""
    return _spaced(func, start, stop, num, axis, {"endpoint": endpoint, "dtype": dtype},
                   samples=2)


def _ends(start: Any, stop: Any) -> list:
    return [v if type(v) in (int, float, complex) else np.ones_like(unit(v))  # no zeros
            for v in (start, stop)]


def _given_arrays(start: Any, stop: Any) -> tuple:
    """The ends that are arrays (the operands the record describes)."""
    return tuple(v for v in (start, stop) if type(v) not in (int, float, complex))


def _spaced(func: Any, start: Any, stop: Any, num: Any, axis: Any, options: dict,
            samples: int) -> Estimate:
    """num samples along `axis` of the broadcast start/stop; the dtype from NumPy on
    two samples of one-element stand-ins. The samples are computed in the inexact
    type of the ends: `samples` arrays of them at once (and the arange linspace
    scales, where the ends are arrays), then cast to `dtype` where it differs."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    rest = broadcast_shapes([shape_of(start), shape_of(stop)])
    ax = normalize_axis_index(axis, len(rest) + 1)
    shape = rest[:ax] + (num,) + rest[ax:]
    ends = _ends(start, stop)
    dtype = np.asarray(func(*ends, num=2, axis=axis, **options)).dtype
    work = np.asarray(func(*ends, num=2, axis=axis,
                           **{**options, "dtype": None})).dtype
    size = math.prod(shape)
    computed = samples * size * work.itemsize + (num * work.itemsize if rest else 0)
    cast = size * dtype.itemsize if dtype != work else 0
    return build(func, (shape,), (dtype,), _given_arrays(start, stop), peak=computed + cast)


@projects(np.copy)
def copy(func: Any, /, a: Any, order: Any = "K", subok: Any = False) -> Estimate:
    a = as_array(a)
    return build(func, (a.shape,), (a.dtype,), (a,))


@projects(np.astype)
def astype(func: Any, x: Any, dtype: Any, /, *, copy: Any = True, device: Any = None) -> Estimate:
    x, result = as_array(x), np.dtype(dtype)
    copies = copy or result != x.dtype
    return build(func, (x.shape,), (result,), (x,), view=not copies)


@projects(np.roll)
def roll(func: Any, /, a: Any, shift: Any, axis: Any = None) -> Estimate:
    a = as_array(a)
    return build(func, (a.shape,), (a.dtype,), (a,))


@projects(np.tril, np.triu)
def tril(func: Any, /, m: Any, k: Any = 0) -> Estimate:
    """where(tri(*m.shape[-2:]), m, 0): a boolean (N, M) mask, and the broadcast of m
    against it (a 1-d m of length N gives an (N, N) result; a 0-d m has no N)."""
    m = as_array(m)
    if m.ndim == 0:
        raise TypeError("tri() missing 1 required positional argument: 'N'")
    rows, cols = (m.shape[0], m.shape[0]) if m.ndim == 1 else m.shape[-2:]
    shape = broadcast_shapes([(rows, cols), m.shape])
    dtype = np.where(np.empty(0, bool), np.empty(0, m.dtype), np.zeros(1, m.dtype)).dtype
    return build(func, (shape,), (dtype,), (m,), extra=rows * cols)  # native byte order


@projects(np.packbits)
def packbits(func: Any, a: Any, /, axis: Any = None, bitorder: Any = "big") -> Estimate:
    return _bits(func, a, axis, lambda n: (n + 7) // 8)


@projects(np.unpackbits)
def unpackbits(func: Any, a: Any, /, axis: Any = None, count: Any = None,
               bitorder: Any = "big") -> Estimate:
    if count is None:
        return _bits(func, a, axis, lambda n: n * 8)
    return _bits(func, a, axis, lambda n: n * 8 + count if count < 0 else count)


def _bits(func: Any, a: Any, axis: Any, change: Any) -> Estimate:
    a = as_array(a)
    if axis is None:
        shape = (change(a.size),)
    else:
        ax = normalize_axis_index(axis, a.ndim)
        shape = a.shape[:ax] + (change(a.shape[ax]),) + a.shape[ax + 1:]
    return build(func, (shape,), (np.dtype(np.uint8),), (a,))
