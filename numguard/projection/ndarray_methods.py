"""Projections of ndarray methods that allocate outside the ufunc protocol, and
`METHODS`, the one registry entry per method that GuardedArray overrides.

Each projection takes the array and the method's own arguments (same parameter list
as the ndarray method, so a wrong call fails to bind just as it fails in NumPy) and
returns the `Estimate` of what the call will allocate, or None when it allocates no
new array (a view, an in-place operation, a delegation to a ufunc that
`__array_ufunc__` already checks). Pure: no policy, no budget, no element data read
except where NumPy itself reads it to size the result (boolean masks, repeat counts).

Where a projection cannot make sense of its arguments it raises; callers treat that
as "no estimate" and let NumPy raise its own error.

`nbytes` is the result NumPy allocates (for `take`/`compress`/`choose` with `out=` in
mode "raise", the buffer NumPy copies `out` into). Temporaries are not counted:
casting copies of secondary operands, sort work buffers, nonzero index arrays
inside `compress`.

Tricks that keep projections cheap and exact:
- a zero-itemsize stand-in, `np.empty(a.shape, dtype=np.dtype([]))`, is indexed
  with the user's key: NumPy validates the key with its own errors and produces the
  result's shape, with no element data to copy;
- the same stand-in with `a`'s real strides answers "must this reshape copy?"
  through `reshape(..., copy=False)`, which never copies;
- dtypes come from replaying the call on zero-size arrays of the same dtypes.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.array_utils import normalize_axis_index
from numpy.lib.stride_tricks import as_strided

from . import ndarray_selection as selection
from .indexing import getitem, getitem_rejects
from .operands import arg_copy, discards_imaginary, gather_exact, quiet, split_axis
from .record import Estimate, build
from .ufunc_arguments import check_order

_ndarray = np.ndarray
#: The zero-itemsize dtype of stand-ins: any shape, no element data.
NO_DATA = np.dtype([])
_NO_DATA_ONE = np.empty(1, NO_DATA)
_INTP = np.dtype(np.intp)
_OBJECT = np.dtype(object)
#: Bytes of a Python list slot, and of one list header (lower bounds for tolist).
_SLOT = 8
_LIST = sys.getsizeof([])
#: Lower bound of the Python object tolist creates per element, by dtype kind
#: (small ints and bools are shared singletons, so they count 0).
_PY_OBJECT = {"f": sys.getsizeof(1.0), "c": sys.getsizeof(1j), "U": sys.getsizeof(""),
              "S": sys.getsizeof(b"")}


# -- copies of the whole array ------------------------------------------------------


def copy(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return build(_ndarray.copy, (a.shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def flatten(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return build(_ndarray.flatten, ((a.size,),), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def copy_dunder(a: np.ndarray, /) -> Estimate:
    return build(_ndarray.__copy__, (a.shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def deepcopy(a: np.ndarray, memo: Any, /) -> Estimate:
    # Object elements are deep-copied themselves: their size is unknown.
    return build(_ndarray.__deepcopy__, (a.shape,), (a.dtype,), (a,), exact=a.dtype.kind not in "OT")


def byteswap(a: np.ndarray, /, inplace: bool = False) -> Estimate | None:
    if inplace:
        return None
    return build(_ndarray.byteswap, (a.shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def tobytes(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return build(_ndarray.tobytes, (a.shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def dumps(a: np.ndarray, /) -> Estimate:
    """A pickle (protocol 2, as ndarray.dumps uses) of the data's bytes, which protocol
    2 writes as a latin-1 string, UTF-8 encoded: each byte above 127 takes two, so the
    data decides the size. As for tolist (a Python object), `nbytes` is a lower bound
    (the data's bytes); the peak counts the most the pickle can take (twice the data
    and its header), beside the bytes copy and the decoded string made on the way."""
    return build(_ndarray.dumps, (a.shape,), (a.dtype,), (a,), **_pickled(a))


def dump(a: np.ndarray, /, file: Any) -> Estimate:
    return build(_ndarray.dump, (a.shape,), (a.dtype,), (a,), **_pickled(a))


#: The pickle's header (the reconstructor, the dtype, the shape), at most.
_PICKLE_HEADER = 1024


def _pickled(a: np.ndarray) -> dict:
    if a.dtype.kind in "OT":  # pickled element by element: at least a byte each
        return {"nbytes": a.size, "exact": False}
    data = a.size * a.itemsize
    # tobytes, the latin-1 string, its UTF-8 encoding (up to twice the data) and the
    # pickle's output buffer: about six times the data at the worst moment (measured)
    return {"nbytes": data, "exact": False, "extra": 5 * data + _PICKLE_HEADER}


def tolist(a: np.ndarray, /) -> Estimate:
    """Python objects: a lower bound (list slots and headers, one object per float)."""
    size = a.size
    lists = 0
    count = 1
    for n in a.shape:
        lists += count
        count *= n
    per_element = _SLOT if a.ndim else 0
    per_element += _PY_OBJECT.get(a.dtype.kind, 0)
    nbytes = size * per_element + lists * _LIST
    return build(_ndarray.tolist, (a.shape,), (_OBJECT,), (a,), nbytes=nbytes, exact=False)


def astype(
    a: np.ndarray, /, dtype: Any, order: Any = "K", casting: Any = "unsafe",
    subok: Any = True, copy: Any = True,
) -> Estimate | None:
    # Replay on a zero-size array of a's dtype: NumPy resolves the result dtype (sizes
    # flexible dtypes from the source, adapts datetime units) and checks `casting`.
    target = np.dtype(dtype)  # None: float64, as astype reads it
    discards = discards_imaginary(a.dtype, target)
    if discards:  # the replay would warn: NumPy's casting check here instead
        if not np.can_cast(a.dtype, target, casting):
            raise TypeError(f"Cannot cast array data from {a.dtype!r} to {target!r} "
                            f"according to the rule {casting!r}")
        stand_in = np.empty(0, quiet(a.dtype, target))
        replay = stand_in.astype(dtype, casting="unsafe", copy=False)
    else:
        stand_in = np.empty(0, a.dtype)
        replay = stand_in.astype(dtype, casting=casting, copy=False)
    result = replay.dtype
    check_order(order)
    kept = not discards and replay is stand_in
    if not copy and kept and (subok or type(a) is _ndarray) and _order_kept(a, order):
        return None  # `a` itself comes back
    source = a.dtype.kind
    exact = result.kind != "T" and (result.kind != "O" or source == "O")
    if source == "O" and result.kind in "SUV" and np.dtype(dtype).itemsize == 0:
        exact = False  # NumPy sizes str/bytes from every object: a lower bound here
    return build(_ndarray.astype, (a.shape,), (result,), (a,), exact=exact)


def _order_kept(a: np.ndarray, order: Any) -> bool:
    """astype's no-copy rule on layout: K always; A if either contiguous; C; F."""
    order = "K" if order is None else str(order).upper()
    if order == "K":
        return True
    flags = a.flags
    if order == "A":
        return flags.c_contiguous or flags.f_contiguous
    return flags.c_contiguous if order == "C" else flags.f_contiguous


def round_(a: np.ndarray, /, decimals: Any = 0, out: Any = None) -> Estimate | None:
    decimals = operator.index(decimals)
    if out is not None:
        return None  # written into out (its ufunc calls are checked there)
    if decimals == 0 and a.dtype.kind == "f":
        return None  # np.rint, checked by __array_ufunc__ (complex: rounded part by part
        # into a result NumPy allocates itself)
    if a.dtype.kind not in "iufc":
        return None  # NumPy's ufuncs reject or check it
    # complex: a copy, whose real and imaginary parts are rounded one at a time into a
    # new array of the part's size, then set back
    part = a.size * a.itemsize // 2 if a.dtype.kind == "c" else 0
    if a.dtype.kind in "iu" and decimals < 0:  # divided, rounded and multiplied in a
        part = a.size * 8  # float64 array, then cast back to a's type (PyArray_Round)
    return build(_ndarray.round, (a.shape,), (a.dtype,), (a,), extra=part)


def imag(a: np.ndarray, /) -> Estimate | None:
    """`.imag` of a non-complex array is a new array of zeros; of a complex one, a view."""
    if a.dtype.kind == "c":
        return None
    return build(_ndarray.imag, (a.shape,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


# -- views that may have to copy ----------------------------------------------------


def reshape(a: np.ndarray, /, *shape: Any, order: Any = "C", copy: Any = None) -> Estimate | None:
    check_order(order)
    if order in ("K", "k"):
        raise ValueError("order 'K' is not permitted for reshaping")
    # A C-contiguous stand-in parses the shape with NumPy's errors and never copies.
    result = np.empty(a.shape, NO_DATA).reshape(*shape).shape
    if copy:
        return build(_ndarray.reshape, (result,), (a.dtype,), (a,), exact=gather_exact(a.dtype))
    if copy is not None or not reshape_copies(a, shape, order):
        return None  # a view (copy=False: a view or NumPy's error)
    return build(_ndarray.reshape, (result,), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def reshape_copies(a: np.ndarray, shape: tuple, order: Any) -> bool:
    if a.size <= 1:
        return False
    order = "C" if order is None else str(order).upper()
    flags = a.flags
    if order == "A":
        order = "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    if (order == "C" and flags.c_contiguous) or (order == "F" and flags.f_contiguous):
        return False
    # The stand-in with a's real strides: reshape(copy=False) refuses exactly when a
    # copy is needed, without copying (a zero-itemsize copy would still loop).
    stand_in = as_strided(_NO_DATA_ONE, a.shape, a.strides)
    try:
        stand_in.reshape(*shape, order=order, copy=False)
    except ValueError:
        return True
    return False


def ravel(a: np.ndarray, /, order: Any = "C") -> Estimate | None:
    check_order(order)
    if not ravel_copies(a, "C" if order is None else str(order).upper()):
        return None
    return build(_ndarray.ravel, ((a.size,),), (a.dtype,), (a,), exact=gather_exact(a.dtype))


def ravel_copies(a: np.ndarray, order: str) -> bool:
    """NumPy's PyArray_Ravel: a view for a layout matching the order, else a copy."""
    flags = a.flags
    if order == "K":
        if flags.c_contiguous:
            order = "C"
        elif flags.f_contiguous:
            order = "F"
    elif order == "A":
        order = "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    if order == "C":
        return not flags.c_contiguous
    if order == "F":
        return not flags.f_contiguous
    # K, neither contiguous: a view if the strides, sorted by size, are contiguous.
    stride = a.itemsize
    for n, s in sorted(zip(a.shape, a.strides), key=lambda d: -abs(d[1]))[::-1]:
        if n == 1:
            continue
        if s != stride:
            return True
        stride *= n
    return False


def resize(a: np.ndarray, /, *new_shape: Any, refcheck: Any = True) -> Estimate | None:
    if not new_shape or new_shape == (None,):
        return None
    if len(new_shape) == 1 and not isinstance(new_shape[0], (int, np.integer)):
        new_shape = tuple(new_shape[0])
    shape = tuple(operator.index(n) for n in new_shape)
    if any(n < 0 for n in shape):
        raise ValueError("negative dimensions not allowed")
    nbytes = math.prod(shape) * a.itemsize
    if nbytes == a.size * a.itemsize:
        return None
    # NumPy reallocates the buffer: count the new buffer whole.
    return build(_ndarray.resize, (shape,), (a.dtype,), (a,), nbytes=nbytes,
                 exact=gather_exact(a.dtype))


# -- index results ------------------------------------------------------------------


def argsort(
    a: np.ndarray, /, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> Estimate:
    return build(_ndarray.argsort, (_sort_shape(a, axis),), (_INTP,), (a,),
                 extra=lane_buffers(a, axis))


def argpartition(
    a: np.ndarray, kth: Any, /, axis: Any = -1, kind: Any = "introselect", order: Any = None
) -> Estimate:
    shape = _sort_shape(a, axis)
    length = split_axis(a, axis)[1]
    for k in np.asarray(kth).reshape(-1).tolist() if a.size else ():
        if not -length <= operator.index(k) < length:
            raise ValueError(f"kth(={k}) out of bounds ({length})")
    return build(_ndarray.argpartition, (shape,), (_INTP,), (a,), extra=lane_buffers(a, axis))


def lane_buffers(a: np.ndarray, axis: Any) -> int:
    """_new_argsortlike: a lane whose elements are not packed, aligned and native is
    copied into a buffer of its length first, and a lane of the result that is not
    packed (any axis but the last) gets an index buffer (axis=None: a ravel copy)."""
    if a.ndim == 0 or a.size == 0:
        return 0
    if axis is None:
        if a.ndim > 1 and not a.flags.c_contiguous:  # the ravel copies (in a's byte order)
            copy = a.size * a.itemsize
            return copy + (0 if a.dtype.isnative else copy)
        return _lane_values(a, a.size, a.strides[0] if a.ndim == 1 else a.itemsize)
    axis = normalize_axis_index(axis, a.ndim)
    length = a.shape[axis]
    values = _lane_values(a, length, a.strides[axis])
    return values + (0 if axis == a.ndim - 1 else length * _INTP.itemsize)


def _lane_values(a: np.ndarray, length: int, stride: int) -> int:
    """A lane's values buffer: needed unless packed, aligned and native."""
    packed = stride == a.itemsize or length == 1
    return 0 if packed and a.flags.aligned and a.dtype.isnative else length * a.itemsize


def _sort_shape(a: np.ndarray, axis: Any) -> tuple[int, ...]:
    if axis is None or a.ndim == 0:
        if a.ndim == 0 and axis is not None:
            normalize_axis_index(axis, 1)
        return (a.size,)
    normalize_axis_index(axis, a.ndim)
    return a.shape


def argmax(a: np.ndarray, /, axis: Any = None, out: Any = None, *,
           keepdims: Any = False) -> Estimate | None:
    return _arg_reduce(_ndarray.argmax, a, axis, out, keepdims)


def argmin(a: np.ndarray, /, axis: Any = None, out: Any = None, *,
           keepdims: Any = False) -> Estimate | None:
    return _arg_reduce(_ndarray.argmin, a, axis, out, keepdims)


def _arg_reduce(func: Any, a: np.ndarray, axis: Any, out: Any, keepdims: Any) -> Estimate | None:
    """An intp result; on the way, PyArray_ArgMax's C-contiguous copy of `a` raveled,
    or with the axis moved last, where that is not one (also with out=)."""
    copy = arg_copy(a, axis)
    if out is not None and not copy:
        return None
    if split_axis(a, axis)[1] == 0:
        raise ValueError("attempt to get argmax of an empty sequence")
    if axis is None or a.ndim == 0:
        if axis is not None:
            normalize_axis_index(axis, 1)
        shape = (1,) * a.ndim if keepdims else ()
    else:
        ax = normalize_axis_index(axis, a.ndim)
        if keepdims:
            shape = a.shape[:ax] + (1,) + a.shape[ax + 1 :]
        else:
            shape = a.shape[:ax] + a.shape[ax + 1 :]
    return build(func, (shape,), (_INTP,), (a,), extra=copy,
                 outs=None if out is None else (out,))


def dot(a: np.ndarray, other: Any, /, out: Any = None) -> Estimate | None:
    b = other if isinstance(other, (_ndarray, np.generic)) else np.asarray(other)
    if a.ndim == 0 or b.ndim == 0:
        # NumPy multiplies, but on plain ndarray conversions: no ufunc override sees it.
        if out is not None:
            return None
        replay = np.dot(np.zeros((0,) * min(a.ndim, 1), a.dtype),
                        other if type(other) in (int, float, complex)
                        else np.zeros((0,) * min(b.ndim, 1), b.dtype))
        shape = a.shape if b.ndim == 0 else b.shape
        return build(_ndarray.dot, (shape,), (replay.dtype,), (a, b),
                       exact=replay.dtype.kind not in "OT")
    if a.shape[-1] != b.shape[max(b.ndim - 2, 0)]:
        raise ValueError("shapes not aligned")
    shape = a.shape[:-1] + b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else a.shape[:-1]
    if out is not None:
        return None
    dtype = _dot_dtype(a.dtype, b.dtype)
    return build(_ndarray.dot, (shape,), (dtype,), (a, b), exact=dtype.kind not in "OT")


_DOT_DTYPES: dict[tuple[np.dtype, np.dtype], np.dtype] = {}


def _dot_dtype(first: np.dtype, second: np.dtype) -> np.dtype:
    key = (first, second)
    found = _DOT_DTYPES.get(key)
    if found is None:
        found = np.dot(np.empty((1, 0), first), np.empty((0, 1), second)).dtype
        _DOT_DTYPES[key] = found
    return found


def resize_rejects(a: np.ndarray, /, *new_shape: Any, refcheck: Any = True) -> bool:
    return not a.flags.owndata


class MethodProjection(NamedTuple):
    """Everything numguard knows about one allocating ndarray method."""

    project: Callable[..., Estimate | None]
    """project(a, *args, **kwargs): the Estimate, or None when no new array is made."""
    refine: Callable[..., Estimate] | None = None
    """A costlier exact projection, used only when the cheap one (a bound) would trip."""
    rejects: Callable[..., bool] | None = None
    """rejects(a, *args, **kwargs): NumPy rejects this call on its data (read only on
    refusal, so that NumPy's own error wins)."""
    bytes_per_element: int | None = None
    """None: not bounded by a.size. Else the result has at most a.size elements of
    this many bytes (0: a.itemsize), so a small array need not be projected at all."""
    copies_input: bool = False
    """The peak may also hold one copy of the input (a.size elements of a.itemsize):
    an arg-reduction or sort along an axis that is not the last, contiguous one, or
    round's scaled values. The small-array bound then adds it."""
    scratch_per_element: int = 0
    """Bytes per element of scratch the peak may also hold, whatever the dtype: a
    sort's index buffer for a lane that is not the last axis, round's float64 values
    for integers rounded to tens. The small-array bound then adds it."""
    is_property: bool = False
    """An attribute (`a.imag`), not a method."""

    def small_peak(self, size: int, itemsize: int) -> int | None:
        """A bound on the peak of this method on `size` elements of `itemsize` bytes,
        without projecting (None: not bounded by the size)."""
        if self.bytes_per_element is None:
            return None
        return size * ((self.bytes_per_element or itemsize) + self.scratch_per_element
                       + (itemsize if self.copies_input else 0))


_M = MethodProjection

#: ndarray attribute name -> what numguard knows. GuardedArray overrides exactly these.
METHODS: dict[str, MethodProjection] = {
    "copy": _M(copy, bytes_per_element=0),
    "__copy__": _M(copy_dunder, bytes_per_element=0),
    "__deepcopy__": _M(deepcopy, bytes_per_element=0),
    "astype": _M(astype),
    "flatten": _M(flatten, bytes_per_element=0),
    "ravel": _M(ravel, bytes_per_element=0),
    "reshape": _M(reshape, bytes_per_element=0),
    "resize": _M(resize, rejects=resize_rejects),
    "byteswap": _M(byteswap, bytes_per_element=0),
    "round": _M(round_, bytes_per_element=0, copies_input=True, scratch_per_element=8),
    "tobytes": _M(tobytes, bytes_per_element=0),
    "tolist": _M(tolist),
    "dumps": _M(dumps),
    "dump": _M(dump),
    "__getitem__": _M(getitem, rejects=getitem_rejects),
    "take": _M(selection.take, rejects=selection.take_rejects),
    "compress": _M(selection.compress, rejects=selection.compress_rejects),
    "repeat": _M(selection.repeat),
    "choose": _M(selection.choose, rejects=selection.choose_rejects),
    "searchsorted": _M(selection.searchsorted, rejects=selection.searchsorted_rejects),
    "nonzero": _M(selection.nonzero, refine=selection.nonzero_exact),
    "argsort": _M(argsort, bytes_per_element=8, copies_input=True,
                     scratch_per_element=8),
    "argpartition": _M(argpartition, bytes_per_element=8, copies_input=True,
                     scratch_per_element=8),
    "argmax": _M(argmax, bytes_per_element=8, copies_input=True),
    "argmin": _M(argmin, bytes_per_element=8, copies_input=True),
    "dot": _M(dot),
    "imag": _M(imag, bytes_per_element=0, is_property=True),
}


def project(name: str, a: np.ndarray, /, *args: Any, **kwargs: Any) -> Estimate | None:
    """The estimate for `a.<name>(*args, **kwargs)` (None: no new array)."""
    return METHODS[name].project(a, *args, **kwargs)
