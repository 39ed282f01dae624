"""Array functions whose operands broadcast element-wise against each other.

These are the estimates with `broadcast=True`: inflation and rank promotion mean
here what they mean for a ufunc call.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..broadcast import broadcast_shapes, stretches
from ..operands import WEAK_SCALAR_TYPES, as_array, dtype_of, shape_of, zero
from ..record import Estimate, build
from ..registry import projects
from .common import nonzero_estimate, out_array, void

#: np.where's result dtype by operand dtypes (Python scalar types stand for weak scalars).
_WHERE_DTYPES: dict[tuple, np.dtype] = {}


@projects(np.where)
def where(func: Any, condition: Any, x: Any = None, y: Any = None, /) -> Estimate:
    if x is None and y is None:
        return nonzero_estimate(func, condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    operands = (condition, x, y)
    shapes = [shape_of(o) for o in operands]
    shape = broadcast_shapes(shapes)
    key = (dtype_of(condition), dtype_of(x), dtype_of(y))
    dtype = _WHERE_DTYPES.get(key)
    if dtype is None:
        dtype = np.where(zero(condition), zero(x), zero(y)).dtype
        if len(_WHERE_DTYPES) < 1024:
            _WHERE_DTYPES[key] = dtype
    stretched = stretches(shapes, shape) if len(set(shapes)) > 1 else ()
    return build(func, (shape,), (dtype,), operands, stretched=stretched, broadcast=True)


@projects(np.choose)
def choose(func: Any, /, a: Any, choices: Any, out: Any = None, mode: Any = "raise") -> Estimate:
    """PyArray_Choose: the choices converted to their common dtype (copies where it
    differs), the indices as intp (a copy of other integers), then the result (a
    buffer first, where out= is given in mode "raise" or may overlap)."""
    a, out = as_array(a), out_array(out)
    options = [c if type(c) in WEAK_SCALAR_TYPES else as_array(c) for c in choices]
    shapes = [a.shape] + [shape_of(c) for c in options]
    shape = broadcast_shapes(shapes)
    dtype = np.choose(np.empty((0,), a.dtype), [zero(c) for c in options]).dtype
    casts = sum(c.size * dtype.itemsize for c in options
                if type(c) not in WEAK_SCALAR_TYPES and c.dtype != dtype)
    casts += a.size * 8 if a.dtype != np.intp else 0
    if out is not None and (mode in ("raise", 2) or any(
            np.may_share_memory(out, c) for c in [a, *options] if isinstance(c, np.ndarray))):
        casts += math.prod(shape) * dtype.itemsize
    return build(func, (shape,), (dtype,), (a, *options), outs=(out,), extra=casts,
                 stretched=stretches(shapes, shape), broadcast=True)


@projects(np.select)
def select(func: Any, /, condlist: Any, choicelist: Any, default: Any = 0) -> Estimate:
    conds = [as_array(c) for c in condlist]
    choices = [as_array(c) for c in choicelist]
    if len(conds) != len(choices):
        raise ValueError("list of cases must be same length as list of conditions")
    shapes = [c.shape for c in conds] + [c.shape for c in choices] + [shape_of(default)]
    shape = broadcast_shapes(shapes)
    stand_default = default if np.ndim(default) == 0 else zero(default)
    dtype = np.select([zero(c) for c in conds], [zero(c) for c in choices],
                      stand_default).dtype
    return build(func, (shape,), (dtype,), (*conds, *choices),
                 stretched=stretches(shapes[:-1], shape), broadcast=True)


@projects(np.broadcast_to)
def broadcast_to(func: Any, /, array: Any, shape: Any, subok: Any = False) -> Estimate:
    array = as_array(array)
    result = np.broadcast_to(void(array.shape), shape).shape  # a view: NumPy decides
    return build(func, (result,), (array.dtype,), (array,), view=True, broadcast=True)


@projects(np.broadcast_arrays)
def broadcast_arrays(func: Any, /, *args: Any, subok: Any = False) -> Estimate:
    arrays = [as_array(a) for a in args]
    shape = broadcast_shapes([a.shape for a in arrays])
    n = len(arrays)
    return build(func, (shape,) * n, tuple(a.dtype for a in arrays), tuple(arrays),
                 view=True, broadcast=True)


@projects(np.cross)
def cross(func: Any, /, a: Any, b: Any, axisa: Any = -1, axisb: Any = -1, axisc: Any = -1,
          axis: Any = None) -> Estimate:
    if axis is not None:
        axisa = axisb = axisc = axis
    return _cross(func, as_array(a), as_array(b), axisa, axisb, axisc)


@projects("linalg.cross")
def linalg_cross(func: Any, x1: Any, x2: Any, /, *, axis: Any = -1) -> Estimate:
    a, b = as_array(x1), as_array(x2)
    if a.shape[-1:] != (3,) or b.shape[-1:] != (3,):
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors")
    return _cross(func, a, b, axis, axis, axis)


def _cross(func: Any, a: Any, c: Any, axisa: Any, axisb: Any, axisc: Any) -> Estimate:
    ia, ib = normalize_axis_index(axisa, a.ndim), normalize_axis_index(axisb, c.ndim)
    na, nb = a.shape[ia], c.shape[ib]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product")
    rest = broadcast_shapes([a.shape[:ia] + a.shape[ia + 1:], c.shape[:ib] + c.shape[ib + 1:]])
    dtype = np.promote_types(a.dtype, c.dtype)
    if na == 2 and nb == 2:
        shape = rest
    else:
        dims = list(rest)
        dims.insert(normalize_axis_index(axisc, len(rest) + 1), 3)
        shape = tuple(dims)
    # NumPy copies both inputs in the common type (astype), and keeps one
    # component-sized temporary (a1 * b0 and the like).
    copies = (a.size + c.size) * dtype.itemsize
    temp = math.prod(rest) * dtype.itemsize
    return build(func, (shape,), (dtype,), (a, c), extra=copies + temp, broadcast=True)
