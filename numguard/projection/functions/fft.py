"""np.fft: n/s/axes, real and complex variants, NumPy 2's promotion (float32 ->
complex64, integers -> complex128), norm and out=.

Each 1-D transform is a pocketfft gufunc: a result with `n` (or n // 2 + 1 for rfft)
along the axis, and a whole-array cast copy of an input its loops do not take
(float64 input to the complex `fft` loop, integers anywhere). The n-D transforms run
one 1-D transform per axis: the previous and the next array are alive together.
A huge `n` is the trap; the hint says so.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import out_array

_HINT = "a smaller n"
_NORMS = (None, "backward", "ortho", "forward")


def _loop_dtypes(dtype: np.dtype, real_input: bool, real_output: bool) -> tuple:
    """(the dtype the gufunc loop reads, the dtype it writes), NumPy's rule."""
    real = np.result_type(np.empty(0, dtype).real.dtype, 1.0)
    complex_ = np.result_type(real, 1j)
    return (real if real_input else complex_), (real if real_output else complex_)


def _step(shape: tuple, dtype: np.dtype, n: Any, axis: Any, kind: str,
          norm: Any) -> tuple[tuple, np.dtype, int]:
    """One 1-D transform: (result shape, result dtype, bytes of the input's cast copy)."""
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" '
                         'or "forward".')
    ax = normalize_axis_index(axis, len(shape))
    if n is None:
        n = 2 * (shape[ax] - 1) if kind == "irfft" else shape[ax]
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    if kind == "rfft" and dtype.kind == "c":
        raise TypeError("ufunc 'rfft_n_even' not supported for the input types, and the "
                        "inputs could not be safely coerced to any supported types")
    reads, writes = _loop_dtypes(dtype, kind == "rfft", kind == "irfft")
    length = n // 2 + 1 if kind == "rfft" else n
    cast = math.prod(shape) * reads.itemsize if dtype != reads else 0
    return shape[:ax] + (length,) + shape[ax + 1:], writes, cast


def _one(func: Any, a: Any, n: Any, axis: Any, norm: Any, out: Any, kind: str,
         conjugate_first: bool = False) -> Estimate:
    a, out = as_array(a), out_array(out)
    if conjugate_first:  # hfft transforms conjugate(a): a copy of a
        pre = a.nbytes
    else:
        pre = 0
    shape, dtype, cast = _step(a.shape, a.dtype, n, axis, kind, norm)
    if out is not None and out.shape != shape:
        raise ValueError("output array has wrong shape.")
    est = build(func, (shape,), (dtype,), (a,), outs=(out,), extra=pre + cast,
                hint=_HINT if math.prod(shape) > a.size else "")
    return est


@projects("fft.fft", "fft.ifft")
def fft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
        out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "fft")


@projects("fft.rfft", "fft.ihfft")
def rfft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
         out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "rfft")


@projects("fft.irfft")
def irfft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
          out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "irfft")


@projects("fft.hfft")
def hfft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
         out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "irfft", conjugate_first=True)


def _cook(a: Any, s: Any, axes: Any, inverse_real: bool) -> tuple[list, list]:
    """NumPy's _cook_nd_args: the lengths and axes of an n-D transform."""
    shapeless = s is None
    if axes is not None:
        axes = [operator.index(x) for x in axes]
    if s is None:
        s = list(a.shape) if axes is None else [a.shape[x] for x in axes]
    s = list(s)
    if axes is None:
        axes = list(range(-len(s), 0))
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if inverse_real and shapeless:
        s[-1] = (a.shape[axes[-1]] - 1) * 2
    s = [a.shape[x] if n in (-1, None) else n for n, x in zip(s, axes)]
    return s, axes


def _nd(func: Any, a: Any, s: Any, axes: Any, norm: Any, out: Any, kinds: list,
        inverse_real: bool) -> Estimate:
    """Transforms along the axes, last first (rfftn's rfft), or irfftn's irfft last."""
    a, out = as_array(a), out_array(out)
    s, axes = _cook(a, s, axes, inverse_real)
    order = list(range(len(axes)))[::-1] if not inverse_real else list(range(len(axes)))
    if inverse_real:
        order = order[:-1] + order[-1:]
    shape, dtype = a.shape, a.dtype
    previous, peak = 0, 0
    for step, ii in enumerate(order):
        kind = kinds[0] if step == 0 and not inverse_real else (
            "irfft" if inverse_real and step == len(order) - 1 else kinds[-1])
        shape, dtype, cast = _step(shape, dtype, s[ii], axes[ii], kind, norm)
        new = math.prod(shape) * dtype.itemsize
        peak = max(peak, previous + cast + new)
        previous = new
    if out is not None:
        return build(func, (shape,), (out.dtype,), (a,), outs=(out,), peak=peak)
    return build(func, (shape,), (dtype,), (a,), peak=peak,
                 hint=_HINT if math.prod(shape) > a.size else "")


@projects("fft.fftn", "fft.ifftn")
def fftn(func: Any, /, a: Any, s: Any = None, axes: Any = None, norm: Any = None,
         out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["fft"], False)


@projects("fft.fft2", "fft.ifft2")
def fft2(func: Any, /, a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None,
         out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["fft"], False)


@projects("fft.rfftn")
def rfftn(func: Any, /, a: Any, s: Any = None, axes: Any = None, norm: Any = None,
          out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["rfft", "fft"], False)


@projects("fft.rfft2")
def rfft2(func: Any, /, a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None,
          out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["rfft", "fft"], False)


@projects("fft.irfftn")
def irfftn(func: Any, /, a: Any, s: Any = None, axes: Any = None, norm: Any = None,
           out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["fft"], True)


@projects("fft.irfft2")
def irfft2(func: Any, /, a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None,
           out: Any = None) -> Estimate:
    return _nd(func, a, s, axes, norm, out, ["fft"], True)


@projects("fft.fftshift", "fft.ifftshift")
def fftshift(func: Any, /, x: Any, axes: Any = None) -> Estimate:
    """np.roll: one copy of x."""
    x = as_array(x)
    return build(func, (x.shape,), (x.dtype,), (x,))
