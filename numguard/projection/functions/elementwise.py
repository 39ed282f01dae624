"""Element-wise functions implemented in Python: their temporaries skip the ufunc path
because they convert their input with np.asarray.

np.lib.scimath's result is complex where the data decides (a negative input to sqrt,
|x| > 1 to arccos): decided from real data as NumPy decides it; for complex data the
projection takes the larger of the possible results (a bound). np.i0 and np.unwrap are
modelled from measurement on NumPy 2.4 (how much of np.i0's work falls in each of
its two branches depends on the data: the model takes it all in one).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..broadcast import broadcast_shapes
from ..operands import WEAK_SCALAR_TYPES, as_array, plain_array, shape_of, unit
from ..record import Estimate, build
from ..registry import projects

#: scimath function -> how each operand may be converted: "negative" (a real negative
#: makes it complex), "beyond one" (|x| > 1 makes it complex), "negative int" (a
#: negative integer exponent makes it float).
_SCIMATH = {
    "sqrt": ("negative",), "log": ("negative",), "log10": ("negative",),
    "log2": ("negative",), "arccos": ("beyond one",), "arcsin": ("beyond one",),
    "arctanh": ("beyond one",), "logn": ("negative", "negative"),
    "power": ("negative", "negative int"),
}
_TRIGGERS = {"negative": -2, "beyond one": 2, "negative int": -2}


@projects(np.nan_to_num)
def nan_to_num(func: Any, /, x: Any, copy: Any = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Estimate:
    """np.array(x, copy=copy), then for each real part the NaN and +-inf masks (five
    boolean arrays at once, in isposinf/isneginf); copy=False returns x itself."""
    a = as_array(x)
    dtype = np.asarray(np.nan_to_num(unit(a), copy=True, nan=nan, posinf=posinf,
                                     neginf=neginf)).dtype
    masks = a.size * (6 if a.dtype.kind == "c" else 5) if a.dtype.kind in "fc" else 0
    keeps = not copy and a is x
    return build(func, (a.shape,), (dtype,), (a,), view=keeps, extra=masks)


@projects(np.iscomplex)
def iscomplex(func: Any, /, x: Any) -> Estimate:
    a = as_array(x)
    return build(func, (a.shape,), (np.dtype(bool),), (a,))


@projects(np.i0)
def i0(func: Any, /, x: Any) -> Estimate:
    """abs(x), the branch masks, the result, the selected values and the Chebyshev
    series (several arrays of the selected values, in float64 at least: its
    coefficients are float64 scalars)."""
    a = as_array(x)
    dtype = np.asarray(np.i0(unit(a))).dtype
    work = a.size * dtype.itemsize
    series = 6 * a.size * max(dtype.itemsize, 8)
    return build(func, (a.shape,), (dtype,), (a,), peak=3 * work + series + 3 * a.size)


@projects(np.unwrap)
def unwrap(func: Any, /, p: Any, discont: Any = None, axis: Any = -1, *,
           period: Any = 2 * math.pi) -> Estimate:
    """diff, its wrapped copy, the correction and its cumulative sum, beside the result
    (five arrays of the result's type, measured)."""
    a = as_array(p)
    dtype = np.asarray(np.unwrap(np.zeros((2,) * max(a.ndim, 1), a.dtype), discont,
                                 axis, period=period)).dtype
    return build(func, (a.shape,), (dtype,), (a,), peak=5 * a.size * dtype.itemsize + a.size)


def _scimath(func: Any, operands: dict) -> Estimate:
    """NumPy first tests each operand (np.lib.scimath's _fix_*: `isreal(x) & (x < 0)`,
    a zero imaginary part for a real x and masks), converts it where the test holds (a
    complex or float copy), then runs the ufunc. For real data the test is decided
    here as NumPy decides it, by reductions over the data (min and max, which allocate
    nothing): the projection is exact. For complex and object data both outcomes are
    taken, and the larger result is the projection (a bound)."""
    operands = {k: x if type(x) in WEAK_SCALAR_TYPES else as_array(x)
                for k, x in operands.items()}
    shape = broadcast_shapes([shape_of(x) for x in operands.values()])
    choices = []
    converted = 0
    for x, rule in zip(operands.values(), _SCIMATH[func.__name__]):
        options, copy = _outcomes(x, rule)
        choices.append(options)
        converted += copy
    results = []
    with np.errstate(all="ignore"):
        for combination in itertools.product(*choices):
            results.append(np.asarray(func(*combination)).dtype)
    dtype = max(results, key=lambda d: (d.itemsize, d.kind == "c"))
    result = math.prod(shape) * dtype.itemsize
    check = max((x.size * (x.itemsize + 1) for x in operands.values()
                 if type(x) not in WEAK_SCALAR_TYPES), default=0)
    base = operands.get("n")  # logn: log(x) / log(n), the division in place (elision)
    logs = 0 if base is None or type(base) in WEAK_SCALAR_TYPES else base.size * dtype.itemsize
    return build(func, (shape,), (dtype,), tuple(operands.values()),
                 exact=len(set(results)) == 1,
                 peak=max(check, converted + result + logs))


_FIXES = {"negative": "_fix_real_lt_zero", "beyond one": "_fix_real_abs_gt_1",
          "negative int": "_fix_int_lt_zero"}


def _outcomes(x: Any, rule: str) -> tuple[list, int]:
    """(one-element stand-ins of x after NumPy's test: unconverted, converted or both;
    bytes of the converted copy where there may be one)."""
    if type(x) in WEAK_SCALAR_TYPES:
        return [x], 0  # its own value decides, in the replay
    one = unit(x)
    if one.dtype.kind not in ("iufcO" if rule == "beyond one" else "ifcO"):
        return [np.ones_like(one)], 0  # unsigned or bool: never converted
    trigger = np.full_like(one, _TRIGGERS[rule])
    fix = getattr(np.lib._scimath_impl, _FIXES[rule])
    copy = x.size * np.asarray(fix(trigger)).dtype.itemsize
    triggered = _test(x, rule)
    if triggered is None:
        return [np.ones_like(one), trigger], copy
    return ([trigger], copy) if triggered else ([np.ones_like(one)], 0)


def _test(x: Any, rule: str) -> bool | None:
    """NumPy's test on real data, by fmin and fmax, which skip NaN as NumPy's masks do
    (NaN < 0 is False); None where it cannot be decided without masks (complex,
    object)."""
    if x.size == 0:
        return False
    if x.dtype.kind not in "iuf":
        return None
    x = plain_array(x)
    with np.errstate(all="ignore"):
        low = np.fmin.reduce(x, axis=None)
        if rule == "beyond one":
            return bool(np.fmax.reduce(x, axis=None) > 1 or low < -1)
        return bool(low < 0)


@projects("lib.scimath.sqrt", "lib.scimath.log", "lib.scimath.log10", "lib.scimath.log2",
          "lib.scimath.arccos", "lib.scimath.arcsin", "lib.scimath.arctanh", bound=True)
def scimath_unary(func: Any, /, x: Any) -> Estimate:
    return _scimath(func, {"x": x})


@projects("lib.scimath.logn", bound=True)
def logn(func: Any, /, n: Any, x: Any) -> Estimate:
    return _scimath(func, {"n": n, "x": x})


@projects("lib.scimath.power", bound=True)
def power(func: Any, /, x: Any, p: Any) -> Estimate:
    return _scimath(func, {"x": x, "p": p})
