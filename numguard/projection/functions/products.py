"""Products: outer, kron, dot, inner, vdot, tensordot, einsum, convolve; they grow by design."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..broadcast import broadcast_shapes
from ..operands import as_array, quiet
from ..record import Estimate, build
from ..registry import projects
from ..ufunc_call import project_call
from .common import dot_dtype, out_array, product_dtype


@projects(np.outer)
def outer(func: Any, /, a: Any, b: Any, out: Any = None) -> Estimate:
    return _outer(func, as_array(a), as_array(b), out_array(out))


@projects("linalg.outer")
def linalg_outer(func: Any, x1: Any, x2: Any, /) -> Estimate:
    x, y = as_array(x1), as_array(x2)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return _outer(func, x, y, None)


def _outer(func: Any, x: Any, y: Any, out: Any) -> Estimate:
    dtype = product_dtype(x, y) if out is None else out.dtype
    return build(func, ((x.size, y.size),), (dtype,), (x, y), outs=(out,))


@projects(np.kron)
def kron(func: Any, /, a: Any, b: Any) -> Estimate:
    x, y = as_array(a), as_array(b)
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
    else:
        nd = max(x.ndim, y.ndim)
        xs = (1,) * (nd - x.ndim) + x.shape
        ys = (1,) * (nd - y.ndim) + y.shape
        shape = tuple(p * q for p, q in zip(xs, ys))
    dtype = product_dtype(x, y)
    # multiply(a[:, None, ...], b[None, :, ...]) in the inputs' order ("K"), then
    # reshaped: a copy where an F-ordered input made that product not C-ordered
    fortran = any(v.ndim > 1 and v.flags.f_contiguous and not v.flags.c_contiguous
                  for v in (x, y))
    extra = math.prod(shape) * dtype.itemsize if fortran else 0
    return build(func, (shape,), (dtype,), (x, y), extra=extra)


@projects(np.dot)
def dot(func: Any, /, a: Any, b: Any, out: Any = None) -> Estimate:
    x, y, out = as_array(a), as_array(b), out_array(out)
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
        dtype = product_dtype(x, y)
    else:
        k = y.shape[-2] if y.ndim >= 2 else y.shape[0]
        if x.shape[-1] != k:
            raise ValueError("shapes not aligned")
        shape = x.shape[:-1] + y.shape[:-2] + y.shape[-1:] if y.ndim >= 2 else x.shape[:-1]
        dtype = dot_dtype(x, y)
    copies = _dot_copies(x, y, dtype)
    if out is not None and any(np.may_share_memory(out, v) for v in (x, y)):
        copies += math.prod(shape) * dtype.itemsize  # a buffer, written back to out
    return build(func, (shape,), (dtype if out is None else out.dtype,), (x, y), outs=(out,),
                 extra=copies)


#: The types numpy.dot hands to BLAS (operands of at most two axes).
_BLAS = frozenset(np.dtype(c) for c in "fdFD")


def _dot_copies(x: Any, y: Any, dtype: np.dtype) -> int:
    """PyArray_MatrixProduct2 converts both operands to the common type (copies of the
    others); cblas_matrixproduct then copies an operand BLAS cannot read as it is: bad
    strides (negative, zero), and a matrix that is not one segment (beside a vector)
    or neither C- nor F-contiguous (beside a matrix)."""
    copies = 0
    blas = dtype in _BLAS and x.ndim <= 2 and y.ndim <= 2
    converted = [v.dtype != dtype for v in (x, y)]
    copies += sum(v.size * dtype.itemsize for v, c in zip((x, y), converted) if c)
    if not blas:
        return copies
    matrices = [_matrix(v) for v in (x, y)]
    for v, fresh, matrix, other in zip((x, y), converted, matrices, matrices[::-1]):  # noqa: B007
        if fresh:
            continue  # a new C-contiguous array
        c, f = v.flags.c_contiguous, v.flags.f_contiguous
        if _bad_strides(v) or (matrix and not (c or f)):
            copies += v.size * dtype.itemsize
    return copies


def _matrix(v: Any) -> bool:
    """_select_matrix_shape's _matrix: two axes, more than one row and column."""
    return v.ndim == 2 and v.shape[0] > 1 and v.shape[1] > 1


def _bad_strides(v: Any) -> bool:
    item = v.itemsize
    return any(st < 0 or st % item or (st == 0 and n > 1) for st, n in zip(v.strides, v.shape))


@projects(np.inner)
def inner(func: Any, a: Any, b: Any, /) -> Estimate:
    x, y = as_array(a), as_array(b)
    if x.ndim == 0 or y.ndim == 0:
        return build(func, (broadcast_shapes([x.shape, y.shape]),), (product_dtype(x, y),),
                     (x, y))
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("shapes not aligned")
    dtype = dot_dtype(x, y)  # then dot(x, y.T): y's transpose
    copies = _dot_copies(x, y.T, dtype)
    return build(func, (x.shape[:-1] + y.shape[:-1],), (dtype,), (x, y), extra=copies)


@projects(np.vdot)
def vdot(func: Any, a: Any, b: Any, /) -> Estimate:
    x, y = as_array(a), as_array(b)
    if x.size != y.size:
        raise ValueError("vectors have different lengths")
    # vdot converts both to the common type, then ravels them in C order: a copy of
    # each one of another type, or whose strides cannot be viewed as one
    from ..ndarray_methods import reshape_copies

    dtype = dot_dtype(x, y)
    copies = sum(v.size * dtype.itemsize for v in (x, y)  # type: ignore[misc]
                 if v.dtype != dtype or reshape_copies(v, ((v.size,),), "C"))  # type: ignore[arg-type]
    return build(func, ((),), (dtype,), (x, y), extra=copies)


@projects(np.tensordot)
def tensordot(func: Any, /, a: Any, b: Any, axes: Any = 2) -> Estimate:
    return _tensordot(func, as_array(a), as_array(b), axes)


@projects("linalg.tensordot")
def linalg_tensordot(func: Any, x1: Any, x2: Any, /, *, axes: Any = 2) -> Estimate:
    return _tensordot(func, as_array(x1), as_array(x2), axes)


def _tensordot(func: Any, x: Any, y: Any, axes: Any) -> Estimate:
    """NumPy's own checks, in its order and with its exceptions (indexing a shape with
    an axis out of range is an IndexError there); then dot of the operands transposed
    and reshaped to 2-d (copies where the layout needs them)."""
    try:
        iter(axes)
    except Exception:  # noqa: BLE001 - NumPy's own test
        axes_a, axes_b = list(range(-axes, 0)), list(range(axes))
    else:
        axes_a, axes_b = axes
    axes_a = list(axes_a) if hasattr(axes_a, "__len__") else [axes_a]  # type: ignore[list-item]
    axes_b = list(axes_b) if hasattr(axes_b, "__len__") else [axes_b]  # type: ignore[list-item]
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError("duplicate axes are not allowed in tensordot")
    if len(axes_a) != len(axes_b):
        raise ValueError("shape-mismatch for sum")
    for k in range(len(axes_a)):
        if x.shape[axes_a[k]] != y.shape[axes_b[k]]:
            raise ValueError("shape-mismatch for sum")
        axes_a[k] += x.ndim if axes_a[k] < 0 else 0
        axes_b[k] += y.ndim if axes_b[k] < 0 else 0
    rest_a = [k for k in range(x.ndim) if k not in axes_a]
    rest_b = [k for k in range(y.ndim) if k not in axes_b]
    summed = math.prod(x.shape[k] for k in axes_a)
    copies = _reshape_copy(x, rest_a + axes_a, (math.prod(x.shape[k] for k in rest_a), summed))
    copies += _reshape_copy(y, axes_b + rest_b, (summed, math.prod(y.shape[k] for k in rest_b)))
    shape = tuple(x.shape[k] for k in rest_a) + tuple(y.shape[k] for k in rest_b)
    return build(func, (shape,), (dot_dtype(x, y),), (x, y), extra=copies)


def _reshape_copy(a: Any, order: list, shape: tuple) -> int:
    """Bytes of a.transpose(order).reshape(shape) where that copies (a view of `a` is
    asked, nothing is copied)."""
    from ..ndarray_methods import reshape_copies

    return a.nbytes if reshape_copies(a.transpose(order), (shape,), "C") else 0


@projects("linalg.matmul", delegated=True)
def linalg_matmul(func: Any, x1: Any, x2: Any, /) -> Estimate:
    """np.linalg.matmul runs the matmul gufunc: its own projection, exactly."""
    return project_call(np.matmul, (x1, x2), {})


@projects("linalg.vecdot", delegated=True)
def linalg_vecdot(func: Any, x1: Any, x2: Any, /, *, axis: Any = -1) -> Estimate:
    """np.linalg.vecdot runs the vecdot gufunc: its own projection, exactly."""
    return project_call(np.vecdot, (x1, x2), {"axis": axis})


@projects(np.einsum)
def einsum(func: Any, /, *operands: Any, out: Any = None, optimize: Any = False,
           **kwargs: Any) -> Estimate:
    """The output; with `optimize`, the peak of the intermediates NumPy keeps alive."""
    from numpy._core.einsumfunc import _parse_einsum_input  # type: ignore[attr-defined]

    extra = set(kwargs) - {"dtype", "order", "casting"}
    if extra:
        raise TypeError(f"einsum() got unexpected keyword arguments {sorted(extra)}")
    out = out_array(out)
    inputs, output, arrays = _parse_einsum_input(list(operands))
    terms = inputs.split(",")
    sizes: dict[str, int] = {}
    for term, op in zip(terms, arrays):
        if len(term) != op.ndim:
            raise ValueError("einsum subscripts do not match the operand dimensions")
        for letter, n in zip(term, op.shape):
            known = sizes.get(letter)
            if known is None or known == 1:
                sizes[letter] = n
            elif n != known and n != 1:
                raise ValueError(f"size of label '{letter}' does not match")
    shape = tuple(sizes[c] for c in output)
    casting = kwargs.get("casting", "safe")
    target = kwargs.get("dtype") if out is None else out.dtype
    # a complex operand NumPy casts to a real dtype unsafely warns: a real stand-in
    # resolves the same dtype quietly (other castings refuse it, warning-free)
    stand_ins = [np.empty((0,) * op.ndim, quiet(op.dtype, target) if casting == "unsafe"
                          and target is not None else op.dtype) for op in arrays]
    # with `optimize`, NumPy contracts pair by pair (BLAS steps through matmul, whose
    # casting and errors differ from c_einsum's): the stand-ins follow the real path
    steps: list = []
    if optimize is not False and len(arrays) > 1:  # the contraction order, found once
        _, steps = np.einsum_path(*operands, optimize=optimize, einsum_call=True)  # type: ignore[arg-type, assignment]
    path = ["einsum_path", *[step[0] for step in steps]] if steps else False
    given = {k: kwargs[k] for k in ("dtype", "casting") if k in kwargs}
    dtype = np.einsum(f"{inputs}->{output}", *stand_ins, optimize=path, **given).dtype
    if out is not None:
        dtype = out.dtype
    # an out= that overlaps an operand is written through a copy of its own
    overlap = math.prod(shape) * dtype.itemsize if out is not None and any(
        np.may_share_memory(out, op) for op in arrays) else 0
    if len(arrays) == 1 and out is None and set(output) == set(inputs):
        # nothing summed: a transpose or a diagonal, which NumPy returns as a view (of
        # the operand's own dtype, whatever dtype= asked)
        return build(func, (shape,), (arrays[0].dtype,), tuple(arrays), view=True)
    nbytes = 0 if out is not None else math.prod(shape) * dtype.itemsize
    peak = nbytes
    if steps:
        live = [0] * len(arrays)  # bytes of intermediates still alive, per operand slot
        peak = 0
        for number, step in enumerate(steps):
            contracted = step[0]
            result_term = next(x for x in step if isinstance(x, str)).split("->")[1]
            last = number == len(steps) - 1
            new = nbytes if last else math.prod(sizes[c] for c in result_term) * dtype.itemsize
            peak = max(peak, sum(live) + new)
            for index in sorted(contracted, reverse=True):
                live.pop(index)
            live.append(new)
        peak = max(peak, nbytes)  # a model (BLAS paths may copy operands too)
    return build(func, (shape,), (dtype,), tuple(arrays), outs=(out,), peak=peak + overlap)


@projects(np.convolve)
def convolve(func: Any, /, a: Any, v: Any, mode: Any = "full") -> Estimate:
    return _convolve(func, a, v, mode)


@projects(np.correlate)
def correlate(func: Any, /, a: Any, v: Any, mode: Any = "valid") -> Estimate:
    return _convolve(func, a, v, mode)


def _convolve(func: Any, a: Any, v: Any, mode: Any) -> Estimate:
    """NumPy's correlate in C: both operands as C-contiguous 1-d arrays of the common
    type (copies where they are not: convolve's reversed v always is one), np.correlate
    conjugates complex v (a new array, the cast copy freed before the result)."""
    convolving = func.__name__ == "convolve"
    a, v = as_array(a), as_array(v)
    if convolving:  # np.array(x, ndmin=1), then the longer one first
        a, v = (a.reshape(1) if a.ndim == 0 else a), (v.reshape(1) if v.ndim == 0 else v)
        if a.ndim == 1 and v.ndim == 1 and a.size == 0:
            raise ValueError("a cannot be empty")
        if a.ndim == 1 and v.ndim == 1 and v.size == 0:
            raise ValueError("v cannot be empty")
        if a.ndim == 1 and v.ndim == 1 and v.size > a.size:
            a, v = v, a
    for x in (a, v):
        if x.ndim > 1:
            raise ValueError("object too deep for desired array")
        if x.ndim < 1:
            raise ValueError("object of too small depth for desired array")
    if not convolving and a.size == 0:
        raise ValueError("first array argument cannot be empty")
    if not convolving and v.size == 0:
        raise ValueError("second array argument cannot be empty")
    # the common type and NumPy's checks of `mode`, on one-element stand-ins
    dtype = func(np.ones(1, a.dtype), np.ones(1, v.dtype), mode).dtype
    n, m = max(a.size, v.size), min(a.size, v.size)
    length = {0: n - m + 1, 1: n, 2: n + m - 1}[_MODES.get(mode, mode)]
    reversed_v = convolving and v.size > 1
    copy_a = a.size * dtype.itemsize if a.dtype != dtype or not a.flags.c_contiguous else 0
    copy_v = v.size * dtype.itemsize if (v.dtype != dtype or not v.flags.c_contiguous
                                         or reversed_v) else 0
    result = length * dtype.itemsize
    if not convolving and dtype.kind == "c":
        conjugate = v.size * dtype.itemsize
        peak = copy_a + max(copy_v + conjugate, conjugate + result)
    else:
        peak = copy_a + copy_v + result
    return build(func, ((length,),), (dtype,), (a, v), peak=peak)


_MODES = {"valid": 0, "same": 1, "full": 2}
