"""The estimate record: what a call will produce, before anything is produced.

`Estimate` is a NamedTuple, like NumPy's own linalg results: immutable, typed, and
cheap to build on the hot path (building a frozen dataclass costs several times more).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Union

import numpy as np

#: The dtype of an operand: a NumPy dtype, or the Python type of a weak scalar (NEP 50).
OperandDType = Union[np.dtype, type]


class Stretch(NamedTuple):
    """One broadcast stretch: operand `operand` was repeated along result axis `axis`."""

    axis: int
    """Axis of the (first) result, counted from the left."""
    size: int
    """The result's length along that axis."""
    operand: int
    """Index of the stretched operand among the call's array operands."""
    operand_size: int | None
    """The operand's own length there: 1, or None when it lacked the axis (rank promotion)."""


class Estimate(NamedTuple):
    """What a NumPy call will allocate, projected without running it."""

    func: Any
    """The ufunc (or array function) that will run."""
    method: str
    """The ufunc method: "__call__", "reduce", "accumulate", "reduceat", "outer", "at"."""
    shapes: tuple[tuple[int, ...], ...]
    """One shape per output (empty for `at`)."""
    dtypes: tuple[np.dtype, ...]
    """One dtype per output (empty for `at`)."""
    nbytes: int
    """Bytes NumPy will newly allocate for results (outputs given with out= count 0)."""
    exact: bool
    """False where `nbytes` is not exact: a lower bound for object and StringDType results
    (their data lives outside the array), an upper bound for data-dependent results
    (np.unique, np.nonzero, boolean masks)."""
    operand_shapes: tuple[tuple[int, ...], ...]
    """Shapes of the array operands, in call order (for reduce-like methods: the array)."""
    operand_dtypes: tuple[OperandDType, ...]
    """Their dtypes; a Python int/float/complex scalar shows as its type (weak, NEP 50)."""
    stretched: tuple[Stretch, ...]
    """Which result axes were stretched by broadcasting, and from which operand."""

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the single output."""
        return self.shapes[_single(self)]

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the single output."""
        return self.dtypes[_single(self)]

    @property
    def operation(self) -> str:
        """The call as a user writes it: "np.add", "np.add.reduce", "np.matmul"."""
        name = _public_name(self.func)
        return name if self.method == "__call__" else f"{name}.{self.method}"

    @property
    def largest_operand_size(self) -> int:
        """Elements in the largest array operand (0 when there is none)."""
        return max((math.prod(s) for s in self.operand_shapes), default=0)

    @property
    def result_size(self) -> int:
        """Elements in the largest output."""
        return max((math.prod(s) for s in self.shapes), default=0)


def _single(est: Estimate) -> int:
    if len(est.shapes) != 1:
        raise AttributeError(
            f"{est.operation} has {len(est.shapes)} outputs; use .shapes and .dtypes"
        )
    return 0


def _public_name(func: Any) -> str:
    """Where a user finds `func`: "np.add", "np.linalg.outer", "np.strings._center"."""
    name = getattr(func, "__name__", repr(func))
    if getattr(func, "__objclass__", None) is np.ndarray:  # an ndarray method
        return "a[...]" if name == "__getitem__" else f"a.{name}()"
    module = getattr(func, "__module__", None) or "numpy"
    if isinstance(func, np.ufunc) or module in ("numpy", "numpy._core.umath"):
        if hasattr(np, name):
            return f"np.{name}"
        return f"np._core.umath.{name}"
    return module.replace("numpy", "np", 1) + "." + name
