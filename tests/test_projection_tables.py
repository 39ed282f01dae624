"""The tables: disjoint, complete for this NumPy, and the coverage script agrees."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing.overrides import get_overridable_numpy_array_functions

from numguard.projection import FUNCTIONS, tables
from numguard.projection.tables import PASS_THROUGH, UNSUPPORTED

ESTIMATED = {f: p for f, p in FUNCTIONS.items() if not p.bound}
BOUNDED = {f: p for f, p in FUNCTIONS.items() if p.bound}

TABLES = {"estimated": ESTIMATED, "bounded": BOUNDED, "pass-through": PASS_THROUGH,
          "unsupported": UNSUPPORTED}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def label(func):
    return f"{func.__module__}.{func.__name__}"


@pytest.mark.parametrize("first", list(TABLES))
@pytest.mark.parametrize("second", list(TABLES))
def test_tables_are_disjoint(first, second):
    if first < second:
        assert not set(TABLES[first]) & set(TABLES[second])


def test_every_overridable_function_is_classified():
    known = set().union(*TABLES.values())
    overridable = get_overridable_numpy_array_functions()
    missing = sorted(label(f) for f in overridable - known)
    assert not missing, f"new NumPy functions to classify: {missing}"
    stale = sorted(label(f) for f in known - overridable)
    assert not stale, f"classified but no longer overridable: {stale}"


def test_unsupported_and_pass_through_say_why():
    for table in (PASS_THROUGH, UNSUPPORTED):
        assert all(isinstance(reason, str) and len(reason) > 10 for reason in table.values())


def test_delegated_only_where_it_is_true():
    # The functions that leave their checks to __array_ufunc__ are reductions,
    # cumulative sums, traces, diff and the linalg gufunc wrappers.
    via = sorted(f.__name__ for f, spec in ESTIMATED.items() if spec.delegated)
    assert "where" not in via and "concatenate" not in via
    assert {"sum", "mean", "var", "cumsum", "trace", "matmul"} <= set(via)
    assert not any(spec.delegated for spec in BOUNDED.values())


def test_classify():
    assert tables.classify(np.where) == "estimated"
    assert tables.classify(np.unique) == "bounded"
    assert tables.classify(np.transpose) == "pass-through"
    assert tables.classify(np.linalg.svd) == "estimated"  # modelled since issue #16
    assert tables.classify(np.loadtxt) == "unsupported"
    with pytest.raises(KeyError):
        tables.classify(print)


def test_coverage_script_counts_equal_the_tables():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "coverage_table.py")],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    text = run.stdout
    names = {kind: {label(f) for f in table} for kind, table in TABLES.items()}
    assert f"| estimated exactly | {len(names['estimated'])} |" in text
    assert f"| bounded | {len(names['bounded'])} |" in text
    assert f"| pass-through | {len(names['pass-through'])} |" in text
    assert f"| unsupported | {len(names['unsupported'])} |" in text
    total = len(get_overridable_numpy_array_functions())
    assert f"see {total} array functions" in text
    assert sum(map(len, names.values())) == len(
        {label(f) for f in get_overridable_numpy_array_functions()})
    for func in UNSUPPORTED:
        assert func.__name__ in text
