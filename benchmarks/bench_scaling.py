"""What numguard.scaling costs: the incident's six toy runs with and without the peak.

The peak is measured through tracemalloc (every Python allocation of a run is traced,
and the live NumPy traces are summed at each allocation that could set a new peak);
the per-line table alone needs only the allocation callback.

Run: python -m pytest benchmarks/bench_scaling.py --benchmark-only
(not part of the default test run: pyproject's testpaths is tests/).
"""

from __future__ import annotations

import numpy as np
import pytest

from numguard.growth import scaling

TOY = {"users": [200, 400, 800], "items": [20, 40, 80]}
PRODUCTION = {"users": 5_000_000, "items": 200_000}
RUNS = [(200, 20), (400, 20), (800, 20), (200, 40), (200, 80), (800, 80)]


def score(users: int, items: int) -> np.ndarray:
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def test_the_six_toy_runs_alone(benchmark: pytest.FixtureRequest) -> None:
    """The same six calls, unobserved: the floor."""
    benchmark(lambda: [score(users, items) for users, items in RUNS])


def test_scaling_lines_only(benchmark: pytest.FixtureRequest) -> None:
    report = benchmark(scaling, score, n=TOY, at=PRODUCTION, limit="16GiB", peak=False)
    assert not report.ok and report.peak is None


def test_scaling_lines_and_peak(benchmark: pytest.FixtureRequest) -> None:
    report = benchmark(scaling, score, n=TOY, at=PRODUCTION, limit="16GiB")
    assert report.peak_over_limit
