"""numguard.growth.scaling: what each line allocates at toy sizes, its growth, the projection.

NumPy is the oracle: the bytes recorded per line are the `.nbytes` of the arrays NumPy
really made there. Toy sizes keep every run under a few MiB.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from numguard import backstop
from numguard.growth import ScalingReport, scaling


TOY = [1_000, 2_000, 4_000]


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
    assert over.sizes == tuple(TOY)
    assert over.exponent == pytest.approx(2.0, abs=0.01)
    assert over.projected == pytest.approx(5_000_000 * 500_000 * 8, rel=0.01)
    assert report.sites[0] is over  # largest projection first


def test_the_report_reads_well():
    text = str(scaling(incident, n=TOY, at=5_000_000, limit="16GiB"))
    lineno = line(incident, "max(axis=1)")
    assert text.splitlines()[:4] == [
        "numguard scaling: n = 1,000, 2,000, 4,000 projected to n = 5,000,000; "
        "limit 16.0 GiB (16GiB)",
        "1 call site(s) would allocate more than the limit:",
        f"  tests/test_scaling.py:{lineno}: "
        "return (profiles[:, None] * weights[None, :]).max(axis=1)",
        "    grows as n^2.0: 781.2 KiB, 3.1 MiB, 12.2 MiB; projected at n = 5,000,000: "
        "18.2 TiB (over the limit)",
    ]
    assert "within the limit (largest projection first):" in text
    assert "grows as n^1.0: 7.8 KiB, 15.6 KiB, 31.2 KiB; projected at n = 5,000,000: 38.1 MiB" in text


def linear(n):
    x = np.linspace(0.0, 1.0, n)
    return (x * 2.0).cumsum()


def test_a_linear_function_passes():
    report = scaling(linear, n=TOY, at=5_000_000, limit="16GiB")
    assert report.ok and report.over_limit == ()
    for each in report.sites:
        assert each.exponent == pytest.approx(1.0, abs=0.01)
        assert each.nbytes == tuple(np.empty(n).nbytes for n in TOY)
        assert each.projected == 5_000_000 * 8
    assert str(report).splitlines()[1] == "every call site stays within the limit:"


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

    report = scaling(rows_only, n=[10, 20], at=100, limit="1GiB", arg="rows")
    (each,) = report.sites
    assert each.nbytes == (80, 160) and each.projected == 800


def test_the_default_limit_is_the_one_in_force(restored_defaults):
    import numguard

    numguard.configure(limit="1MiB")
    report = scaling(linear, n=TOY, at=1_000_000)
    assert report.limit == 1024 * 1024 and report.limit_text == "1MiB"
    assert not report.ok  # 8 MB of float64 at a million


def test_a_site_seen_at_one_size_has_no_growth():
    def sometimes(n):
        if n > 1_000:
            np.ones(n)

    report = scaling(sometimes, n=[1_000, 2_000], at=10**9, limit="1GiB")
    (each,) = report.sites
    assert each.exponent is None and each.projected is None and report.ok
    assert "seen at n = 2,000 only: 15.6 KiB" in str(report)


def test_nothing_allocated():
    report = scaling(lambda n: None, n=[1, 2], at=10, limit="1GiB")
    assert report.ok and report.sites == ()
    assert str(report).endswith("no NumPy allocation was seen")


def test_the_functions_errors_propagate_and_results_are_untouched():
    seen = []

    def fails(n):
        seen.append(np.arange(n))
        if n == 20:
            raise ZeroDivisionError("the function's own error")

    with pytest.raises(ZeroDivisionError, match="own error"):
        scaling(fails, n=[10, 20], at=100, limit="1GiB")
    np.testing.assert_array_equal(seen[1], np.arange(20))


@pytest.mark.parametrize("kwargs, message", [
    ({"n": [1000], "at": 10}, "invalid n=[1000]: expected at least two different positive whole"),
    ({"n": [10, 10], "at": 10}, "invalid n=[10, 10]"),
    ({"n": [0, 10], "at": 10}, "invalid n=[0, 10]"),
    ({"n": 10, "at": 10}, "invalid n=10"),
    ({"n": [1.5, 3], "at": 10}, "invalid n=[1.5, 3]"),
    ({"n": [1, 2], "at": 2.5}, "invalid at=2.5: expected the production size, a positive whole"),
    ({"n": [1, 2], "at": 0}, "invalid at=0"),
    ({"n": [1, 2], "at": 10, "limit": "lots"}, "invalid limit 'lots'"),
])
def test_bad_arguments_are_named_before_anything_runs(kwargs, message):
    calls = []
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scaling(calls.append, **kwargs)
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
    assert report.sites and report.ok


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
    assert "grows as n^2.0: 781.2 KiB, 3.1 MiB, 12.2 MiB" in done.stdout
