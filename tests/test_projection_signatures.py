"""Each registered projection takes NumPy's own parameters (verify_matching_signatures)."""

from __future__ import annotations

import inspect

import pytest

from numguard.projection import FUNCTIONS


def _numpy_signature(func):
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):  # NumPy exposes none for this one
        return None


CASES = sorted(
    ((func, projection) for func, projection in FUNCTIONS.items()),
    key=lambda item: f"{item[0].__module__}.{item[0].__name__}",
)


@pytest.mark.parametrize(
    "func, projection", CASES, ids=[f"{f.__module__}.{f.__name__}" for f, _ in CASES]
)
def test_projection_parameters_match_numpy(func, projection):
    expected = _numpy_signature(func)
    if expected is None:
        pytest.skip("NumPy exposes no signature")
    ours = list(inspect.signature(projection.function).parameters.values())
    assert ours[0].kind is inspect.Parameter.POSITIONAL_ONLY, "func must be positional-only"
    mine = [(p.name, p.kind, p.default) for p in ours[1:]]
    theirs = [(p.name, p.kind, p.default) for p in expected.parameters.values()]
    assert mine == theirs


def test_every_projection_serves_at_least_one_function():
    assert len(FUNCTIONS) > 150
    assert all(callable(p.function) for p in FUNCTIONS.values())
