"""numguard.diagnosis where it is used: inside NumPy's allocator, on the user's frame.

Each case runs the expression under `numguard.backstop.watch`, whose callback runs in
the allocating thread while NumPy waits for its memory: the callback finds the user's
frame and diagnoses it, exactly as the backstop will. Big cases use zero-strided
operands and a guard block that refuses the result, so nothing big is allocated.
"""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import numguard
from numguard.backstop import watch
from numguard.diagnosis import Diagnosis, broadcast_estimate, diagnose, user_frame


class Seen:
    """What the callback saw at one allocation (no frame kept)."""

    def __init__(self, nbytes: int, diagnosis: Diagnosis, broadcast) -> None:
        self.nbytes, self.diagnosis, self.broadcast = nbytes, diagnosis, broadcast


def allocations(run, floor: int = 1, limit: str | None = None) -> list[Seen]:
    """Every allocation of at least `floor` bytes `run()` makes, diagnosed there.
    With `limit`, inside a guard block that refuses what is over it."""
    seen: list[Seen] = []

    def callback(nbytes: int) -> None:
        frame = user_frame(sys._getframe(1))
        try:
            seen.append(Seen(nbytes, diagnose(frame), broadcast_estimate(frame)))
        finally:
            del frame

    with watch(callback, floor=floor, refused=callback):
        if limit is None:
            run()
        else:
            with numguard.guard(limit=limit, mode="raise"), pytest.raises(MemoryError):
                run()
    return seen


def the_allocation(run, nbytes: int | None = None, **options) -> Seen:
    """The allocation of `nbytes` (default: the last one) made by `run()`."""
    seen = allocations(run, **options)
    assert seen, "no allocation was observed"
    if nbytes is None:
        return seen[-1]
    matching = [s for s in seen if s.nbytes == nbytes]
    assert matching, [s.nbytes for s in seen]
    return matching[-1]


def test_the_seed_incident_names_the_expression_operands_and_stretched_axes():
    profiles = np.broadcast_to(np.zeros(1), (5_000_000,))
    weights = np.broadcast_to(np.zeros(1), (200_000,))
    seen = the_allocation(lambda: profiles[:, None] * weights[None, :], limit="1GiB")
    found = seen.diagnosis
    assert seen.nbytes == 8_000_000_000_000
    assert found.expression == "profiles[:, None] * weights[None, :]"
    assert found.operation == "`*` (np.multiply)"
    assert found.operand_texts == ("profiles[:, None]", "weights[None, :]")
    assert found.filename == __file__ and found.reason == ""
    estimate = found.estimate
    assert estimate.operand_shapes == ((5_000_000, 1), (1, 200_000))
    assert estimate.shapes == ((5_000_000, 200_000),) and estimate.nbytes == seen.nbytes
    assert {(s.operand, s.axis, s.operand_size) for s in estimate.stretched} == {
        (0, 1, 1), (1, 0, 1)}
    assert found.accounts_for(seen.nbytes)
    assert seen.broadcast == estimate
    assert found.lineno == the_seed_line()


def the_seed_line() -> int:
    import inspect

    source, first = inspect.getsourcelines(test_the_seed_incident_names_the_expression_operands_and_stretched_axes)
    return first + next(i for i, line in enumerate(source) if "profiles[:, None] *" in line)


def test_np_outer_is_diagnosed_but_does_not_broadcast():
    x = np.arange(10.0)
    seen = the_allocation(lambda: np.outer(x, x), nbytes=800)
    assert seen.diagnosis.operation == "np.outer"
    assert seen.diagnosis.estimate.shapes == ((10, 10),)
    assert seen.diagnosis.operand_texts == ("x", "x")
    assert seen.broadcast is None  # growth by design: not the inflation rule's business


def test_ufunc_outer_is_diagnosed_and_does_not_broadcast():
    x = np.arange(10.0)
    seen = the_allocation(lambda: np.add.outer(x, x[:5]), nbytes=400)
    assert seen.diagnosis.operation == "np.add.outer"
    assert seen.diagnosis.operand_texts == ("x", "x[:5]")
    assert seen.diagnosis.estimate.shapes == ((10, 5),)
    assert seen.broadcast is None


def test_repeat_names_the_method_and_its_receiver():
    x = np.arange(10)
    seen = the_allocation(lambda: x.repeat(10**3), nbytes=80_000)
    assert seen.diagnosis.expression == "x.repeat(10**3)"
    assert seen.diagnosis.operation == "x.repeat()"
    assert seen.diagnosis.estimate.shapes == ((10_000,),)
    assert seen.diagnosis.operand_texts == ("x",)
    assert seen.broadcast is None


def test_advanced_indexing_names_the_array_and_its_index():
    a = np.arange(100.0)
    idx = np.array([3, 1, 4, 1, 5])
    seen = the_allocation(lambda: a[idx], nbytes=40)
    assert seen.diagnosis.operation == "a[idx]"
    assert seen.diagnosis.operand_texts == ("a", "idx")
    assert seen.diagnosis.estimate.shapes == ((5,),)


def test_rank_promotion_broadcasts_without_stretching_a_size_one_axis():
    a, b = np.ones((10, 3)), np.ones(3)
    seen = the_allocation(lambda: a + b, nbytes=240)
    estimate = seen.broadcast
    assert estimate is not None and estimate.broadcast
    assert estimate.operand_shapes == ((10, 3), (3,))
    # b lacked axis 0: stretched from a missing axis (operand_size None), not from 1.
    assert estimate.stretched == ((0, 10, 1, None),)
    assert estimate.result_size == estimate.largest_operand_size  # no inflation


def test_inflation_is_visible_on_nested_creation_calls():
    seen = the_allocation(lambda: np.ones((50, 1)) * np.ones((1, 20)), nbytes=8000)
    estimate = seen.broadcast
    assert estimate is not None
    assert estimate.result_size == 1000 and estimate.largest_operand_size == 50
    assert seen.diagnosis.operand_texts == ("np.ones((50, 1))", "np.ones((1, 20))")


def test_an_operand_that_is_a_user_call_is_not_evaluated_and_the_reason_names_it():
    calls = []

    def load(v):
        calls.append(v)
        return v

    b = np.ones((1, 20))
    a = np.ones((50, 1))
    seen = the_allocation(lambda: load(a) * b, nbytes=8000)
    assert len(calls) == 1  # only the program's own call
    found = seen.diagnosis
    assert found.estimate is None and seen.broadcast is None
    assert found.expression == "load(a) * b"
    assert found.operation == "`*` (np.multiply)"
    assert "`load(a)` is a call: not evaluated" in found.reason


class Tracked(np.ndarray):
    """An ndarray subclass whose property would run code if read."""

    reads = 0

    @property
    def scaled(self):
        Tracked.reads += 1
        return np.asarray(self) * 2


def test_a_subclass_property_is_never_run():
    holder = np.ones((50, 1)).view(Tracked)
    b = np.ones((1, 20))
    seen = the_allocation(lambda: holder.scaled * b)
    reads = Tracked.reads
    assert reads == 1  # the program's own read
    assert seen.diagnosis.estimate is None
    assert "holder.scaled" in seen.diagnosis.reason


def test_an_ndarray_subclass_operand_is_named_and_not_evaluated():
    m = np.ones((3, 3)).view(Tracked)
    b = np.ones((3, 3))
    seen = the_allocation(lambda: np.add(m, b), nbytes=72)
    assert seen.diagnosis.estimate is None
    assert "`m` is a test_diagnosis.Tracked, an ndarray subclass" in seen.diagnosis.reason


class Foreign:
    """Not an array: multiplying it by an array runs its own code."""

    def __init__(self) -> None:
        self.data = np.ones((50, 1))

    def __array__(self, dtype=None, copy=None):
        return self.data


def test_a_foreign_object_is_named_and_never_converted():
    f, b = Foreign(), np.ones((1, 20))
    seen = the_allocation(lambda: np.multiply(f, b), nbytes=8000)
    assert seen.diagnosis.estimate is None
    assert "`f` is a test_diagnosis.Foreign, not a NumPy array" in seen.diagnosis.reason


def test_the_innermost_running_node_of_a_nested_expression_is_the_one_diagnosed():
    a, b, c = np.ones((50, 1)), np.ones((1, 20)), np.ones(20)
    seen = allocations(lambda: (a - b) ** 2 + c)
    texts = [s.diagnosis.expression for s in seen if s.nbytes == 8000]
    assert texts == ["a - b", "(a - b) ** 2", "(a - b) ** 2 + c"]
    square = next(s.diagnosis for s in seen if s.diagnosis.expression == "(a - b) ** 2")
    assert square.operation == "`**` (np.square)"
    assert square.operand_texts == ("a - b",)  # projected, stood in for
    outer = seen[-1].diagnosis
    assert outer.estimate.operand_shapes == ((50, 20), (20,))


def test_a_comprehension_and_a_lambda_frame_are_read():
    a, b = np.ones((50, 1)), np.ones((1, 20))
    seen = allocations(lambda: [v * b for v in (a, a)])
    assert {s.diagnosis.expression for s in seen if s.nbytes == 8000} == {"v * b"}
    assert all(s.diagnosis.estimate.shapes == ((50, 20),) for s in seen if s.nbytes == 8000)


def test_a_function_local_in_a_closure_is_read():
    def outer():
        a = np.ones((50, 1))

        def inner(b):
            return a * b  # a is a free variable here

        return inner(np.ones((1, 20)))

    seen = the_allocation(outer, nbytes=8000)
    assert seen.diagnosis.operand_texts == ("a", "b")
    assert seen.diagnosis.estimate.shapes == ((50, 20),)


def test_an_in_place_operator_allocates_only_temporaries():
    a = np.ones((100, 100))
    seen = the_allocation(lambda: inplace(a), nbytes=a.nbytes)
    found = seen.diagnosis
    assert found.operation == "`+=` (np.add)"
    assert found.expression == "a += a.T"
    assert found.estimate.nbytes == 0  # the result is `a` itself
    assert found.estimate.temporaries == a.nbytes  # a.T overlaps a: NumPy copies it
    assert found.accounts_for(seen.nbytes)
    assert seen.broadcast is None


def inplace(a):
    a += a.T
    return a


def test_accounts_for_matches_a_result_or_stays_within_the_peak():
    x = np.arange(10.0)
    seen = the_allocation(lambda: np.outer(x, x), nbytes=800)
    assert seen.diagnosis.accounts_for(800)
    assert not seen.diagnosis.accounts_for(801)
    assert not Diagnosis("f", 1, "", None, None, (), "why").accounts_for(8)


def test_diagnose_never_raises_and_keeps_no_frame_or_array():
    assert diagnose(None).reason  # not even a frame
    refs = []

    def work():
        a, b = np.ones((50, 1)), np.ones((1, 20))
        refs.extend([weakref.ref(a), weakref.ref(b)])
        return allocations(lambda: a * b)

    seen = work()
    assert any(s.diagnosis.estimate is not None for s in seen)
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_a_line_that_runs_no_projected_operation_says_so():
    a = np.ones(10)
    seen = allocations(lambda: f"{a:}")  # NumPy formats it, allocating as it goes
    assert seen
    for found in (s.diagnosis for s in seen):
        if sys.version_info >= (3, 11):  # 3.10: the instruction says enough, not located
            assert found.expression and found.expression in 'f"{a:}"'  # 3.13: the field
        assert found.estimate is None
        assert "not an operation numguard projects" in found.reason
