"""Dtype resolution, decided by NumPy itself and cached.

Calls are resolved by replaying them on zero-size stand-ins (`call_dtypes`), so
NEP 50 weak scalars, casting rules and every error are NumPy's own. Reductions use
`ufunc.resolve_dtypes(..., reduction=True)` (`resolve`): their operand is always an
array, which keeps them off the path where resolve_dtypes crashes.

Both are pure functions of dtypes and keywords, so a dict turns microseconds into
one lookup. The caches are bounded: string and datetime dtypes come in many sizes
and units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .operands import WEAK_SCALAR_TYPES, discards_imaginary
from .signature import parse

_CACHE_LIMIT = 4096
_cache: dict[tuple, tuple[np.dtype, ...]] = {}
_call_cache: dict[tuple, tuple[np.dtype, ...]] = {}


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


def call_dtypes(ufunc: np.ufunc, inputs: tuple, outs: tuple, kwargs: dict) -> tuple:
    """The output dtypes of `ufunc(*inputs, out=outs, **kwargs)`, decided by NumPy itself.

    NumPy runs its own resolution on zero-size stand-ins of the operands (no element
    data, no loop iteration), so every promotion rule, weak-scalar cast and error is
    NumPy's exactly. `ufunc.resolve_dtypes` is not used here: NumPy 2.4 crashes in it
    (segmentation fault) for a Python scalar forced into a loop under a casting rule
    that refuses it. The verdict is cached by everything resolution depends on.
    """
    signature = kwargs.get("signature")
    dtype = kwargs.get("dtype")
    casting = kwargs.get("casting")
    key = (
        ufunc,
        tuple([_operand_key(x) for x in inputs]),
        tuple([None if o is None else o.dtype for o in outs]),
        signature if not isinstance(signature, list) else tuple(signature),
        dtype,
        casting,
        _masked_out(kwargs),
    )
    try:
        return _call_cache[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable keyword value: resolve without caching
        return _replay(ufunc, inputs, outs, kwargs)
    resolved = _replay(ufunc, inputs, outs, kwargs)
    if len(_call_cache) >= _CACHE_LIMIT:
        _call_cache.clear()
    _call_cache[key] = resolved
    return resolved


def _operand_key(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        # Small non-negative ints fit every integer dtype; others may overflow one,
        # and NumPy's OverflowError depends on the value: key those by value.
        return (int, "small") if 0 <= value < 128 else (int, value)
    if kind is float or kind is complex:
        return kind
    return value.dtype


_RESOLUTION_KEYWORDS = ("signature", "dtype", "casting")


def _masked_out(kwargs: dict) -> bool:
    """A 0-d where=False: NumPy runs no loop at all (an all-scalar replay would run
    one on the scalars' real values: an object loop calls their methods)."""
    where = kwargs.get("where", True)
    return np.ndim(where) == 0 and not bool(where)


def _replay(ufunc: np.ufunc, inputs: tuple, outs: tuple, kwargs: dict) -> tuple:
    cores = _core_ndims(ufunc)
    stand_ins = tuple(
        value if type(value) in WEAK_SCALAR_TYPES else _empty_like(value, core)
        for value, core in zip(inputs, cores)
    )
    out = tuple(
        None if o is None else _empty_like(o, core) for o, core in zip(outs, cores[ufunc.nin:])
    )
    options = {k: kwargs[k] for k in _RESOLUTION_KEYWORDS if kwargs.get(k) is not None}
    if options.get("casting") == "unsafe":
        stand_ins, out = _no_discarding_casts(ufunc, inputs, outs, stand_ins, out, options)
    if any(o is not None for o in out):
        options["out"] = out
    if _masked_out(kwargs) and "out" not in options and all(
            type(v) in WEAK_SCALAR_TYPES for v in inputs):
        # only an all-scalar replay runs a loop (any array stand-in has no elements)
        options["where"] = False
        options["out"] = (None,) * ufunc.nout  # NumPy warns of where without out
    with np.errstate(all="ignore"):
        try:
            result = ufunc(*stand_ins, **options)
        except ValueError:
            if ufunc.signature is not None and any(
                type(v) in WEAK_SCALAR_TYPES for v in inputs
            ):
                # A Python scalar has no core axes: NumPy resolved the types and then
                # refused the dimensions. numguard's shape checks report that, in
                # NumPy's order (after axis/keepdims support).
                return DIMENSIONS_REFUSED
            raise
    results = result if isinstance(result, tuple) else (result,)
    # All-scalar calls give 0-d results, and a 0-d object result is the Python object.
    return tuple(r.dtype if isinstance(r, _HAS_DTYPE) else _OBJECT for r in results)


def _no_discarding_casts(ufunc: np.ufunc, inputs: tuple, outs: tuple, stand_ins: tuple,
                         out: tuple, options: dict) -> tuple[tuple, tuple]:
    """Stand-ins that spare NumPy the complex-to-real casts of an unsafe call.

    Fetching such a cast makes NumPy warn (ComplexWarning), even for zero elements, and
    numguard never warns on its own behalf. Suppressing the warning would take
    `warnings.catch_warnings`, which swaps the process-wide filters and so is not
    thread-safe. Instead: the loop comes from `ufunc.resolve_dtypes` (nothing is cast;
    only casting="unsafe" gets here, which allows every cast, so neither its refusal
    path nor the crash it has there is reachable), inputs stand in with the loop's own
    dtypes (no cast to fetch), and an output that would discard an imaginary part is
    left out of the replay (its dtype is the result's dtype anyway).
    """
    dtypes = tuple(type(v) if type(v) in WEAK_SCALAR_TYPES else v.dtype for v in inputs)
    signature = options.get("signature")
    if signature is None and options.get("dtype") is not None:
        signature = (None,) * ufunc.nin + (np.dtype(options["dtype"]),) * ufunc.nout
    operands = dtypes + tuple(None if o is None else o.dtype for o in outs)
    try:
        loop = (ufunc.resolve_dtypes(operands, casting="unsafe") if signature is None else
                ufunc.resolve_dtypes(operands, signature=signature, casting="unsafe"))
    except Exception:  # noqa: BLE001 - the replay itself raises NumPy's error
        return stand_ins, out
    cores = _core_ndims(ufunc)
    stand_ins = tuple(
        np.empty((0,) * max(1, core), loop[i]) if discards_imaginary(dtypes[i], loop[i])
        else value
        for i, (value, core) in enumerate(zip(stand_ins, cores)))
    out = tuple(None if o is not None and discards_imaginary(loop[ufunc.nin + i], o.dtype)
                else o for i, o in enumerate(out))
    return stand_ins, out


_HAS_DTYPE = (np.ndarray, np.generic)

#: Marker: types resolved, but a gufunc operand lacks core dimensions.
DIMENSIONS_REFUSED: tuple = (None,)
_OBJECT = np.dtype(object)


def _core_ndims(ufunc: np.ufunc) -> tuple[int, ...]:
    """Core dimensions per operand: 0 for elementwise ufuncs."""
    if ufunc.signature is None:
        return (0,) * ufunc.nargs
    return tuple(len(dims) for dims in parse(ufunc.signature).operands)


def _empty_like(value: Any, core_ndim: int) -> np.ndarray:
    """Zero elements of `value`'s dtype, with enough axes for the gufunc core.

    Nothing to allocate, nothing to loop over; shape errors are left to numguard's
    own checks, which raise them in NumPy's order (after keepdims/axis support).
    """
    return np.empty((0,) * max(1, core_ndim), dtype=value.dtype)
