"""The verdict (judge), how a trip acts (mode_for), and the cost discipline of the budget."""

from __future__ import annotations

import numpy as np
import pytest

import numguard
from numguard import policy
from numguard.memory import Budget, Source
from numguard.settings import Settings, parse_limit


def virtual(shape):
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape, (0,) * len(shape))


def fake_budget(available: int) -> Budget:
    source = Source("cgroup v2 memory.max of /test", available, limit=available, used=0)
    return Budget.from_sources((source,), 0.0)


def settings(**changes) -> Settings:
    return Settings().updated(**changes)


def test_fixed_limit_trips_exactly_above_it():
    est = numguard.estimate(np.add, np.ones(8), np.ones(8))  # 64 bytes
    assert policy.judge(est, settings(limit=64)) is None
    trip = policy.judge(est, settings(limit=63))
    assert trip.rule == "memory" and trip.limit == 63 and trip.budget is None


def test_share_of_available_memory_reads_the_budget(monkeypatch):
    monkeypatch.setattr(policy, "budget_for", lambda n: fake_budget(1_000_000))
    est = numguard.estimate(np.add, np.ones(100_000), 1.0)  # 800,000 bytes
    assert policy.judge(est, settings(limit="80%")) is None
    trip = policy.judge(est, settings(limit="79%"))
    assert trip.rule == "memory" and trip.limit == 790_000
    assert trip.budget.binding.startswith("cgroup v2 memory.max of /test")


def test_small_results_consult_no_budget(monkeypatch):
    calls = []
    monkeypatch.setattr(policy, "budget_for", lambda n: calls.append(n) or fake_budget(1))
    a = numguard.wrap(np.ones((100, 10)))
    for _ in range(100):
        a + a
        a * 2.0
        np.add.reduce(a, axis=0)
        a[:, :1] - a  # broadcasting takes the full estimate, still below the floor
    assert calls == []


def test_small_operations_read_no_file(monkeypatch):
    monitor = numguard.memory.default_monitor
    monitor.current(1)  # prime the cache
    reads = []
    monkeypatch.setattr(monitor, "_read", lambda: reads.append(1))
    a = numguard.wrap(np.ones((1000, 10)))
    for _ in range(50):
        a + a
        a[:, :1] * a
    assert reads == []


def test_inflation_rule_and_outer_exemption():
    column, row = np.ones((50, 1)), np.ones((1, 40))
    trip = policy.judge(numguard.estimate(np.add, column, row), settings(inflation=2))
    assert trip.rule == "inflation" and trip.factor == 2
    assert policy.judge(numguard.estimate(np.add, column, row), settings(inflation=50)) is None
    outer = numguard.estimate(np.add.outer, np.ones(50), np.ones(40))
    assert policy.judge(outer, settings(inflation=1)) is None


def test_rank_promotion_rule_ignores_scalars_and_gufunc_cores():
    promoted = numguard.estimate(np.add, np.ones(3), np.ones((2, 3)))
    assert policy.judge(promoted, settings(rank_promotion="warn")).rule == "rank_promotion"
    scalar = numguard.estimate(np.add, np.ones((2, 3)), 1.0)
    assert policy.judge(scalar, settings(rank_promotion="raise")) is None
    matvec = numguard.estimate(np.matmul, np.ones((2, 3)), np.ones(3))
    assert policy.judge(matvec, settings(rank_promotion="raise")) is None


@pytest.mark.parametrize(
    "mode, rank, expected",
    [("raise", "raise", "raise"), ("raise", "warn", "warn"), ("warn", "raise", "warn"),
     ("log", "raise", "log"), ("off", "raise", "off")],
)
def test_rank_promotion_acts_at_most_as_its_own_setting(mode, rank, expected):
    trip = policy.Trip("rank_promotion")
    assert policy.mode_for(trip, settings(mode=mode, rank_promotion=rank)) == expected


def test_memory_trip_follows_the_mode():
    trip = policy.Trip("memory", 1, "1 bytes")
    for mode in ("raise", "warn", "log", "off"):
        assert policy.mode_for(trip, settings(mode=mode)) == mode


def test_projection_at_production_shape_trips_a_share_limit():
    est = numguard.estimate(np.multiply, virtual((5_000_000, 1)), virtual((1, 200_000)))
    trip = policy.judge(est, settings(limit=parse_limit("80%")))
    assert trip is not None and trip.rule == "memory" and trip.budget is not None
