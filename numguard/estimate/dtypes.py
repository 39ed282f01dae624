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


#: Where a weak Python scalar may land under each casting rule (NEP 50).
_WEAK_TARGET_KINDS = {
    "no": {int: "iu", float: "f", complex: "c"},
    "equiv": {int: "iu", float: "f", complex: "c"},
    "safe": {int: "iufc", float: "fc", complex: "c"},
    "same_kind": {int: "iufc", float: "fc", complex: "c"},
}


def needs_careful_resolution(inputs: tuple, signature: Any, casting: str | None) -> bool:
    """Whether resolve_dtypes could crash: weak scalars meeting a strict cast check.

    NumPy 2.4's `ufunc.resolve_dtypes` dereferences a missing scalar (segmentation
    fault) when a Python type must be cast into a forced loop under a rule that
    refuses it, e.g. clip(bool, bool, int, dtype='f4', casting='equiv'). numguard
    then resolves with casting='unsafe' and checks the casts itself.
    """
    if signature is None and casting in (None, "same_kind", "unsafe"):
        return False
    return any(type(x) in _WEAK_DEFAULTS for x in inputs)


def check_casts(
    ufunc: np.ufunc,
    inputs: tuple,
    in_dtypes: tuple,
    out_dtypes: tuple,
    loop: tuple,
    signature: Any,
    casting: str | None,
) -> None:
    """The input and output cast checks NumPy applies, for the careful path."""
    casting = casting or "same_kind"
    if casting not in _WEAK_TARGET_KINDS and casting != "unsafe":
        raise ValueError(
            "casting must be one of 'no', 'equiv', 'safe', 'same_kind', 'unsafe' "
            f"(got {casting!r})"
        )
    nin = len(inputs)
    full_signature = _fixes_all_inputs(signature, nin)
    for i, (value, given, dtype) in enumerate(zip(inputs, in_dtypes, loop)):
        default = _WEAK_DEFAULTS.get(type(value))
        if default is None:
            if not np.can_cast(given, dtype, casting):
                raise UFuncTypeError(
                    f"Cannot cast ufunc '{ufunc.__name__}' input {i} from {given!r} to "
                    f"{dtype!r} with casting rule '{casting}'"
                )
        elif full_signature:
            if not np.can_cast(default, dtype, casting):
                raise UFuncTypeError(
                    f"Cannot cast ufunc '{ufunc.__name__}' input {i} from {default!r} to "
                    f"{dtype!r} with casting rule '{casting}'"
                )
        elif casting != "unsafe" and dtype.kind not in _WEAK_TARGET_KINDS[casting][type(value)]:
            raise TypeError(
                f"cannot cast Python {type(value).__name__} to {dtype} under the "
                f"casting rule '{casting}'"
            )
    for i, (given, dtype) in enumerate(zip(out_dtypes, loop[nin:])):
        if given is not None and not np.can_cast(dtype, given, casting):
            raise UFuncTypeError(
                f"Cannot cast ufunc '{ufunc.__name__}' output {i} from {dtype!r} to "
                f"{given!r} with casting rule '{casting}'"
            )


def _fixes_all_inputs(signature: Any, nin: int) -> bool:
    if isinstance(signature, str):
        return True
    if isinstance(signature, tuple):
        return all(s is not None for s in signature[:nin])
    return False


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
