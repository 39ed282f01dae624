"""The variants every benchmark compares, built once.

- plain: ndarray.
- passthrough: a minimal `__array_ufunc__` subclass, the floor for any design of
  this kind (unwrap, call NumPy, re-wrap).
- handcheck: the check the incident write-up recommends, written by hand before
  the operation: `np.broadcast_shapes` and a size test.
- numguard: GuardedArray.
- quantity: astropy's dimensionless Quantity, the best-known ndarray subclass with
  `__array_ufunc__` (install the `bench` extra; skipped without astropy).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

import numguard

try:
    from astropy import units as _units
except ImportError:  # the bench extra is not installed
    _units = None

HANDCHECK_LIMIT = 8 * 1024**3


class PassThrough(np.ndarray):
    """Unwrap, call NumPy, re-wrap: nothing else."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.view(np.ndarray) if isinstance(x, PassThrough) else x for x in inputs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(
                o.view(np.ndarray) if isinstance(o, PassThrough) else o for o in out
            )
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(PassThrough) if type(result) is np.ndarray else result


def handchecked(op: Callable, a, b):
    """The incident write-up's advice, by hand: broadcast_shapes, then a size test."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    if math.prod(shape) * 8 > HANDCHECK_LIMIT:
        raise MemoryError(f"{shape} would not fit")
    return op(a, b)


KINDS = ["plain", "passthrough", "handcheck", "numguard", "quantity"]


def available(kind: str) -> bool:
    return kind != "quantity" or _units is not None


def as_kind(array: np.ndarray, kind: str):
    """The same data, viewed as the variant `kind` (no copy where the variant allows)."""
    if kind in ("plain", "handcheck"):
        return array
    if kind == "passthrough":
        return array.view(PassThrough)
    if kind == "numguard":
        return numguard.wrap(array)
    if kind == "quantity":
        return _units.Quantity(array, _units.dimensionless_unscaled, copy=False)
    raise ValueError(f"unknown variant {kind!r}; expected one of {KINDS}")


def binary(kind: str, op: Callable) -> Callable:
    """`op(a, b)` as the variant runs it."""
    if kind == "handcheck":
        return lambda a, b: handchecked(op, a, b)
    return op


def variants(array: np.ndarray) -> dict[str, object]:
    """The same data as every available variant except the hand check."""
    return {k: as_kind(array, k) for k in KINDS if k != "handcheck" and available(k)}
