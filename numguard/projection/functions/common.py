"""Helpers of the array-function projections: stand-ins, result dtypes, shape rules.

Shapes come from short rules over operand shapes (O(ndim) work), dtypes from NumPy
itself run on zero-size stand-ins of the real dtypes (no element data).

Why not run NumPy on zero-itemsize stand-ins (dtype([])) for every shape? They give
exact shapes with no data, but NumPy still iterates over the result: concatenating
two (5e6, 2e5) stand-ins took 10 s. Views (broadcast_to, diagonal) are the
exception, and those do use NumPy itself.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..operands import as_array, zero
from ..record import Estimate, build

VOID = np.dtype([])
INTP = np.dtype(np.intp)
F8 = np.dtype(np.float64)
BOOL = np.dtype(bool)


def data_free(shape: tuple, dtype: Any) -> np.ndarray:
    """An array of `shape` and `dtype` without data (every stride 0, one element
    behind it): for projections that read shapes and dtypes only."""
    return np.lib.stride_tricks.as_strided(np.empty(1, dtype), shape, (0,) * len(shape))


def void(shape: tuple) -> np.ndarray:
    """A zero-itemsize stand-in: any shape, 0 bytes (use only where NumPy makes a view)."""
    return np.empty(shape, dtype=VOID)


def out_array(out: Any) -> np.ndarray | None:
    """A given `out=`, which must be an ndarray."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be an ndarray")
    return out


NONZERO_0D = ("Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar)"
              ".nonzero() instead. If the context of this error is of the form "
              "`arr[nonzero(cond)]`, just use `arr[cond]`.")


def count_nonzero(a: Any) -> int | None:
    """How many elements NumPy's nonzero finds: the count it makes itself before
    allocating (one pass, nothing allocated). None for object and StringDType data,
    where counting would call each element's `__bool__` a second time."""
    if a.dtype.kind in "OTV":
        return None
    return int(np.count_nonzero(np.asarray(a)))


def nonzero_estimate(func: Any, a: Any) -> Estimate:
    """nonzero-like: one intp index array per axis, of the nonzero count (at most a.size
    where the count is not taken: a bound)."""
    a = as_array(a)
    if a.ndim == 0:
        raise ValueError(NONZERO_0D)
    count = count_nonzero(a)
    n = a.size if count is None else count
    return build(func, ((n,),) * a.ndim, (INTP,) * a.ndim, (a,), exact=count is not None)


#: From this size on, NumPy computes `temporary <op> b` in the temporary itself.
ELIDE_BYTES = 256 * 1024


def elides(temporary: np.dtype, nbytes: int, other: Any) -> bool:
    """NumPy's temporary elision (temp_elide.c): a Python binary operator whose left
    operand (either one, for commutative operators) is an unreferenced numeric array
    of at least ELIDE_BYTES runs in place when the other operand casts safely to its
    dtype (a Python scalar as NumPy's default array of its type: 1.0 is float64)."""
    if nbytes < ELIDE_BYTES or temporary.kind not in "biufc":
        return False
    return bool(np.can_cast(np.asarray(other) if np.ndim(other) == 0 else as_array(other),
                            temporary, "safe"))


def product_dtype(a: Any, b: Any) -> np.dtype:
    return np.multiply(zero(a), zero(b)).dtype


def dot_dtype(x: Any, y: Any) -> np.dtype:
    return np.dot(np.empty((0,), as_array(x).dtype), np.empty((0,), as_array(y).dtype)).dtype


def shape_arg(shape: Any) -> tuple:
    """A shape argument: an integer or a sequence of them."""
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        return (operator.index(shape),)


def atleast(shape: tuple, n: int) -> tuple:
    """The shape np.atleast_{n}d gives."""
    if len(shape) >= n:
        return shape
    if n == 1:
        return (1,)
    if n == 2:
        return (1,) + shape if shape else (1, 1)
    # atleast_3d: (N,) -> (1, N, 1); (M, N) -> (M, N, 1); () -> (1, 1, 1)
    if not shape:
        return (1, 1, 1)
    if len(shape) == 1:
        return (1,) + shape + (1,)
    return shape + (1,)


def concat_shape(shapes: list, axis: Any) -> tuple:
    """np.concatenate's result shape, with its errors."""
    if not shapes:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        return (sum(math.prod(s) for s in shapes),)
    first = shapes[0]
    nd = len(first)
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis_index(axis, nd)
    total = 0
    for s in shapes:
        if len(s) != nd:
            raise ValueError("all the input arrays must have same number of dimensions")
        for i in range(nd):
            if i != ax and s[i] != first[i]:
                raise ValueError("all the input array dimensions except for the "
                                 "concatenation axis must match exactly")
        total += s[ax]
    return first[:ax] + (total,) + first[ax + 1:]


def join_dtype(arrays: list, dtype: Any, casting: Any = "same_kind", out: Any = None) -> np.dtype:
    """The dtype of a join, and NumPy's checks of dtype, out and casting: np.concatenate
    on zero-size stand-ins of the arrays' dtypes."""
    stand_ins = [np.empty(0, a.dtype) for a in arrays]
    if not stand_ins:
        return np.result_type(*arrays)  # NumPy's own error follows from the shapes
    target = None if out is None else np.empty(0, out.dtype)
    return np.concatenate(stand_ins, out=target, dtype=dtype, casting=casting).dtype
