"""Answers for the pass-through functions (tables.PASS_THROUGH), which only
`numguard.estimate` asks about: the guard lets them run as they are.

Views answer their shapes with 0 new bytes, computed by NumPy itself on zero-itemsize
stand-ins (any shape, 0 bytes); np.reshape/np.ravel answer a copy where the layout
needs one. Shape queries and in-place writes answer no results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operands import as_array, plain_array
from ..record import Estimate, build
from ..registry import projects
from .common import INTP, VOID

_VIEWS = ("transpose swapaxes moveaxis rollaxis squeeze expand_dims atleast_1d atleast_2d "
          "atleast_3d flip fliplr flipud rot90 matrix_transpose linalg.matrix_transpose "
          "split array_split hsplit vsplit dsplit unstack "
          "lib.stride_tricks.sliding_window_view").split()
_NOTHING = ("shape ndim size result_type can_cast min_scalar_type common_type iscomplexobj "
            "isrealobj shares_memory may_share_memory einsum_path place putmask "
            "put_along_axis fill_diagonal array2string array_repr array_str").split()


@projects(*_VIEWS, answer_only=True)
def view(func: Any, /, *args: Any, **kwargs: Any) -> Estimate:
    """NumPy's own function on a zero-itemsize stand-in of the first array argument."""
    a = as_array(args[0]) if args else as_array(kwargs.pop(next(iter(kwargs))))
    stand_in = np.lib.stride_tricks.as_strided(np.empty(0, VOID), a.shape,
                                               (0,) * a.ndim) if a.ndim else np.empty((), VOID)
    result = func(stand_in, *args[1:], **kwargs)
    if not isinstance(result, (list, tuple)):
        return build(func, (result.shape,), (a.dtype,), (a,), view=True)
    # several parts: Python objects, one each (the container holds them all)
    scalars = func.__name__ == "unstack" and a.ndim == 1
    objects = sum(_scalar_object(a.dtype) if scalars else _view_object(p.ndim) for p in result)
    return build(func, tuple(p.shape for p in result), (a.dtype,) * len(result), (a,),
                 view=True, peak=objects)


def _view_object(ndim: int) -> int:
    """Bytes of one ndarray view as Python holds it (measured, 64-bit CPython, with a
    little room for the intermediate views some functions make): the container's
    pointer, the object, its dims and strides."""
    return 8 + 112 + 16 * ndim


def _scalar_object(dtype: np.dtype) -> int:
    """Bytes of one NumPy scalar an iteration hands out (measured): the container's
    pointer and the scalar object (a string scalar holds a str of its own)."""
    if dtype.kind == "O":
        return 8  # the elements themselves
    if dtype.kind in "USV":
        return 8 + 80 + dtype.itemsize
    return 8 + max(24, 16 + -(-dtype.itemsize // 8) * 8)


@projects(np.real, np.imag, answer_only=True)
def real(func: Any, /, val: Any) -> Estimate:
    """A view, except np.imag of real data: a new array of zeros."""
    a = as_array(val)
    dtype = np.asarray(func(np.zeros(1, a.dtype))).dtype
    copies = func is np.imag and a.dtype.kind != "c"
    return build(func, (a.shape,), (dtype,), (a,), view=not copies)


@projects(np.reshape, answer_only=True)
def reshape(func: Any, /, a: Any, shape: Any = None, order: Any = "C", *,
            newshape: Any = None, copy: Any = None) -> Estimate:
    """A view where the layout allows one (np.reshape(copy=False) says), else a copy."""
    a = as_array(a)
    target = shape if shape is not None else newshape
    try:
        result = np.reshape(a, target, order=order, copy=False)
        copies = bool(copy)
    except ValueError:
        if copy is False:
            raise
        result = np.reshape(np.empty(a.shape, VOID), target, order=order)
        copies = True
    return build(func, (result.shape,), (a.dtype,), (a,), view=not copies)


@projects(np.ravel, answer_only=True)
def ravel(func: Any, /, a: Any, order: Any = "C") -> Estimate:
    a = as_array(a)
    contiguous = {"C": a.flags.c_contiguous, "F": a.flags.f_contiguous,
                  "A": a.flags.c_contiguous or a.flags.f_contiguous}.get(order, True)
    if order == "K":
        contiguous = a.flags.c_contiguous or a.flags.f_contiguous
    return build(func, ((a.size,),), (a.dtype,), (a,), view=contiguous)


@projects("trim_zeros", answer_only=True)
def trim_zeros(func: Any, /, filt: Any, trim: Any = "fb", axis: Any = None) -> Estimate:
    """A view of at most the whole array (the data decides how much is trimmed); on
    the way, np.argwhere of the data (its nonzero indices, twice: see argwhere)."""
    a = as_array(filt)
    count = int(np.count_nonzero(np.asarray(a))) if a.dtype.kind not in "OTV" else a.size
    return build(func, (a.shape,), (a.dtype,), (a,), view=True, exact=False,
                 peak=2 * count * max(a.ndim, 1) * INTP.itemsize)


@projects(np.real_if_close, answer_only=True)
def real_if_close(func: Any, /, a: Any, tol: Any = 100) -> Estimate:
    """`a.real` (a view) where every |imaginary part| is below tol, else `a` itself:
    the data decides the dtype, and two reductions over the imaginary parts (which
    allocate nothing) read it as NumPy does. On the way, |a.imag| < tol: a float array
    of the real type and its mask."""
    x = as_array(a)
    if x.dtype.kind != "c":
        return build(func, (x.shape,), (x.dtype,), (x,), view=True)
    if tol > 1:
        tol = np.finfo(x.dtype).eps * tol
    imag = x.imag
    with np.errstate(all="ignore"):
        close = x.size == 0 or bool(np.maximum.reduce(imag, axis=None) < tol
                                    and -np.minimum.reduce(imag, axis=None) < tol)
    dtype = imag.dtype if close else x.dtype
    return build(func, (x.shape,), (dtype,), (x,), view=True,
                 peak=x.size * (imag.dtype.itemsize + 1))


@projects(*_NOTHING, answer_only=True)
def nothing(func: Any, /, *args: Any, **kwargs: Any) -> Estimate:
    """No array that scales with the data: a shape, a type, a flag, a string, or a
    write into an existing array."""
    return build(func, (), ())


@projects(np.copyto, answer_only=True)
def copyto(func: Any, /, dst: Any, src: Any, casting: Any = "same_kind",
           where: Any = True) -> Estimate:
    """Writes into dst: nothing new. NumPy's checks, on stand-ins: dst an ndarray that
    can be written, src (and where) broadcasting to it, the cast allowed."""
    if not isinstance(dst, np.ndarray):
        raise TypeError(f"copyto() argument 1 must be numpy.ndarray, not "
                        f"{type(dst).__name__}")
    source = src if type(src) in (int, float, complex) else as_array(src)
    shapes = [np.shape(source)] + ([] if where is True else [np.shape(where)])
    if np.broadcast_shapes(dst.shape, *shapes) != dst.shape:
        raise ValueError(f"could not broadcast input array from shape {shapes[0]} into "
                         f"shape {dst.shape}")
    if not dst.flags.writeable:
        raise ValueError("assignment destination is read-only")
    stand = source if type(source) in (int, float, complex) else np.empty((), source.dtype)
    mask = True if where is True else np.empty((), as_array(where).dtype)
    func(np.empty((), dst.dtype), stand, casting=casting, where=mask)
    return build(func, (), ())


@projects(np.put, answer_only=True)
def put(func: Any, /, a: Any, ind: Any, v: Any, mode: Any = "raise") -> Estimate:
    """Writes into a: nothing new. NumPy's checks: a is an array that can be written,
    some indices into an empty one, indices out of bounds in mode "raise"."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"argument 1 must be numpy.ndarray, not {type(a)}")
    if mode not in ("raise", "wrap", "clip", 0, 1, 2):
        raise ValueError("clipmode must be one of 'clip', 'raise', or 'wrap'")
    if not a.flags.writeable:
        raise ValueError("put: output array is read-only")
    index = plain_array(ind)
    if index.size and np.size(v) and a.size == 0:
        raise IndexError("cannot replace elements of an empty array")
    if index.size and np.size(v) and mode in ("raise", 0) and index.dtype.kind in "iu":
        low, high = int(np.min(index)), int(np.max(index))
        if low < -a.size or high >= a.size:
            raise IndexError(f"index {high if high >= a.size else low} is out of bounds for "
                             f"axis 0 with size {a.size}")
    return build(func, (), ())


@projects(np.ix_, answer_only=True)
def ix_(func: Any, /, *args: Any) -> Estimate:
    """Each index reshaped (a view); a boolean one is its nonzero indices (new, counted
    as NumPy counts them), an empty non-integer one a new empty intp array."""
    arrays = [as_array(x) for x in args]
    n = len(arrays)
    sizes = [int(np.count_nonzero(x)) if x.dtype == bool else x.size for x in arrays]
    shapes = tuple((1,) * k + (size,) + (1,) * (n - k - 1) for k, size in enumerate(sizes))
    dtypes = tuple(INTP if x.dtype == bool or x.size == 0 and x.dtype.kind == "f" else x.dtype
                   for x in arrays)
    new = sum(size * INTP.itemsize for x, size in zip(arrays, sizes) if x.dtype == bool)
    return build(func, shapes, dtypes, tuple(arrays), nbytes=new)


@projects(np.diag_indices_from, answer_only=True)
def diag_indices_from(func: Any, /, arr: Any) -> Estimate:
    a = as_array(arr)
    if a.ndim < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(a.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    # (arange(n),) * ndim: one array, returned ndim times
    return build(func, ((a.shape[0],),) * a.ndim, (INTP,) * a.ndim, (a,),
                 nbytes=a.shape[0] * INTP.itemsize)
