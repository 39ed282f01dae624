"""numguard.scaling on real library code: scipy's cdist with two sizes, and the issue's
scikit-learn test whose peak is many times its largest line. Skipped without scipy
(and scikit-learn). Toy runs only: the largest array made here is about 33 MB."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from numguard.growth import scaling
from numguard.growth.observe import RunRecord, recording

pytest_plugins = ["pytester"]


def test_cdist_projects_the_distance_matrix_of_both_sizes():
    distance = pytest.importorskip("scipy.spatial.distance")
    rng = np.random.default_rng(0)

    def distances(n_a, n_b):
        return distance.cdist(rng.random((n_a, 3)), rng.random((n_b, 3)))

    at = {"n_a": 100_000, "n_b": 50_000}
    report = scaling(distances, n={"n_a": [100, 200, 400], "n_b": [50, 100, 200]}, at=at,
                     limit="16GiB")
    matrix = report.sites[0]  # the largest projection: cdist's (n_a, n_b) result
    assert matrix.nbytes == tuple(distances(*run).nbytes for run in matrix.runs)
    expected = at["n_a"] * at["n_b"] * np.dtype(np.float64).itemsize  # 37.3 GiB
    assert matrix.projected == pytest.approx(expected, rel=0.05)
    assert matrix.exponents == pytest.approx({"n_a": 1.0, "n_b": 1.0}, abs=0.05)
    assert not report.ok and matrix in report.over_limit
    assert "grows as n_a^1.0 x n_b^1.0" in str(report)


SKLEARN_TEST = """
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics.pairwise import euclidean_distances


@pytest.mark.numguard_scaling(n=[100, 200, 400], at=10_000, limit="2GiB")
def test_euclidean_distances_sym(n):
    # scikit-learn's test (dense, float64) with (n, 10) data instead of (100, 10)
    rng = np.random.RandomState(0)
    X = rng.random_sample((n, 10)).astype(np.float64, copy=False)
    X[X < 0.8] = 0

    expected = squareform(pdist(X))

    X = np.array(X)
    distances = euclidean_distances(X)

    assert_allclose(distances, expected, rtol=1e-6)
    assert distances.dtype == np.float64
"""


def sklearn_available() -> None:
    pytest.importorskip("scipy.spatial.distance")
    pytest.importorskip("sklearn.metrics.pairwise")


def test_the_sklearn_test_fails_on_its_peak_not_its_lines(pytester):
    """Issue #23.3: every line's largest allocation projects to 762.9 MiB at n = 10,000,
    under limit="2GiB", which passed; the arrays alive at once take several times that."""
    sklearn_available()
    pytester.makepyfile(test_pairwise=SKLEARN_TEST)
    plugin = () if any(e.value == "numguard.pytest_plugin" for e in
                       importlib.metadata.entry_points(group="pytest11")) else (
        "-p", "numguard.pytest_plugin")
    result = pytester.runpytest(*plugin, "-p", "no:cacheprovider", "-p", "no:benchmark",
                                "-p", "no:hypothesispytest")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*test_euclidean_distances_sym[[]scaling[]]: its NumPy arrays alive at once would "
        "exceed the limit at production size",
        "peak of live NumPy memory: *; projected at n = 10,000: * GiB (over the limit)",
        "every call site stays within the limit:",
    ])
    assert "762.9 MiB" in result.stdout.str()


def test_the_sklearn_peak_projection_matches_a_measured_run():
    """The projection from n = 100, 200, 400 against the peak measured at n = 800."""
    sklearn_available()
    from numpy.testing import assert_allclose
    from scipy.spatial.distance import pdist, squareform
    from sklearn.metrics.pairwise import euclidean_distances

    def body(n):
        rng = np.random.RandomState(0)
        X = rng.random_sample((n, 10))
        X[X < 0.8] = 0
        expected = squareform(pdist(X))
        distances = euclidean_distances(X)
        assert_allclose(distances, expected, rtol=1e-6)

    report = scaling(body, n=[100, 200, 400], at=800, limit="1GiB")
    with recording(RunRecord()) as measured:
        body(800)
    assert report.peak.projected == pytest.approx(measured.peak, rel=0.01)
    largest_line = max(s.projected for s in report.sites if s.projected is not None)
    assert largest_line == 800 * 800 * 8
    assert report.peak.projected > 4 * largest_line
