"""The small-result shortcut (policy.cannot_trip on a cheap peak bound) for np.where,
reductions and matmul: NumPy's results unchanged, nothing cleared that the full
projection would refuse, and a cleared call still runs marked as judged."""

from __future__ import annotations

import numpy as np
import pytest

import numguard
from numguard import policy
from numguard.errors import MemoryLimitError
from numguard.settings import get_settings


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.float32, np.float64, np.complex128])
def test_results_are_numpys(dtype):
    rng = np.random.default_rng(0)
    data = (rng.random((30, 20)) * 10).astype(dtype)
    square = (rng.random((20, 20)) * 10).astype(dtype)
    guarded, guarded_square = numguard.wrap(data), numguard.wrap(square)
    condition = data.real > 3 if np.iscomplexobj(data) else data > 3
    cases = [
        (np.where(condition, guarded, data[::-1]), np.where(condition, data, data[::-1])),
        (guarded.sum(axis=0), data.sum(axis=0)),
        (guarded.sum(axis=-1, keepdims=True), data.sum(axis=-1, keepdims=True)),
        (guarded.sum(), data.sum()),
        (guarded.max(axis=1), data.max(axis=1)),
        (guarded_square @ guarded_square, square @ square),
        (guarded @ guarded_square, data @ square),
    ]
    for got, expected in cases:
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


@pytest.mark.parametrize(
    "operands, operation, nbytes",
    [
        (lambda: (np.ones(1000, bool), np.ones(1000), np.zeros(1000)),
         lambda c, x, y: np.where(c, x, y), 8000),
        (lambda: (np.ones((1000, 100)),), lambda a: a.sum(axis=0), 800),
        (lambda: (np.ones((40, 40)), np.ones((40, 40))), lambda a, b: a @ b, 12800),
        (lambda: (np.ones((40, 30)), np.ones((30, 40))), lambda a, b: a @ b, 12800),
        (lambda: (np.ones((300, 300)), np.ones((300, 300))), lambda a, b: a + b, 720_000),
    ],
    ids=["where", "sum", "square matmul", "matmul", "a + b"],
)
def test_bound_over_the_limit_falls_back_to_the_projection(operands, operation, nbytes):
    """Just below the result: refused; at the result: runs, though the bound is larger.
    (Operands are built before the blocks: a block judges every allocation.)"""
    guarded = [numguard.wrap(x) for x in operands()]
    guarded[0] = guarded[0] if guarded[0].dtype != bool else operands()[0]
    with numguard.guard(limit=nbytes - 1):
        with pytest.raises(MemoryLimitError):
            operation(*guarded)
    with numguard.guard(limit=nbytes):
        operation(*guarded)


def test_zero_size_reduction_is_projected():
    """A zero-size array's reduction can be far larger than the array: no shortcut."""
    empty = numguard.wrap(np.zeros((0, 1_000_000)))
    assert empty.sum(axis=0).shape == (1_000_000,)
    with numguard.guard(limit="1 MiB"):
        with pytest.raises(MemoryLimitError):
            empty.sum(axis=0)


def test_non_square_gufuncs_leave_the_hot_path():
    """Equal shapes bound an element-wise result, not a gufunc's: (3,4) @ (3,4) is
    NumPy's error, unchanged."""
    a = numguard.wrap(np.ones((3, 4)))
    with pytest.raises(ValueError, match="matmul"):
        a @ a


class Seen:
    """An object-dtype element that records whether NumPy's kernel ran marked."""

    marks: list[bool] = []

    def __init__(self, value: float) -> None:
        self.value = value

    def _record(self) -> None:
        Seen.marks.append(policy.JUDGED.get())

    def __add__(self, other: object) -> Seen:
        self._record()
        return Seen(self.value + getattr(other, "value", other))

    __radd__ = __add__

    def __mul__(self, other: object) -> Seen:
        self._record()
        return Seen(self.value * getattr(other, "value", other))

    __rmul__ = __mul__


def objects(shape: tuple[int, ...]) -> np.ndarray:
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        array[index] = Seen(1.0)
    return array


@pytest.mark.parametrize(
    "operation",
    [
        lambda: numguard.wrap(objects((4, 3))).sum(axis=0),  # below small_bound
        lambda: numguard.wrap(objects((40, 40))) @ numguard.wrap(objects((40, 40))),
        lambda: numguard.wrap(objects((40, 30))) @ numguard.wrap(objects((30, 20))),
    ],
    ids=["reduce", "medium square matmul", "matmul"],
)
def test_a_cleared_call_runs_judged(operation):
    """(The ufunc hot path's tiniest tier, below small_bound, runs unmarked as before:
    nothing it allocates can trip the backstop either.)"""
    assert get_settings().mode != "off"
    Seen.marks = []
    operation()
    assert Seen.marks and all(Seen.marks)


def test_cannot_trip_is_the_memory_rule_on_the_bound():
    settings = get_settings()
    assert policy.cannot_trip(policy.small_bound(settings), settings)
    with numguard.guard(limit=100):
        fixed = get_settings()
        assert policy.cannot_trip(100, fixed)
        assert not policy.cannot_trip(101, fixed)
    huge = 1 << 60
    assert not policy.cannot_trip(huge, settings)
    assert policy.cannot_trip(10 * policy.NEGLIGIBLE_NBYTES, settings) == (
        policy.judge_bytes(10 * policy.NEGLIGIBLE_NBYTES, settings) is None)
