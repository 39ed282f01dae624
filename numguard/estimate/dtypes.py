"""Dtype resolution, exactly NumPy's: `ufunc.resolve_dtypes` (NEP 50), cached.

Resolution is a pure function of (ufunc, operand dtypes, signature, casting,
reduction), so a dict cache turns ~0.5 µs into one lookup. The cache is bounded:
string and datetime dtypes come in many sizes and units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .operands import WEAK_SCALAR_TYPES

_CACHE_LIMIT = 4096
_cache: dict[tuple, tuple[np.dtype, ...]] = {}

#: Comparisons accept Python ints outside the array's range (NumPy >= 2 compares exactly).
_OUT_OF_RANGE_INT_OK = frozenset(
    {np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal}
)

_INT64 = np.iinfo(np.int64)

try:  # NumPy's class for "no loop" and "cannot cast" (a TypeError subclass)
    from numpy._core._exceptions import UFuncTypeError
except ImportError:  # pragma: no cover - older or reorganised NumPy
    UFuncTypeError = TypeError


def resolve(
    ufunc: np.ufunc,
    dtypes: tuple,
    signature: Any = None,
    casting: str | None = None,
    reduction: bool = False,
) -> tuple[np.dtype, ...]:
    """The loop dtypes NumPy will use, one per operand (inputs then outputs)."""
    if casting is None:
        casting = "same_kind"
    key = (ufunc, dtypes, signature, casting, reduction)
    try:
        return _cache[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable signature (a list): resolve without caching
        return _resolve(ufunc, dtypes, signature, casting, reduction)
    resolved = _resolve(ufunc, dtypes, signature, casting, reduction)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = resolved
    return resolved


def _resolve(ufunc, dtypes, signature, casting, reduction):
    if signature is None:
        return ufunc.resolve_dtypes(dtypes, casting=casting, reduction=reduction)
    return ufunc.resolve_dtypes(
        dtypes, signature=signature, casting=casting, reduction=reduction
    )


def check_python_ints(ufunc: np.ufunc, inputs: tuple, loop_dtypes: tuple) -> None:
    """Raise NumPy's OverflowError for a Python int that the loop dtype cannot hold."""
    if ufunc in _OUT_OF_RANGE_INT_OK:
        return
    for value, dtype in zip(inputs, loop_dtypes):
        if type(value) is not int:
            continue
        kind = dtype.kind
        if kind in "iu":
            info = np.iinfo(dtype)
            if not info.min <= value <= info.max:
                raise OverflowError(f"Python integer {value} out of bounds for {dtype}")
        elif kind in "mM" and not _INT64.min <= value <= _INT64.max:
            raise OverflowError(f"Python integer {value} too large for {dtype}")


_WEAK_DEFAULTS = {int: np.dtype(np.int64), float: np.dtype(np.float64), complex: np.dtype(np.complex128)}


def check_weak_casts(
    ufunc: np.ufunc, inputs: tuple, loop_dtypes: tuple, signature: Any, casting: str | None
) -> None:
    """NumPy's input-cast check for Python scalars when `signature`/`dtype` fixes the loop.

    Promotion alone always finds a loop a weak scalar fits; a forced loop does not,
    and then NumPy checks the scalar as its default dtype (int64, float64,
    complex128). resolve_dtypes, given the Python type, skips that check.
    """
    if signature is None:
        return
    casting = casting or "same_kind"
    for i, (value, dtype) in enumerate(zip(inputs, loop_dtypes)):
        default = _WEAK_DEFAULTS.get(type(value))
        if default is None:
            continue
        if not np.can_cast(default, dtype, casting):
            raise UFuncTypeError(
                f"Cannot cast ufunc '{ufunc.__name__}' input {i} from {default!r} to "
                f"{dtype!r} with casting rule '{casting}'"
            )


def call_signature(ufunc: np.ufunc, dtype: Any, signature: Any) -> Any:
    """`dtype=` of a ufunc call means the dtype of every output, as NumPy reads it."""
    if dtype is None:
        return signature
    if signature is not None:
        raise TypeError("cannot specify both 'signature' and 'dtype'")
    return (None,) * ufunc.nin + (np.dtype(dtype),) * ufunc.nout


def is_exact(dtype: np.dtype) -> bool:
    """Whether nbytes is the whole story: object and StringDType keep data elsewhere."""
    return dtype.kind not in "OT"


def weak(value: Any) -> bool:
    return type(value) in WEAK_SCALAR_TYPES
