"""Argument checks shared by the ufunc call and its methods, with NumPy's exception classes."""

from __future__ import annotations

from typing import Any

import numpy as np

_ORDERS = frozenset({"K", "A", "C", "F", "k", "a", "c", "f"})


def reject_unknown(name: str, kwargs: dict, allowed: frozenset) -> None:
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")


def check_order(order: Any) -> None:
    if order is not None and order not in _ORDERS:
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")


def outputs(nout: int, positional: tuple, kwargs: dict) -> tuple:
    """The `out` operands as a tuple of length nout, None where NumPy allocates."""
    if "out" in kwargs:
        out = kwargs["out"]
        if positional:
            raise TypeError("cannot specify 'out' as both a positional and keyword argument")
    elif positional:
        out = positional + (None,) * (nout - len(positional))
    else:
        return (None,) * nout
    if out is None or out is Ellipsis:
        return (None,) * nout
    if isinstance(out, tuple):
        if len(out) != nout:
            raise ValueError("The 'out' tuple must have exactly one entry per ufunc output")
    elif nout == 1:
        out = (out,)
    else:
        raise TypeError("'out' must be a tuple of arrays")
    for array in out:
        check_output(array)
    return out


def check_output(array: Any) -> None:
    if array is None:
        return
    if not isinstance(array, np.ndarray):
        raise TypeError("return arrays must be of ArrayType")
    if not array.flags.writeable:
        raise ValueError("output array is read-only")


def where_shape(where: Any) -> tuple[int, ...] | None:
    """The shape `where=` adds to broadcasting, or None for the default True."""
    if where is True:
        return None
    mask = np.asarray(where)
    if mask.dtype != np.bool_ and not np.can_cast(mask.dtype, np.bool_, "safe"):
        raise TypeError(
            f"Cannot cast array data from {mask.dtype!r} to dtype('bool') "
            "according to the rule 'safe'"
        )
    return mask.shape
