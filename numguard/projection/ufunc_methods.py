"""`ufunc.reduce`, `accumulate`, `reduceat`, `outer` and `at`.

Each reads its arguments through a Python function with NumPy's own parameter
list, so a wrong argument fails with the same TypeError NumPy raises.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from .broadcast import broadcast_shapes
from .dtypes import resolve
from .operands import WEAK_SCALAR_TYPES, as_array, discards_imaginary
from .overlap import overlap_copy_nbytes
from .record import Estimate, build
from .ufunc_arguments import check_output, where_shape
from .ufunc_call import project_call

_NO_VALUE = object()

#: Ufuncs without an identity whose reductions may still be reordered (NumPy's
#: PyUFunc_ReorderableNone), so they accept several axes at once.
REORDERABLE_WITHOUT_IDENTITY = frozenset({np.maximum, np.minimum, np.fmax, np.fmin})


def project_method(ufunc: np.ufunc, method: str, args: tuple, kwargs: dict) -> Estimate:
    """Project `getattr(ufunc, method)(*args, **kwargs)`."""
    try:
        handler = _METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown ufunc method {method!r}; expected one of "
            + ", ".join(sorted(_METHODS))
        ) from None
    return handler(ufunc, args, kwargs)


def _reduce_like_checks(ufunc: np.ufunc, method: str) -> None:
    if ufunc.signature is not None:
        raise RuntimeError("Reduction not defined on ufunc with signature")
    if ufunc.nin != 2:
        raise ValueError(f"{method} only supported for binary functions")
    if ufunc.nout != 1:
        raise ValueError(f"{method} only supported for functions returning a single value")


def _reduce(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    _reduce_like_checks(ufunc, "reduce")
    array, axis, dtype, out, keepdims, initial, where = _reduce_args(*args, **kwargs)
    array = as_array(array)
    out = _single_out(out)
    shape = array.shape
    axes = _reduction_axes(axis, len(shape))
    reduced = 1
    for i in axes:
        reduced *= shape[i]
    loop = _reduction_dtypes(ufunc, array.dtype, dtype, out)
    if len(axes) > 1 and not _reorderable(ufunc):
        raise ValueError(
            f"reduction operation '{ufunc.__name__}' is not reorderable, "
            "so at most one axis may be specified"
        )
    where_mask = where_shape(where)
    identity = _has_identity(ufunc, loop[0], initial, empty=array.size == 0)
    if where_mask is not None:
        broadcast_shapes((where_mask, shape))
        if not identity:
            raise ValueError(
                f"reduction operation '{ufunc.__name__}' does not have an identity, "
                "so to use a where mask one has to specify 'initial'"
            )
    if keepdims:
        result = tuple(1 if i in axes else n for i, n in enumerate(shape))
    else:
        result = tuple(n for i, n in enumerate(shape) if i not in axes)
    if not identity and reduced == 0:
        raise ValueError(
            f"zero-size array to reduction operation {ufunc.__name__} which has no identity"
        )
    if out is not None and out.shape != result:
        raise ValueError(
            f"output parameter for reduction operation {ufunc.__name__} has the wrong "
            f"shape: {out.shape}, expected {result}"
        )
    return _record(ufunc, "reduce", result, loop[0], out, array)


def _accumulate(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    _reduce_like_checks(ufunc, "accumulate")
    array, axis, dtype, out = _accumulate_args(*args, **kwargs)
    array = as_array(array)
    out = _single_out(out)
    shape = array.shape
    if not shape:
        raise TypeError("cannot accumulate on a scalar")
    _single_axis(axis, len(shape), "accumulate")
    loop = _reduction_dtypes(ufunc, array.dtype, dtype, out, "accumulate", uniform=True)
    if out is not None and out.shape != shape:
        raise ValueError(f"output shape {out.shape} does not match the input shape {shape}")
    # accumulate casts without buffers: a whole copy of the input in the loop's dtype
    copies = array.size * loop[1].itemsize if array.dtype != loop[1] else 0
    if out is not None:  # an elementwise loop: out=a is safe, out=a[::-1] is copied
        copies += overlap_copy_nbytes((array,), (out,), (loop[0],), elementwise=True,
                                      trivial=False)
        if out.dtype != loop[0]:  # accumulated in the loop's dtype, then cast into out
            copies += array.size * loop[0].itemsize
    return _record(ufunc, "accumulate", shape, loop[0], out, array, copies)


def _reduceat(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    _reduce_like_checks(ufunc, "reduceat")
    array, indices, axis, dtype, out = _reduceat_args(*args, **kwargs)
    array = as_array(array)
    out = _single_out(out)
    shape = array.shape
    if not shape:
        raise TypeError("cannot reduceat on a scalar")
    index = np.asarray(indices)
    if index.ndim > 1:
        raise ValueError(
            "setting an array element with a sequence. The requested array would "
            "exceed the maximum number of dimension of 1."
        )
    index = index.astype(np.intp, casting="unsafe").reshape(-1)
    ax = _single_axis(axis, len(shape), "reduceat")
    length = shape[ax]
    if index.size:
        low, high = int(index.min()), int(index.max())
        for bad in (low, high):
            if not 0 <= bad < length:
                raise IndexError(
                    f"index {bad} out-of-bounds in {ufunc.__name__}.reduceat [0, {length})"
                )
    loop = _reduction_dtypes(ufunc, array.dtype, dtype, out, "reduceat", uniform=True)
    result = shape[:ax] + (index.size,) + shape[ax + 1 :]
    if out is not None and out.shape != result:
        raise ValueError(f"output shape {out.shape} does not match the result shape {result}")
    # like accumulate, reduceat casts without buffers: a whole copy in the loop's dtype
    cast = array.size * loop[1].itemsize if array.dtype != loop[1] else 0
    if out is not None and out.dtype != loop[0]:  # reduced in the loop's dtype, then cast
        cast += math.prod(result) * loop[0].itemsize
    return _record(ufunc, "reduceat", result, loop[0], out, array, cast)


def _outer(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    if ufunc.signature is not None:
        raise TypeError("method outer is not allowed in ufunc with non-trivial signature")
    if ufunc.nin != 2:
        raise ValueError("outer product only supported for binary functions")
    if len(args) != 2:
        raise TypeError(f"outer() takes exactly 2 positional arguments ({len(args)} given)")
    a, b = (np.asarray(x) for x in args)
    # NumPy computes outer as a[(...,) + (None,) * b.ndim] op b; adding unit axes is
    # always a view, so the call path sees the real operands and nothing is copied.
    expanded = a.reshape(a.shape + (1,) * b.ndim)
    call = project_call(ufunc, (expanded, b), kwargs)
    # An explicit product: growth is the point, so no broadcast rules.
    return build(ufunc, call.shapes, call.dtypes, (a, b), method="outer",
                 nbytes=call.nbytes, exact=call.exact, stretched=call.stretched)


def _at(ufunc: np.ufunc, args: tuple, kwargs: dict) -> Estimate:
    a, indices, b = _at_args(*args, **kwargs)
    if ufunc.signature is not None:
        raise TypeError(
            f"{ufunc.__name__}.at does not support ufunc with non-trivial signature: "
            f"{ufunc.__name__} has signature {ufunc.signature}."
        )
    if ufunc.nin > 2:
        raise ValueError("Only unary and binary ufuncs supported at this time")
    if ufunc.nout != 1:
        raise ValueError("Only single output ufuncs supported at this time")
    if not isinstance(a, np.ndarray):
        raise TypeError("first operand must be array")
    if ufunc.nin == 2 and b is None:
        raise ValueError("second operand needed for ufunc")
    if ufunc.nin == 1 and b is not None:
        raise ValueError("second operand provided when ufunc is unary")
    # NumPy resolves the loop first: replay it on zero elements (nothing is touched).
    no_index = np.empty((0,), dtype=np.intp)
    if b is None:
        ufunc.at(np.empty((0,), dtype=a.dtype), no_index)
    else:
        b = b if type(b) in WEAK_SCALAR_TYPES else as_array(b)
        ufunc.at(*_at_stand_ins(ufunc, a, b, no_index))
    # Then the indices, on a zero-itemsize stand-in of `a`: NumPy validates them and
    # reports the selection's shape, and there is no element data to copy.
    selected = np.empty(a.shape, dtype=np.dtype([]))[indices].shape
    if b is not None and broadcast_shapes((np.shape(b), selected)) != selected:
        raise ValueError("array is not broadcastable to correct shape")
    operands = (a,) if b is None else (a, b)
    return build(ufunc, (), (), operands, method="at", exact=True)


def _at_stand_ins(ufunc: np.ufunc, a: np.ndarray, b: Any, no_index: np.ndarray) -> tuple:
    """Zero-element stand-ins for `ufunc.at(a, indices, b)`. Where the loop would cast
    complex to real (a complex `b` into a real `a`), NumPy warns when it fetches that
    cast, even for zero elements, and numguard never warns on its own behalf: the
    stand-ins then take the loop's own dtypes (the loop from `resolve_dtypes`, which
    fetches no cast), so that the replay finds the same loop with nothing to cast."""
    weak = type(b) in WEAK_SCALAR_TYPES
    source = type(b) if weak else b.dtype
    first, other = np.empty((0,), a.dtype), b if weak else np.empty((0,), b.dtype)
    if discards_imaginary(source, a.dtype):
        try:
            loop = ufunc.resolve_dtypes((a.dtype, source, None), casting="unsafe")
        except Exception:  # noqa: BLE001 - no loop: the replay raises NumPy's error
            return first, no_index, other
        if discards_imaginary(loop[0], a.dtype):
            first = np.empty((0,), loop[0])
        if discards_imaginary(source, loop[1]):
            other = np.empty((0,), loop[1])
    return first, no_index, other


def _reduce_args(array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
                 where=True):
    return array, axis, dtype, out, keepdims, initial, where


def _accumulate_args(array, axis=0, dtype=None, out=None):
    return array, axis, dtype, out


def _reduceat_args(array, indices, axis=0, dtype=None, out=None):
    return array, indices, axis, dtype, out


def _at_args(a, indices, b=None, /):
    return a, indices, b


def _single_out(out: Any) -> np.ndarray | None:
    if out is None or out is Ellipsis:
        return None
    if isinstance(out, tuple):
        if len(out) != 1:
            raise ValueError("The 'out' tuple must have exactly one entry per ufunc output")
        out = out[0]
    check_output(out)
    return out


def _reorderable(ufunc: np.ufunc) -> bool:
    return ufunc.identity is not None or ufunc in REORDERABLE_WITHOUT_IDENTITY


def _reduction_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The reduced axes, with NumPy's rules (a 0-d array accepts axis 0 or -1)."""
    if axis is None:
        axes = tuple(range(ndim))
    elif isinstance(axis, tuple):
        axes = normalize_axis_tuple(axis, ndim, allow_duplicate=True)
        if len(set(axes)) != len(axes):
            raise ValueError("duplicate value in 'axis'")
    elif ndim == 0 and operator.index(axis) in (0, -1):
        return ()
    else:
        axes = (normalize_axis_index(axis, ndim),)
    return axes


def _single_axis(axis: Any, ndim: int, method: str) -> int:
    if axis is None:
        if ndim != 1:
            raise ValueError(f"{method} does not allow multiple axes")
        return 0
    if isinstance(axis, tuple):
        if len(axis) != 1:
            raise ValueError(f"{method} does not allow multiple axes")
        axis = axis[0]
    return normalize_axis_index(axis, ndim)


def _reduction_dtypes(
    ufunc: np.ufunc,
    in_dtype: np.dtype,
    dtype: Any,
    out: Any,
    method: str = "reduce",
    uniform: bool = False,
) -> tuple:
    """The reduction loop; like NumPy, the output must match the first operand, and
    for accumulate and reduceat the second one too."""
    signature = None if dtype is None else (np.dtype(dtype), None, None)
    given = None if out is None else out.dtype
    loop = resolve(ufunc, (given, in_dtype, None), signature, "unsafe", True)
    if not _equivalent(loop[0], loop[2]) or (uniform and not _equivalent(loop[0], loop[1])):
        raise TypeError(
            f"the resolved dtypes are not compatible with {ufunc.__name__}.{method}. "
            f"Resolved {loop}"
        )
    return loop


def _equivalent(a: np.dtype, b: np.dtype) -> bool:
    return np.can_cast(a, b, "equiv") and np.can_cast(b, a, "equiv")


def _has_identity(ufunc: np.ufunc, dtype: np.dtype, initial: Any, empty: bool) -> bool:
    """Whether the reduction has a start value; object loops use the identity only
    when the array is empty (NumPy's get_reduction_initial)."""
    if initial is not _NO_VALUE:
        return initial is not None
    if dtype.kind == "O" and not empty:
        return False
    return ufunc.identity is not None


def _record(ufunc: np.ufunc, method: str, shape: tuple, dtype: np.dtype, out: Any,
            array: Any, copies: int = 0) -> Estimate:
    dtypes = (dtype if out is None else out.dtype,)
    return build(ufunc, (shape,), dtypes, (array,), method=method, outs=(out,), extra=copies)


_METHODS = {
    "reduce": _reduce,
    "accumulate": _accumulate,
    "reduceat": _reduceat,
    "outer": _outer,
    "at": _at,
}
