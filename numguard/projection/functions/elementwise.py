"""Element-wise functions implemented in Python: their temporaries skip the ufunc path
because they convert their input with np.asarray. np.lib.scimath's are bounded: a
negative input makes a complex result, which the projection assumes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..broadcast import broadcast_shapes
from ..operands import WEAK_SCALAR_TYPES, shape_of, unit
from ..record import Estimate, build
from ..registry import projects

_SCIMATH_1 = ("lib.scimath.sqrt", "lib.scimath.log", "lib.scimath.log10", "lib.scimath.log2",
              "lib.scimath.arccos", "lib.scimath.arcsin", "lib.scimath.arctanh")


@projects(np.nan_to_num)
def nan_to_num(func: Any, /, x: Any, copy: Any = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Estimate:
    return _elementwise(func, {"x": x}, {"copy": copy, "nan": nan, "posinf": posinf,
                                         "neginf": neginf})


@projects(np.iscomplex, np.i0)
@projects(*_SCIMATH_1, bound=True)
def unary(func: Any, /, x: Any) -> Estimate:
    return _elementwise(func, {"x": x}, {})


@projects(np.unwrap)
def unwrap(func: Any, /, p: Any, discont: Any = None, axis: Any = -1, *,
           period: Any = 2 * math.pi) -> Estimate:
    return _elementwise(func, {"p": p}, {"discont": discont, "axis": axis, "period": period})


@projects("lib.scimath.logn", bound=True)
def logn(func: Any, /, n: Any, x: Any) -> Estimate:
    return _elementwise(func, {"n": n, "x": x}, {})


@projects("lib.scimath.power", bound=True)
def power(func: Any, /, x: Any, p: Any) -> Estimate:
    return _elementwise(func, {"x": x, "p": p}, {})


def _elementwise(func: Any, operands: dict, options: dict) -> Estimate:
    """Broadcast shape of the array parameters; dtype from NumPy on one-element stand-ins.

    For np.lib.scimath the stand-ins hold -2, so a data-dependent complex result is
    assumed: an upper bound.
    """
    shape = broadcast_shapes([shape_of(x) for x in operands.values()])
    scimath = func.__module__ == "numpy.lib.scimath"
    call = dict(options)
    for name, x in operands.items():
        if type(x) in WEAK_SCALAR_TYPES:
            call[name] = x
            continue
        stand = unit(x)
        if scimath:
            stand = np.full(stand.shape, -2, stand.dtype)
        call[name] = stand
    dtype = np.asarray(func(**call)).dtype
    return build(func, (shape,), (dtype,), tuple(operands.values()),
                 exact=False if scimath else None)
