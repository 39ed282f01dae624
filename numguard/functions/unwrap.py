"""Plain-ndarray views of GuardedArrays in an array function's arguments, and back."""

from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray


_GUARDED: list[type] = []


def guarded_type() -> type:
    """GuardedArray (imported late: numguard.array imports this package)."""
    if not _GUARDED:
        from numguard.array import GuardedArray

        _GUARDED.append(GuardedArray)
    return _GUARDED[0]


def plain_one(x: Any) -> Any:
    """A plain view of a GuardedArray; lists and tuples (np.block nests them) unwrapped
    item by item; anything else unchanged."""
    t = type(x)
    if t is _ndarray:
        return x
    if t is list or t is tuple:
        return t([plain_one(item) for item in x])
    if isinstance(x, _ndarray) and isinstance(x, _GUARDED[0] if _GUARDED else guarded_type()):
        return x.view(_ndarray)
    return x


def plain(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    return (tuple([plain_one(a) for a in args]),
            {k: plain_one(v) for k, v in kwargs.items()} if kwargs else kwargs)
