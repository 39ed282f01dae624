"""Helpers shared by the array-function projections.

Every projection takes plain (unwrapped) arguments and returns an `Estimate`, or
raises: any exception means "numguard cannot project this call", and the guard then
lets NumPy run and raise its own error. Shapes come from short rules over operand
shapes (O(ndim) work), dtypes from NumPy itself, run on zero-size stand-ins of the
real dtypes (no element data).
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable

import numpy as np

from numguard.estimate import Estimate
from numguard.estimate.arguments import normalize_axis
from numguard.estimate.operands import WEAK_SCALAR_TYPES

_ARRAY_TYPES = (np.ndarray, np.generic)
NO_VALUE = np._NoValue


def arr(x: Any) -> np.ndarray | np.generic:
    """`x` as NumPy will see it (lists are converted, as NumPy would convert them)."""
    return x if isinstance(x, _ARRAY_TYPES) else np.asarray(x)


def zero(x: Any) -> Any:
    """A zero-size stand-in with `x`'s dtype; Python int/float/complex stay weak (NEP 50)."""
    if type(x) in WEAK_SCALAR_TYPES:
        return x
    return np.empty((0,), dtype=arr(x).dtype)


def unit(x: Any, ndim: int | None = None) -> np.ndarray:
    """A one-element stand-in (zeros, so object arrays hold 0) of `x`'s dtype."""
    a = arr(x)
    return np.zeros((1,) * (a.ndim if ndim is None else ndim), dtype=a.dtype)


def dtype_of(x: Any) -> Any:
    if type(x) in WEAK_SCALAR_TYPES:
        return type(x)
    return arr(x).dtype


def shape_of(x: Any) -> tuple[int, ...]:
    if type(x) in WEAK_SCALAR_TYPES:
        return ()
    return arr(x).shape


axis_index = normalize_axis


def axes_tuple(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(axis_index(a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("duplicate value in 'axis'")
        return axes
    return (axis_index(axis, ndim),)


def record(
    func: Any,
    shapes: tuple,
    dtypes: tuple,
    operands: tuple = (),
    *,
    outs: tuple | None = None,
    extra: int = 0,
    exact: bool = True,
    stretched: tuple = (),
) -> Estimate:
    """An Estimate: bytes of the results NumPy allocates (none for given `out=`), plus
    `extra` bytes of modelled temporaries."""
    shapes = tuple([s if type(s) is tuple else tuple(s) for s in shapes])
    dtypes = tuple([d if isinstance(d, np.dtype) else np.dtype(d) for d in dtypes])
    nbytes = extra
    for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        if outs is None or outs[index] is None:
            nbytes += math.prod(shape) * dtype.itemsize
        if dtype.kind in "OT":
            exact = False
    operand_shapes, operand_dtypes = [], []
    for x in operands:
        if isinstance(x, _ARRAY_TYPES):
            operand_shapes.append(x.shape)
            operand_dtypes.append(x.dtype)
        else:
            operand_shapes.append(shape_of(x))
            operand_dtypes.append(dtype_of(x))
    return Estimate(
        func, "__call__", shapes, dtypes, int(nbytes), exact,
        tuple(operand_shapes), tuple(operand_dtypes), stretched,
    )


_SIGNATURES: dict[Any, inspect.Signature] = {}


def bind(func: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """NumPy's own parameter list applied to the call (a wrong call fails as NumPy's does)."""
    try:
        signature = _SIGNATURES[func]
    except KeyError:
        signature = _SIGNATURES[func] = inspect.signature(func)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


Projector = Callable[[tuple, dict], Estimate]
