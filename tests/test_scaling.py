"""numguard.scaling: what each line allocates at toy sizes, its growth, the projection;
one size `n=[...]` or several named sizes.

NumPy is the oracle: the bytes recorded per line are the `.nbytes` of the arrays NumPy
really made there. Toy sizes keep every run under a few MiB.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import numguard
from numguard import backstop
from numguard.growth import ScalingReport, scaling

TOY = [1_000, 2_000, 4_000]
USERS, ITEMS = [200, 400, 800], [20, 40, 80]
PRODUCTION = {"users": 5_000_000, "items": 200_000}


def line(func, text: str) -> int:
    source, first = inspect.getsourcelines(func)
    return first + next(i for i, code in enumerate(source) if text in code)


def site(report: ScalingReport, lineno: int):
    (found,) = [s for s in report.sites if s.lineno == lineno]
    return found


def incident(n):
    profiles = np.linspace(0.0, 1.0, n)
    weights = np.linspace(1.0, 2.0, n // 10)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def test_the_quadratic_incident_is_over_the_limit():
    report = scaling(incident, n=TOY, at=5_000_000, limit="16GiB")
    assert not report.ok
    (over,) = report.over_limit
    assert over.lineno == line(incident, "max(axis=1)")
    # NumPy's own figures: the (n, n // 10) float64 product at each toy size
    assert over.nbytes == tuple(np.empty((n, n // 10)).nbytes for n in TOY)
    assert over.runs == tuple((n,) for n in TOY)
    assert over.exponents["n"] == pytest.approx(2.0, abs=0.01)
    assert over.projected == pytest.approx(5_000_000 * 500_000 * 8, rel=0.01)
    assert report.sites[0] is over  # largest projection first
    assert report.runs == tuple({"n": n} for n in TOY)


def test_the_report_reads_well():
    text = str(scaling(incident, n=TOY, at=5_000_000, limit="16GiB"))
    lineno = line(incident, "max(axis=1)")
    lines = text.splitlines()
    assert lines[0] == ("numguard scaling: 3 toy runs (n = 1,000, 2,000, 4,000) projected to "
                        "n = 5,000,000; limit 16.0 GiB (16GiB)")
    assert lines[1].startswith("peak of live NumPy memory: ")
    assert lines[1].endswith("projected at n = 5,000,000: 18.2 TiB (over the limit)")
    assert lines[2] == (f"  reached at tests/test_scaling.py:{lineno}: "
                        "return (profiles[:, None] * weights[None, :]).max(axis=1)")
    assert lines[3] == "  held then, in the largest run -> at production:"
    assert lines[4].startswith(f"    tests/test_scaling.py:{lineno}: 12.2 MiB -> 18.2 TiB (n^2.0")
    over = lines.index("1 call site(s) would allocate more than the limit:")
    assert lines[over:over + 3] == [
        "1 call site(s) would allocate more than the limit:",
        f"  tests/test_scaling.py:{lineno}: "
        "return (profiles[:, None] * weights[None, :]).max(axis=1)",
        "    grows as n^2.0: 781.2 KiB, 3.1 MiB, 12.2 MiB; projected at n = 5,000,000: "
        "18.2 TiB (over the limit)",
    ]
    assert "within the limit (largest projection first):" in text
    assert "grows as n^1.0: 7.8 KiB, 15.6 KiB, 31.2 KiB; projected at n = 5,000,000: 38.1 MiB" in text


# -- several named sizes ----------------------------------------------------------------


def score(users, items):
    """The incident with its two sizes: users' profiles against the items' weights."""
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def test_the_incident_with_both_sizes_is_projected_to_production():
    report = scaling(score, n={"users": USERS, "items": ITEMS}, at=PRODUCTION, limit="16GiB")
    assert not report.ok
    (over,) = report.over_limit
    assert over.lineno == line(score, "max(axis=1)")
    assert over.exponents == pytest.approx({"users": 1.0, "items": 1.0}, abs=1e-9)
    # NumPy's figures: the (users, items) float64 product of each run
    assert over.nbytes == tuple(np.empty(run).nbytes for run in over.runs)
    assert over.projected == 5_000_000 * 200_000 * 8  # 7.3 TiB
    text = str(report)
    assert (f"  tests/test_scaling.py:{over.lineno}: "
            "return (profiles[:, None] * weights[None, :]).max(axis=1)\n"
            "    grows as users^1.0 x items^1.0: 31.2 KiB to 500.0 KiB in 6 runs; projected "
            "at users = 5,000,000, items = 200,000: 7.3 TiB (over the limit)") in text
    assert text.splitlines()[0] == (
        "numguard scaling: 6 toy runs (users = 200, 400, 800; items = 20, 40, 80) projected "
        "to users = 5,000,000, items = 200,000; limit 16.0 GiB (16GiB)")
    # each line says which size drives it
    assert "grows as users^1.0: 1.6 KiB to 6.2 KiB in 6 runs" in text
    assert "grows as items^1.0: 160 B to 640 B in 6 runs" in text


def test_named_sizes_run_a_star_around_the_smallest_sizes_and_its_corner():
    calls = []
    report = scaling(lambda **sizes: calls.append(sizes),
                     n={"users": USERS, "items": ITEMS}, at=PRODUCTION, limit="1GiB")
    assert calls == [
        {"users": 200, "items": 20},                               # base
        {"users": 400, "items": 20}, {"users": 800, "items": 20},  # users alone
        {"users": 200, "items": 40}, {"users": 200, "items": 80},  # items alone
        {"users": 800, "items": 80},                               # the corner
    ]
    assert list(report.runs) == calls and report.at == PRODUCTION


def test_three_sizes_take_eight_runs_not_a_grid_of_27():
    calls = []
    scaling(lambda **sizes: calls.append(sizes),
            n={"a": [1, 2, 4], "b": [10, 20, 40], "c": [5, 6, 7]},
            at={"a": 100, "b": 1000, "c": 10}, limit="1GiB")
    assert len(calls) == 8 and calls[-1] == {"a": 4, "b": 40, "c": 7}


def test_with_items_fixed_the_toy_test_misses_the_incident():
    """The issue's reproducer: users varied, items fixed at 20. A size the test does not
    vary cannot be projected: 762.9 MiB, and it passes (README: what it can't see)."""
    report = scaling(lambda n: score(n, 20), n=USERS, at=5_000_000, limit="16GiB")
    assert report.ok
    assert report.sites[0].projected == 5_000_000 * 20 * 8  # 762.9 MiB
    assert "762.9 MiB" in str(report)


def test_a_single_named_size_is_passed_by_its_name():
    report = scaling(lambda *, rows: np.zeros(rows), n={"rows": [10, 20, 40]},
                     at={"rows": 100}, limit="1GiB")
    (each,) = report.sites
    assert each.nbytes == (80, 160, 320) and each.projected == 800


# -- one size, as before ------------------------------------------------------------------


def linear(n):
    x = np.linspace(0.0, 1.0, n)
    return (x * 2.0).cumsum()


def test_a_linear_function_passes():
    report = scaling(linear, n=TOY, at=5_000_000, limit="16GiB")
    assert report.ok and report.over_limit == () and not report.peak_over_limit
    for each in report.sites:
        assert each.exponents["n"] == pytest.approx(1.0, abs=0.01)
        assert each.nbytes == tuple(np.empty(n).nbytes for n in TOY)
        assert each.projected == 5_000_000 * 8
    assert "\nevery call site stays within the limit:\n" in str(report)


def svd(n):
    return np.linalg.svd(np.ones((n, 10)))


def test_an_allocation_inside_numpy_linalg_counts_at_the_callers_line():
    sizes = [100, 200, 400]
    report = scaling(svd, n=sizes, at=5_000_000, limit="16GiB")
    (over,) = report.over_limit
    assert over.lineno == line(svd, "np.linalg.svd")
    # u of the full decomposition is (n, n): NumPy's own result says so
    assert over.nbytes == tuple(np.linalg.svd(np.ones((n, 10)))[0].nbytes for n in sizes)
    assert over.projected == pytest.approx(5_000_000**2 * 8, rel=0.01)


def test_the_size_can_be_passed_by_keyword():
    def rows_only(*, rows):
        return np.zeros(rows)

    report = scaling(rows_only, n=[10, 20, 40], at=100, limit="1GiB", arg="rows")
    (each,) = report.sites
    assert each.nbytes == (80, 160, 320) and each.projected == 800
    assert "grows as rows^1.0" in str(report)


def test_the_default_limit_is_the_one_in_force(restored_defaults):
    numguard.configure(limit="1MiB")
    report = scaling(linear, n=TOY, at=1_000_000)
    assert report.limit == 1024 * 1024 and report.limit_text == "1MiB"
    assert not report.ok  # 8 MB of float64 at a million


def test_a_site_seen_at_one_size_has_no_growth():
    def sometimes(n):
        if n > 2_000:
            np.ones(n)

    report = scaling(sometimes, n=TOY, at=10**9, limit="1GiB")
    (each,) = report.sites
    assert each.exponents is None and each.projected is None and report.ok
    assert "seen at n = 4,000 only: 31.2 KiB" in str(report)
    assert report.unprojected == (each,)


def test_nothing_allocated():
    report = scaling(lambda n: None, n=[1, 2, 3], at=10, limit="1GiB")
    assert report.ok and report.sites == () and report.peak is None
    assert str(report).endswith("no NumPy allocation was seen")


def test_the_functions_errors_propagate_and_results_are_untouched():
    seen = []

    def fails(n):
        seen.append(np.arange(n))
        if n == 20:
            raise ZeroDivisionError("the function's own error")

    with pytest.raises(ZeroDivisionError, match="own error"):
        scaling(fails, n=[10, 20, 40], at=100, limit="1GiB")
    np.testing.assert_array_equal(seen[1], np.arange(20))


NAMED = {"users": [200, 400, 800], "items": [20, 40, 80]}


@pytest.mark.parametrize("kwargs, message", [
    ({"n": [1000, 2000], "at": 10}, "invalid n=[1000, 2000]: expected at least 3 different "
                                    "positive whole toy sizes, e.g. [1_000, 2_000, 4_000]"),
    ({"n": [10, 10, 20], "at": 10}, "invalid n=[10, 10, 20]"),
    ({"n": [0, 10, 20], "at": 10}, "invalid n=[0, 10, 20]"),
    ({"n": 10, "at": 10}, "invalid n=10"),
    ({"n": "abc", "at": 10}, "invalid n='abc'"),
    ({"n": [1.5, 3, 4], "at": 10}, "invalid n=[1.5, 3, 4]"),
    ({"n": [1, 2, 3], "at": 2.5}, "invalid at=2.5: expected the production size, a positive whole"),
    ({"n": [1, 2, 3], "at": 0}, "invalid at=0"),
    ({"n": [1, 2, 3], "at": 10, "limit": "lots"}, "invalid limit 'lots'"),
    ({"n": [1, 2, 3], "at": 10, "arg": "not a name"}, "invalid arg='not a name'"),
    ({"n": {"users": [200, 400, 800], "items": [20, 40]}, "at": PRODUCTION},
     "invalid n['items']=[20, 40]: expected at least 3 different positive whole toy sizes "
     "for items, e.g. [200, 400, 800]"),
    ({"n": {"users": [200, 400, 800], "items": 20}, "at": PRODUCTION},
     "invalid n['items']=20: expected at least 3"),
    ({"n": NAMED, "at": {"users": 5_000_000}},
     "invalid at={'users': 5000000}: expected a production size for each of users, items "
     "(missing items); a size the toy runs do not vary cannot be projected"),
    ({"n": NAMED, "at": {**PRODUCTION, "days": 30}}, "(not in n: days)"),
    ({"n": NAMED, "at": 5_000_000}, "invalid at=5000000: with named sizes, expected the "
                                    "production value of each of them"),
    ({"n": NAMED, "at": {**PRODUCTION, "items": -1}}, "invalid at['items']=-1"),
    ({"n": NAMED, "at": PRODUCTION, "arg": "n"}, "invalid arg='n' with named sizes"),
    ({"n": {}, "at": {}}, "invalid n={}: name at least one size"),
    ({"n": {"two words": [1, 2, 3]}, "at": {"two words": 5}}, "invalid size name 'two words'"),
])
def test_bad_arguments_are_named_before_anything_runs(kwargs, message):
    calls = []
    with pytest.raises(ValueError) as raised:
        scaling(lambda *args, **kw: calls.append((args, kw)), **kwargs)
    assert message in str(raised.value)
    assert calls == []


def test_only_the_calling_threads_allocations_are_recorded():
    import threading

    started, stop = threading.Event(), threading.Event()

    def busy():
        started.set()
        while not stop.is_set():
            np.ones(50_000)

    worker = threading.Thread(target=busy)
    worker.start()
    started.wait()
    try:
        report = scaling(linear, n=TOY, at=10, limit="1GiB")
    finally:
        stop.set()
        worker.join()
    assert {s.lineno for s in report.sites} <= {line(linear, "linspace"), line(linear, "cumsum")}


def test_an_armed_backstop_still_lets_scaling_observe(restored_defaults):
    backstop.enable()
    try:
        report = scaling(linear, n=TOY, at=10, limit="1GiB")
    finally:
        backstop.disable()
    assert report.sites and report.ok and report.peak is not None


def test_the_example_tells_the_incident_from_its_fix():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, str(root / "examples" / "toy_data_scaling.py")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "best_cluster_score: FAILS" in done.stdout
    assert "best_cluster_score_fixed: passes" in done.stdout
    assert ("grows as users^1.0 x items^1.0: 31.2 KiB to 500.0 KiB in 6 runs; projected at "
            "users = 5,000,000, items = 200,000: 7.3 TiB (over the limit)") in done.stdout
