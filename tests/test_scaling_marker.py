"""@pytest.mark.numguard_scaling, run by pytest itself (pytester): one size or several named
sizes, passing under the limit, failing over it (a line, or the peak), usage errors, the
summary, and the README's incident test as written there. Every toy run allocates a few
MiB at most."""

from __future__ import annotations

import importlib.metadata
import re
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

_INSTALLED = any(e.value == "numguard.pytest_plugin"
                 for e in importlib.metadata.entry_points(group="pytest11"))
PLUGIN = () if _INSTALLED else ("-p", "numguard.pytest_plugin")
RUN = (*PLUGIN, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "integrations" / "pytest.md"


def line_of(source: str, text: str, after: str = "") -> int:
    """The line number of `text` in `source` as pytester writes it (dedented, stripped),
    the first after the line holding `after`."""
    lines = textwrap.dedent(source).strip().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines, 1) if i > start and text in line)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*RUN, *args)


SCALING = """
import numpy as np
import pytest


@pytest.mark.numguard_scaling(n=[1_000, 2_000, 4_000], at=5_000_000, limit="16GiB")
def test_incident(n):
    profiles = np.linspace(0.0, 1.0, n)
    weights = np.linspace(1.0, 2.0, n // 10)  # clusters grow with the data
    scores = (profiles[:, None] * weights[None, :]).max(axis=1)
    assert scores.shape == (n,)


@pytest.mark.numguard_scaling(n=[1_000, 2_000, 4_000], at=5_000_000, limit="16GiB")
def test_linear(n):
    x = np.linspace(0.0, 1.0, n)
    assert (x * 2.0).cumsum().shape == (n,)


@pytest.mark.numguard_scaling(n=[100, 200, 400], at=5_000_000, limit="16GiB")
def test_svd_inside_numpy(n):
    u, s, vt = np.linalg.svd(np.ones((n, 10)))  # full_matrices: u is (n, n)


@pytest.mark.numguard_scaling(n=[100, 200, 400], at=1_000_000, arg="rows")
def test_named_size(rows):
    assert np.ones(rows).sum() == rows


@pytest.mark.numguard_scaling(n={"users": [200, 400, 800], "items": [20, 40, 80]},
                              at={"users": 5_000_000, "items": 200_000}, limit="16GiB")
def test_score(users, items):
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    scores = (profiles[:, None] * weights[None, :]).max(axis=1)
    assert scores.shape == (users,)


@pytest.mark.numguard_scaling(n={"users": [200, 400, 800], "items": [20, 40, 80]},
                              at={"users": 5_000_000, "items": 200_000}, limit="16GiB")
def test_score_fixed(users, items):
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    scores = profiles * weights.max()
    assert scores.shape == (users,)
"""


@pytest.fixture
def scaling_result(pytester):
    pytester.makepyfile(test_scaled=SCALING)
    return run(pytester, "--strict-markers", "-v")


def test_scaling_fails_the_quadratic_incident_naming_its_line(scaling_result):
    scaling_result.assert_outcomes(failed=3, passed=3)
    scaling_result.stdout.fnmatch_lines([
        "test_scaled.py::test_incident[[]scaling[]]: a line would allocate more than the "
        "limit at production size",
        "numguard scaling: 3 toy runs (n = 1,000, 2,000, 4,000) projected to n = 5,000,000; "
        "limit 16.0 GiB (16GiB)",
        "peak of live NumPy memory: *; projected at n = 5,000,000: 18.2 TiB (over the limit)",
        f"  reached at test_scaled.py:{line_of(SCALING, 'scores =')}: scores = *",
        "1 call site(s) would allocate more than the limit:",
        f"  test_scaled.py:{line_of(SCALING, 'scores =')}: scores = (profiles[:, None] * weights[None, :]).max(axis=1)",
        "    grows as n^2.0: 781.2 KiB, 3.1 MiB, 12.2 MiB; projected at n = 5,000,000: "
        "18.2 TiB (over the limit)",
    ])


def test_named_sizes_fail_the_incident_with_its_production_size(scaling_result):
    lineno = line_of(SCALING, "scores =", after="def test_score(")
    scaling_result.stdout.fnmatch_lines([
        "test_scaled.py::test_score[[]scaling[]]: a line would allocate more than the limit "
        "at production size",
        "numguard scaling: 6 toy runs (users = 200, 400, 800; items = 20, 40, 80) "
        "projected to users = 5,000,000, items = 200,000; limit 16.0 GiB (16GiB)",
        "peak of live NumPy memory: 34.5 KiB to 513.1 KiB in 6 runs; projected at "
        "users = 5,000,000, items = 200,000: 7.3 TiB (over the limit)",
        f"  reached at test_scaled.py:{lineno}: scores = *",
        "1 call site(s) would allocate more than the limit:",
        f"  test_scaled.py:{lineno}: scores = (profiles[:, None] * weights[None, :]).max(axis=1)",
        "    grows as users^1.0 x items^1.0: 31.2 KiB to 500.0 KiB in 6 runs; projected at "
        "users = 5,000,000, items = 200,000: 7.3 TiB (over the limit)",
    ])


def test_scaling_passes_under_the_limit(scaling_result):
    scaling_result.stdout.fnmatch_lines(["*test_linear[[]scaling[]] PASSED*"])
    scaling_result.stdout.fnmatch_lines(["*test_named_size[[]scaling[]] PASSED*"])
    scaling_result.stdout.fnmatch_lines(["*test_score_fixed[[]scaling[]] PASSED*"])


def test_scaling_sees_an_allocation_inside_numpy_linalg(scaling_result):
    scaling_result.stdout.fnmatch_lines([
        f"  test_scaled.py:{line_of(SCALING, 'svd(')}: u, s, vt = np.linalg.svd(np.ones((n, 10)))*",
        "    grows as n^2.0: 78.1 KiB, 312.5 KiB, 1.2 MiB; projected at n = 5,000,000: "
        "181.9 TiB (over the limit)",
    ])


def test_scaling_in_the_summary(scaling_result):
    scores = line_of(SCALING, "scores =")
    scaling_result.stdout.fnmatch_lines([
        "*= numguard =*",
        f"scaling FAILED: test_scaled.py::test_incident[[]scaling[]]: peak 18.2 TiB at "
        f"n = 5,000,000 (reached at test_scaled.py:{scores}); largest at "
        f"test_scaled.py:{scores}, grows as n^2.0: *; 18.2 TiB (limit 16.0 GiB)",
    ])
    scaling_result.stdout.fnmatch_lines([
        "scaling passed: test_scaled.py::test_score_fixed[[]scaling[]]: peak * at "
        "users = 5,000,000, items = 200,000 (reached at test_scaled.py:*); largest at *, "
        "grows as users^1.0: *"])


PEAK = """
import numpy as np
import pytest


@pytest.mark.numguard_scaling(n=[100, 200, 400], at=1_000_000, limit="64MiB")
def test_many_arrays_alive(n):
    columns = [np.ones(n) for _ in range(10)]  # 8 MB each at a million: 80 MB at once
    assert sum(c.sum() for c in columns) == 10 * n
"""


def test_the_peak_fails_a_test_whose_every_line_fits(pytester):
    pytester.makepyfile(test_it=PEAK)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "test_it.py::test_many_arrays_alive[[]scaling[]]: its NumPy arrays alive at once "
        "would exceed the limit at production size",
        "*; limit 64.0 MiB (64MiB)",
        "peak of live NumPy memory: 7.8 KiB, 15.6 KiB, 31.* KiB; projected at "
        "n = 1,000,000: 7*.* MiB (over the limit)",
        f"  reached at test_it.py:{line_of(PEAK, 'columns =')}: columns = *",
        "every call site stays within the limit:",
        "*grows as n^1.0: 800 B, 1.6 KiB, 3.1 KiB; projected at n = 1,000,000: 7.6 MiB",
    ])


def test_usage_errors_fail_their_test_clearly_and_the_run_continues(pytester):
    pytester.makepyfile(test_it="""
        import pytest

        @pytest.mark.numguard_scaling(n=[1000, 2000], at=10)
        def test_two_sizes(n):
            pass

        @pytest.mark.numguard_scaling(n={"users": [200, 400, 800], "items": [20, 40]},
                                      at={"users": 5_000_000, "items": 200_000})
        def test_two_items(users, items):
            pass

        @pytest.mark.numguard_scaling(n={"users": [200, 400, 800], "items": [20, 40, 80]},
                                      at={"users": 5_000_000})
        def test_items_not_projected(users, items):
            pass

        @pytest.mark.numguard_scaling(n=[1, 2, 3], at=10, limt="1GiB")
        def test_typo(n):
            pass

        def test_unmarked():
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines([
        "*numguard_scaling(...) on test_it.py::test_two_sizes[[]scaling[]]: invalid "
        "n=[[]1000, 2000[]]: expected at least 3 different positive whole toy sizes*",
    ])
    result.stdout.fnmatch_lines([
        "*numguard_scaling(...) on test_it.py::test_two_items[[]scaling[]]: invalid "
        "n[[]'items'[]]=[[]20, 40[]]: expected at least 3 different positive whole toy "
        "sizes for items*",
    ])
    result.stdout.fnmatch_lines([
        "*numguard_scaling(...) on test_it.py::test_items_not_projected[[]scaling[]]: "
        "invalid at=*: expected a production size for each of users, items (missing items)*",
    ])
    result.stdout.fnmatch_lines([
        "*numguard_scaling(...) on test_it.py::test_typo[[]scaling[]]: takes keyword "
        "arguments n, at, limit, arg only, not [[]'limt'[]]*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_a_scaling_tests_own_error_fails_it_as_usual(pytester):
    pytester.makepyfile(test_it="""
        import pytest

        @pytest.mark.numguard_scaling(n=[1, 2, 3], at=10)
        def test_fails_itself(n):
            raise ValueError("the test's own error")
    """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E       ValueError: the test's own error"])


@pytest.mark.parametrize("marker, signature, message", [
    ("n=[1, 2, 3], at=10", "test_no_size()",
     "the test must take the size as its argument 'n' (or name it with arg=...)"),
    ("n={'users': [1, 2, 3], 'items': [1, 2, 3]}, at={'users': 10, 'items': 10}",
     "test_users_only(users)",
     "the test must take each size named in n as an argument (missing: items)"),
])
def test_the_test_must_take_its_sizes(pytester, marker, signature, message):
    pytester.makepyfile(test_it=f"""
        import pytest

        @pytest.mark.numguard_scaling({marker})
        def {signature}:
            pass
    """)
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*{message}*"])


def test_fixtures_are_passed_to_every_toy_run(pytester):
    pytester.makepyfile(test_it="""
        import numpy as np
        import pytest

        @pytest.fixture
        def scale():
            return 3.0

        @pytest.mark.numguard_scaling(n={"rows": [10, 20, 40], "cols": [2, 3, 4]},
                                      at={"rows": 100, "cols": 10}, limit="1GiB")
        def test_uses_a_fixture(scale, rows, cols):
            assert (np.ones((rows, cols)) * scale).sum() == 3.0 * rows * cols
    """)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_uses_a_fixture[[]scaling[]] PASSED*"])


def readme_incident_test() -> tuple[str, list[str]]:
    """The incident test of the pytest guide's "Production size from toy data" (the
    README's until the docs site) and the scaling report shown under it, as printed there."""
    text = GUIDE.read_text()
    section = text[text.index("## Production size from toy data"):]
    found = re.search(r"```python\n(.*?)```\n\n```console\n\$ [^\n]*\n(.*?)```", section, re.S)
    shown = found.group(2).splitlines()
    start = next(i for i, line in enumerate(shown) if line.startswith("numguard scaling:"))
    end = next(i for i, line in enumerate(shown) if line.startswith("within the limit"))
    return found.group(1), [*shown[start:end + 1], "  ..."]


def test_the_readme_incident_test_fails_with_the_production_projection(pytester):
    """Issue #23's "done when": the README's incident test, written with two sizes,
    fails with the production projection while running only toy sizes."""
    source, shown = readme_incident_test()
    assert "users" in source and "items" in source
    pytester.makepyfile(test_scores=source)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    lineno = line_of(source, "scores = (profiles[:, None] * weights[None, :]).max(axis=1)")
    result.stdout.fnmatch_lines([
        "*: a line would allocate more than the limit at production size",
        "1 call site(s) would allocate more than the limit:",
        f"  test_scores.py:{lineno}: scores = (profiles[:, None] * weights[None, :]).max(axis=1)",
        "    grows as users^1.0 x items^1.0: * projected at users = 5,000,000, "
        "items = 200,000: 7.3 TiB (over the limit)",
    ])
    # the README shows the report this run prints, line for line ("..." elides the rest)
    printed = result.stdout.lines
    assert [line for line in shown if line.strip() != "..."] == [
        line for line in printed[printed.index(shown[0]):][:len(shown) - 1]]
