"""Exact projections of NumPy's allocating array functions.

Each `project_*` takes (func, args, kwargs) with plain (unwrapped) arguments and
returns an `Estimate`. Shapes: O(ndim) rules over operand shapes. Dtypes: NumPy's
own function (or promotion) run on zero-size stand-ins of the real dtypes. Any
exception means "not projected": the guard lets NumPy run and raise its own error.

Why not run NumPy on zero-itemsize stand-ins (dtype([])) for the shapes? They give
exact shapes with no data, but NumPy still iterates over the result: concatenating
two (5e6, 2e5) stand-ins took 10 s here. Views (broadcast_to, diagonal) are the
exception, and those do use NumPy itself.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from numguard.estimate import Estimate, estimate_ufunc
from numguard.estimate.broadcast import broadcast_shapes, stretches

from ._common import (
    NO_VALUE, arr, axes_tuple, axis_index, bind, dtype_of, record, shape_of, unit, zero,
)

_VOID = np.dtype([])
_INTP = np.dtype(np.intp)
_F8 = np.dtype(np.float64)


def _void(shape: tuple) -> np.ndarray:
    """A zero-itemsize stand-in: any shape, 0 bytes (use only where NumPy makes a view)."""
    return np.empty(shape, dtype=_VOID)


def _out(out: Any) -> Any:
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be an ndarray")
    return out


# --- broadcasting element-wise functions ------------------------------------------

def _where_args(condition, x=None, y=None, /):
    return condition, x, y


def project_where(func: Any, args: tuple, kwargs: dict) -> Estimate:
    if kwargs:
        raise TypeError("where() takes no keyword arguments")
    condition, x, y = _where_args(*args)
    if x is None and y is None:
        return _nonzero_bound(func, condition)
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
    return record(func, (shape,), (dtype,), operands, stretched=stretched)


#: np.where's result dtype by operand dtypes (Python scalar types stand for weak scalars).
_WHERE_DTYPES: dict[tuple, np.dtype] = {}


def _nonzero_bound(func: Any, a: Any) -> Estimate:
    """nonzero-like: one intp index array per axis, at most a.size long each."""
    a = arr(a)
    ndim = max(a.ndim, 1)
    return record(func, ((a.size,),) * ndim, (_INTP,) * ndim, (a,), exact=False)


def project_choose(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, choices, out = arr(b["a"]), [arr(c) for c in b["choices"]], _out(b["out"])
    shapes = [a.shape] + [c.shape for c in choices]
    shape = broadcast_shapes(shapes)
    dtype = np.choose(np.empty((0,), a.dtype), [zero(c) for c in choices]).dtype
    return record(func, (shape,), (dtype,), (a, *choices), outs=(out,),
                  stretched=stretches(shapes, shape))


def project_select(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    conds = [arr(c) for c in b["condlist"]]
    choices = [arr(c) for c in b["choicelist"]]
    default = b["default"]
    if len(conds) != len(choices):
        raise ValueError("list of cases must be same length as list of conditions")
    shapes = [c.shape for c in conds] + [c.shape for c in choices] + [shape_of(default)]
    shape = broadcast_shapes(shapes)
    stand_default = default if np.ndim(default) == 0 else zero(default)
    dtype = np.select([zero(c) for c in conds], [zero(c) for c in choices],
                      stand_default).dtype
    return record(func, (shape,), (dtype,), (*conds, *choices),
                  stretched=stretches(shapes[:-1], shape))


def project_broadcast_to(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    array = arr(b["array"])
    shape = np.broadcast_to(_void(array.shape), b["shape"]).shape  # a view: NumPy decides
    return record(func, (shape,), (array.dtype,), (array,), outs=(0,))


def project_broadcast_arrays(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    arrays = [arr(a) for a in b["args"]]
    shape = broadcast_shapes([a.shape for a in arrays])
    n = len(arrays)
    return record(func, ((shape,) * n), tuple(a.dtype for a in arrays), tuple(arrays),
                  outs=(0,) * n)


def project_cross(func: Any, args: tuple, kwargs: dict) -> Estimate:
    if func is np.linalg.cross:
        b = bind(func, args, kwargs)
        a, c = arr(b["x1"]), arr(b["x2"])
        if a.shape[-1:] != (3,) or c.shape[-1:] != (3,):
            raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors")
        axisa = axisb = axisc = b["axis"]
    else:
        b = bind(func, args, kwargs)
        a, c = arr(b["a"]), arr(b["b"])
        axisa, axisb, axisc = b["axisa"], b["axisb"], b["axisc"]
        if b["axis"] is not None:
            axisa = axisb = axisc = b["axis"]
    ia, ib = axis_index(axisa, a.ndim), axis_index(axisb, c.ndim)
    na, nb = a.shape[ia], c.shape[ib]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product")
    rest = broadcast_shapes([a.shape[:ia] + a.shape[ia + 1:], c.shape[:ib] + c.shape[ib + 1:]])
    dtype = np.promote_types(a.dtype, c.dtype)
    if na == 2 and nb == 2:
        shape = rest
    else:
        shape = list(rest)
        shape.insert(axis_index(axisc, len(rest) + 1), 3)
        shape = tuple(shape)
    # NumPy also keeps one component-sized temporary (a1 * b0 and the like).
    temp = math.prod(rest) * dtype.itemsize
    return record(func, (shape,), (dtype,), (a, c), extra=temp)


# --- products ---------------------------------------------------------------------

def _product_dtype(a: Any, b: Any) -> np.dtype:
    return np.multiply(zero(a), zero(b)).dtype


def project_outer(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y = arr(b["x1" if "x1" in b else "a"]), arr(b["x2" if "x2" in b else "b"])
    out = _out(b.get("out"))
    if func is np.linalg.outer and (x.ndim != 1 or y.ndim != 1):
        raise ValueError("Input arrays must be one-dimensional")
    shape = (x.size, y.size)
    dtype = _product_dtype(x, y) if out is None else out.dtype
    return record(func, (shape,), (dtype,), (x, y), outs=(out,))


def project_kron(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y = arr(b["a"]), arr(b["b"])
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
    else:
        nd = max(x.ndim, y.ndim)
        xs = (1,) * (nd - x.ndim) + x.shape
        ys = (1,) * (nd - y.ndim) + y.shape
        shape = tuple(p * q for p, q in zip(xs, ys))
    return record(func, (shape,), (_product_dtype(x, y),), (x, y))


def _dot_dtype(x: Any, y: Any) -> np.dtype:
    return np.dot(np.empty((0,), arr(x).dtype), np.empty((0,), arr(y).dtype)).dtype


def project_dot(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y, out = arr(b["a"]), arr(b["b"]), _out(b.get("out"))
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
        dtype = _product_dtype(x, y)
    else:
        k = y.shape[-2] if y.ndim >= 2 else y.shape[0]
        if x.shape[-1] != k:
            raise ValueError("shapes not aligned")
        shape = x.shape[:-1] + y.shape[:-2] + y.shape[-1:] if y.ndim >= 2 else x.shape[:-1]
        dtype = _dot_dtype(x, y)
    return record(func, (shape,), (dtype if out is None else out.dtype,), (x, y), outs=(out,))


def project_inner(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y = arr(b["a"]), arr(b["b"])
    if x.ndim == 0 or y.ndim == 0:
        return record(func, (broadcast_shapes([x.shape, y.shape]),), (_product_dtype(x, y),),
                      (x, y))
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("shapes not aligned")
    return record(func, (x.shape[:-1] + y.shape[:-1],), (_dot_dtype(x, y),), (x, y))


def project_vdot(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y = arr(b["a"]), arr(b["b"])
    if x.size != y.size:
        raise ValueError("vectors have different lengths")
    # vdot ravels its operands: a copy of each one that is not C-contiguous.
    copies = sum(a.nbytes for a in (x, y) if not a.flags.c_contiguous)
    return record(func, ((),), (_dot_dtype(x, y),), (x, y), extra=copies)


def project_tensordot(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, y, axes = arr(b.get("a", b.get("x1"))), arr(b.get("b", b.get("x2"))), b["axes"]
    try:
        iter(axes)
    except TypeError:
        n = operator.index(axes)
        axes_a, axes_b = list(range(x.ndim - n, x.ndim)), list(range(n))
    else:
        axes_a, axes_b = axes
    axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
    axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ValueError("shape-mismatch for sum")
    ia = [axis_index(i, x.ndim) for i in axes_a]
    ib = [axis_index(i, y.ndim) for i in axes_b]
    for i, j in zip(ia, ib):
        if x.shape[i] != y.shape[j]:
            raise ValueError("shape-mismatch for sum")
    shape = tuple(n for i, n in enumerate(x.shape) if i not in ia) + tuple(
        n for j, n in enumerate(y.shape) if j not in ib)
    return record(func, (shape,), (_dot_dtype(x, y),), (x, y))


def project_matmul(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """np.linalg.matmul and vecdot run the gufuncs: their own projection, exactly."""
    b = bind(func, args, kwargs)
    ufunc = np.matmul if func is np.linalg.matmul else np.vecdot
    rest = {} if func is np.linalg.matmul else {"axis": b["axis"]}
    return estimate_ufunc(ufunc, "__call__", (b["x1"], b["x2"]), rest)


def project_einsum(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """The output, and with `optimize` the peak of the intermediates NumPy keeps alive."""
    from numpy._core.einsumfunc import _parse_einsum_input

    extra = set(kwargs) - {"out", "dtype", "order", "casting", "optimize"}
    if extra:
        raise TypeError(f"einsum() got unexpected keyword arguments {sorted(extra)}")
    out = _out(kwargs.get("out"))
    optimize = kwargs.get("optimize", False)
    inputs, output, operands = _parse_einsum_input(list(args))
    terms = inputs.split(",")
    sizes: dict[str, int] = {}
    for term, op in zip(terms, operands):
        if len(term) != op.ndim:
            raise ValueError("einsum subscripts do not match the operand dimensions")
        for letter, n in zip(term, op.shape):
            known = sizes.get(letter, 1)
            if n != known and 1 not in (n, known):
                raise ValueError(f"size of label '{letter}' does not match")
            sizes[letter] = max(n, known) if 1 in (n, known) else n
    shape = tuple(sizes[c] for c in output)
    stand_ins = [np.empty((0,) * op.ndim, op.dtype) for op in operands]
    dtype = np.einsum(f"{inputs}->{output}", *stand_ins, dtype=kwargs.get("dtype"),
                      casting=kwargs.get("casting", "safe")).dtype
    if out is not None:
        dtype = out.dtype
    nbytes = 0 if out is not None else math.prod(shape) * dtype.itemsize
    exact = True
    if optimize is not False and len(operands) > 1:
        _, steps = np.einsum_path(*args, optimize=optimize, einsum_call=True)
        live = [0] * len(operands)  # bytes of intermediates still alive, per operand slot
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
        nbytes = max(peak, nbytes)
        exact = False  # a model of the peak (BLAS paths may copy operands too)
    return Estimate(func, "__call__", (shape,), (dtype,), nbytes,
                    exact and dtype.kind not in "OT", tuple(o.shape for o in operands),
                    tuple(o.dtype for o in operands), ())


# --- joining and repeating ---------------------------------------------------------

def _concat_shape(shapes: list, axis: Any) -> tuple:
    if not shapes:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        return (sum(math.prod(s) for s in shapes),)
    first = shapes[0]
    nd = len(first)
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = axis_index(axis, nd)
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


def _join_dtype(arrays: list, dtype: Any) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    return np.result_type(*arrays)


def _concatenate_args(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    return arrays, axis, out, dtype, casting


def project_concatenate(func: Any, args: tuple, kwargs: dict) -> Estimate:
    arrays, axis, out, dtype, casting = _concatenate_args(*args, **kwargs)
    arrays = [arr(a) for a in arrays]
    shape = _concat_shape([a.shape for a in arrays], axis)
    out = _out(out)
    result = out.dtype if out is not None else _join_dtype(arrays, dtype)
    return record(func, (shape,), (result,), tuple(arrays), outs=(out,))


def project_stack(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    arrays = [arr(a) for a in b["arrays"]]
    if not arrays:
        raise ValueError("need at least one array to stack")
    first = arrays[0].shape
    if any(a.shape != first for a in arrays):
        raise ValueError("all input arrays must have the same shape")
    ax = axis_index(b["axis"], len(first) + 1)
    shape = first[:ax] + (len(arrays),) + first[ax:]
    out = _out(b.get("out"))
    result = out.dtype if out is not None else _join_dtype(arrays, b.get("dtype"))
    return record(func, (shape,), (result,), tuple(arrays), outs=(out,))


def _atleast(shape: tuple, n: int) -> tuple:
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


def project_hvd_stack(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    arrays = [arr(a) for a in b["tup"]]
    name = func.__name__
    if name == "hstack":
        shapes = [_atleast(a.shape, 1) for a in arrays]
        axis = 0 if shapes and len(shapes[0]) == 1 else 1
    elif name == "vstack":
        shapes, axis = [_atleast(a.shape, 2) for a in arrays], 0
    elif name == "dstack":
        shapes, axis = [_atleast(a.shape, 3) for a in arrays], 2
    else:  # column_stack
        shapes = [(a.size, 1) if a.ndim < 2 else a.shape for a in arrays]
        axis = 1
    shape = _concat_shape(shapes, axis)
    dtype = _join_dtype(arrays, b.get("dtype"))
    return record(func, (shape,), (dtype,), tuple(arrays))


def project_block(func: Any, args: tuple, kwargs: dict) -> Estimate:
    from numpy._core.shape_base import _block_info_recursion, _block_setup

    b = bind(func, args, kwargs)
    arrays, list_ndim, result_ndim, _ = _block_setup(b["arrays"])
    leaves: list = []

    def collect(x: Any) -> None:
        if isinstance(x, list):
            for item in x:
                collect(item)
        else:
            leaves.append(x)

    collect(arrays)
    # NumPy's own shape logic, on zero-itemsize stand-ins (it reads shapes only).
    stand = _map_leaves(arrays, lambda a: _void(a.shape))
    shape, _, _ = _block_info_recursion(stand, list_ndim, result_ndim)
    dtype = np.result_type(*leaves)
    return record(func, (tuple(shape),), (dtype,), tuple(leaves))


def _map_leaves(x: Any, fn: Any) -> Any:
    if isinstance(x, list):
        return [_map_leaves(item, fn) for item in x]
    return fn(x)


def project_tile(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, reps = arr(b["A"]), b["reps"]
    try:
        tup = tuple(reps)
    except TypeError:
        tup = (reps,)
    tup = tuple(operator.index(r) for r in tup)
    if any(r < 0 for r in tup):
        raise ValueError("negative dimensions are not allowed")
    d = len(tup)
    shape = a.shape
    if a.ndim < d:
        shape = (1,) * (d - a.ndim) + shape
    elif d < a.ndim:
        tup = (1,) * (a.ndim - d) + tup
    result = tuple(s * r for s, r in zip(shape, tup))
    return record(func, (result,), (a.dtype,), (a,))


def project_repeat(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, repeats, axis = arr(b["a"]), np.asarray(b["repeats"]), b["axis"]
    if axis is None:
        shape, ax = (a.size,), 0
    else:
        shape, ax = a.shape, axis_index(axis, a.ndim)
    if repeats.dtype.kind not in "iub":
        repeats = repeats.astype(np.intp, casting="same_kind")
    if repeats.ndim > 1:
        raise ValueError("repeats must be a scalar or a 1-d array")
    if repeats.size == 1:
        length = shape[ax] * int(repeats.reshape(-1)[0])  # NumPy allows -1 on empty axes
        if length < 0:
            raise ValueError("negative dimensions are not allowed")
    else:
        if repeats.size != shape[ax]:
            raise ValueError("operands could not be broadcast together")
        if repeats.size and int(repeats.min()) < 0:
            raise ValueError("repeats may not contain negative values.")
        length = int(repeats.sum(dtype=np.int64))
    result = shape[:ax] + (length,) + shape[ax + 1:]
    return record(func, (result,), (a.dtype,), (a,))


def project_pad(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["array"])
    width = np.asarray(b["pad_width"])
    if width.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    pairs = np.broadcast_to(width, (a.ndim, 2))
    if (pairs < 0).any():
        raise ValueError("index can't contain negative values")
    shape = tuple(n + int(lo) + int(hi) for n, (lo, hi) in zip(a.shape, pairs.tolist()))
    return record(func, (shape,), (a.dtype,), (a,))


def project_meshgrid(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    xs = [arr(x) for x in b["xi"]]
    if b["indexing"] not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    full = [x.size for x in xs]
    if b["indexing"] == "xy" and len(xs) > 1:
        full[0], full[1] = full[1], full[0]
    n = len(xs)
    if b["sparse"]:
        shapes = []
        for i in range(n):
            s = [1] * n
            j = i
            if b["indexing"] == "xy" and n > 1 and i < 2:
                j = 1 - i
            s[j] = xs[i].size
            shapes.append(tuple(s))
    else:
        shapes = [tuple(full)] * n
    outs = None if b["copy"] else (0,) * n  # copy=False: broadcast views
    return record(func, tuple(shapes), tuple(x.dtype for x in xs), tuple(xs), outs=outs)


# --- copies of one operand ---------------------------------------------------------

def project_like(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    proto = arr(b["prototype" if "prototype" in b else "a"])
    shape = proto.shape if b.get("shape") is None else _shape_arg(b["shape"])
    dtype = proto.dtype if b.get("dtype") is None else np.dtype(b["dtype"])
    return record(func, (shape,), (dtype,), (proto,))


def _shape_arg(shape: Any) -> tuple:
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        return (operator.index(shape),)


def project_creation(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """ones/zeros/empty/full, identity/eye/tri, when called with like=GuardedArray."""
    b = bind(func, args, kwargs)
    name = func.__name__
    if name in ("ones", "zeros", "empty", "full"):
        shape = _shape_arg(b["shape"])
        dtype = b.get("dtype")
        if dtype is None and name == "full":
            dtype = np.array(b["fill_value"]).dtype
    elif name == "identity":
        shape, dtype = (b["n"], b["n"]), b["dtype"]
    else:  # eye, tri
        m = b["M"] if b["M"] is not None else b["N"]
        shape, dtype = (b["N"], m), b["dtype"]
    if any(n < 0 for n in shape):
        raise ValueError("negative dimensions are not allowed")
    return record(func, (shape,), (np.dtype(dtype if dtype is not None else float),), ())


def project_copy(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a" if "a" in b else "m"])
    return record(func, (a.shape,), (a.dtype,), (a,))


def project_diag(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    v = arr(b["v"])
    k = operator.index(b["k"])
    if func.__name__ == "diagflat":
        n = v.size + abs(k)
        return record(func, ((n, n),), (v.dtype,), (v,))
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return record(func, ((n, n),), (v.dtype,), (v,))
    if v.ndim != 2:
        raise ValueError("Input must be 1- or 2-d.")
    return record(func, (np.diagonal(_void(v.shape), k).shape,), (v.dtype,), (v,))


def project_roll(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    return record(func, (a.shape,), (a.dtype,), (a,))


def project_resize(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    shape = _shape_arg(b["new_shape"])
    if any(n < 0 for n in shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    return record(func, (shape,), (a.dtype,), (a,))


def project_append(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, v = arr(b["arr"]), arr(b["values"])
    if b["axis"] is None:
        shape = (x.size + v.size,)
    else:
        shape = _concat_shape([x.shape, v.shape], b["axis"])
    return record(func, (shape,), (np.result_type(x, v),), (x, v))


def project_sort(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """sort, argsort, partition, argpartition: the input's shape (flattened for axis=None)."""
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    axis = b["axis"]
    if axis is None:
        shape = (a.size,)
    else:
        if a.ndim == 0:
            raise _axis_error(axis, 0)
        axis_index(axis, a.ndim)
        shape = a.shape
    dtype = _INTP if func.__name__.startswith("arg") else a.dtype
    return record(func, (shape,), (dtype,), (a,))


def _axis_error(axis: Any, ndim: int) -> Exception:
    return np.exceptions.AxisError(operator.index(axis), ndim)


def project_take(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, indices, out = arr(b["a"]), arr(b["indices"]), _out(b["out"])
    if b["axis"] is None:
        shape = indices.shape
    else:
        ax = axis_index(b["axis"], a.ndim)
        shape = a.shape[:ax] + indices.shape + a.shape[ax + 1:]
    return record(func, (shape,), (a.dtype,), (a, indices), outs=(out,))


def project_take_along_axis(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, indices, axis = arr(b["arr"]), arr(b["indices"]), b["axis"]
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return record(func, (indices.shape,), (a.dtype,), (a, indices))
    if indices.ndim != a.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = axis_index(axis, a.ndim)
    others = broadcast_shapes([a.shape[:ax] + (1,) + a.shape[ax + 1:],
                               indices.shape[:ax] + (1,) + indices.shape[ax + 1:]])
    shape = others[:ax] + (indices.shape[ax],) + others[ax + 1:]
    return record(func, (shape,), (a.dtype,), (a, indices))


def project_diagonal(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """A read-only view: NumPy's own shape logic on a zero-itemsize stand-in, 0 bytes."""
    b = bind(func, args, kwargs)
    a = arr(b["a" if "a" in b else "x"])
    if func is np.linalg.diagonal:
        shape = np.diagonal(_void(a.shape), b["offset"], -2, -1).shape
    else:
        shape = np.diagonal(_void(a.shape), b["offset"], b["axis1"], b["axis2"]).shape
    return record(func, (shape,), (a.dtype,), (a,), outs=(0,))


def project_diff(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, n = arr(b["a"]), operator.index(b["n"])
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    if n == 0:
        return record(func, (a.shape,), (a.dtype,), (a,), outs=(0,))  # returns `a` itself
    ax = axis_index(b["axis"], a.ndim)
    length = a.shape[ax]
    parts = [a]
    for extra in (b["prepend"], b["append"]):
        if extra is not NO_VALUE:
            e = arr(extra)
            length += 1 if e.ndim == 0 else e.shape[ax]
            parts.append(e)
    joined = np.result_type(*parts) if len(parts) > 1 else a.dtype
    dtype = np.diff(np.zeros(2, joined)).dtype
    shape = a.shape[:ax] + (max(length - n, 0),) + a.shape[ax + 1:]
    return record(func, (shape,), (dtype,), (a,))


def project_ediff1d(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["ary"])
    n = max(a.size - 1, 0)
    for extra in (b["to_end"], b["to_begin"]):
        if extra is not None:
            n += np.size(extra)
    return record(func, ((n,),), (a.dtype,), (a,))


def project_tri_copy(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """tril/triu: a masked copy (plus NumPy's boolean mask of the last two axes)."""
    b = bind(func, args, kwargs)
    m = arr(b["m"])
    if m.ndim < 2:
        raise ValueError("input must be at least 2-d")
    mask = math.prod(m.shape[-2:])
    return record(func, (m.shape,), (m.dtype,), (m,), extra=mask)


def project_vander(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x = arr(b["x"])
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = x.size if b["N"] is None else operator.index(b["N"])
    dtype = np.promote_types(x.dtype, int)
    return record(func, ((x.size, n),), (dtype,), (x,))


def project_convolve(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, v = arr(b["a"]), arr(b["v"])
    mode = b.get("mode", "full" if func is np.convolve else "valid")
    n, m = a.size, v.size
    if n == 0 or m == 0:
        raise ValueError("empty input")
    length = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]
    return record(func, ((length,),), (_dot_dtype(a, v),), (a, v))


def project_interp(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, fp = arr(b["x"]), arr(b["fp"])
    dtype = np.complex128 if fp.dtype.kind == "c" else np.float64
    return record(func, (x.shape,), (dtype,), (x, arr(b["xp"]), fp))


def project_searchsorted(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, v = arr(b["a"]), arr(b["v"])
    return record(func, (v.shape,), (_INTP,), (a, v))


def project_isin(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    e, t = arr(b["element"]), arr(b["test_elements"])
    return record(func, (e.shape,), (np.dtype(bool),), (e, t))


# --- traces, cumulative and reductions ---------------------------------------------

def project_trace(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a" if "a" in b else "x"])
    if func is np.linalg.trace:
        axes, offset, dtype = (-2, -1), b["offset"], b["dtype"]
        out = None
    else:
        axes, offset, dtype = (b["axis1"], b["axis2"]), b["offset"], b["dtype"]
        out = _out(b["out"])
    shape = np.diagonal(_void(a.shape), offset, *axes).shape[:-1]
    stand = np.zeros((1, 1), a.dtype)
    result = np.trace(stand, dtype=dtype).dtype if out is None else out.dtype
    return record(func, (shape,), (result,), (a,), outs=(out,))


_CUMULATIVE = {
    "cumsum": np.cumsum, "cumprod": np.cumprod, "nancumsum": np.cumsum,
    "nancumprod": np.cumprod, "cumulative_sum": np.cumsum, "cumulative_prod": np.cumprod,
}


def project_cumulative(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    key = "x" if "x" in b else "a"
    a = arr(b[key])
    out = _out(b.get("out"))
    axis = b["axis"]
    if func.__name__.startswith("cumulative"):
        if axis is None:
            if a.ndim > 1:
                raise ValueError("The `axis` argument is required when the input has "
                                 "more than one dimension.")
            shape, ax = _atleast(a.shape, 1), 0
        else:
            shape, ax = a.shape, axis_index(axis, a.ndim)
        if b.get("include_initial"):
            shape = shape[:ax] + (shape[ax] + 1,) + shape[ax + 1:]
    elif axis is None:
        shape = (a.size,)
    else:
        shape = a.shape
        axis_index(axis, max(a.ndim, 1))
    dtype = _CUMULATIVE[func.__name__](np.zeros(1, a.dtype), dtype=b.get("dtype")).dtype
    extra = 0
    if func.__name__.startswith("nan") and a.dtype.kind in "fc":
        extra = a.size * (a.itemsize + 1)  # NumPy's copy with NaNs replaced, and the mask
    return record(func, (shape,), (dtype if out is None else out.dtype,), (a,), outs=(out,),
                  extra=extra, exact=extra == 0)


_QUANTILES = frozenset({"percentile", "quantile", "nanpercentile", "nanquantile"})
_PARTITIONING = frozenset({"median", "nanmedian"}) | _QUANTILES
#: Parameters a one-element stand-in run may keep (they only decide the dtype).
_DTYPE_KEYWORDS = ("dtype", "ddof", "correction", "method", "weights", "returned")


def project_reduction(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """sum, mean, std, ..., nan*, median, percentile: shape from the axes, dtype from
    NumPy running the same function on a one-element stand-in."""
    b = bind(func, args, kwargs)
    key = "a" if "a" in b else "x"
    a = arr(b[key])
    out = _out(b.get("out"))
    axis = b.get("axis")
    keepdims = b.get("keepdims", False)
    keepdims = False if keepdims is NO_VALUE else bool(keepdims)
    axes = axes_tuple(axis, max(a.ndim, 1)) if a.ndim else ()
    if keepdims:
        reduced = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    else:
        reduced = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    name = func.__name__
    call = {key: unit(a)}
    if axis is not None:
        call["axis"] = axis
    if "keepdims" in b and b["keepdims"] is not NO_VALUE:
        call["keepdims"] = b["keepdims"]
    for k in _DTYPE_KEYWORDS:
        if k in b and b[k] is not NO_VALUE and b[k] is not None and k != "weights":
            call[k] = b[k]
    if b.get("weights") is not None:
        call["weights"] = np.ones_like(unit(b["weights"], a.ndim))  # zero weights refuse
    q_shape: tuple = ()
    if name in _QUANTILES:
        q = np.asarray(b["q"])
        q_shape = q.shape
        call["q"] = b["q"]
    stand = func(**call)
    if isinstance(stand, tuple):  # average(returned=True)
        stand = stand[0]
    dtype = np.asarray(stand).dtype if out is None else out.dtype
    shape = q_shape + reduced
    extra = 0
    if name.startswith("nan") and a.dtype.kind in "fc":
        extra += a.size * (a.itemsize + 1)  # the copy with NaNs replaced, and the mask
    if name in _PARTITIONING and not b.get("overwrite_input", False):
        extra += a.nbytes  # partitioned in a copy
    return record(func, (shape,), (dtype,), (a,), outs=(out,), extra=extra,
                  exact=extra == 0)


# --- histograms ---------------------------------------------------------------------

def _bin_count(bins: Any) -> int:
    if isinstance(bins, str):
        raise TypeError("bins chosen from the data are not projected")
    edges = np.asarray(bins)
    if edges.ndim == 0:
        n = operator.index(bins)
        if n < 1:
            raise ValueError("`bins` must be positive")
        return n
    if edges.ndim != 1:
        raise ValueError("`bins` must be 1d")
    return edges.size - 1


def project_histogram(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    n = _bin_count(b["bins"])
    weights = b["weights"]
    if b["density"]:
        dtype = _F8
    elif weights is None:
        dtype = _INTP
    else:
        dtype = arr(weights).dtype
    edge_dtype = np.result_type(a.dtype, float) if a.dtype.kind != "c" else a.dtype
    return record(func, ((n,), (n + 1,)), (dtype, edge_dtype), (a,))


def project_histogramdd(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    if func is np.histogram2d:
        samples = [arr(b["x"]), arr(b["y"])]
        dims = 2
    else:
        sample = b["sample"]
        if isinstance(sample, np.ndarray):
            dims = 1 if sample.ndim == 1 else sample.shape[1]
            samples = [sample]
        else:
            samples = [arr(s) for s in sample]
            dims = len(samples)
    bins = b["bins"]
    if func is np.histogram2d:
        try:
            n_bins = len(bins)
        except TypeError:
            n_bins = 1
        if n_bins not in (1, 2):
            bins = [bins, bins]  # edges shared by both axes
        elif n_bins == 1:
            bins = [bins, bins]
    else:
        try:
            if len(bins) != dims:
                raise ValueError("The dimension of bins must be equal to the dimension "
                                 "of the sample x.")
        except TypeError:
            bins = [bins] * dims
    counts = [_bin_count(x) for x in bins]
    hist = tuple(counts)
    # NumPy counts into a bincount with an outlier bin at each end of each axis, then
    # converts it to float: both of that padded size, and one intp index per sample.
    padded = math.prod(n + 2 for n in counts)
    n_samples = max((s.shape[0] if s.ndim else 1) for s in samples)
    extra = 2 * padded * 8 + n_samples * 8 * (dims + 1)
    edges = tuple((n + 1,) for n in counts)
    return record(func, (hist, *edges), (_F8,) * (1 + dims), tuple(samples), extra=extra,
                  exact=False)


# --- bounded results ----------------------------------------------------------------

def project_nonzero(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    name = func.__name__
    if name == "argwhere":
        return record(func, ((a.size, a.ndim),), (_INTP,), (a,), exact=False)
    if name == "flatnonzero":
        return record(func, ((a.size,),), (_INTP,), (a,), exact=False)
    return _nonzero_bound(func, a)


def project_masked(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """extract/compress: at most every element selected."""
    b = bind(func, args, kwargs)
    condition = arr(b["condition"])
    a = arr(b["arr" if "arr" in b else "a"])
    if func.__name__ == "compress" and b["axis"] is not None:
        ax = axis_index(b["axis"], a.ndim)
        shape = a.shape[:ax] + (min(condition.size, a.shape[ax]),) + a.shape[ax + 1:]
    else:
        shape = (min(condition.size, a.size),)
    return record(func, (shape,), (a.dtype,), (a, condition), exact=False)


def project_delete(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["arr"])
    shape = (a.size,) if b["axis"] is None else a.shape
    return record(func, (shape,), (a.dtype,), (a,), exact=False)


def project_insert(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """At most len(values) (or the index count) new entries along the axis."""
    b = bind(func, args, kwargs)
    a, values = arr(b["arr"]), arr(b["values"])
    index = np.asarray(b["obj"])
    added = max(index.size if index.dtype != bool else int(index.size), values.size, 1)
    if b["axis"] is None:
        shape = (a.size + added,)
    else:
        ax = axis_index(b["axis"], a.ndim)
        shape = a.shape[:ax] + (a.shape[ax] + added,) + a.shape[ax + 1:]
    return record(func, (shape,), (a.dtype,), (a, values), exact=False)


def project_unique(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """unique and unique_*: at most every element is distinct (plus the sorted copy)."""
    b = bind(func, args, kwargs)
    a = arr(b["ar" if "ar" in b else "x"])
    n = a.size
    name = func.__name__
    axis = b.get("axis")
    values_shape = (n,) if axis is None else a.shape
    shapes, dtypes = [values_shape], [a.dtype]
    if name == "unique":
        for flag in ("return_index", "return_inverse", "return_counts"):
            if b[flag]:
                shape = a.shape if (flag == "return_inverse" and axis is None) else (n,)
                shapes.append(shape)
                dtypes.append(_INTP)
    elif name in ("unique_all", "unique_inverse", "unique_counts"):
        extra = {"unique_all": [(n,), a.shape, (n,)], "unique_inverse": [a.shape],
                 "unique_counts": [(n,)]}[name]
        shapes += extra
        dtypes += [_INTP] * len(extra)
    return record(func, tuple(shapes), tuple(dtypes), (a,), extra=a.nbytes, exact=False)


def project_set_op(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """setdiff1d, setxor1d, intersect1d, union1d: at most every element of both inputs,
    with the sorted concatenation NumPy builds on the way."""
    b = bind(func, args, kwargs)
    x, y = arr(b["ar1"]), arr(b["ar2"])
    dtype = x.dtype if func.__name__ == "setdiff1d" else np.result_type(x, y)
    n = {"setdiff1d": x.size, "intersect1d": min(x.size, y.size)}.get(
        func.__name__, x.size + y.size)
    shapes, dtypes = [(n,)], [dtype]
    if func.__name__ == "intersect1d" and b.get("return_indices"):
        shapes += [(n,), (n,)]
        dtypes += [_INTP, _INTP]
    temp = (x.size + y.size) * dtype.itemsize
    return record(func, tuple(shapes), tuple(dtypes), (x, y), extra=temp, exact=False)


def project_bincount(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """bincount: max(minlength, max(x) + 1) counts; max(x) is one pass over x that
    allocates nothing, so the projection is exact."""
    b = bind(func, args, kwargs)
    x = arr(b["x"])
    if x.size == 0:
        n = operator.index(b["minlength"])
    else:
        n = max(operator.index(b["minlength"]), int(x.max()) + 1)  # one pass, no allocation
    dtype = _F8 if b["weights"] is not None else _INTP
    return record(func, ((n,),), (dtype,), (x,))


# --- element-wise functions implemented in Python (their temporaries skip the ufunc
# path because they convert their input with np.asarray) --------------------------

#: The array parameters of each element-wise function: they broadcast together.
ELEMENTWISE_PARAMETERS = {
    "nan_to_num": ("x",), "iscomplex": ("x",), "i0": ("x",), "unwrap": ("p",),
    "sqrt": ("x",), "log": ("x",), "log10": ("x",), "log2": ("x",), "logn": ("n", "x"),
    "power": ("x", "p"), "arccos": ("x",), "arcsin": ("x",), "arctanh": ("x",),
}


def project_elementwise(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """Broadcast shape of the array parameters; dtype from NumPy on one-element stand-ins.

    For np.lib.scimath the stand-ins hold -2, so a data-dependent complex result is
    assumed: an upper bound.
    """
    b = bind(func, args, kwargs)
    names = ELEMENTWISE_PARAMETERS[func.__name__]
    operands = [b[n] for n in names]
    shape = broadcast_shapes([shape_of(x) for x in operands])
    scimath = func.__module__ == "numpy.lib.scimath"
    call = dict(b)
    for name, x in zip(names, operands):
        if type(x) in (int, float, complex):
            continue
        stand = unit(x)
        if scimath:
            stand = np.full(stand.shape, -2, stand.dtype)
        call[name] = stand
    if "out" in call:
        call["out"] = None
    dtype = np.asarray(func(**call)).dtype
    return record(func, (shape,), (dtype,), tuple(operands), exact=not scimath)


def project_astype(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x, dtype = arr(b["x"]), np.dtype(b["dtype"])
    copies = b["copy"] or dtype != x.dtype
    return record(func, (x.shape,), (dtype,), (x,), outs=None if copies else (0,))


def project_array_equal(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """A bool; on the way NumPy compares into a broadcast-size boolean temporary."""
    b = bind(func, args, kwargs)
    x, y = arr(b["a1"]), arr(b["a2"])
    try:
        size = math.prod(broadcast_shapes([x.shape, y.shape]))
    except ValueError:
        size = 0  # NumPy answers False without comparing
    if func is np.array_equal and x.shape != y.shape:
        size = 0
    return record(func, ((),), (np.dtype(bool),), (x, y), extra=size)


def project_packbits(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a, axis = arr(b["a"]), b["axis"]
    if func is np.packbits:
        change = lambda n: (n + 7) // 8  # noqa: E731
    else:
        count = b["count"]
        change = (lambda n: n * 8) if count is None else (  # noqa: E731
            lambda n: n * 8 + count if count < 0 else count)
    if axis is None:
        shape = (change(a.size),)
    else:
        ax = axis_index(axis, a.ndim)
        shape = a.shape[:ax] + (change(a.shape[ax]),) + a.shape[ax + 1:]
    return record(func, (shape,), (np.dtype(np.uint8),), (a,))


def project_unravel_index(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    indices = arr(b["indices"])
    dims = _shape_arg(b["shape"])
    return record(func, (indices.shape,) * len(dims), (_INTP,) * len(dims), (indices,))


def project_ravel_multi_index(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    parts = [arr(x) for x in b["multi_index"]]
    shape = broadcast_shapes([p.shape for p in parts])
    return record(func, (shape,), (_INTP,), tuple(parts))


def project_lexsort(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    keys = b["keys"]
    first = arr(keys[0]) if isinstance(keys, (list, tuple)) else arr(keys)[0]
    return record(func, (first.shape,), (_INTP,), (first,))


def project_digitize(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    x = arr(b["x"])
    return record(func, (x.shape,), (_INTP,), (x, arr(b["bins"])))


def project_bin_edges(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    n = _bin_count(b["bins"])
    edge_dtype = np.result_type(a.dtype, float) if a.dtype.kind != "c" else a.dtype
    return record(func, ((n + 1,),), (edge_dtype,), (a,))


def project_linspace(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """linspace/logspace/geomspace with like=: num samples along `axis` of the
    broadcast start/stop."""
    b = bind(func, args, kwargs)
    num = operator.index(b["num"])
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    rest = broadcast_shapes([shape_of(b["start"]), shape_of(b["stop"])])
    ax = axis_index(b["axis"], len(rest) + 1)
    shape = rest[:ax] + (num,) + rest[ax:]
    call = {k: v for k, v in b.items() if k not in ("like", "num")}
    for k in ("start", "stop"):
        if type(call[k]) not in (int, float, complex):
            call[k] = np.ones_like(unit(call[k]))  # geomspace refuses zeros
    if func.__name__ == "linspace":
        call["retstep"] = False
    dtype = np.asarray(func(num=2, **call)).dtype
    return record(func, (shape,), (dtype,), ())


def project_sort_complex(func: Any, args: tuple, kwargs: dict) -> Estimate:
    b = bind(func, args, kwargs)
    a = arr(b["a"])
    dtype = np.sort_complex(np.zeros(1, a.dtype)).dtype
    return record(func, (a.shape,), (dtype,), (a,))
