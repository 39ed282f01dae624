"""Answers for the pass-through functions (tables.PASS_THROUGH), which only
`numguard.estimate` asks about: the guard lets them run as they are.

Views answer their shapes with 0 new bytes, computed by NumPy itself on zero-itemsize
stand-ins (any shape, 0 bytes); np.reshape/np.ravel answer a copy where the layout
needs one. Shape queries and in-place writes answer no results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..operands import as_array
from ..record import Estimate, build
from ..registry import projects
from .common import INTP, VOID

_VIEWS = ("transpose swapaxes moveaxis rollaxis squeeze expand_dims atleast_1d atleast_2d "
          "atleast_3d flip fliplr flipud rot90 matrix_transpose linalg.matrix_transpose "
          "split array_split hsplit vsplit dsplit unstack "
          "lib.stride_tricks.sliding_window_view").split()
_NOTHING = ("shape ndim size result_type can_cast min_scalar_type common_type iscomplexobj "
            "isrealobj shares_memory may_share_memory einsum_path copyto place put putmask "
            "put_along_axis fill_diagonal array2string array_repr array_str").split()


@projects(*_VIEWS, answer_only=True)
def view(func: Any, /, *args: Any, **kwargs: Any) -> Estimate:
    """NumPy's own function on a zero-itemsize stand-in of the first array argument."""
    a = as_array(args[0]) if args else as_array(kwargs.pop(next(iter(kwargs))))
    stand_in = np.lib.stride_tricks.as_strided(np.empty(0, VOID), a.shape,
                                               (0,) * a.ndim) if a.ndim else np.empty((), VOID)
    result = func(stand_in, *args[1:], **kwargs)
    parts = result if isinstance(result, (list, tuple)) else [result]
    return build(func, tuple(p.shape for p in parts), (a.dtype,) * len(parts), (a,), view=True)


@projects(np.real, np.imag, answer_only=True)
def real(func: Any, /, val: Any) -> Estimate:
    a = as_array(val)
    return build(func, (a.shape,), (np.asarray(func(np.zeros(1, a.dtype))).dtype,), (a,),
                 view=True)


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
    """A view of at most the whole array (the data decides how much is trimmed)."""
    a = as_array(filt)
    return build(func, (a.shape,), (a.dtype,), (a,), view=True, exact=False,
                 peak=a.size * 8)


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


@projects(np.ix_, answer_only=True)
def ix_(func: Any, /, *args: Any) -> Estimate:
    arrays = [as_array(x) for x in args]
    n = len(arrays)
    sizes = [int(np.count_nonzero(x)) if x.dtype == bool else x.size for x in arrays]
    shapes = tuple((1,) * k + (size,) + (1,) * (n - k - 1) for k, size in enumerate(sizes))
    dtypes = tuple(INTP if x.dtype == bool or x.size == 0 and x.dtype.kind == "f" else x.dtype
                   for x in arrays)
    return build(func, shapes, dtypes, tuple(arrays))


@projects(np.diag_indices_from, answer_only=True)
def diag_indices_from(func: Any, /, arr: Any) -> Estimate:
    a = as_array(arr)
    if a.ndim < 2:
        raise ValueError("input array must be at least 2-d")
    return build(func, ((a.shape[0],),) * a.ndim, (INTP,) * a.ndim, (a,))
