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
import numpy.fft._pocketfft_umath as _pocketfft
from numpy.lib.array_utils import normalize_axis_index

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import out_array

_HINT = "a smaller n"
_NORMS = (None, "backward", "ortho", "forward")


def _loop(kind: str, dtype: np.dtype, norm: Any, forward: bool,
          out: np.dtype) -> tuple[np.dtype, np.dtype]:
    """(the dtype the pocketfft gufunc loop reads, the dtype it writes), as NumPy
    resolves it for `ufunc(a, fct, out=out)`: fct is the Python int 1 where nothing is
    scaled (forward with norm None or "backward", inverse with "forward"), which
    resolves to the float64 loop even for float32 data (a float64 copy of the input
    and a complex128 result cast into the complex64 one); else a scalar of the real
    type, which keeps float32 in float32."""
    real = np.result_type(np.empty(0, dtype).real.dtype, 1.0)
    unscaled = norm in (None, "backward") if forward else norm == "forward"
    ufunc = {"fft": _pocketfft.fft, "rfft": _pocketfft.rfft_n_even,
             "irfft": _pocketfft.irfft}[kind]
    try:
        reads, _, writes = ufunc.resolve_dtypes((dtype, int if unscaled else real, out))
    except TypeError:  # the call itself raises NumPy's error
        ufunc(np.empty((0, 1), dtype), 1 if unscaled else real.type(1), out=np.empty(
            (0, 1), out), axes=[(1,), (), (1,)])
        raise
    return reads, writes


def _result_dtype(dtype: np.dtype, kind: str) -> np.dtype:
    """What _raw_fft allocates: the real type for irfft, the complex type otherwise."""
    real = np.result_type(np.empty(0, dtype).real.dtype, 1.0)
    return real if kind == "irfft" else np.result_type(dtype, 1j)


def _step(shape: tuple, dtype: np.dtype, n: Any, axis: Any, kind: str, norm: Any,
          forward: bool = True, out: np.dtype | None = None
          ) -> tuple[tuple, np.dtype, int, int]:
    """One 1-D transform: (result shape, result dtype, bytes of the input's cast copy,
    bytes of the loop's own result where it is cast into the result)."""
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" '
                         'or "forward".')
    ax = normalize_axis_index(axis, len(shape))
    if n is None:
        n = 2 * (shape[ax] - 1) if kind == "irfft" else shape[ax]
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    result = _result_dtype(dtype, kind) if out is None else out
    reads, writes = _loop(kind, dtype, norm, forward, result)
    length = n // 2 + 1 if kind == "rfft" else n
    new_shape = shape[:ax] + (length,) + shape[ax + 1:]
    cast = math.prod(shape) * reads.itemsize if dtype != reads else 0
    temp = math.prod(new_shape) * writes.itemsize if writes != result else 0
    return new_shape, result, cast, temp


def _one(func: Any, a: Any, n: Any, axis: Any, norm: Any, out: Any, kind: str) -> Estimate:
    """One transform. hfft is irfft of conjugate(a) (a copy) with the norm's direction
    swapped, and ignores out=; ihfft is rfft with the direction swapped, conjugated in
    place."""
    a, out = as_array(a), out_array(out)
    name = func.__name__
    forward = name in ("fft", "rfft", "ihfft")
    if name in ("hfft", "ihfft"):
        norm = _SWAPPED.get(norm, norm)
        if norm not in _NORMS:
            raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" '
                             'or "forward".')
    if name == "hfft":
        out = None
    if name == "hfft" and n is None:
        n = (a.shape[axis] - 1) * 2
    pre = a.nbytes if name == "hfft" else 0
    source = np.conjugate(np.empty(0, a.dtype)).dtype if name == "hfft" else a.dtype
    shape, dtype, cast, temp = _step(a.shape, source, n, axis, kind, norm, forward,
                                     None if out is None else out.dtype)
    if out is not None and out.shape != shape:
        raise ValueError("output array has wrong shape.")
    return build(func, (shape,), (dtype,), (a,), outs=(out,), extra=pre + cast + temp,
                 hint=_HINT if math.prod(shape) > a.size else "")


_SWAPPED = {"backward": "forward", None: "forward", "ortho": "ortho", "forward": "backward"}


@projects("fft.fft", "fft.ifft")
def fft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
        out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "fft")


@projects("fft.rfft", "fft.ihfft")
def rfft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
         out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "rfft")


@projects("fft.irfft", "fft.hfft")
def irfft(func: Any, /, a: Any, n: Any = None, axis: Any = -1, norm: Any = None,
          out: Any = None) -> Estimate:
    return _one(func, a, n, axis, norm, out, "irfft")


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
    """Transforms along the axes, last first (rfftn's rfft), or irfftn's irfft last;
    each step's result is the next one's input (both alive), written into out= where
    NumPy passes it on (every step, but irfftn's inverse steps)."""
    a, out = as_array(a), out_array(out)
    s, axes = _cook(a, s, axes, inverse_real)
    order = list(range(len(axes)))[::-1] if not inverse_real else list(range(len(axes)))
    forward = not func.__name__.startswith("i")
    shape, dtype = a.shape, a.dtype
    previous, peak = 0, 0
    for step, ii in enumerate(order):
        last = step == len(order) - 1
        kind = kinds[0] if step == 0 and not inverse_real else (
            "irfft" if inverse_real and last else kinds[-1])
        into = out if out is not None and (last or not inverse_real) else None
        shape, dtype, cast, temp = _step(shape, dtype, s[ii], axes[ii], kind, norm, forward,
                                         None if into is None else into.dtype)
        new = 0 if into is not None else math.prod(shape) * dtype.itemsize
        peak = max(peak, previous + cast + temp + new)
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
