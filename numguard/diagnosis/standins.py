"""Stand-ins: arrays of a projected shape and dtype, with no data of their own.

An operand that is itself an operation (`(a - b) * c`, `np.ones((50, 1)) * b`) was
computed before the allocation being diagnosed, and cannot be read back from the
frame. Its projection stands in for it: `np.broadcast_to` of one zero element of the
dtype, read-only, zero strides. Ufunc projections read only shapes and dtypes, so they
take stand-ins; projections that read data (index arrays, repeat counts, masks) must
refuse them (`is_stand_in`).

The one-element arrays are cached per dtype and never evicted (their ids identify
stand-ins: NumPy collapses a view's `.base` to the array that owns the memory).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray
_NO_DATA = np.dtype([])
#: Dtypes with a cached element at most; beyond, no stand-in is made.
MAX_DTYPES = 1024
_zeros: dict[np.dtype, np.ndarray] = {}
_zero_ids: set[int] = set()


def stand_in(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """A read-only stand-in of `shape` and `dtype` (None past MAX_DTYPES dtypes)."""
    zero = _zeros.get(dtype)
    if zero is None:
        if len(_zeros) >= MAX_DTYPES:
            return None
        zero = _zeros.setdefault(dtype, np.zeros((), dtype))  # one per dtype, threads or not
        _zero_ids.add(id(zero))
    return np.broadcast_to(zero, shape)


def is_stand_in(value: Any) -> bool:
    """Whether `value` is a stand-in or a view of one (its data means nothing)."""
    if type(value) is not _ndarray:
        return False
    base = value.base
    return base is not None and id(base) in _zero_ids


def reshaped(value: np.ndarray, *shape: Any, order: Any = "C") -> np.ndarray | None:
    """A stand-in reshaped: the shape as NumPy parses it (on a zero-itemsize array of
    the same shape), not as the stand-in's zero strides would allow."""
    result = _ndarray.reshape(np.empty(value.shape, _NO_DATA), *shape, order=order).shape
    return stand_in(result, value.dtype)
