"""What the memory budget costs: a fresh reading, a monitor refresh, and the cached path.

Run: python -m pytest benchmarks/bench_memory.py --benchmark-only
(not part of the default test run: pyproject's testpaths is tests/).
"""

from __future__ import annotations

import pytest

from numguard.memory import BudgetMonitor, budget, budget_for, default_monitor


def test_budget_full_discovery_and_read(benchmark: pytest.FixtureRequest) -> None:
    """budget(): walks /proc/self/cgroup and mountinfo, opens, reads, closes every file."""
    reading = benchmark(budget)
    assert reading.available > 0


def test_monitor_refresh(benchmark: pytest.FixtureRequest) -> None:
    """A refresh: pread on descriptors kept open, usage files only where a limit is set."""
    monitor = BudgetMonitor()
    monitor.refresh()  # discovery and opening happen once, outside the timing
    reading = benchmark(monitor.refresh)
    assert reading.available > 0
    monitor.close()


def test_budget_for_small_projection_reads_nothing(benchmark: pytest.FixtureRequest) -> None:
    """The hot path for a small array: no lock, no clock, no file."""
    first = budget_for(1 << 50)
    reading = benchmark(budget_for, 8192)
    assert reading is first


def test_monitor_current_medium_projection_fresh(benchmark: pytest.FixtureRequest) -> None:
    """A projection in the middle band while the figure is fresh: one clock read, no file."""
    monitor = BudgetMonitor(max_age=1e9)  # stays fresh for the whole measurement
    first = monitor.refresh()
    _, small, large, _ = monitor._state
    reading = benchmark(monitor.current, (small + large) // 2)
    assert reading is first
    monitor.close()


def test_budget_for_medium_projection_in_a_loop(benchmark: pytest.FixtureRequest) -> None:
    """The middle band as a loop sees it: cached, re-read at most every MAX_AGE seconds."""
    default_monitor.refresh()
    _, small, large, _ = default_monitor._state
    reading = benchmark(budget_for, (small + large) // 2)
    assert reading.available > 0
