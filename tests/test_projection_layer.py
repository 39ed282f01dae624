"""The projection layer's contracts: pure imports, the broadcast flag, tolerant tables."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import numguard
from numguard.projection import registry, tables
from numguard.projection.record import build

PACKAGE = pathlib.Path(numguard.__file__).parent / "projection"


def _imports(path: pathlib.Path) -> set[str]:
    """Every module `path` imports, at any depth (an import inside a function counts)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(("." * node.level) + (node.module or ""))
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_projection_imports_only_numpy_and_itself(path):
    """Nothing from settings, policy, report, array, the overrides or the backstop."""
    for name in _imports(path):
        if name.startswith("numguard"):
            assert name.startswith("numguard.projection"), name
            continue
        if name.startswith("."):
            # relative imports stay inside numguard/projection (two dots: from functions/)
            depth = len(name) - len(name.lstrip("."))
            inside = path.parent.relative_to(PACKAGE).parts
            assert depth - 1 <= len(inside), f"{path.name} leaves the package: {name}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_projection_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= 500


@pytest.mark.parametrize("call, broadcast", [
    (lambda: numguard.estimate(np.add, np.ones(3), np.ones((2, 3))), True),
    (lambda: numguard.estimate(np.add, np.ones(3), 1.0), True),
    (lambda: numguard.estimate(np.matmul, np.ones((2, 3)), np.ones(3)), False),
    (lambda: numguard.estimate(np.add.reduce, np.ones((2, 3))), False),
    (lambda: numguard.estimate(np.add.accumulate, np.ones(3)), False),
    (lambda: numguard.estimate(np.add.outer, np.ones(3), np.ones(4)), False),
    (lambda: numguard.estimate(np.where, np.ones(3) > 0, np.ones((2, 3)), 0), True),
    (lambda: numguard.estimate(np.where, np.ones(3) > 0), False),
    (lambda: numguard.estimate(np.choose, [0, 1], [np.ones((2, 2)), 0]), True),
    (lambda: numguard.estimate(np.select, [np.ones(3) > 0], [np.ones((2, 3))]), True),
    (lambda: numguard.estimate(np.cross, np.ones((4, 3)), np.ones(3)), True),
    (lambda: numguard.estimate(np.broadcast_to, np.ones(3), (4, 3)), True),
    (lambda: numguard.estimate(np.broadcast_arrays, np.ones(3), np.ones((4, 1))), True),
    (lambda: numguard.estimate(np.outer, np.ones(3), np.ones(4)), False),
    (lambda: numguard.estimate(np.concatenate, [np.ones(3), np.ones(4)]), False),
    (lambda: numguard.estimate(np.copy, np.ones(3)), False),
])
def test_broadcast_flag(call, broadcast):
    assert call().broadcast is broadcast


def test_ndarray_choose_broadcasts_and_take_does_not():
    from numguard.projection.ndarray_methods import project

    a = np.zeros((2, 3), dtype=np.intp)
    assert project("choose", a, [np.ones(3), 0]).broadcast
    assert not project("take", np.ones(5), np.zeros(3, np.intp)).broadcast


def test_one_builder_view_flag():
    view = build(np.broadcast_to, ((1000, 1000),), (np.float64,), (np.ones(1000),), view=True)
    assert view.nbytes == 0
    given = build(np.add, ((10,),), (np.float64,), outs=(np.ones(10),), extra=5)
    assert given.peak == 5  # temporaries count in the peak, not in the results
    assert given.nbytes == 0 and given.temporaries == 5
    assert build(np.add, ((2,),), (object,)).exact is False


def test_a_name_this_numpy_lacks_is_skipped_and_listed():
    missing: dict[str, str] = {}
    assert registry.resolve("linalg.no_such_function", missing, "why") == []
    assert missing == {"numpy.linalg.no_such_function": "why"}
    before = dict(registry.FUNCTIONS)

    @registry.projects("no_such_function_either")
    def projection(func, a):  # pragma: no cover - never called
        raise AssertionError

    assert registry.FUNCTIONS == before
    assert "numpy.no_such_function_either" in tables.missing_names()
    del registry.MISSING["numpy.no_such_function_either"]


def test_axis_errors_are_numpys():
    with pytest.raises(np.exceptions.AxisError):
        numguard.estimate(np.concatenate, [np.ones((2, 2))] * 2, axis=2)
    with pytest.raises(ValueError, match="duplicate value in 'axis'"):
        numguard.estimate(np.add.reduce, np.ones((2, 2)), axis=(0, 0))
