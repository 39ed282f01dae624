"""`ufunc(*inputs, **kwargs)`: elementwise ufuncs and generalized ufuncs.

Checks happen in NumPy's order: arguments, then dtype resolution (and Python-int
range), then shapes. So a call that NumPy rejects for two reasons is rejected here
for the same one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arguments import allocated_nbytes, check_order, outputs, reject_unknown, where_shape
from .broadcast import broadcast_shapes, check_fits, stretches
from .dtypes import DIMENSIONS_REFUSED, call_dtypes
from .gufunc import gufunc_shapes
from .operands import as_operand, dtype_of, shape_of
from .record import Estimate

_CALL_KEYWORDS = frozenset(
    {"out", "where", "casting", "order", "dtype", "subok", "signature"}
)
_GUFUNC_KEYWORDS = (_CALL_KEYWORDS - {"where"}) | {"axes", "axis", "keepdims"}
_ndarray = np.ndarray
_fast_cache: dict[tuple, np.dtype] = {}


def estimate_call(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    """Estimate `ufunc(*args, **kwargs)`."""
    if not kwargs and len(args) == 2 and ufunc.nin == 2 and ufunc.nout == 1:
        fast = _equal_shapes_fast_path(ufunc, args)
        if fast is not None:
            return fast
    nin, nout = ufunc.nin, ufunc.nout
    name = ufunc.__name__
    if not nin <= len(args) <= nin + nout:
        raise TypeError(
            f"{name}() takes from {nin} to {nin + nout} positional arguments "
            f"but {len(args)} were given"
        )
    is_gufunc = ufunc.signature is not None
    reject_unknown(name, kwargs, _GUFUNC_KEYWORDS if is_gufunc else _CALL_KEYWORDS)
    outs = outputs(nout, args[nin:], kwargs)
    inputs = tuple(as_operand(x) for x in args[:nin])
    check_order(kwargs.get("order"))
    if "dtype" in kwargs and kwargs.get("signature") is not None and kwargs["dtype"] is not None:
        raise TypeError("cannot specify both 'signature' and 'dtype'")
    in_dtypes = tuple(dtype_of(x) for x in inputs)
    result_dtypes = call_dtypes(ufunc, inputs, outs, kwargs)
    in_shapes = tuple(shape_of(x) for x in inputs)
    if is_gufunc:
        out_shapes, stretched = gufunc_shapes(
            ufunc,
            list(in_shapes) + [None if o is None else o.shape for o in outs],
            axes=kwargs.get("axes"),
            axis=kwargs.get("axis"),
            keepdims=kwargs.get("keepdims"),
        )
    else:
        out_shapes, stretched = _elementwise_shapes(in_shapes, outs, kwargs)
    if result_dtypes is DIMENSIONS_REFUSED:  # the shape checks above must have raised
        raise ValueError(f"{name}: an operand does not have enough dimensions")
    out_dtypes = tuple(d if o is None else o.dtype for o, d in zip(outs, result_dtypes))
    nbytes, exact = allocated_nbytes(out_shapes, out_dtypes, outs)
    return Estimate(
        ufunc, "__call__", out_shapes, out_dtypes, nbytes, exact,
        in_shapes, in_dtypes, stretched,
    )


def _elementwise_shapes(in_shapes: tuple, outs: tuple, kwargs: dict) -> tuple:
    shapes = list(in_shapes)
    where = where_shape(kwargs.get("where", True))
    if where is not None:
        shapes.append(where)
    result = broadcast_shapes(shapes)
    given = [o.shape for o in outs if o is not None]
    if given:
        full = broadcast_shapes([result] + given)
        for shape in given:
            check_fits(full, shape)
        result = full
    stretched = stretches(in_shapes, result) if any(s != result for s in in_shapes) else ()
    return (result,) * len(outs), stretched


def _equal_shapes_fast_path(ufunc: np.ufunc, args: tuple) -> Estimate | None:
    """Two arrays of one shape, no keywords: the hot path of every guarded `a + b`."""
    a, b = args
    if type(a) is not _ndarray or type(b) is not _ndarray:
        return None
    shape = a.shape
    if shape != b.shape or ufunc.signature is not None:
        return None
    a_dtype, b_dtype = a.dtype, b.dtype
    try:
        out_dtype = _fast_cache[(ufunc, a_dtype, b_dtype)]
    except KeyError:
        out_dtype = call_dtypes(ufunc, (a, b), (None,), {})[0]
        if len(_fast_cache) >= 1024:
            _fast_cache.clear()
        _fast_cache[(ufunc, a_dtype, b_dtype)] = out_dtype
    if out_dtype.kind in "OT":
        return None
    return Estimate(
        ufunc, "__call__", (shape,), (out_dtype,), a.size * out_dtype.itemsize, True,
        (shape, shape), (a_dtype, b_dtype), (),
    )
