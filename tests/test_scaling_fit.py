"""The fit behind numguard.scaling: known exponents recovered, poor fits said, not projected.

NumPy is the oracle: the synthetic allocations are real arrays whose `.nbytes` the fit
sees, and the projections are checked against the same formula at production size.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numguard.growth import scaling
from numguard.growth.fit import CONSTANT, SPREAD, TOO_FEW, UNSTABLE, fit_power_law

USERS, ITEMS = [20, 40, 80], [10, 20, 40]
TOY = {"users": USERS, "items": ITEMS}
AT = {"users": 5_000_000, "items": 200_000}


def line(func, text: str) -> int:
    source, first = inspect.getsourcelines(func)
    return first + next(i for i, code in enumerate(source) if text in code)


def only_site(report):
    (site,) = report.sites
    return site


@pytest.mark.parametrize("make, exponents, production", [
    (lambda users, items: np.empty(users * items), {"users": 1, "items": 1},
     np.dtype(np.float64).itemsize * 5_000_000 * 200_000),
    (lambda users, items: np.empty(users**2, dtype=np.float32), {"users": 2, "items": 0},
     np.dtype(np.float32).itemsize * 5_000_000**2),
    (lambda users, items: np.empty((users, items, items), dtype=np.int16),
     {"users": 1, "items": 2}, np.dtype(np.int16).itemsize * 5_000_000 * 200_000**2),
    (lambda users, items: np.empty(items * 3, dtype=np.uint8), {"users": 0, "items": 1},
     3 * 200_000),
    (lambda users, items: np.empty(100), {"users": 0, "items": 0}, 800),
])
def test_known_exponents_are_recovered_from_real_allocations(make, exponents, production):
    report = scaling(make, n=TOY, at=AT, limit="1GiB")
    site = only_site(report)
    # NumPy's own bytes at each run
    assert site.nbytes == tuple(make(*run).nbytes for run in site.runs)
    assert site.exponents == pytest.approx(exponents, abs=1e-9)
    assert site.projected == pytest.approx(production, rel=1e-9)
    assert site.law.problem is None


def test_which_size_drives_a_line_is_said():
    report = scaling(lambda users, items: np.empty(users**2), n=TOY, at=AT, limit="1GiB")
    assert "grows as users^2.0: " in str(report) and "items^" not in str(report)
    report = scaling(lambda users, items: np.empty(100), n=TOY, at=AT, limit="1GiB")
    assert "does not grow: 800 B to 800 B in 6 runs; projected at" in str(report)


@settings(max_examples=60, deadline=None)
@given(exponents=st.lists(st.floats(0, 3), min_size=1, max_size=3),
       scale=st.floats(1.0, 1e6))
def test_any_product_of_powers_is_recovered_exactly(exponents, scale):
    sizes = len(exponents)
    levels = [[10 * (k + 1), 20 * (k + 1), 40 * (k + 1)] for k in range(sizes)]
    runs = [tuple(values[0] for values in levels)]
    for axis, values in enumerate(levels):
        runs += [runs[0][:axis] + (v,) + runs[0][axis + 1:] for v in values[1:]]
    runs.append(tuple(values[-1] for values in levels))
    at = [10**6] * sizes

    def law(run):
        return scale * math.prod(s**a for s, a in zip(run, exponents))

    # bytes as floats: the law itself, no rounding to whole bytes
    fitted = fit_power_law(runs, [law(run) for run in runs], at)
    assert fitted.problem is None
    assert fitted.exponents == pytest.approx(exponents, abs=1e-7)
    assert fitted.projected == pytest.approx(min(law(at), 2**64 - 1), rel=1e-6, abs=1)  # whole bytes


# -- poor fits ---------------------------------------------------------------------------


def test_a_sum_of_terms_is_not_a_power_law_and_is_not_projected():
    report = scaling(lambda users, items: np.empty(users * items + users**2),
                     n=TOY, at=AT, limit="1GiB")
    site = only_site(report)
    assert site.law.problem == UNSTABLE and site.projected is None
    assert site.law.high / site.law.low > SPREAD
    assert report.ok and report.unprojected == (site,)  # said, not judged
    text = str(report)
    assert "1 call site(s) not projected" in text
    assert "no clear power law: " in text
    assert ("projections at users = 5,000,000, items = 200,000 range from "
            in text) and "with the runs used: not judged" in text


def test_a_constant_overhead_dominating_the_toy_sizes_is_said():
    report = scaling(lambda n: np.empty(1000 + n), n=[10, 20, 40], at=5_000_000, limit="1GiB")
    site = only_site(report)
    assert site.law.problem == CONSTANT and site.projected is None
    assert site.law.constant == 8000  # the 1000 float64 of overhead
    # with the constant, the growing part projects what NumPy would allocate
    assert site.law.high == pytest.approx(np.dtype(np.float64).itemsize * (1000 + 5_000_000),
                                          rel=1e-6)
    assert "a constant part of about 7.8 KiB dominates: 7.9 KiB, 8.0 KiB, 8.1 KiB" in str(report)


def test_larger_toy_sizes_make_the_same_overhead_projectable():
    report = scaling(lambda n: np.empty(1000 + n), n=[100_000, 200_000, 400_000],
                     at=5_000_000, limit="1GiB")
    site = only_site(report)
    assert site.law.problem is None
    assert site.projected == pytest.approx(8 * (1000 + 5_000_000), rel=0.02)


def test_sizes_that_depend_on_the_data_are_not_projected():
    periods = iter([2, 50, 3])  # the toy data of each run: how often a key is 0

    def matches(n):
        keys = np.arange(n) % next(periods)
        return np.flatnonzero(keys == 0)  # one int64 per match: as many as the data says

    report = scaling(matches, n=[1_000, 2_000, 4_000], at=10**9, limit="1GiB")
    (found,) = [s for s in report.sites if s.lineno == line(matches, "flatnonzero")]
    # NumPy's bytes: the larger of the (n,) bool mask and the int64 indices, per run
    periods = iter([2, 50, 3])
    assert found.nbytes == tuple(
        max(n, np.flatnonzero(np.arange(n) % next(periods) == 0).nbytes)
        for n in [1_000, 2_000, 4_000])
    assert found.law.problem == UNSTABLE and found.projected is None
    assert found in report.unprojected and "no clear power law: 3.9 KiB, 2.0 KiB, " in str(report)


def test_too_few_runs_are_not_fitted():
    fitted = fit_power_law([(10,), (20,)], [80, 160], [1000])
    assert fitted.problem == TOO_FEW and fitted.projected is None
    # two sizes seen in three runs that do not separate them
    fitted = fit_power_law([(10, 5), (20, 10), (40, 20)], [1, 2, 3], [100, 100])
    assert fitted.problem == TOO_FEW


def test_a_projection_past_every_machine_is_capped():
    fitted = fit_power_law([(10,), (20,), (40,)], [10**10, 10**13, 10**16], [10**9])
    assert fitted.projected == 2**64 - 1
