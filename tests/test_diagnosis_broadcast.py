"""broadcast_estimate, the question the inflation and rank rules ask at every allocation,
and the diagnosis held to NumPy (the oracle) and to numguard.estimate."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_diagnosis import allocations
from test_diagnosis_values import paused

import numguard
from numguard.diagnosis import broadcast_estimate, diagnose, sites
from numguard.policy import judge

BINARY_OP = "BINARY_OP" if sys.version_info >= (3, 11) else "BINARY_MULTIPLY"


def test_inflation_and_rank_promotion_are_judged_on_the_estimate():
    with numguard.guard(inflation=2, rank_promotion="raise"):
        rules = numguard.get_settings()
    a, b = np.ones((50, 1)), np.ones((1, 20))
    outer = [s.broadcast for s in allocations(lambda: a * b) if s.nbytes == 8000][0]
    assert judge(outer, rules).rule == "inflation"
    row, column = np.ones((10, 3)), np.ones(3)
    promoted = [s.broadcast for s in allocations(lambda: row + column) if s.nbytes == 240][0]
    assert judge(promoted, rules).rule == "rank_promotion"
    with numguard.guard(inflation=2):
        only_inflation = numguard.get_settings()
    assert judge(promoted, only_inflation) is None  # (10,3) + (3,) does not inflate
    x = np.arange(50.0)
    outer_seen = allocations(lambda: np.add.outer(x, x))
    assert outer_seen and all(s.broadcast is None for s in outer_seen)


def test_a_site_that_cannot_broadcast_is_answered_from_the_cache():
    x = np.arange(10)
    seen = allocations(lambda: x.repeat(3))
    assert seen and all(s.broadcast is None for s in seen)
    code = test_a_site_that_cannot_broadcast_is_answered_from_the_cache.__code__
    cached = [plan for (site, _), plan in sites._plans.items()
              if site.co_filename == code.co_filename and site.co_name == "<lambda>"
              and code.co_firstlineno < site.co_firstlineno <= code.co_firstlineno + 3]
    assert cached and all(plan is None for plan in cached)  # None: never broadcasts


def test_a_call_site_is_judged_by_the_function_it_calls_each_time():
    a, b = np.ones((50, 1)), np.ones((1, 20))
    mask = a > 0
    verdicts = []

    def run():
        for op in (np.outer, np.multiply, np.where):
            op(mask, a, b) if op is np.where else op(a, b)

    for s in allocations(run):
        if s.nbytes == 8000:
            verdicts.append(s.broadcast is not None)
    assert verdicts == [False, True, True]


def test_broadcast_estimate_never_raises():
    assert broadcast_estimate(None) is None
    assert broadcast_estimate(sys._getframe()) is None  # a CALL of a non-NumPy function


shapes_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 max_side=4)


@settings(max_examples=60, deadline=None)
@given(shapes_pairs, st.sampled_from(["f8", "i4", "f4", "c16", "?"]))
def test_the_diagnosed_product_is_numguards_estimate(shapes, dtype):
    a = np.zeros(shapes.input_shapes[0], dtype)
    b = np.zeros(shapes.input_shapes[1], "f8")
    found = paused(lambda: a * b, BINARY_OP, lambda frame: (diagnose(frame),
                                                            broadcast_estimate(frame)))
    diagnosis, broadcast = found
    expected = numguard.estimate(np.multiply, a, b)
    assert diagnosis.estimate == expected
    # Neither rule can trip where the operands have one rank and the result is no
    # larger than the larger of them (one shape, or a row against a matrix): no estimate.
    can_trip = a.ndim != b.ndim or expected.result_size > max(a.size, b.size)
    assert broadcast == (expected if can_trip else None)
    assert diagnosis.operand_texts == ("a", "b")


# -- NumPy as the oracle: what the operator really produced --------------------------

def result_and_diagnosis(run, opname, code=None):
    done: list = []
    diagnosis = paused(run, opname, diagnose, done, code)
    return done[0], diagnosis


# One lambda a line: Python 3.10 (through `executing`) tells lambdas apart by line.
OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a ** b,
    "@": lambda a, b: a @ b,
    "&": lambda a, b: a & b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
}


#: Python 3.10's instruction for each operator (3.11 has one BINARY_OP for all).
OPNAMES_310 = {
    "+": "BINARY_ADD", "-": "BINARY_SUBTRACT", "*": "BINARY_MULTIPLY",
    "/": "BINARY_TRUE_DIVIDE", "//": "BINARY_FLOOR_DIVIDE", "%": "BINARY_MODULO",
    "**": "BINARY_POWER", "@": "BINARY_MATRIX_MULTIPLY", "&": "BINARY_AND",
}


@pytest.mark.parametrize("symbol", list(OPERATORS))
@pytest.mark.parametrize("dtype", ["f8", "i8", "u1", "?"])
def test_each_operator_projects_what_numpy_produces(symbol, dtype):
    a = np.ones((3, 3), dtype)
    b = np.ones(3, dtype) if symbol != "@" else np.ones((3, 2), dtype)
    operator = OPERATORS[symbol]
    try:
        expected = operator(a, b)
    except TypeError:
        pytest.skip(f"NumPy refuses {dtype} {symbol} {dtype}")
    opname = "COMPARE_OP" if symbol in ("<", "==", ">=") else (
        "BINARY_OP" if sys.version_info >= (3, 11) else OPNAMES_310[symbol])
    result, found = result_and_diagnosis(lambda: operator(a, b), opname, operator.__code__)
    assert found.estimate.shapes == (expected.shape,), found
    assert found.estimate.dtypes == (expected.dtype,)
    assert found.estimate.nbytes == expected.nbytes
    assert found.operation.startswith(f"`{symbol}` (np.")


@pytest.mark.parametrize("dtype", ["f8", "f4", "c16", "i8", "u1", "?", "O", "m8[s]"])
@pytest.mark.parametrize("exponent", [2, -1, 0.5, 3, 2.0, 0, 1, np.int64(2)])
def test_power_names_the_ufunc_numpy_calls(dtype, exponent):
    a = np.ones(4, dtype)
    try:
        expected = a ** exponent
    except (TypeError, ValueError, OverflowError):
        pytest.skip("NumPy refuses it")
    recorded = []

    class Recorder(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            recorded.append(ufunc)
            return NotImplemented

    with pytest.raises(TypeError):
        np.ones(4, dtype).view(Recorder) ** exponent
    opname = "BINARY_OP" if sys.version_info >= (3, 11) else "BINARY_POWER"
    result, found = result_and_diagnosis(lambda: a ** exponent, opname)
    assert found.operation == f"`**` (np.{recorded[0].__name__})"
    assert found.estimate.shapes == (expected.shape,)
    assert found.estimate.dtypes == (expected.dtype,)


def test_a_scalar_on_the_left_of_a_comparison_is_answered_by_the_array_reflected():
    a = np.arange(4.0)
    result, found = result_and_diagnosis(lambda: 2 < a, "COMPARE_OP")
    assert found.operation == "`<` (np.greater)"
    assert found.operand_texts == ("a", "2")
    assert found.estimate.shapes == (result.shape,)


METHOD_CALLS = [
    lambda x: x.sum(0), lambda x: x.mean(), lambda x: x.cumsum(), lambda x: x.max(1),
    lambda x: x.std(), lambda x: x.any(), lambda x: x.clip(0, 1), lambda x: x.trace(),
    lambda x: x.prod(), lambda x: x.var(1), lambda x: x.all(0), lambda x: x.cumprod(1),
    lambda x: x.min(axis=0, keepdims=True), lambda x: x.astype(np.float32),
    lambda x: x.repeat(3), lambda x: x.copy(), lambda x: x.argsort(), lambda x: x.take([0, 2]),
    lambda x: x.flatten(), lambda x: x.dot(x.T), lambda x: x[:, [0, 1]],
]


@pytest.mark.parametrize("call", METHOD_CALLS, ids=range(len(METHOD_CALLS)))
def test_array_methods_project_what_numpy_produces(call):
    x = np.arange(12.0).reshape(3, 4)
    expected = np.asarray(call(x))
    seen = [s for s in allocations(lambda: call(x)) if s.nbytes == expected.nbytes]
    assert seen, "the result's allocation was not observed"
    found = seen[-1].diagnosis
    assert found.estimate is not None, found.reason
    assert found.estimate.shapes == (expected.shape,), found
    assert found.estimate.dtypes == (expected.dtype,)
    assert found.operand_texts[0] == "x"
    assert found.operation.startswith("x.") or found.operation.startswith("x[")
