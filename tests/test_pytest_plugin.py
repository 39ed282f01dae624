"""numguard's pytest plugin, run by pytest itself (pytester): options, ini, markers, xdist,
the refusal message and the summary (the scaling marker: test_scaling_marker.py). Every
toy run allocates a few MiB at most."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import textwrap

import numpy as np
import pytest

import numguard

pytest_plugins = ["pytester"]

# Loaded by its entry point once numguard is installed with it; by name until then
# (asking for it both ways would register it twice).
_INSTALLED = any(e.value == "numguard.pytest_plugin"
                 for e in importlib.metadata.entry_points(group="pytest11"))
PLUGIN = () if _INSTALLED else ("-p", "numguard.pytest_plugin")
# Plugins the inner runs do not need: hypothesis's alone costs seconds per run.
RUN = (*PLUGIN, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")

OUTER_PRODUCT = """
import numpy as np
import numguard


def test_outer_product():
    a = numguard.wrap(np.ones(1000))
    b = a[:, None] * a[None, :]  # 7.6 MiB


def test_small():
    a = numguard.wrap(np.ones(1000))
    assert float((a * 2).sum()) == 2000.0
"""


def line_of(source: str, text: str) -> int:
    """The line number of `text` in `source` as pytester writes it (dedented, stripped)."""
    lines = textwrap.dedent(source).strip().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


LINE = line_of(OUTER_PRODUCT, "b = a[:, None]")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*RUN, *args)


def plain_arrays_guarded() -> bool:
    """Whether a guard block judges plain NumPy arrays here (the scoped backstop, #12)."""
    try:
        with numguard.guard(limit="1MiB"):
            np.empty(1_000_000)  # 8 MB asked for, never touched
    except MemoryError:
        return True
    return False


# -- --numguard and its ini twin -------------------------------------------------------


def test_numguard_option_guards_every_test_and_the_run_continues(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    result = run(pytester, "--numguard", "--numguard-limit=1MiB")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([
        f"*numguard refused an operation in test_it.py::test_outer_product at test_it.py:{LINE};"
        " nothing was allocated.",
        "BroadcastMemoryError: numguard: `*` (np.multiply) would allocate 7.6 MiB*",
        "*limit=1MiB from pytest --numguard-limit*",
        f"*at *test_it.py:{LINE}: b = a*None* * a*None*",
    ])


def test_without_the_option_nothing_is_guarded(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    result = run(pytester)
    result.assert_outcomes(passed=2)
    shown = [line for line in result.stdout.lines if not line.startswith("plugins:")]
    assert not any("numguard" in line for line in shown)  # (the header lists it, installed)


def test_the_ini_twins(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    pytester.makeini("[pytest]\nnumguard = true\nnumguard_limit = 1MiB\n")
    result = run(pytester)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*limit=1MiB from pytest ini numguard_limit*"])


def test_the_command_line_wins_over_the_ini(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    pytester.makeini("[pytest]\nnumguard = true\nnumguard_limit = 1MiB\n")
    run(pytester, "--numguard-limit=64MiB").assert_outcomes(passed=2)


def test_mode_and_inflation_options(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    # inflation 2: the (1000, 1000) result is 1000x its largest operand
    result = run(pytester, "--numguard", "--numguard-inflation=2")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["InflationError: *"])
    warned = run(pytester, "--numguard", "--numguard-limit=1MiB", "--numguard-mode=warn")
    warned.assert_outcomes(passed=2)
    warned.stdout.fnmatch_lines(["*MemoryLimitWarning*"])


@pytest.mark.parametrize("option, expected", [
    ("--numguard-limit=lots", "pytest --numguard-limit='lots' is not valid*: expected a whole byte count*"),
    ("--numguard-mode=loud", "pytest --numguard-mode='loud' is not valid: expected raise | warn | log | off"),
    ("--numguard-inflation=big", "pytest --numguard-inflation='big' is not valid (not a number): *at least 1*'none'*"),
    ("--numguard-rank-promotion=yes", "pytest --numguard-rank-promotion='yes' is not valid: expected allow | warn | raise"),
])
def test_a_bad_option_is_a_usage_error_naming_it(pytester, option, expected):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    result = run(pytester, "--numguard", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])


def test_fixtures_run_inside_the_block(pytester):
    pytester.makepyfile(test_it="""
        import numpy as np
        import pytest
        import numguard

        @pytest.fixture
        def grid():
            a = numguard.wrap(np.ones(1000))
            return a[:, None] * a[None, :]

        def test_uses_grid(grid):
            pass
    """)
    result = run(pytester, "--numguard", "--numguard-limit=1MiB")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*numguard refused an operation in test_it.py::test_uses_grid*"])


@pytest.mark.skipif(not plain_arrays_guarded(),
                    reason="guard() does not judge plain arrays on this branch yet (#12)")
def test_plain_arrays_are_refused_under_numguard(pytester):
    pytester.makepyfile(test_it="""
        import numpy as np

        def test_plain():
            np.ones((1000, 1000))
    """)
    result = run(pytester, "--numguard", "--numguard-limit=1MiB")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*numguard refused an operation in test_it.py::test_plain at "
                                 "test_it.py:4*"])


def test_a_guarded_test_sees_numpy_as_a_guard_block_does(pytester):
    with numguard.guard():
        expected = np._core.multiarray.get_handler_name()  # the plugin adds nothing to it
    pytester.makepyfile(test_it=f"""
        import numpy as np

        def test_handler():
            assert np._core.multiarray.get_handler_name() == {expected!r}
            assert np.arange(10).sum() == 45
    """)
    run(pytester, "--numguard").assert_outcomes(passed=1)


# -- the marker --------------------------------------------------------------------------

MARKED = """
import numpy as np
import pytest
import numguard


@pytest.mark.numguard(limit="1MiB")
def test_marked():
    a = numguard.wrap(np.ones(1000))
    b = a[:, None] * a[None, :]


def test_unmarked():
    a = numguard.wrap(np.ones(1000))
    b = a[:, None] * a[None, :]


@pytest.mark.numguard(limit="64MiB")
def test_marked_generously():
    a = numguard.wrap(np.ones(1000))
    b = a[:, None] * a[None, :]
"""


def test_the_marker_without_numguard_guards_its_test_only(pytester):
    pytester.makepyfile(test_it=MARKED)
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines([
        f"*numguard refused an operation in test_it.py::test_marked at test_it.py:"
        f"{line_of(MARKED, 'b = a[:, None]')}*",
        "*limit=1MiB from @pytest.mark.numguard on test_it.py::test_marked*",
    ])


def test_the_marker_wins_over_numguard_options(pytester):
    pytester.makepyfile(test_it=MARKED)
    result = run(pytester, "--numguard", "--numguard-limit=1MiB")
    result.assert_outcomes(failed=2, passed=1)  # the generous marker lets its test pass
    assert "test_marked_generously" not in result.stdout.str().split("short test summary")[-1]


def test_strict_markers_accepts_both_markers(pytester):
    pytester.makepyfile(test_it="""
        import pytest

        @pytest.mark.numguard(mode="warn")
        def test_a():
            pass

        @pytest.mark.numguard_scaling(n=[10, 20], at=1000)
        def test_b(n):
            pass
    """)
    collected = run(pytester, "--strict-markers", "--collect-only", "-q")
    assert collected.ret == pytest.ExitCode.OK
    collected.stdout.fnmatch_lines(["test_it.py::test_a", "test_it.py::test_b[[]scaling[]]"])
    markers = run(pytester, "--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.numguard(limit=*", "@pytest.mark.numguard_scaling(n=*"])


def test_a_bad_marker_fails_its_test_clearly_and_the_run_continues(pytester):
    pytester.makepyfile(test_it="""
        import pytest

        @pytest.mark.numguard(limt="1MiB")
        def test_typo():
            pass

        @pytest.mark.numguard(limit="lots")
        def test_bad_value():
            pass

        def test_fine():
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*@pytest.mark.numguard(...) on test_it.py::test_typo: unknown setting 'limt': "
        "expected mode, limit, inflation, rank_promotion*",
        "*@pytest.mark.numguard(...) on test_it.py::test_bad_value: invalid limit 'lots'*",
    ])


# -- pytest-xdist ------------------------------------------------------------------------

XDIST_RUN = """
import os
import numpy as np
import pytest
import numguard


def test_probe():
    settings = numguard.get_settings()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join({out!r}, worker), "w") as f:
        f.write(settings.limit.text + "|" + settings.origin("limit"))


@pytest.mark.numguard(limit="1MiB")
def test_outer_product():
    a = numguard.wrap(np.ones(1000))
    b = a[:, None] * a[None, :]


@pytest.mark.numguard(limit="1MiB")
def test_outer_product_again():
    a = numguard.wrap(np.ones(2000))
    b = a[:, None] * a[None, :]
"""


def run_xdist(pytester, out, *extra):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_it=XDIST_RUN.format(out=str(out)))
    env_limit = os.environ.pop("NUMGUARD_LIMIT", None)  # the default limit, whatever the caller's
    try:
        return pytester.runpytest_subprocess(*RUN, "--numguard", "-n", "2", *extra, timeout=120)
    finally:
        if env_limit is not None:
            os.environ["NUMGUARD_LIMIT"] = env_limit


def test_xdist_shares_the_default_limit_and_the_summary_gathers_every_worker(pytester, tmp_path):
    result = run_xdist(pytester, tmp_path)
    result.assert_outcomes(failed=2, passed=1)
    (written,) = [p.read_text() for p in tmp_path.iterdir()]
    assert written == "40%|pytest-xdist: 80% shared among 2 workers"
    result.stdout.fnmatch_lines(["*= numguard =*", "3 guarded test(s), 2 refusal(s)"])
    result.stdout.fnmatch_lines([
        "refused: test_it.py::test_outer_product_again: BroadcastMemoryError at test_it.py:"
        f"{line_of(XDIST_RUN, 'np.ones(2000)') + 1} (30.5 MiB projected, limit 1.0 MiB)"])


def test_xdist_keeps_an_explicit_limit_whole(pytester, tmp_path):
    run_xdist(pytester, tmp_path, "--numguard-limit=1GiB").assert_outcomes(failed=2, passed=1)
    (written,) = [p.read_text() for p in tmp_path.iterdir()]
    assert written == "1GiB|pytest --numguard-limit"


# -- the summary -----------------------------------------------------------------------


def test_summary_lists_refusals_with_their_projection(pytester):
    pytester.makepyfile(test_it=OUTER_PRODUCT)
    result = run(pytester, "--numguard", "--numguard-limit=1MiB")
    result.stdout.fnmatch_lines([
        "*= numguard =*",
        "2 guarded test(s), 1 refusal(s)",
        f"refused: test_it.py::test_outer_product: BroadcastMemoryError at test_it.py:{LINE} "
        "(7.6 MiB projected, limit 1.0 MiB)",
    ])


def test_summary_lists_the_largest_allocations_observed(pytester):
    pytester.makepyfile(test_it="""
        import numpy as np

        def test_allocates():
            small = np.ones(100)
            a = np.ones(300_000)
            b = np.zeros((500, 500))
    """)
    result = run(pytester, "--numguard")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "largest allocations observed (over 1.0 MiB, 1 of 1 tests; -v lists all):",
        "  test_it.py::test_allocates: 2.3 MiB at test_it.py:5, 1.9 MiB at test_it.py:6",
    ])


def test_the_plugin_module_is_importable_by_the_entry_point_name():
    assert importlib.util.find_spec("numguard.pytest_plugin") is not None
