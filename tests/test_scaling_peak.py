"""The peak of live NumPy memory in numguard.scaling: measured per toy run, projected as
the sum of what each line holds at it, judged against the limit.

NumPy is the oracle: the peaks asserted are sums of `.nbytes` of the arrays alive at
once. np.empty is used where exact bytes matter (np.ones makes a small temporary of
its own to fill the array).
"""

from __future__ import annotations

import inspect
import threading
import tracemalloc

import numpy as np
import pytest

from numguard.growth import scaling
from numguard.growth.observe import RunRecord, recording

TOY = [100, 200, 400]


def line(func, text: str) -> int:
    source, first = inspect.getsourcelines(func)
    return first + next(i for i, code in enumerate(source) if text in code)


def two_alive_then_three(n):
    a = np.empty(n)
    b = np.empty(2 * n)
    del a
    c = np.empty(3 * n)
    return b, c


def test_a_runs_peak_is_the_arrays_alive_at_once():
    with recording(RunRecord()) as record:
        b, c = two_alive_then_three(1000)
    assert record.peak == b.nbytes + c.nbytes  # a was freed before c
    assert record.peak_site[1] == line(two_alive_then_three, "c = np.empty")
    held = record.held[record.peak_site]
    assert (held.total, held.largest) == (c.nbytes, c.nbytes)


def test_the_peak_is_projected_and_names_its_line():
    report = scaling(two_alive_then_three, n=TOY, at=10**6, limit="1GiB")
    peak = report.peak
    assert peak.nbytes == tuple(sum(x.nbytes for x in two_alive_then_three(n)) for n in TOY)
    assert peak.projected == 40 * 10**6  # (2n + 3n) float64 at a million
    assert peak.reached_at[1] == line(two_alive_then_three, "c = np.empty")
    text = str(report)
    assert "peak of live NumPy memory: 3.9 KiB, 7.8 KiB, 15.6 KiB; projected at " \
           "n = 1,000,000: 38.1 MiB" in text
    assert f"  reached at tests/test_scaling_peak.py:{peak.reached_at[1]}: " \
           "c = np.empty(3 * n)" in text


def many_columns(n):
    columns = [np.empty(n) for _ in range(10)]
    return columns


def test_the_peak_is_judged_when_every_line_fits():
    report = scaling(many_columns, n=TOY, at=1_000_000, limit="64MiB")
    assert report.over_limit == ()  # each column: 7.6 MiB
    assert report.peak_over_limit and not report.ok
    assert report.peak.projected == sum(np.empty(1).nbytes * 1_000_000 for _ in range(10))


def chunked(n):
    return [np.empty(1000) for _ in range(n // 10)]  # fixed chunks, more of them


def test_a_line_holding_more_fixed_arrays_as_sizes_grow_is_projected_by_its_share():
    report = scaling(chunked, n=TOY, at=1_000_000, limit="16GiB")
    (site,) = report.sites
    assert site.projected == 8000  # its largest allocation does not grow
    assert report.peak.projected == pytest.approx(np.empty(1000).nbytes * 100_000, rel=0.01)


def score(users, items):
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def test_two_sizes_project_the_peak_as_the_sum_of_its_parts():
    at = {"users": 5_000_000, "items": 200_000}
    report = scaling(score, n={"users": [200, 400, 800], "items": [20, 40, 80]}, at=at,
                     limit="16GiB")
    users, items = at["users"], at["items"]
    # at the peak: the (users, items) product, its max over items, profiles and weights
    alive = 8 * (users * items + users + users + items)
    assert report.peak.projected == pytest.approx(alive, rel=1e-6)
    assert report.peak_over_limit
    (part, *_) = report.peak.parts
    assert part.growth == "users^1.0 x items^1.0; its other arrays: users^1.0"


def test_a_part_with_no_clear_power_law_leaves_the_peak_unprojected():
    report = scaling(lambda users, items: np.empty(users * items + users**2),
                     n={"users": [20, 40, 80], "items": [10, 20, 40]},
                     at={"users": 5_000_000, "items": 200_000}, limit="1GiB")
    assert report.peak.projected is None and not report.peak_over_limit
    assert "not projected: " in str(report) and "holds part of it and has no clear " \
                                                "power law" in str(report)


def test_arrays_alive_before_the_run_are_not_counted():
    kept = np.empty(1_000_000)  # 8 MB alive throughout
    report = scaling(two_alive_then_three, n=TOY, at=10**6, limit="1GiB")
    assert report.peak.nbytes == tuple(40 * n for n in TOY)
    assert kept.nbytes == 8_000_000


def test_tracemalloc_is_left_as_it_was():
    assert not tracemalloc.is_tracing()
    scaling(two_alive_then_three, n=TOY, at=10**6, limit="1GiB")
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        kept = np.empty(100_000)
        report = scaling(two_alive_then_three, n=TOY, at=10**6, limit="1GiB")
        assert tracemalloc.is_tracing()  # the user's tracing goes on
        assert report.peak.nbytes == tuple(40 * n for n in TOY)
        assert tracemalloc.get_traced_memory()[0] >= kept.nbytes
    finally:
        tracemalloc.stop()


def test_without_the_peak_tracemalloc_is_not_started():
    seen = []
    report = scaling(lambda n: seen.append(tracemalloc.is_tracing()) or np.empty(n),
                     n=TOY, at=10**6, limit="1GiB", peak=False)
    assert seen == [False, False, False] and report.peak is None
    assert report.sites[0].projected == 8 * 10**6


def test_the_peak_of_a_run_that_fails_is_still_stopped_cleanly():
    def fails(n):
        np.empty(n)
        raise KeyError("the function's own error")

    with pytest.raises(KeyError):
        scaling(fails, n=TOY, at=10**6, limit="1GiB")
    assert not tracemalloc.is_tracing()


def test_a_thread_started_in_the_run_counts_in_the_peak_but_not_in_the_lines():
    """README: the peak counts NumPy memory other threads allocate during a run."""
    def with_a_worker(n):
        kept = []
        worker = threading.Thread(target=lambda: kept.append(np.empty(50 * n)))
        worker.start()
        worker.join()
        np.empty(n)
        return kept

    with recording(RunRecord()) as record:
        kept = with_a_worker(1000)
    assert record.peak == kept[0].nbytes + 8000
    assert set(record.largest.values()) == {8000}
