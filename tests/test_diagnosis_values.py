"""The operand evaluator runs no user code, allocates no array data, and says why not.

Expressions are evaluated against a real frame (this test's) from parsed source, or
from a frame paused by opcode tracing right before it runs the instruction of interest
(operands on the stack, as at an allocation).
"""

from __future__ import annotations

import ast
import dis
import sys
import tracemalloc

import numpy as np
import pytest

import numguard
from numguard.diagnosis import diagnose
from numguard.diagnosis.plain import NotEvaluated, plain_array
from numguard.diagnosis.values import Evaluator


def evaluate(expression: str, frame=None):
    """The value of `expression` read from `frame` (default: the caller's)."""
    frame = frame or sys._getframe(1)
    node = ast.parse(expression, mode="eval").body
    return Evaluator(frame, ast.unparse).value(node)


def not_evaluated(expression: str) -> str:
    with pytest.raises(NotEvaluated) as error:
        evaluate(expression, sys._getframe(1))
    return str(error.value)


def paused(run, opname: str, action, returned: list | None = None, code=None):
    """`action(frame)` for the first frame of `code` (default: `run`'s own) about to
    run `opname` (what `run()` returns is appended to `returned`)."""
    target, results = code or run.__code__, []

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True  # on every frame: Python 3.12.1 needs it so
        if frame.f_code is target:
            if (event == "opcode" and not results
                    and dis.opname[frame.f_code.co_code[frame.f_lasti]] == opname):
                results.append(action(frame))
        return tracer

    previous = sys.gettrace()
    _warm_opcode_events(tracer)
    sys.settrace(tracer)
    try:
        result = run()
    finally:
        sys.settrace(previous)
    if returned is not None:
        returned.append(result)
    assert results, f"{opname} was never reached"
    return results[0]


def _noop() -> None:
    pass


def _warm_opcode_events(tracer) -> None:
    """Python 3.12.1 sends opcode events only from its second settrace on."""
    sys.settrace(tracer)
    try:
        _noop()
    finally:
        sys.settrace(None)


class Counting:
    """Every way an attribute could run code, counted."""

    runs = 0
    plain_class_value = np.ones(3)

    def __init__(self) -> None:
        self.data = np.ones((4, 1))

    @property
    def prop(self):
        Counting.runs += 1
        return self.data

    def __getattr__(self, name):
        Counting.runs += 1
        return self.data


class Slotted:
    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = np.ones(2)


class Meta(type):
    def __getattr__(cls, name):
        Counting.runs += 1
        return 1


class WithMeta(metaclass=Meta):
    pass


class LiesAboutItsClass:
    @property
    def __class__(self):
        Counting.runs += 1
        return np.ndarray


def test_attributes_are_read_statically_and_never_run_code():
    obj, slotted = Counting(), Slotted()
    Counting.runs = 0
    assert evaluate("obj.data") is obj.data
    assert evaluate("obj.plain_class_value") is Counting.plain_class_value
    assert evaluate("slotted.data") is slotted.data
    assert "property" in not_evaluated("obj.prop")
    assert "not a plain attribute" in not_evaluated("obj.missing")  # __getattr__ not asked
    assert "not a plain attribute" in not_evaluated("WithMeta.anything")
    liar = LiesAboutItsClass()
    assert "not a plain attribute" in not_evaluated("liar.data")
    assert Counting.runs == 0


def test_module_attributes_come_from_the_module_dictionary():
    assert evaluate("np.newaxis") is None
    assert evaluate("np.multiply") is np.multiply
    assert "not in its module's namespace" in not_evaluated("np.no_such_name")


def test_basic_subscripts_and_array_attributes_are_views():
    a = np.arange(24.0).reshape(2, 3, 4)
    i = np.int64(1)
    for expression in ("a[:, None]", "a[..., 0]", "a[1, ::2, np.newaxis]", "a.T", "a.mT",
                       "a[i]", "a.reshape(6, 4)", "a.reshape((4, -1))",
                       "a.transpose(1, 0, 2)", "a.swapaxes(0, 2)", "np.expand_dims(a, 0)",
                       "a[None].squeeze(0)", "np.asarray(a)", "a.view()", "np.transpose(a)"):
        value = evaluate(expression)
        assert np.shares_memory(value, a), expression
        assert value.shape == eval(expression).shape, expression  # noqa: S307 - the oracle
    assert evaluate("a.shape[0] * len(a)") == 4
    assert evaluate("(a.ndim, a.size, a.dtype)") == (3, 24, a.dtype)


def test_views_that_would_copy_or_compute_are_not_evaluated():
    a = np.arange(24.0).reshape(2, 3, 4)
    idx = np.array([0, 1])
    assert "would copy" in not_evaluated("a.T.reshape(-1)")
    assert "advanced index" in not_evaluated("a[idx]")
    assert "advanced index" in not_evaluated("a[True]")
    assert "advanced index" in not_evaluated("a[[0, 1]]")
    assert "not one of the array attributes" in not_evaluated("a.imag")  # a new array
    assert "is a call" in not_evaluated("a.copy()")
    assert "is a call" in not_evaluated("a.sum()")
    assert "copy=True" in not_evaluated("a.reshape(-1, copy=True)")
    c = a.astype(complex)
    assert np.shares_memory(evaluate("c.real"), c)


class Index:
    calls = 0

    def __index__(self):
        Index.calls += 1
        return 2


def test_arguments_with_their_own_index_method_are_not_used():
    a, n = np.arange(4.0), Index()
    assert "argument" in not_evaluated("a.reshape(n, n)")
    assert "advanced index" in not_evaluated("a[n]")
    assert Index.calls == 0


def test_python_arithmetic_is_bounded():
    n = 10
    assert evaluate("n ** 6 * 3 - 1") == 2_999_999
    assert evaluate("-n // 3") == -4
    assert "too large" in not_evaluated("2 ** 10 ** 10")
    assert "too large" in not_evaluated("n ** 1000")
    assert "raises ZeroDivisionError" in not_evaluated("n // 0")


def test_containers_are_read_only_when_their_type_is_exact():
    shapes, table = [(3, 4), (5,)], {"w": np.ones(2)}

    class Defaulting(dict):
        def __missing__(self, key):
            Counting.runs += 1
            return 0

    Counting.runs = 0
    lazy = Defaulting()
    assert evaluate("shapes[0][1]") == 4
    assert evaluate("table['w']") is table["w"]
    assert "indexes a" in not_evaluated("lazy['w']")
    assert Counting.runs == 0


def test_a_local_name_is_never_read_from_the_globals():
    def f():
        if False:
            np = None  # noqa: F841 - makes np local, unbound
        return sys._getframe()

    frame = f()
    with pytest.raises(NotEvaluated, match="no value in this frame"):
        evaluate("np", frame)


def test_a_namespace_that_is_not_a_dict_is_not_read():
    class Namespace(dict):
        reads = 0

        def __getitem__(self, key):
            Namespace.reads += 1
            return super().__getitem__(key)

    namespace = Namespace(a=np.ones((4, 1)), b=np.ones((1, 3)))
    frame = {}
    exec("import sys\nframe['f'] = sys._getframe()", {"frame": frame}, namespace)  # noqa: S102
    Namespace.reads = 0  # exec's own lookups
    with pytest.raises(NotEvaluated, match="Namespace"):
        evaluate("a", frame["f"])
    assert Namespace.reads == 0


def test_guarded_arrays_of_plain_ndarrays_are_plain_and_other_subclasses_are_not():
    guarded = numguard.wrap(np.ones(3))
    assert type(plain_array(guarded)) is np.ndarray
    assert np.shares_memory(plain_array(guarded), guarded)
    assert plain_array(np.ma.masked_array([1.0])) is None
    assert plain_array(numguard.wrap(np.ma.masked_array([1.0]))) is None


def test_a_diagnosis_at_a_paused_instruction_reads_the_operands_on_the_stack():
    a, b = np.ones((50, 1)), np.ones((1, 20))
    found = paused(lambda: a * b, "BINARY_OP" if sys.version_info >= (3, 11)
                   else "BINARY_MULTIPLY", diagnose)
    assert found.expression == "a * b" and found.estimate.shapes == ((50, 20),)


def test_diagnosing_allocates_almost_nothing():
    profiles = np.broadcast_to(np.zeros(1), (5_000_000,))
    weights = np.broadcast_to(np.zeros(1), (200_000,))

    def measured(frame):
        diagnose(frame)  # warm: the site is located once
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            found = diagnose(frame)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        return found, peak

    results = []
    with numguard.guard(limit="1GiB"), pytest.raises(MemoryError):  # refused: never allocated
        paused(lambda: profiles[:, None] * weights[None, :],
               "BINARY_OP" if sys.version_info >= (3, 11) else "BINARY_MULTIPLY",
               lambda frame: results.append(measured(frame)))
    found, peak = results[0]
    assert found.estimate.nbytes == 8 * 10**12
    assert peak < 16 * 1024, peak  # every Python object and array byte included


BINARY = "BINARY_OP" if sys.version_info >= (3, 11) else "BINARY_MULTIPLY"


def test_an_expression_over_several_lines_after_non_ascii_text_is_cut_right():
    größe, b = np.ones((50, 1)), np.ones((1, 20))
    found = paused(lambda: ("ü€", (größe
                                    * b))[1], BINARY, diagnose)
    assert found.operand_texts == ("größe", "b")
    assert found.expression.startswith("größe") and found.expression.endswith("* b")
    assert found.estimate.shapes == ((50, 20),)


def test_guarded_arrays_are_operands_like_plain_ones():
    g, b = numguard.wrap(np.ones((50, 1))), np.ones((1, 20))
    found = paused(lambda: g * b, BINARY, diagnose)
    assert found.operand_texts == ("g", "b")
    assert found.estimate == numguard.estimate(np.multiply, np.ones((50, 1)), b)
