"""#20: plain arrays get all of numguard, on every path users meet.

A block is a block (item 1), the pytest plugin's help and reports (items 2, 5, 6), bad
NUMGUARD_* values that never break pytest (item 7), inflation and rank promotion on
plain arrays (item 4). The big allocations asked for here are never touched: numguard
refuses them before NumPy gets any memory, or, if numguard failed, overcommit grants
them untouched.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import numguard
from numguard import backstop, guard
from numguard.memory import budget
from numguard.report import is_library_frame

from test_pytest_plugin import RUN

pytest_plugins = ["pytester"]


def too_big() -> int:
    """Bytes over the default limit (80% of what is available) and under the machine's
    memory: 90% of what is available."""
    return int(budget().available * 0.9)


def refused(make) -> bool:
    try:
        make()
        return False
    except MemoryError:
        return True


@pytest.fixture
def restore():
    before = numguard.configure()
    yield
    numguard.configure(before)


def test_a_bare_guard_judges_every_allocation_by_the_settings_in_force():
    # With 23 GiB available, a 20.8 GB np.empty ran inside a bare `with guard():`.
    with guard():
        assert refused(lambda: np.empty(too_big(), dtype=np.uint8))
    assert backstop.status()["live_blocks"] == 0


def test_a_bare_guard_after_configure_uses_the_configured_limit(restore):
    # After configure(limit="1GiB"), a bare guard() let 2 GiB through.
    numguard.configure(limit="1GiB")
    with guard():
        assert refused(lambda: np.empty(2 * 1024**3, dtype=np.uint8))


def test_a_block_with_the_same_settings_as_the_process_is_still_a_block():
    # guard(mode="raise") refused what a bare guard() allowed: membership depended on the
    # identity of a Settings object.
    with guard(mode="raise"):
        assert refused(lambda: np.empty(too_big(), dtype=np.uint8))
    with guard():
        assert refused(lambda: np.empty(too_big(), dtype=np.uint8))


BIG_EMPTY = """
import numpy as np
import pytest
from numguard.memory import budget


{marker}
def test_big_empty():
    size = int(budget().available * 0.9)
    np.empty(size, dtype=np.uint8)  # never touched
"""


@pytest.mark.parametrize("how", ["--numguard", "marker"])
def test_the_plugin_with_its_defaults_refuses_what_the_default_limit_refuses(pytester, how):
    # pytest --numguard with default settings and a bare @pytest.mark.numguard both let
    # a 20.8 GB np.empty run, then listed it as "observed".
    marker = "@pytest.mark.numguard" if how == "marker" else ""
    pytester.makepyfile(test_big=BIG_EMPTY.format(marker=marker))
    args = ("--numguard",) if how == "--numguard" else ()
    result = pytester.runpytest(*RUN, *args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*MemoryLimitError: numguard: np.empty would allocate*",
                                 "*expression: np.empty(size, dtype=np.uint8)",
                                 "*1 guarded test(s), 1 refusal(s)*"])
    result.stdout.no_fnmatch_line("*largest allocations observed*")


def test_pytest_help_works_and_shows_every_option(pytester):
    # `pytest --help` crashed wherever numguard was installed: the '25%' in a help string
    # went through argparse's %-formatting.
    result = pytester.runpytest(*RUN, "--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--numguard-limit=VALUE*", "*'25%'*",
                                 "*--numguard-inflation=VALUE*",
                                 "*--numguard-rank-promotion=VALUE*"])


HANDLED = """
import numpy as np
import pytest


def test_malloc_fails():
    with pytest.raises(MemoryError):
        np.empty(2**62, dtype=np.uint8)
"""


def test_a_refusal_the_test_handles_is_listed_as_a_refusal_not_as_observed(pytester):
    # NumPy's own test_malloc_fails asks for 4 EiB: the summary said "0 refusal(s)" and
    # listed the request among the largest allocations observed.
    pytester.makepyfile(test_handled=HANDLED)
    result = pytester.runpytest(*RUN, "--numguard")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*1 guarded test(s), 1 refusal(s)*",
        "refused, and handled by the test: test_handled.py::test_malloc_fails: 4.0 EiB "
        "requested at test_handled.py:7"])
    result.stdout.no_fnmatch_line("*largest allocations observed*")


REFUSED = """
import numpy as np


def test_scores():
    profiles = np.ones(2000)
    weights = np.ones(1000)
    scores = profiles[:, None] * weights[None, :]
"""


def test_a_refused_plain_test_shows_the_diagnosis_once(pytester):
    # The plain test printed only a byte count, and pytest repeated it under
    # "Captured log call".
    pytester.makepyfile(test_scores=REFUSED)
    result = pytester.runpytest(*RUN, "--numguard", "--numguard-limit=1MiB")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    # pytest's own short summary repeats a failure's message (in full where CI is set,
    # cut to the terminal's width elsewhere): the report itself says it once.
    report = out.split("short test summary info")[0]
    assert report.count("would allocate 15.3 MiB") == 1, out
    for line in [
        "BroadcastMemoryError: numguard: `*` (np.multiply) would allocate 15.3 MiB for a "
        "(2000, 1000) float64 result.",
        "  limit: 1.0 MiB (limit=1MiB from pytest --numguard-limit)",
        "  expression: profiles[:, None] * weights[None, :]",
        "  operand 0: profiles[:, None]: (2000, 1) float64",
        "  operand 1: weights[None, :]: (1, 1000) float64",
        "  broadcast: operand 0 stretched along axis 1, 1 -> 1,000",
    ]:
        assert line in out.splitlines(), line
    assert "Captured log" not in out


INFLATED = """
import numpy as np
import pytest


{marker}
def test_outer_in_disguise():
    np.ones((50, 1)) * np.ones((1, 20))


{marker}
def test_rows_plus_a_vector():
    np.ones((10, 3)) + np.ones(3)


{marker}
def test_a_real_outer():
    np.add.outer(np.ones(50), np.ones(20))
"""


@pytest.mark.parametrize("how", ["option", "ini", "marker"])
def test_inflation_judges_plain_arrays_from_the_option_the_ini_and_the_marker(pytester, how):
    # guard(inflation=2), --numguard-inflation=2 and the marker let
    # np.ones((50,1)) * np.ones((1,20)) pass.
    marker = "@pytest.mark.numguard(inflation=2)" if how == "marker" else ""
    pytester.makepyfile(test_inflated=INFLATED.format(marker=marker))
    args: tuple[str, ...] = ()
    if how == "option":
        args = ("--numguard", "--numguard-inflation=2")
    elif how == "ini":
        pytester.makeini("[pytest]\nnumguard = true\nnumguard_inflation = 2\n")
    result = pytester.runpytest(*RUN, *args)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*test_outer_in_disguise*",
        "*InflationError: numguard: `*` (np.multiply) would turn operands of at most 50 "
        "elements into a (50, 20) float64 result (1,000 elements).",
        "*expression: np.ones((50, 1)) * np.ones((1, 20))*"])


def test_rank_promotion_judges_plain_arrays_too():
    with pytest.raises(numguard.errors.RankPromotionError), guard(rank_promotion="raise"):
        np.ones((10, 3)) + np.ones(3)
    with guard(rank_promotion="raise"):
        np.ones((10, 3)) + np.ones((1, 3))
        np.add.outer(np.ones(3), np.ones((2, 2)))


def test_blocks_without_the_shape_rules_keep_the_fast_bound():
    with guard(limit="1GiB"):
        assert backstop.status()["fast_floor"] > 0
    with guard(inflation=2):
        assert backstop.status()["fast_floor"] == 64  # every result over 8 float64 is read


NEVER_USES_NUMGUARD = """
def test_arithmetic():
    assert 1 + 1 == 2
"""


def test_a_bad_variable_never_breaks_a_run_that_does_not_use_numguard(pytester, monkeypatch):
    # NUMGUARD_LIMIT=lots pytest failed with "Error while loading plugin pytest11", exit 3,
    # in a project that never uses numguard.
    monkeypatch.setenv("NUMGUARD_LIMIT", "lots")
    pytester.makepyfile(test_plain=NEVER_USES_NUMGUARD)
    result = pytester.runpytest_subprocess(*RUN)
    assert result.ret == 0, result.stderr.str()
    result.assert_outcomes(passed=1)
    assert "NUMGUARD_LIMIT" not in result.stdout.str()


def test_a_bad_variable_is_reported_when_the_run_is_guarded(pytester, monkeypatch):
    monkeypatch.setenv("NUMGUARD_LIMIT", "lots")
    pytester.makepyfile(test_plain=NEVER_USES_NUMGUARD)
    result = pytester.runpytest_subprocess(*RUN, "--numguard")
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines([
        "numguard: NUMGUARD_LIMIT='lots' is not valid (*): expected *; "
        "using limit=80% (the default) instead."])


def test_numpys_own_test_files_are_the_users_code():
    # Every site in NumPy's own suite under --numguard read _pytest/python.py:187.
    numpy_dir = os.path.dirname(np.__file__)
    assert is_library_frame(os.path.join(numpy_dir, "_core", "numeric.py"))
    assert not is_library_frame(os.path.join(numpy_dir, "_core", "tests", "test_numeric.py"))
    assert not is_library_frame(os.path.join(numpy_dir, "lib", "tests", "test_io.py"))
    assert is_library_frame(numguard.__file__)
