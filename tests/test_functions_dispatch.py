"""GuardedArray.__array_function__: refuse before allocating, else behave as NumPy does."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from test_projection_functions import CASES, outputs

import numguard
from numguard import GuardedArray
from numguard.guarded import functions as dispatch
from numguard.projection.registry import Projection

pytestmark = pytest.mark.filterwarnings(
    "ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


def virtual(shape, dtype=float):
    """A zero-strided view: any shape, one element of memory."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape))


def guarded(x):
    if isinstance(x, np.ndarray) and type(x) is np.ndarray:
        return x.view(GuardedArray)
    if type(x) in (list, tuple):
        return type(x)(guarded(i) for i in x)
    return x


def test_incident_where_is_refused_before_anything_is_allocated():
    mask = numguard.wrap(virtual((5_000_000,), bool))
    profiles = numguard.wrap(virtual((5_000_000, 1)))
    clusters = numguard.wrap(virtual((200_000,)))
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with numguard.guard(mode="raise", limit="80%"):
            with pytest.raises(numguard.BroadcastMemoryError) as info:
                np.where(mask[:, None], profiles, clusters[None, :])
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    est = info.value.estimate
    assert est.func is np.where and est.shape == (5_000_000, 200_000)
    assert est.nbytes == 5_000_000 * 200_000 * 8
    assert peak < 1_000_000 and elapsed < 1.0
    assert "np.where would allocate 7.3 TiB" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda g: np.outer(g, g),
    lambda g: np.kron(g[:, None], g[None, :]),
    lambda g: np.tile(g, (100_000, 1)),
    lambda g: np.repeat(g, 10**7),
    lambda g: np.meshgrid(g, g),
    lambda g: np.einsum("i,j->ij", g, g),
    lambda g: np.concatenate([g[:, None]] * 2000, axis=1),
    lambda g: np.ones((10**6, 10**6), like=g),
    lambda g: np.broadcast_to(g, (10**6, 10**6)).copy(),
])
def test_large_results_are_refused(call):
    g = numguard.wrap(virtual((10**6,)))
    with numguard.guard(limit="1GiB"):
        with pytest.raises(numguard.MemoryLimitError):
            call(g)


def test_views_cost_nothing():
    g = numguard.wrap(virtual((10**6,)))
    with numguard.guard(limit="1MiB"):
        view = np.broadcast_to(g, (10**6, 10**6))
        xs = np.meshgrid(g, g, copy=False)
    assert type(view) is GuardedArray and view.shape == (10**6, 10**6)
    assert all(type(x) is GuardedArray for x in xs)


def has_guarded(x):
    if type(x) in (list, tuple):
        return any(has_guarded(i) for i in x)
    return type(x) is GuardedArray


@pytest.mark.parametrize("case", CASES, ids=[c[0].__name__ for c in CASES])
def test_guarded_results_equal_numpy(case):
    func, args, kwargs, _ = case
    expected = outputs(func(*args, **kwargs))
    wrapped_args, wrapped_kwargs = guarded(args), guarded(kwargs)
    got = func(*wrapped_args, **wrapped_kwargs)
    results = outputs(got)
    assert len(results) == len(expected)
    for r, e in zip(results, expected):
        assert r.shape == e.shape and r.dtype == e.dtype
        if func is not np.empty_like:
            np.testing.assert_array_equal(r, e)
    if not has_guarded((*wrapped_args, *wrapped_kwargs.values())):
        return  # nothing guarded reached NumPy's dispatch (lists of lists only)
    for item in got if isinstance(got, (tuple, list)) else [got]:
        if isinstance(item, np.ndarray):
            assert type(item) is GuardedArray


ERRORS = [
    (np.concatenate, lambda g: ([g, g[:, :2].T],)),
    (np.where, lambda g: (g > 0, g)),
    (np.tile, lambda g: (g, -1)),
    (np.dot, lambda g: (g, g)),
    (np.einsum, lambda g: ("ij,jk", g, g)),
    (np.take, lambda g: (g, 99)),
    (np.stack, lambda g: ([g, g.T],)),
    (np.repeat, lambda g: (g, -2)),
    (np.pad, lambda g: (g, -1)),
    (np.kron, lambda g: (g, "x")),
    (np.sum, lambda g: (g,), {"axis": 5}),
    (np.cumsum, lambda g: (g,), {"axis": 2}),
    (np.unique, lambda g: (g,), {"axis": 3}),
    (np.histogram2d, lambda g: (g[0], g[1][:2])),
]


@pytest.mark.parametrize("entry", ERRORS, ids=[e[0].__name__ for e in ERRORS])
def test_numpy_errors_pass_through_unchanged(entry):
    func, make = entry[0], entry[1]
    kwargs = entry[2] if len(entry) > 2 else {}
    plain = np.arange(12.0).reshape(3, 4)
    with pytest.raises(Exception) as expected:
        func(*make(plain), **kwargs)
    with pytest.raises(type(expected.value)) as got:
        func(*make(plain.view(GuardedArray)), **kwargs)
    assert str(got.value) == str(expected.value)


def test_reductions_are_checked_once_through_ufuncs(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch, "enforce", lambda *a: calls.append(a))
    g = numguard.wrap(np.ones((100, 10)))
    np.sum(g, axis=0)
    np.mean(g)
    np.cumsum(g)
    np.var(g)
    assert calls == []  # no function-level projection: __array_ufunc__ checks each step
    np.concatenate([g, g])
    assert len(calls) == 1


def test_var_temporary_is_checked_where_it_happens():
    g = numguard.wrap(np.ones(1000))
    with numguard.guard(limit=4000):  # the (1000,) float64 temporary is 8000 bytes
        with pytest.raises(numguard.MemoryLimitError) as info:
            np.var(g)
    assert info.value.estimate.operation == "np.subtract"


def test_out_returns_the_callers_array():
    g = numguard.wrap(np.ones((2, 3)))
    out = numguard.wrap(np.empty((4, 3)))
    assert np.concatenate([g, g], out=out) is out
    np.testing.assert_array_equal(out, 1)
    plain_out = np.empty((2, 3))
    assert np.take(g, [0, 1], axis=0, out=plain_out) is plain_out


def test_like_creation_is_guarded_and_wrapped():
    g = numguard.wrap(np.ones(3))
    assert type(np.ones(4, like=g)) is GuardedArray
    assert type(np.eye(3, like=g)) is GuardedArray
    assert np.full((2, 2), 7, like=g).sum() == 28


def test_inflation_applies_to_broadcasting_functions_only():
    col = numguard.wrap(np.ones((50, 1)))
    row = numguard.wrap(np.ones((1, 50)))
    with numguard.guard(inflation=2):
        with pytest.raises(numguard.errors.InflationError):
            np.where(col > 0, col, row)
        np.concatenate([col, col, col])  # three times bigger, by design
        np.tile(row, (3, 1))


def test_rank_promotion_applies_to_where_not_dot():
    a = numguard.wrap(np.ones((3, 4)))
    v = numguard.wrap(np.ones(4))
    with numguard.guard(rank_promotion="raise"):
        np.dot(a, v)
        with pytest.raises(numguard.errors.RankPromotionError):
            np.where(v > 0, a, 0.0)


def test_mode_off_is_numpys_behaviour(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch, "enforce", lambda *a: calls.append(a))
    g = np.ones((2, 2)).view(GuardedArray)
    with numguard.guard(mode="off"):
        result = np.concatenate([g, g])
    assert type(result) is np.ndarray and calls == []


class Foreign:
    """An array-like with its own __array_function__ (like dask or xarray)."""

    def __array_function__(self, func, types, args, kwargs):
        return ("foreign", func.__name__)


def test_foreign_types_get_their_turn():
    g = numguard.wrap(np.ones(3))
    assert np.concatenate([g, Foreign()]) == ("foreign", "concatenate")
    assert np.where(g > 0, Foreign(), g) == ("foreign", "where")


def test_projection_failures_leave_the_error_to_numpy(monkeypatch):
    def broken(func, *args, **kwargs):
        raise RuntimeError("projection bug")

    monkeypatch.setitem(dispatch.FUNCTIONS, np.tile, Projection(np.tile, broken, False, False))
    monkeypatch.setattr(dispatch, "_projected_get", dispatch.FUNCTIONS.get)
    g = numguard.wrap(np.ones(3))
    assert np.tile(g, 2).shape == (6,)  # runs unprojected
    with pytest.raises(Exception) as expected:
        np.tile(np.ones(3), "x")
    with pytest.raises(type(expected.value)):
        np.tile(g, "x")  # NumPy's own error, not the projection's


def test_estimate_entry_point():
    c = numguard.wrap(np.ones((4, 1), bool))
    est = numguard.estimate(np.where, c, np.ones((1, 5)), 0)
    assert est.shape == (4, 5) and est.operation == "np.where"
    assert [s.operand for s in est.stretched] == [0, 1]
    # np.transpose answers since issue #16 (a view); what cannot be known still raises
    with pytest.raises(TypeError, match="loadtxt"):
        numguard.estimate(np.loadtxt, "numbers.txt")
