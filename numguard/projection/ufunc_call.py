"""`ufunc(*inputs, **kwargs)`: elementwise ufuncs and generalized ufuncs.

Checks happen in NumPy's order: arguments, then dtype resolution (and Python-int
range), then shapes. So a call that NumPy rejects for two reasons is rejected here
for the same one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import broadcast_shapes, check_fits, stretches
from .dtypes import DIMENSIONS_REFUSED, call_dtypes
from .gufunc import gufunc_shapes
from .operands import as_operand, shape_of
from .overlap import has_outputs, overlap_copy_nbytes
from .record import Estimate, build, build_elementwise
from .ufunc_arguments import check_order, outputs, reject_unknown, where_shape

_CALL_KEYWORDS = frozenset(
    {"out", "where", "casting", "order", "dtype", "subok", "signature"}
)
_GUFUNC_KEYWORDS = (_CALL_KEYWORDS - {"where"}) | {"axes", "axis", "keepdims"}
_ndarray = np.ndarray
_fast_cache: dict[tuple, np.dtype | None] = {}


def project_call(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    """Project `ufunc(*args, **kwargs)`: its results, and the temporary NumPy makes of
    an output that overlaps an input."""
    if not kwargs and len(args) == 2:
        fast = binary_fast_path(ufunc, args[0], args[1])
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
    if kwargs:
        reject_unknown(name, kwargs, _GUFUNC_KEYWORDS if is_gufunc else _CALL_KEYWORDS)
        check_order(kwargs.get("order"))
        if kwargs.get("signature") is not None and kwargs.get("dtype") is not None:
            raise TypeError("cannot specify both 'signature' and 'dtype'")
    outs = outputs(nout, args[nin:], kwargs)
    inputs = tuple([as_operand(x) for x in args[:nin]])
    result_dtypes = call_dtypes(ufunc, inputs, outs, kwargs)
    in_shapes = tuple([shape_of(x) for x in inputs])
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
    copies = 0
    if has_outputs(outs):
        loop_dtypes = _loop_dtypes(ufunc, inputs, out_dtypes, kwargs)
        copies = overlap_copy_nbytes(
            inputs, outs, loop_dtypes, elementwise=not is_gufunc, trivial=not is_gufunc
        )
    if is_gufunc:
        copies += _gufunc_casts(ufunc, inputs, outs, kwargs)
    return build(
        ufunc, out_shapes, out_dtypes, inputs, outs=outs, extra=copies,
        stretched=stretched, broadcast=not is_gufunc,
    )


def _loop_dtypes(ufunc: np.ufunc, inputs: tuple, out_dtypes: tuple, kwargs: dict) -> tuple:
    """The dtypes the loop writes: what NumPy would return without out= (a temporary
    for an overlapping output has that dtype). Some ufuncs require out= (the string
    helpers): their outputs' own dtypes then."""
    try:
        return call_dtypes(ufunc, inputs, (None,) * ufunc.nout, kwargs)
    except Exception:  # noqa: BLE001 - NumPy refuses the call without out=
        return out_dtypes


def _gufunc_casts(ufunc: np.ufunc, inputs: tuple, outs: tuple, kwargs: dict) -> int:
    """A generalized ufunc casts without buffers: a whole copy of each input whose dtype
    is not its loop's (matmul of float128 and complex128: the matrix as complex256),
    and a whole result in the loop's dtype for an output of another dtype."""
    if not all(isinstance(x, _ndarray) for x in inputs):
        return 0  # NumPy refuses scalars here (no core dimensions)
    options = {k: kwargs[k] for k in ("signature", "dtype", "casting") if kwargs.get(k)
               is not None}
    if "dtype" in options:
        options["signature"] = (None,) * ufunc.nin + (np.dtype(options.pop("dtype")),)
    try:
        loop = ufunc.resolve_dtypes(tuple(x.dtype for x in inputs) + tuple(
            None if o is None else o.dtype for o in outs), **options)
    except Exception:  # noqa: BLE001 - no loop: NumPy's own call raises
        return 0
    copies = sum(x.size * d.itemsize for x, d in zip(inputs, loop) if x.dtype != d)
    return copies + sum(o.size * d.itemsize for o, d in zip(outs, loop[ufunc.nin:])
                        if o is not None and o.dtype != d)


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


def binary_fast_path(ufunc: np.ufunc, a: Any, b: Any) -> Estimate | None:
    """No keywords, two operands of one shape or one array and one Python scalar.

    The hot path of every guarded `a + b` and `a * 2.5`, and of `estimate(np.add, a,
    b)`: the record is made here, in one frame. Anything else (broadcasting, keywords,
    gufuncs, object or string results) takes the general path (None).
    """
    if isinstance(a, _ndarray):
        shape = a.shape
        a_key = a.dtype
        if isinstance(b, _ndarray):
            if b.shape != shape:
                return None
            b_key = b.dtype
            try:
                out_dtype = _fast_cache[(ufunc, a_key, b_key)]
            except KeyError:
                out_dtype = _resolve(ufunc, a, b, a_key, b_key)
            if out_dtype is None:
                return None
            return _new(Estimate, (ufunc, "__call__", (shape,), (out_dtype,),
                                   a.size * out_dtype.itemsize, True, (shape, shape),
                                   (a_key, b_key), (), True, 0, "", 0))
        b_key = _weak_key(b)
        if b_key is None:
            return None
        size = a.size
    elif isinstance(b, _ndarray):
        a_key = _weak_key(a)
        if a_key is None:
            return None
        b_key = b.dtype
        shape = b.shape
        size = b.size
    else:
        return None
    try:
        out_dtype = _fast_cache[(ufunc, a_key, b_key)]
    except KeyError:
        out_dtype = _resolve(ufunc, a, b, a_key, b_key)
    if out_dtype is None:
        return None
    return build_elementwise(ufunc, shape, out_dtype, a, b, size * out_dtype.itemsize)


def _resolve(ufunc: Any, a: Any, b: Any, a_key: Any, b_key: Any) -> np.dtype | None:
    """The result dtype, resolved by NumPy's rules once per (ufunc, keys) and cached;
    None (cached too) where the fast path does not apply: not a binary element-wise
    ufunc, or an object or string result."""
    if not isinstance(ufunc, np.ufunc):
        return None
    out_dtype: np.dtype | None = None
    if ufunc.nin == 2 and ufunc.nout == 1 and ufunc.signature is None:
        out_dtype = call_dtypes(ufunc, (a, b), (None,), {})[0]
        if out_dtype is not None and out_dtype.kind in "OT":
            out_dtype = None
    if len(_fast_cache) >= 1024:
        _fast_cache.clear()
    _fast_cache[(ufunc, a_key, b_key)] = out_dtype
    return out_dtype


_new = tuple.__new__


def _weak_key(value: Any) -> Any:
    """The cache key of a Python scalar, or None where its value could matter."""
    kind = type(value)
    if kind is float or kind is complex:
        return kind
    if kind is int and 0 <= value < 128:
        return _SMALL_INT
    return None


_SMALL_INT = (int, "small")
