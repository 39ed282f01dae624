"""Projections of ndarray methods that allocate outside the ufunc protocol.

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
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .arguments import check_order
from .broadcast import broadcast_shapes, stretches
from .record import Estimate, Stretch

_ndarray = np.ndarray
_AxisError = np.exceptions.AxisError
#: The zero-itemsize dtype of stand-ins: any shape, no element data.
NO_DATA = np.dtype([])
_NO_DATA_ONE = np.empty(1, NO_DATA)
_INTP = np.dtype(np.intp)
_OBJECT = np.dtype(object)
_BOOL = np.dtype(bool)
#: Bytes of a Python list slot, and of one list header (lower bounds for tolist).
_SLOT = 8
_LIST = sys.getsizeof([])
#: Lower bound of the Python object tolist creates per element, by dtype kind
#: (small ints and bools are shared singletons, so they count 0).
_PY_OBJECT = {"f": sys.getsizeof(1.0), "c": sys.getsizeof(1j), "U": sys.getsizeof(""),
              "S": sys.getsizeof(b"")}
_MODES = ("raise", "wrap", "clip")


# -- the record ---------------------------------------------------------------------


def _record(
    func: Any,
    shape: tuple[int, ...],
    dtype: np.dtype,
    operands: tuple = (),
    nbytes: int | None = None,
    exact: bool | None = None,
    stretched: tuple[Stretch, ...] = (),
) -> Estimate:
    """An Estimate for a method's single result; `operands` are the arrays it reads."""
    if nbytes is None:
        nbytes = math.prod(shape) * dtype.itemsize
    if exact is None:
        exact = dtype.kind != "T"
    shapes = tuple([o.shape for o in operands])
    dtypes = tuple([o.dtype for o in operands])
    # Estimate._make: the NamedTuple without its keyword-handling __new__ (hot path).
    return _make((func, "__call__", (shape,), (dtype,), nbytes, exact, shapes, dtypes, stretched))


_make = Estimate._make


def _normalize_axis(axis: Any, ndim: int) -> int:
    value = operator.index(axis)
    if not -ndim <= value < ndim:
        raise _AxisError(value, ndim)
    return value % ndim


def _split(a: np.ndarray, axis: Any) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    """(dims before, length, dims after) of `axis`; None flattens, and a 0-d array
    takes axis 0 or -1 as a 1-d array of one element (NumPy's PyArray_CheckAxis)."""
    if axis is None:
        return (), a.size, ()
    if a.ndim == 0:
        _normalize_axis(axis, 1)
        return (), 1, ()
    ax = _normalize_axis(axis, a.ndim)
    return a.shape[:ax], a.shape[ax], a.shape[ax + 1 :]


def _gather_exact(dtype: np.dtype) -> bool:
    """A gather (copy, take, repeat...) copies object references exactly; StringDType
    copies its heap strings too, which nbytes does not see."""
    return dtype.kind != "T"


def _plain(x: Any) -> Any:
    """A plain ndarray for numguard's own arithmetic (never our own GuardedArray)."""
    return np.asarray(x)


# -- copies of the whole array ------------------------------------------------------


def copy(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return _record(_ndarray.copy, a.shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


def flatten(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return _record(_ndarray.flatten, (a.size,), a.dtype, (a,), exact=_gather_exact(a.dtype))


def copy_dunder(a: np.ndarray, /) -> Estimate:
    return _record(_ndarray.__copy__, a.shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


def deepcopy(a: np.ndarray, memo: Any, /) -> Estimate:
    # Object elements are deep-copied themselves: their size is unknown.
    return _record(_ndarray.__deepcopy__, a.shape, a.dtype, (a,), exact=a.dtype.kind not in "OT")


def byteswap(a: np.ndarray, /, inplace: bool = False) -> Estimate | None:
    if inplace:
        return None
    return _record(_ndarray.byteswap, a.shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


def tobytes(a: np.ndarray, /, order: Any = "C") -> Estimate:
    check_order(order)
    return _record(_ndarray.tobytes, a.shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


def dumps(a: np.ndarray, /) -> Estimate:
    """A pickle holds a bytes copy of the data (protocol 2, as ndarray.dumps uses);
    object and StringDType elements are pickled one by one: at least a byte each."""
    return _record(_ndarray.dumps, a.shape, a.dtype, (a,), **_pickled(a))


def dump(a: np.ndarray, /, file: Any) -> Estimate:
    return _record(_ndarray.dump, a.shape, a.dtype, (a,), **_pickled(a))


def _pickled(a: np.ndarray) -> dict:
    if a.dtype.kind in "OT":
        return {"nbytes": a.size, "exact": False}
    return {}


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
    return _record(_ndarray.tolist, a.shape, _OBJECT, (a,), nbytes=nbytes, exact=False)


def astype(
    a: np.ndarray, /, dtype: Any, order: Any = "K", casting: Any = "unsafe",
    subok: Any = True, copy: Any = True,
) -> Estimate | None:
    # Replay on a zero-size array of a's dtype: NumPy resolves the result dtype (sizes
    # flexible dtypes from the source, adapts datetime units) and checks `casting`.
    stand_in = np.empty(0, a.dtype)
    replay = stand_in.astype(dtype, casting=casting, copy=False)
    result = replay.dtype
    check_order(order)
    if not copy and replay is stand_in and (subok or type(a) is _ndarray) and _order_kept(a, order):
        return None  # `a` itself comes back
    source = a.dtype.kind
    exact = result.kind != "T" and (result.kind != "O" or source == "O")
    if source == "O" and result.kind in "SUV" and np.dtype(dtype).itemsize == 0:
        exact = False  # NumPy sizes str/bytes from every object: a lower bound here
    return _record(_ndarray.astype, a.shape, result, (a,), exact=exact)


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
    return _record(_ndarray.round, a.shape, a.dtype, (a,))


def imag(a: np.ndarray, /) -> Estimate | None:
    """`.imag` of a non-complex array is a new array of zeros; of a complex one, a view."""
    if a.dtype.kind == "c":
        return None
    return _record(_ndarray.imag, a.shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


# -- views that may have to copy ----------------------------------------------------


def reshape(a: np.ndarray, /, *shape: Any, order: Any = "C", copy: Any = None) -> Estimate | None:
    check_order(order)
    if order in ("K", "k"):
        raise ValueError("order 'K' is not permitted for reshaping")
    # A C-contiguous stand-in parses the shape with NumPy's errors and never copies.
    result = np.empty(a.shape, NO_DATA).reshape(*shape).shape
    if copy:
        return _record(_ndarray.reshape, result, a.dtype, (a,), exact=_gather_exact(a.dtype))
    if copy is not None or not _reshape_copies(a, shape, order):
        return None  # a view (copy=False: a view or NumPy's error)
    return _record(_ndarray.reshape, result, a.dtype, (a,), exact=_gather_exact(a.dtype))


def _reshape_copies(a: np.ndarray, shape: tuple, order: Any) -> bool:
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
    if not _ravel_copies(a, "C" if order is None else str(order).upper()):
        return None
    return _record(_ndarray.ravel, (a.size,), a.dtype, (a,), exact=_gather_exact(a.dtype))


def _ravel_copies(a: np.ndarray, order: str) -> bool:
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
    return _record(_ndarray.resize, shape, a.dtype, (a,), nbytes=nbytes)


# -- selections ---------------------------------------------------------------------


#: Index element types that make basic indexing (a view): the GuardedArray fast path.
BASIC_INDEX_TYPES = frozenset(
    {int, slice, type(None), type(Ellipsis)}
    | {t for t in np.sctypeDict.values() if issubclass(t, np.integer)}
)


def getitem(a: np.ndarray, key: Any, /) -> Estimate | None:
    """Advanced (integer-array and boolean) indexing; None for a view or a scalar.

    Computed from shapes, as NumPy's prepare_index and mapiter do. A zero-itemsize
    stand-in would give the shape too, but NumPy iterates it over every element of
    the result but the innermost run (seconds for a[:, idx] at 10**12 elements).
    Index bounds are data: `getitem_rejects` checks them, only when a call is refused.
    """
    if isinstance(key, _ndarray) and key.ndim:
        # The common a[idx] and a[mask], without the general walk.
        kind = key.dtype.kind
        if kind in "iu" and a.ndim:
            return _record(_ndarray.__getitem__, key.shape + a.shape[1:], a.dtype,
                           (a, key), exact=_gather_exact(a.dtype))
        if kind == "b" and key.ndim <= a.ndim:
            if any(m and m != n for m, n in zip(key.shape, a.shape)):
                raise IndexError("boolean index did not match indexed array")
            shape = (int(np.count_nonzero(key)),) + a.shape[key.ndim :]
            return _record(_ndarray.__getitem__, shape, a.dtype, (a, key),
                           exact=_gather_exact(a.dtype))
    parsed, consumed, fancy, copies = _parse_index(a.shape, key)
    if not fancy and not copies:
        return None  # basic indexing: a view
    shape = a.shape
    if not fancy and len(parsed) == len(shape) and all(kind == "int" for kind, _ in parsed):
        return None  # integers only, 0-d arrays among them: a scalar
    pieces, positions, advanced_shapes, operands = _walk(shape, parsed, consumed, fancy)
    if not fancy:
        return _record(_ndarray.__getitem__, tuple(pieces), a.dtype, (a,),
                       exact=_gather_exact(a.dtype))
    block = broadcast_shapes(advanced_shapes)
    # Advanced indices next to each other in the key (nothing between them, not even
    # an Ellipsis spanning no dimension) put the block in their place; else in front.
    members = [i for i, (kind, _) in enumerate(parsed) if kind in ("int", "array", "bool")]
    adjacent = members[-1] - members[0] == len(members) - 1
    where = positions[0] if adjacent else 0
    result = tuple(pieces[:where]) + block + tuple(pieces[where:])
    # Explain the broadcast: which index array was stretched along which result axis.
    array_shapes = [s for s, (kind, _) in zip(advanced_shapes, _advanced(parsed)) if kind != "int"]
    found = tuple(
        Stretch(s.axis + where, s.size, s.operand + 1, s.operand_size)
        for s in stretches(array_shapes, block)
    )
    return _record(_ndarray.__getitem__, result, a.dtype, (a,) + tuple(operands),
                   exact=_gather_exact(a.dtype), stretched=found)


def _parse_index(shape: tuple[int, ...], key: Any) -> tuple[list, int, bool, bool]:
    """The key's items classified as NumPy's prepare_index does: the items, the number
    of array dimensions they consume, whether any is an index array or a boolean
    (then integers are advanced too), whether a 0-d integer array forces a copy."""
    items = key if type(key) is tuple else (key,)
    parsed: list[tuple[str, Any]] = []
    consumed = 0
    ellipses = 0
    fancy = False
    copies = False
    for item in items:
        kind = type(item)
        if kind in BASIC_INDEX_TYPES and kind is not slice and item is not None:
            if item is Ellipsis:
                ellipses += 1
                parsed.append(("ellipsis", None))
            else:
                parsed.append(("int", operator.index(item)))
                consumed += 1
        elif item is None:
            parsed.append(("new", None))
        elif kind is slice:
            parsed.append(("slice", item))
            consumed += 1
        elif isinstance(item, (bool, np.bool_)):
            parsed.append(("bool", np.asarray(item)))
            fancy = True
        else:
            array = np.asarray(item)
            if array.dtype == _BOOL:
                parsed.append(("bool", array))
                consumed += array.ndim
                fancy = True
            elif array.dtype.kind in "iu" or (array.size == 0 and not isinstance(item, _ndarray)):
                if array.ndim == 0:
                    parsed.append(("int", int(array)))
                    copies = True
                else:
                    parsed.append(("array", array))
                    fancy = True
                consumed += 1
            else:
                raise IndexError("only integers, slices, ellipsis, None and integer or "
                                 "boolean arrays are valid indices")
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError("too many indices for array")
    return parsed, consumed, fancy, copies


def getitem_rejects(a: np.ndarray, key: Any, /) -> bool:
    """An index out of bounds: NumPy's IndexError, not a refusal (NumPy checks the
    indices it uses: none when the selection is empty)."""
    selected = getitem(a, key)
    if selected is None or 0 in selected.shape:
        return False
    parsed, consumed, _, _ = _parse_index(a.shape, key)
    shape = a.shape
    dim = 0
    for kind, value in parsed:
        if kind == "ellipsis":
            dim += len(shape) - consumed
        elif kind == "slice":
            dim += 1
        elif kind == "int":
            if not -shape[dim] <= value < shape[dim]:
                return True
            dim += 1
        elif kind == "array":
            if _out_of_bounds(value, shape[dim]):
                return True
            dim += 1
        elif kind == "bool":
            dim += value.ndim
    return False


def _walk(shape: tuple[int, ...], parsed: list, consumed: int, fancy: bool) -> tuple:
    """Result dims outside the advanced block, where the block's members sit, their
    shapes (booleans: the nonzero count) and the index arrays."""
    dim = 0
    pieces: list[int] = []
    positions: list[int] = []
    advanced_shapes: list[tuple[int, ...]] = []
    operands: list[np.ndarray] = []
    for kind, value in parsed:
        if kind == "new":
            pieces.append(1)
        elif kind == "ellipsis":
            span = len(shape) - consumed
            pieces.extend(shape[dim : dim + span])
            dim += span
        elif kind == "slice":
            pieces.append(len(range(*value.indices(shape[dim]))))
            dim += 1
        elif kind == "int":
            if fancy:
                positions.append(len(pieces))
                advanced_shapes.append(())
            dim += 1
        elif kind == "array":
            positions.append(len(pieces))
            advanced_shapes.append(value.shape)
            operands.append(value)
            dim += 1
        else:  # bool
            covered = shape[dim : dim + value.ndim]
            # NumPy checks the boolean's dimensions of nonzero length only.
            if any(m and m != n for m, n in zip(value.shape, covered)):
                raise IndexError("boolean index did not match indexed array")
            positions.append(len(pieces))
            advanced_shapes.append((int(np.count_nonzero(value)),))
            operands.append(value)
            dim += value.ndim
    pieces.extend(shape[dim:])
    return pieces, positions, advanced_shapes, operands


def _advanced(parsed: list) -> list:
    return [p for p in parsed if p[0] in ("int", "array", "bool")]


def take(
    a: np.ndarray, indices: Any, /, axis: Any = None, out: Any = None, mode: Any = "raise"
) -> Estimate | None:
    index = _plain(indices)
    if mode not in _MODES and mode not in (0, 1, 2):
        raise ValueError("Use one of 'clip', 'raise', or 'wrap' for clip mode")
    before, length, after = _split(a, axis)
    shape = before + index.shape + after
    if length == 0 and math.prod(shape):
        raise IndexError("cannot do a non-empty take from an empty axes.")
    if out is not None and mode not in ("raise", 2) and not _needs_buffer(out, a):
        return None  # written straight into out
    # mode="raise" copies into a buffer before writing out (so out is untouched on error).
    return _record(_ndarray.take, shape, a.dtype, (a, index), exact=_gather_exact(a.dtype))


def _needs_buffer(out: Any, a: np.ndarray) -> bool:
    return (not isinstance(out, _ndarray) or out.dtype != a.dtype
            or not out.flags.c_contiguous or np.may_share_memory(out, a))


def compress(a: np.ndarray, /, condition: Any, axis: Any = None, out: Any = None) -> Estimate:
    cond = _plain(condition)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    count = int(np.count_nonzero(cond))
    before, _, after = _split(a, axis)
    shape = before + (count,) + after
    # NumPy takes nonzero(condition) in mode "raise": out, if given, is buffered.
    return _record(_ndarray.compress, shape, a.dtype, (a, cond), exact=_gather_exact(a.dtype))


def repeat(a: np.ndarray, repeats: Any, /, axis: Any = None) -> Estimate:
    counts = _plain(repeats)
    if counts.ndim > 1:
        raise ValueError("repeats must be a scalar or a 1-d array")
    counts = counts.astype(np.intp, copy=False)  # NumPy casts repeats unsafely
    before, length, after = _split(a, axis)
    if counts.size == 1:
        each = int(counts.reshape(()))
        if each < 0 and length:
            raise ValueError("repeats may not contain negative values.")
        total = length * each
    elif counts.size != length:
        raise ValueError("operands could not be broadcast together")
    elif counts.size == 0:
        total = 0
    else:
        if int(counts.min()) < 0:
            raise ValueError("repeats may not contain negative values.")
        high = int(counts.max())
        total = int(counts.sum()) if high <= (2**62) // counts.size else sum(map(int, counts))
    shape = before + (total,) + after
    return _record(_ndarray.repeat, shape, a.dtype, (a,), exact=_gather_exact(a.dtype))


def choose(a: np.ndarray, /, choices: Any, out: Any = None, mode: Any = "raise") -> Estimate | None:
    if mode not in _MODES and mode not in (0, 1, 2):
        raise ValueError("Use one of 'clip', 'raise', or 'wrap' for clip mode")
    if isinstance(choices, _ndarray):
        options = [choices[i] for i in range(len(choices))]
    else:
        options = [c if type(c) in (int, float, complex) else _plain(c) for c in choices]
    if not options:
        raise ValueError("0-length sequence")
    shapes = [a.shape] + [np.shape(c) for c in options]
    shape = broadcast_shapes(shapes)
    # The common dtype, as NumPy finds it: replay on zero-size stand-ins.
    replay = np.choose(np.zeros(0, np.intp),
                       [c if type(c) in (int, float, complex) else np.empty(0, c.dtype)
                        for c in options])
    dtype = replay.dtype
    if out is not None and mode not in ("raise", 2) and not _needs_buffer(out, a):
        return None
    operands = (a,) + tuple(np.asarray(c) if type(c) in (int, float, complex) else c
                            for c in options)
    return _record(_ndarray.choose, shape, dtype, operands, exact=_gather_exact(dtype),
                   stretched=stretches(shapes, shape))


def searchsorted(a: np.ndarray, v: Any, /, side: Any = "left", sorter: Any = None) -> Estimate:
    if a.ndim != 1:
        raise ValueError("searchsorted needs a 1-d array")
    values = _plain(v)
    return _record(_ndarray.searchsorted, values.shape, _INTP, (a, values))


def nonzero(a: np.ndarray, /) -> Estimate:
    """`ndim` index arrays, one entry per nonzero element: bounded by a.size (exact=False,
    an upper bound here; nonzero_exact counts)."""
    return _nonzero(a, None)


def nonzero_exact(a: np.ndarray, /) -> Estimate:
    """The exact nonzero estimate: one pass of np.count_nonzero over the data."""
    return _nonzero(a, int(np.count_nonzero(_plain(a))))


def _nonzero(a: np.ndarray, count: int | None) -> Estimate:
    if a.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed.")
    n = a.size if count is None else count
    return Estimate(_ndarray.nonzero, "__call__", ((n,),) * a.ndim, (_INTP,) * a.ndim,
                    n * _INTP.itemsize * a.ndim, count is not None, (a.shape,), (a.dtype,), ())


# -- index results ------------------------------------------------------------------


def argsort(
    a: np.ndarray, /, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> Estimate:
    return _record(_ndarray.argsort, _sort_shape(a, axis), _INTP, (a,))


def argpartition(
    a: np.ndarray, kth: Any, /, axis: Any = -1, kind: Any = "introselect", order: Any = None
) -> Estimate:
    shape = _sort_shape(a, axis)
    length = _split(a, axis)[1]
    for k in np.asarray(kth).reshape(-1).tolist() if a.size else ():
        if not -length <= operator.index(k) < length:
            raise ValueError(f"kth(={k}) out of bounds ({length})")
    return _record(_ndarray.argpartition, shape, _INTP, (a,))


def _sort_shape(a: np.ndarray, axis: Any) -> tuple[int, ...]:
    if axis is None or a.ndim == 0:
        if a.ndim == 0 and axis is not None:
            _normalize_axis(axis, 1)
        return (a.size,)
    _normalize_axis(axis, a.ndim)
    return a.shape


def argmax(a: np.ndarray, /, axis: Any = None, out: Any = None, *,
           keepdims: Any = False) -> Estimate | None:
    return _arg_reduce(_ndarray.argmax, a, axis, out, keepdims)


def argmin(a: np.ndarray, /, axis: Any = None, out: Any = None, *,
           keepdims: Any = False) -> Estimate | None:
    return _arg_reduce(_ndarray.argmin, a, axis, out, keepdims)


def _arg_reduce(func: Any, a: np.ndarray, axis: Any, out: Any, keepdims: Any) -> Estimate | None:
    if out is not None:
        return None
    if _split(a, axis)[1] == 0:
        raise ValueError("attempt to get argmax of an empty sequence")
    if axis is None or a.ndim == 0:
        if axis is not None:
            _normalize_axis(axis, 1)
        shape = (1,) * a.ndim if keepdims else ()
    else:
        ax = _normalize_axis(axis, a.ndim)
        if keepdims:
            shape = a.shape[:ax] + (1,) + a.shape[ax + 1 :]
        else:
            shape = a.shape[:ax] + a.shape[ax + 1 :]
    return _record(func, shape, _INTP, (a,))


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
        return _record(_ndarray.dot, shape, replay.dtype, (a, b),
                       exact=replay.dtype.kind not in "OT")
    if a.shape[-1] != b.shape[max(b.ndim - 2, 0)]:
        raise ValueError("shapes not aligned")
    shape = a.shape[:-1] + b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else a.shape[:-1]
    if out is not None:
        return None
    dtype = _dot_dtype(a.dtype, b.dtype)
    return _record(_ndarray.dot, shape, dtype, (a, b), exact=dtype.kind not in "OT")


_DOT_DTYPES: dict[tuple[np.dtype, np.dtype], np.dtype] = {}


def _dot_dtype(first: np.dtype, second: np.dtype) -> np.dtype:
    key = (first, second)
    found = _DOT_DTYPES.get(key)
    if found is None:
        found = np.dot(np.empty((1, 0), first), np.empty((0, 1), second)).dtype
        _DOT_DTYPES[key] = found
    return found


#: ndarray method name -> projection. GuardedArray overrides exactly these.
PROJECTIONS: dict[str, Callable[..., Estimate | None]] = {
    "copy": copy,
    "__copy__": copy_dunder,
    "__deepcopy__": deepcopy,
    "astype": astype,
    "flatten": flatten,
    "ravel": ravel,
    "reshape": reshape,
    "resize": resize,
    "byteswap": byteswap,
    "round": round_,
    "tobytes": tobytes,
    "tolist": tolist,
    "dumps": dumps,
    "dump": dump,
    "__getitem__": getitem,
    "take": take,
    "compress": compress,
    "repeat": repeat,
    "choose": choose,
    "searchsorted": searchsorted,
    "nonzero": nonzero,
    "argsort": argsort,
    "argpartition": argpartition,
    "argmax": argmax,
    "argmin": argmin,
    "dot": dot,
}

#: Attributes (properties) that allocate, and their projections.
PROPERTY_PROJECTIONS: dict[str, Callable[[np.ndarray], Estimate | None]] = {
    "imag": imag,
}


# -- data-dependent errors ----------------------------------------------------------
# Projections read shapes, not data. When a call is refused, these say whether NumPy
# would have rejected it on its data anyway (then NumPy's own error is the better
# answer). They must be certain: True lets NumPy run.


def take_rejects(a: np.ndarray, indices: Any, /, axis: Any = None, out: Any = None,
                 mode: Any = "raise") -> bool:
    if mode not in ("raise", 2):
        return False
    before, length, _ = _split(a, axis)
    # NumPy checks each index once per run of the leading dimensions: none, none checked.
    return math.prod(before) > 0 and _out_of_bounds(_plain(indices), length)


def compress_rejects(a: np.ndarray, /, condition: Any, axis: Any = None, out: Any = None) -> bool:
    cond = _plain(condition)
    before, length, _ = _split(a, axis)
    return cond.ndim == 1 and math.prod(before) > 0 and bool(np.count_nonzero(cond[length:]))


def choose_rejects(a: np.ndarray, /, choices: Any, out: Any = None, mode: Any = "raise") -> bool:
    if mode not in ("raise", 2):
        return False
    options = len(choices)
    shape = broadcast_shapes([a.shape] + [np.shape(c) for c in choices])
    return 0 not in shape and _out_of_bounds(_plain(a), options, negative=False)


def searchsorted_rejects(a: np.ndarray, v: Any, /, side: Any = "left", sorter: Any = None) -> bool:
    if sorter is None:
        return False
    order = _plain(sorter)
    return order.shape != a.shape or _out_of_bounds(order, a.size, negative=False)


def _out_of_bounds(index: np.ndarray, length: int, negative: bool = True) -> bool:
    if index.size == 0 or index.dtype.kind not in "iub":
        return False
    low = -length if negative else 0
    return int(index.min()) < low or int(index.max()) >= length


def resize_rejects(a: np.ndarray, /, *new_shape: Any, refcheck: Any = True) -> bool:
    return not a.flags.owndata


#: method name -> "NumPy rejects this call on its data" (used only on refusal).
REJECTS: dict[str, Callable[..., bool]] = {
    "__getitem__": getitem_rejects,
    "resize": resize_rejects,
    "take": take_rejects,
    "compress": compress_rejects,
    "choose": choose_rejects,
    "searchsorted": searchsorted_rejects,
}


def project(name: str, a: np.ndarray, /, *args: Any, **kwargs: Any) -> Estimate | None:
    """The estimate for `a.<name>(*args, **kwargs)` (None: no new array)."""
    if name in PROPERTY_PROJECTIONS:
        return PROPERTY_PROJECTIONS[name](a, *args, **kwargs)
    return PROJECTIONS[name](a, *args, **kwargs)
