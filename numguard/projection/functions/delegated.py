"""Functions whose allocations are ufunc calls on the GuardedArray itself (delegated:
the guard checks each step where it happens). `estimate()` answers their results
and, as temporaries, the broadcast-size arrays their steps hold at once."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..broadcast import broadcast_shapes
from ..operands import NO_VALUE, WEAK_SCALAR_TYPES, as_array, shape_of, unit
from ..record import Estimate, build
from ..registry import projects
from .common import BOOL, ELIDE_BYTES, F8, elides, out_array


def _by_stand_ins(func: Any, operands: dict, options: dict, out: Any = None,
                  temporaries: float = 0) -> Estimate:
    """Broadcast shape of the array arguments; dtype from NumPy on one-element
    stand-ins; `temporaries` broadcast-size float64 arrays alive at the worst step."""
    given = {k: v for k, v in operands.items() if v is not None and v is not NO_VALUE}
    shape = broadcast_shapes([shape_of(v) for v in given.values()])
    call = {k: (v if type(v) in WEAK_SCALAR_TYPES else unit(v)) for k, v in given.items()}
    dtype = np.asarray(func(**call, **options)).dtype
    out = out_array(out)
    return build(func, (shape,), (dtype if out is None else out.dtype,),
                 tuple(as_array(v) for v in given.values()), outs=(out,),
                 extra=int(temporaries * math.prod(shape) * F8.itemsize))


@projects(np.around, np.round, delegated=True)
def around(func: Any, /, a: Any, decimals: Any = 0, out: Any = None) -> Estimate:
    """Complex data: a copy, whose real and imaginary parts are rounded one at a time
    into a new array of the part's size, then set back."""
    est = _by_stand_ins(func, {"a": a}, {"decimals": decimals}, out)
    x = as_array(a)
    return est._replace(temporaries=x.size * x.itemsize // 2) if x.dtype.kind == "c" else est


@projects(np.clip, delegated=True)
def clip(func: Any, /, a: Any, a_min: Any = NO_VALUE, a_max: Any = NO_VALUE, out: Any = None,
         *, min: Any = NO_VALUE, max: Any = NO_VALUE, **kwargs: Any) -> Estimate:  # noqa: A002
    """NumPy's own checks of the bounds (both None is a copy; a_min with min is an
    error), replayed with the keywords as given."""
    given = {k: v for k, v in (("a_min", a_min), ("a_max", a_max), ("min", min),
                               ("max", max)) if v is not NO_VALUE}
    operands = {"a": a, **{k: v for k, v in given.items() if v is not None}}
    options = {k: None for k, v in given.items() if v is None}
    return _by_stand_ins(func, operands, {**options, **kwargs}, out)


@projects(np.fix, np.isneginf, np.isposinf, delegated=True)
def fix(func: Any, /, x: Any, out: Any = None) -> Estimate:
    """fix: in place in its result (measured); isneginf/isposinf: two masks."""
    return _by_stand_ins(func, {"x": x}, {}, out, temporaries=0 if func is np.fix else 0.25)


@projects(np.angle, delegated=True)
def angle(func: Any, /, z: Any, deg: Any = False) -> Estimate:
    return _by_stand_ins(func, {"z": z}, {"deg": deg})


@projects(np.isreal, np.sinc, delegated=True)
def isreal(func: Any, /, x: Any) -> Estimate:
    """isreal: imag(x) == 0 (imag of real data is a new array of zeros); sinc:
    y = pi * where(x == 0, 1e-20, x), then sin(y) / y: two more arrays of the result."""
    est = _by_stand_ins(func, {"x": x}, {})
    a = as_array(x)
    if func is np.sinc:
        return est._replace(temporaries=2 * est.nbytes)
    return est._replace(temporaries=0 if a.dtype.kind == "c" else a.size * a.itemsize)


@projects(np.isclose, delegated=True)
def isclose(func: Any, /, a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
            equal_nan: Any = False) -> Estimate:
    """b as a float type (a copy of non-float b, kept), then the worst of: a - b and
    its absolute value (in place where NumPy's elision can); that and |b| with
    rtol * |b| (a new array where the product cannot be computed in place: float32
    data times the float64 rtol); that, the tolerance and two masks."""
    est = _by_stand_ins(func, {"a": a, "b": b}, {"rtol": rtol, "atol": atol,
                                                  "equal_nan": equal_nan})
    x = a if type(a) in WEAK_SCALAR_TYPES else as_array(a)
    y = b if type(b) in WEAK_SCALAR_TYPES else as_array(b)
    n = est.result_size
    if type(x) in WEAK_SCALAR_TYPES and type(y) in WEAK_SCALAR_TYPES:
        return est
    if type(y) in WEAK_SCALAR_TYPES or y.dtype.kind == "m":  # a scalar b: float(b)
        if type(y) not in WEAK_SCALAR_TYPES:
            return est
        difference = np.result_type(x, y)
        absolute = n * _real(difference).itemsize
        return est._replace(temporaries=max(n * difference.itemsize + _new_absolute(
            difference, n), absolute + n))
    floated = np.result_type(y, 1.0)
    cast = y.size * floated.itemsize if floated != y.dtype else 0
    difference = np.result_type(x, floated)
    absolute = n * _real(difference).itemsize
    magnitude = y.size * _real(floated).itemsize
    in_place = elides(_real(floated), magnitude, rtol)
    worst = max(n * difference.itemsize + _new_absolute(difference, n),
                absolute + magnitude * (1 if in_place else 2), absolute + magnitude + 2 * n)
    return est._replace(temporaries=cast + worst)


def _new_absolute(dtype: np.dtype, n: int) -> int:
    """Bytes abs(x - y) adds: none where NumPy computes it in the temporary difference
    (its unary elision: a real difference of at least ELIDE_BYTES)."""
    in_place = dtype.kind != "c" and n * dtype.itemsize >= ELIDE_BYTES
    return 0 if in_place else n * _real(dtype).itemsize


def _real(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


@projects(np.allclose, delegated=True)
def allclose(func: Any, /, a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
             equal_nan: Any = False) -> Estimate:
    close = isclose(np.isclose, a, b, rtol, atol, equal_nan)
    return build(func, ((),), (BOOL,), (as_array(a), as_array(b)), peak=close.peak)


@projects(np.polyval, delegated=True)
def polyval(func: Any, /, p: Any, x: Any) -> Estimate:
    """y = zeros_like(x), then y = y * x + p[i] for each coefficient: the previous y,
    the product and the sum alive together (the sum computed in the product where
    NumPy's temporary elision can). The dtypes settle after a step or two: the first
    three steps decide the peak."""
    p, x = as_array(p), as_array(x)
    if p.ndim == 0:
        raise TypeError("iteration over a 0-d array")
    y = np.zeros_like(unit(x))
    if p.ndim > 1:  # each row of p broadcast against x: three arrays of the result
        shape = broadcast_shapes([x.shape, p.shape[1:]]) if len(p) else x.shape
        dtype = np.polyval(unit(p, 1), unit(x)).dtype if len(p) else y.dtype
        return build(func, (shape,), (dtype,), (p, x),
                     extra=2 * math.prod(shape) * dtype.itemsize)
    peak = x.size * y.itemsize
    for coefficient in p[:3]:
        product = y * unit(x)
        total = product + coefficient
        size = x.size * product.itemsize
        in_place = elides(product.dtype, size, coefficient) and total.dtype == product.dtype
        peak = max(peak, x.size * y.itemsize + size + (0 if in_place else x.size * total.itemsize))
        y = total
    return build(func, (x.shape,), (y.dtype,), (p, x), peak=peak)


@projects(np.gradient, delegated=True)
def gradient(func: Any, /, f: Any, *varargs: Any, axis: Any = None,
             edge_order: Any = 1) -> Estimate:
    """One array of f's shape per axis (float64 for integers: a float64 copy of f
    first), all kept; each is filled from a slice difference divided by the spacing
    (the division in the difference where NumPy's temporary elision can)."""
    f = as_array(f)
    axes = normalize_axis_tuple(range(f.ndim) if axis is None else axis, f.ndim)
    if len(varargs) not in (0, len(axes)) and not (len(varargs) == 1
                                                     and np.ndim(varargs[0]) == 0):
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    for ax in axes:
        if f.shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
    n = len(axes)
    dtype = f.dtype if f.dtype.kind in "fcmM" else F8
    if dtype.kind == "M":
        dtype = np.dtype(dtype.str.replace("M", "m"))
    each = f.size * dtype.itemsize
    copy = each if f.dtype.kind not in "fcmM" else 0
    temporaries = 1 if elides(dtype, each, 2.0) else 2
    return build(func, (f.shape,) * n, (dtype,) * n, (f,), extra=copy + temporaries * each)


@projects(np.trapezoid, delegated=True)
def trapezoid(func: Any, /, y: Any, x: Any = None, dx: Any = 1.0, axis: Any = -1) -> Estimate:
    """The reduction along `axis` of d * (y[1:] + y[:-1]) / 2.0: the sum of the
    slices, then the product and the quotient, each computed in the previous
    temporary where NumPy's elision can (float data: one array of the slices' size;
    integers: the sum, and the float product beside it); diff(x) for x."""
    y = as_array(y)
    ax = np.lib.array_utils.normalize_axis_index(axis, y.ndim)
    args = (unit(y),) if x is None else (unit(y), unit(x))
    dtype = np.asarray(np.trapezoid(*[np.concatenate([a, a], axis=-1) for a in args],
                                    dx=dx, axis=-1)).dtype
    pairs = y.size // y.shape[ax] * max(y.shape[ax] - 1, 0) if y.shape[ax] else 0
    d = dx if x is None else np.zeros(1, np.diff(np.zeros(2, as_array(x).dtype)).dtype)
    steps = 0 if x is None else as_array(x).size * np.asarray(d).itemsize
    total = (unit(y) + unit(y)).dtype
    product = np.asarray((unit(y) + unit(y)) * d).dtype
    first = pairs * total.itemsize
    # (elision takes a scalar or an operand of the temporary's own shape: not diff(x))
    second = 0 if x is None and elides(total, first, d) else pairs * product.itemsize
    third = 0 if elides(product, pairs * product.itemsize, 2.0) else pairs * dtype.itemsize
    work = max(first + second, (second or first) + third)
    return build(func, (y.shape[:ax] + y.shape[ax + 1:],), (dtype,), (y,), extra=work + steps)
