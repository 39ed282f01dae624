"""Defer before judging (issue #10.4, NEP 13/18): a foreign array type gets its turn
before numguard estimates or converts anything, in all three override paths."""

from __future__ import annotations

import numpy as np
import pytest

import numguard
from numguard import wrap


class Lazy:
    """A dask-like array: its own overrides, and an `__array__` that counts its calls."""

    conversions = 0

    def __init__(self, shape=(1000, 1000)):
        self.shape = shape

    def __array__(self, dtype=None, copy=None):
        Lazy.conversions += 1
        return np.ones(self.shape)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ("lazy", ufunc.__name__, method)

    def __array_function__(self, func, types, args, kwargs):
        return ("lazy", func.__name__)


@pytest.fixture(autouse=True)
def counted():
    Lazy.conversions = 0
    yield
    assert Lazy.conversions == 0  # numguard never computed the foreign array


OPERATOR_CASES = {
    "g + lazy": (lambda g, z: g + z, ("lazy", "add", "__call__")),
    "lazy + g": (lambda g, z: z + g, ("lazy", "add", "__call__")),
    "g * lazy": (lambda g, z: g * z, ("lazy", "multiply", "__call__")),
    "g @ lazy": (lambda g, z: g @ z, ("lazy", "matmul", "__call__")),
    "g < lazy": (lambda g, z: g < z, ("lazy", "less", "__call__")),
    "np.add(g, lazy)": (lambda g, z: np.add(g, z), ("lazy", "add", "__call__")),
    "np.add.outer(g, lazy)": (lambda g, z: np.add.outer(g, z), ("lazy", "add", "outer")),
    "np.add(g, 1, out=(lazy,))": (lambda g, z: np.add(g, 1, out=(z,)), ("lazy", "add", "__call__")),
    "np.where(g, lazy, g)": (lambda g, z: np.where(g, z, g), ("lazy", "where")),
    "np.concatenate": (lambda g, z: np.concatenate([g, z]), ("lazy", "concatenate")),
    "np.outer(g, lazy)": (lambda g, z: np.outer(g, z), ("lazy", "outer")),
}


@pytest.mark.parametrize("case", list(OPERATOR_CASES))
@pytest.mark.parametrize("limit", [None, 16])
def test_foreign_types_get_their_turn_before_any_estimate(case, limit):
    call, expected = OPERATOR_CASES[case]
    g = wrap(np.ones((1000, 1)))
    if limit is None:
        assert call(g, Lazy()) == expected
    else:  # under a tiny limit too: NotImplemented, not a refusal
        with numguard.guard(limit=limit):
            assert call(g, Lazy()) == expected


METHOD_CASES = {
    "g.take(lazy)": lambda g, z: g.take(z),
    "g.choose([lazy, g])": lambda g, z: g.view(np.ndarray).astype(int).view(type(g))
    .choose([z, g]),
    "g.searchsorted(lazy)": lambda g, z: g.searchsorted(z),
    "g.dot(lazy)": lambda g, z: g.dot(z),
    "g.repeat(lazy)": lambda g, z: g.repeat(z),
}


@pytest.mark.parametrize("case", list(METHOD_CASES))
def test_methods_leave_foreign_arguments_to_numpy(case):
    """NumPy's own methods convert a foreign argument themselves; numguard adds no
    conversion and no refusal of its own (the count NumPy makes is NumPy's)."""
    call = METHOD_CASES[case]
    plain = np.ones(4)
    guarded = wrap(plain)

    def outcome(array):
        """(error class or None, conversions) of the call inside the same block: the
        block judges NumPy's own allocations, the foreign conversion's included."""
        Lazy.conversions = 0
        try:
            with numguard.guard(limit=16):
                call(array, Lazy((4,)))
            return None, Lazy.conversions
        except Exception as error:  # noqa: BLE001
            return type(error), Lazy.conversions
        finally:
            Lazy.conversions = 0

    assert outcome(guarded) == outcome(plain)


def test_a_refusal_is_still_made_for_numpy_operands():
    g, row = wrap(np.ones((1000, 1))), np.ones((1, 1000))
    with numguard.guard(limit=16), pytest.raises(numguard.BroadcastMemoryError):
        g + row
