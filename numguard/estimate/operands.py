"""Operands as NumPy will see them: a shape and a dtype, without touching their data.

Python int/float/complex stay *weak* (NEP 50): their dtype is their Python type, and
NumPy picks the concrete dtype during resolution. Everything else array-like is
converted exactly as NumPy converts it (`np.asarray`), which costs only for inputs
that are not arrays already (lists, str), where NumPy would pay the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Python scalars that promote weakly under NEP 50. `bool` is deliberately absent.
WEAK_SCALAR_TYPES = (int, float, complex)

_ARRAY_TYPES = (np.ndarray, np.generic)


def as_operand(value: Any) -> Any:
    """`value` if NumPy keeps it as is (array, NumPy scalar, weak scalar), else an array."""
    if isinstance(value, _ARRAY_TYPES) or type(value) in WEAK_SCALAR_TYPES:
        return value
    return np.asarray(value)


def shape_of(operand: Any) -> tuple[int, ...]:
    """The shape NumPy broadcasts: () for Python scalars."""
    return operand.shape if isinstance(operand, _ARRAY_TYPES) else ()


def dtype_of(operand: Any) -> np.dtype | type:
    """The dtype for resolution: the Python type for weak scalars (what resolve_dtypes takes)."""
    return operand.dtype if isinstance(operand, _ARRAY_TYPES) else type(operand)


def as_array(value: Any) -> np.ndarray | np.generic:
    """Strong conversion, as `reduce`, `accumulate`, `reduceat` and `outer` do."""
    return value if isinstance(value, _ARRAY_TYPES) else np.asarray(value)
