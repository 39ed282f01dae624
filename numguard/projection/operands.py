"""Operands as NumPy will see them: shapes, dtypes and stand-ins, without their data.

One set of rules for every projection:

- Python int/float/complex stay *weak* (NEP 50): their shape is () and their dtype is
  their Python type; NumPy picks the concrete dtype during resolution. `bool` is not
  weak.
- Arrays and NumPy scalars are read as they are (an ndarray subclass too: only its
  shape, dtype and strides are read).
- Anything else array-like is converted as NumPy converts it (`np.asarray`), which
  costs only for inputs that are not arrays already (lists), where NumPy pays the same.
- Stand-ins (`zero`, `unit`) carry a dtype and no data worth speaking of: NumPy run on
  them decides a result dtype with its own promotion rules and errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

#: Python scalars that promote weakly under NEP 50. `bool` is deliberately absent.
WEAK_SCALAR_TYPES = (int, float, complex)

#: The "argument not given" marker of NumPy's Python functions (keepdims=<no value>).
NO_VALUE = np._NoValue

_ARRAY_TYPES = (np.ndarray, np.generic)
_ndarray = np.ndarray


def as_operand(value: Any) -> Any:
    """`value` if NumPy keeps it as is (array, NumPy scalar, weak scalar), else an array."""
    if isinstance(value, _ARRAY_TYPES) or type(value) in WEAK_SCALAR_TYPES:
        return value
    return np.asarray(value)


def as_array(value: Any) -> np.ndarray | np.generic:
    """Strong conversion (weak scalars become arrays), as reductions and most array
    functions convert their operands."""
    return value if isinstance(value, _ARRAY_TYPES) else np.asarray(value)


def plain_array(value: Any) -> np.ndarray:
    """A plain ndarray (a view of an ndarray subclass, never a copy of an array), for
    the few projections that read data: NumPy's own calls on it dispatch to no override."""
    return np.asarray(value)


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape NumPy broadcasts: () for weak scalars."""
    if isinstance(value, _ARRAY_TYPES):
        return value.shape
    if type(value) in WEAK_SCALAR_TYPES:
        return ()
    return np.asarray(value).shape


def dtype_of(value: Any) -> np.dtype | type:
    """The dtype for resolution: the Python type for weak scalars (what resolve_dtypes takes)."""
    if isinstance(value, _ARRAY_TYPES):
        return value.dtype
    if type(value) in WEAK_SCALAR_TYPES:
        return type(value)
    return np.asarray(value).dtype


def zero(value: Any) -> Any:
    """A zero-size stand-in with `value`'s dtype; weak scalars stay themselves."""
    if type(value) in WEAK_SCALAR_TYPES:
        return value
    return np.empty((0,), dtype=as_array(value).dtype)


def unit(value: Any, ndim: int | None = None) -> np.ndarray:
    """A one-element stand-in (zeros, so object arrays hold 0) of `value`'s dtype."""
    a = as_array(value)
    return np.zeros((1,) * (a.ndim if ndim is None else ndim), dtype=a.dtype)


def discards_imaginary(source: Any, target: Any) -> bool:
    """A cast from complex to an integer or float dtype: fetching its loop makes NumPy
    warn (ComplexWarning), even for zero elements. numguard never warns on its own
    behalf, so stand-ins avoid it (`quiet`); `warnings.catch_warnings` would swap the
    process-wide filters, which is not thread-safe."""
    if source is None or target is None:
        return False
    kind = "c" if source is complex else np.dtype(source).kind if source not in (
        int, float) else "f"
    return kind == "c" and np.dtype(target).kind in "iuf"


def quiet(dtype: np.dtype, target: Any) -> np.dtype:
    """The dtype a stand-in takes in place of `dtype` when NumPy will cast it to
    `target`: its real counterpart where the cast would discard an imaginary part
    (NumPy resolves the same result: `target` is forced), else `dtype` itself."""
    if discards_imaginary(dtype, target):
        return np.empty(0, dtype).real.dtype
    return dtype


def split_axis(a: Any, axis: Any) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    """(dims before, length, dims after) of `axis`; None flattens, and a 0-d array
    takes axis 0 or -1 as a 1-d array of one element (NumPy's PyArray_CheckAxis)."""
    if axis is None:
        return (), a.size, ()
    if a.ndim == 0:
        normalize_axis_index(axis, 1)
        return (), 1, ()
    ax = normalize_axis_index(axis, a.ndim)
    return a.shape[:ax], a.shape[ax], a.shape[ax + 1 :]


def gather_exact(dtype: np.dtype) -> bool:
    """A gather (copy, take, repeat...) copies object references exactly; StringDType
    copies its heap strings too, which nbytes does not see."""
    return dtype.kind != "T"


def plain_arguments(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The call's arguments with ndarray subclasses as plain views (lists and tuples,
    which np.block nests, item by item): projections then call NumPy on them without
    reaching any override. Views only: nothing is copied or converted."""
    return (tuple([_plain_view(a) for a in args]),
            {k: _plain_view(v) for k, v in kwargs.items()} if kwargs else kwargs)


def _plain_view(x: Any) -> Any:
    t = type(x)
    if t is _ndarray:
        return x
    if t is list or t is tuple:
        return t([_plain_view(item) for item in x])
    if isinstance(x, _ndarray):
        return x.view(_ndarray)
    return x


def repeat_copies(a: Any, counts: Any) -> int:
    """The C-contiguous copy of `a` PyArray_Repeat reads, and the counts as intp."""
    copy = 0 if a.flags.c_contiguous else a.size * a.itemsize
    return copy + (counts.size * np.dtype(np.intp).itemsize if counts.size > 1 and (
        counts.dtype != np.intp or not counts.flags.c_contiguous) else 0)


def arg_copy(a: Any, axis: Any) -> int:
    """Bytes of the copy PyArray_ArgMax makes: of a raveled, or with `axis` moved last,
    where that is not C-contiguous (a view of `a` answers: no data is copied)."""
    if a.ndim == 0:
        return 0
    if axis is None:
        return 0 if a.flags.c_contiguous else a.nbytes
    moved = np.moveaxis(a, normalize_axis_index(axis, a.ndim), -1)
    return 0 if moved.flags.c_contiguous else a.nbytes
