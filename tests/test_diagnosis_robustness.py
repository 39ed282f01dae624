"""The diagnosis never raises, never changes what the program computes, works from
several threads at once, and finds the user's frame (NumPy's own tests included)."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
from test_diagnosis import allocations
from test_diagnosis_values import _warm_opcode_events

from numguard.diagnosis import Diagnosis, broadcast_estimate, diagnose, is_user_code, user_frame

NUMPY = os.path.dirname(np.__file__)


def test_numpys_own_test_files_are_user_code_and_its_library_is_not():
    assert is_user_code(os.path.join(NUMPY, "_core", "tests", "test_multiarray.py"))
    assert is_user_code(os.path.join(NUMPY, "lib", "tests", "test_io.py"))
    assert not is_user_code(os.path.join(NUMPY, "_core", "numeric.py"))
    assert not is_user_code(os.path.join(NUMPY, "testing", "_private", "utils.py"))
    assert not is_user_code(np.__file__)
    assert not is_user_code(sys.modules["numguard.report"].__file__)
    assert is_user_code(__file__)


def test_a_frame_in_a_numpy_test_file_is_the_users():
    test_file = os.path.join(NUMPY, "_core", "tests", "test_pretend.py")
    namespace = {"sys": sys, "user_frame": user_frame}
    code = compile("def check():\n    return user_frame(sys._getframe())\n", test_file, "exec")
    exec(code, namespace)  # noqa: S102 - a function whose code claims that file
    frame = namespace["check"]()
    assert frame.f_code.co_filename == test_file
    library = compile("def inner():\n    return user_frame(sys._getframe())\n",
                      os.path.join(NUMPY, "_core", "pretend.py"), "exec")
    exec(library, namespace)  # noqa: S102
    assert namespace["inner"]().f_code is sys._getframe().f_code  # skipped up to here


def many_constructs(a, b, items):
    """Code with most kinds of instructions, run with a diagnosis at every one."""
    total = a * b
    total += (a @ b.T) @ b
    chained = 0 < a.sum() < 10**9
    pairs = {k: v for k, v in zip("xy", (a, b))}
    squares = [x ** 2 for x in items if (y := x.sum()) >= 0]
    text = f"{y!r:>10} {len(squares)}"
    first, *rest = items
    try:
        raise ValueError(text)
    except ValueError as error:
        message = str(error)
    with np.errstate(all="ignore"):
        ratio = (a / np.zeros_like(a))[0, 0]
    klass = type("K", (), {"value": a[0]})
    kwargs = dict(axis=0, keepdims=True)
    reduced = np.add.reduce(total, **kwargs)
    lam = (lambda q, *r, **s: q)(a, *items, key=b)
    del pairs["x"]
    return total, chained, message, ratio, klass.value, reduced, lam, rest, first


def test_a_diagnosis_at_every_instruction_never_raises_nor_changes_the_result():
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    items = [np.ones(3), np.arange(3.0)]
    expected = many_constructs(a, b, items)
    seen: list[Diagnosis] = []
    codes = {many_constructs.__code__} | {
        c for c in many_constructs.__code__.co_consts if hasattr(c, "co_code")}

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode" and frame.f_code in codes:
            seen.append(diagnose(frame))
            broadcast_estimate(frame)
        return tracer

    _warm_opcode_events(tracer)
    sys.settrace(tracer)
    try:
        result = many_constructs(a, b, items)
    finally:
        sys.settrace(None)
    assert len(seen) > 100
    assert all(isinstance(found, Diagnosis) for found in seen)
    assert all(found.estimate is not None or found.reason for found in seen)
    for got, want in zip(result, expected):
        np.testing.assert_equal(got, want)
    expressions = {found.expression for found in seen if found.estimate is not None}
    assert {"a * b", "a @ b.T", "(a @ b.T) @ b", "x ** 2"} <= expressions


def test_numpys_own_python_code_can_be_diagnosed_at_every_instruction():
    numpy_codes = set()

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode" and frame.f_code.co_filename.startswith(NUMPY):
            numpy_codes.add(frame.f_code)
            found = diagnose(frame)
            assert isinstance(found, Diagnosis)
            broadcast_estimate(frame)
        return tracer

    _warm_opcode_events(tracer)
    sys.settrace(tracer)
    try:
        grid = np.linspace(0, 1, 7)
        outer = np.outer(grid, grid[:3])
        stacked = np.vstack([grid, grid])
    finally:
        sys.settrace(None)
    assert outer.shape == (7, 3) and stacked.shape == (2, 7)
    assert len(numpy_codes) >= 3


def test_threads_diagnose_their_own_allocations_at_the_same_time():
    results: dict[int, list] = {}
    errors: list = []

    def work(index: int) -> None:
        try:
            a, b = np.ones((index + 2, 1)), np.ones((1, 3))
            found = []
            for _ in range(50):
                found += [s for s in allocations(lambda: a * b) if s.nbytes == a.size * 24]
            results[index] = found
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(results) == 4
    for index, found in results.items():
        assert len(found) == 50
        assert {s.diagnosis.estimate.shapes for s in found} == {((index + 2, 3),)}
        assert all(s.broadcast is not None for s in found)
