"""numguard.enable() / disable() in this process: verdicts, memory safety, reports, guard blocks.

Refused requests are gigabytes and never allocated; the requests allowed over a limit
use np.empty, whose pages are never touched.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import warnings

import numpy as np
import pytest
from backends import needs_c

import numguard
from numguard import backstop
from numguard.backstop import _capsule, _control, _judge
from numguard.memory import budget
from numguard.settings import get_settings

MiB = 2**20
LIMIT = 64 * MiB
OVER = LIMIT // 8 + 1  # float64 elements: one element over the limit


def handler_name(array=None):
    return _capsule.handler_name(array)


@pytest.fixture
def restore():
    """Leave the process as found: backstop disarmed, process settings unchanged."""
    saved = get_settings()
    was = backstop.is_enabled()
    yield
    backstop.disable()
    numguard.configure(mode=saved.mode, limit=saved.limit, inflation=saved.inflation,
                       rank_promotion=saved.rank_promotion)
    if was:  # pragma: no cover - the suite runs disarmed
        backstop.enable()


@pytest.fixture
def armed(restore):
    backstop.enable(mode="raise", limit=LIMIT)
    yield


def test_enable_disable_round_trip(restore):
    assert handler_name() == "default_allocator" and not backstop.is_enabled()
    settings = backstop.enable(limit="64MiB")
    assert settings.limit.nbytes == LIMIT and get_settings().limit.nbytes == LIMIT
    assert backstop.is_enabled() and handler_name().startswith("numguard_backstop")
    state = backstop.status()
    assert state["armed"] and state["wraps"] == "default_allocator"
    assert state["fast_max"] == LIMIT == state["hard_max"]
    assert backstop.enable() is not None  # again: re-applies, stays armed
    backstop.disable()
    backstop.disable()  # idempotent
    assert handler_name() == "default_allocator" and not backstop.is_enabled()
    backstop.enable(mode="off")
    assert not backstop.is_enabled()


@pytest.mark.skipif(os.environ.get("NUMGUARD_NO_C", "").strip() not in ("", "0"),
                    reason="NUMGUARD_NO_C runs the Python code alone")
@needs_c
def test_the_c_helper_is_what_runs():
    # CI builds it; the ctypes fallback has its own test in a child process.
    _control.controller.load()
    assert backstop.status()["backend"] == "c"


def test_over_the_limit_is_refused_under_it_allowed(armed):
    assert np.empty(LIMIT // 8).nbytes == LIMIT  # exactly the limit: allowed
    for make in (np.empty, np.zeros, np.ones):  # malloc, calloc, malloc + fill
        with pytest.raises(MemoryError, match=r"shape \(8388609,\) and data type float64"):
            make(OVER)
    with pytest.raises(MemoryError):
        np.arange(10**6)[:, None] * np.arange(10**3)  # 8 GB from small operands
    assert backstop.status()["refusals"] >= 4


def test_realloc_refused_leaves_the_array_intact(armed):
    a = np.arange(1000.0)
    with pytest.raises(MemoryError):
        a.resize(OVER, refcheck=False)  # NumPy reallocates the data in place
    assert a.shape == (1000,) and a[-1] == 999.0
    a.resize(2000, refcheck=False)
    assert a[999] == 999.0 and a[1999] == 0.0


def test_memory_from_before_during_and_after_is_freed_by_its_allocator(restore):
    before = [np.full(n, 7.0) for n in (1, 100, 10**5, 10**6)]  # cache sizes, malloc, mmap
    backstop.enable(limit=LIMIT)
    during = [np.full(n, 3.0) for n in (1, 100, 10**5, 10**6)]
    assert [handler_name(a) for a in during] == [ours()] * 4
    del before[:2]
    gc.collect()
    backstop.disable()
    assert [handler_name(a) for a in during] == ["default_allocator"] * 4  # the same capsule
    del during[1:3]
    after = [np.full(n, 5.0) for n in (1, 100, 10**5, 10**6)]
    assert [float(a.sum()) for a in before + during + after] == [
        7e5, 7e6, 3.0, 3e6, 5.0, 500.0, 5e5, 5e6]


def test_threads_started_before_arming_are_guarded(restore):
    go, seen = threading.Event(), []

    def worker():
        go.wait()
        seen.append(handler_name())
        try:
            np.empty(OVER)
            seen.append("allocated")
        except MemoryError:
            seen.append("refused")

    thread = threading.Thread(target=worker)
    thread.start()
    backstop.enable(limit=LIMIT)
    go.set()
    thread.join()
    assert seen == [ours(), "refused"]


def test_a_guard_block_turns_the_refusal_into_MemoryLimitError(armed):
    with pytest.raises(numguard.MemoryLimitError) as caught, numguard.guard():
        np.ones((20000, 1)) + np.ones((1, 20000))
    error = caught.value
    assert isinstance(error, MemoryError)
    assert isinstance(error.__cause__, MemoryError)
    assert "Unable to allocate 2.98 GiB" in str(error.__cause__)
    message = str(error)
    # #20.3: the plain-array refusal names what the GuardedArray path names.
    assert message.startswith(
        "numguard: `+` (np.add) would allocate 3.0 GiB for a (20000, 20000) float64 result.")
    assert "expression: np.ones((20000, 1)) + np.ones((1, 20000))" in message
    assert "operand 0: np.ones((20000, 1)): (20000, 1) float64" in message
    assert "broadcast: operand 1 stretched along axis 0, 1 -> 20,000" in message
    assert "limit: 64.0 MiB (limit=64 MiB from enable() at " in message
    assert f"{__file__}:" in message and "np.ones((20000, 1)) + np.ones((1, 20000))" in message
    assert error.estimate.nbytes == 3_200_000_000 and error.estimate.shape == (20000, 20000)
    assert error.estimate.dtype == np.float64
    assert error.trip.limit == LIMIT and error.budget is not None and error.budget.available > 0


def test_the_decorator_translates_too_and_other_memory_errors_pass_unchanged(armed):
    @numguard.guard()
    def job():
        return np.empty(OVER)

    with pytest.raises(numguard.MemoryLimitError):
        job()
    with pytest.raises(MemoryError) as caught, numguard.guard():
        raise MemoryError("not numguard's")
    assert type(caught.value) is MemoryError


def test_a_refusal_caught_earlier_is_not_translated_later(armed):
    with pytest.raises(MemoryError):
        np.empty(OVER)  # refused, and handled here: the pending refusal is stale now
    with pytest.raises(MemoryError) as caught, numguard.guard():
        raise MemoryError("something else")
    assert type(caught.value) is MemoryError


def test_the_record(armed, caplog):
    with caplog.at_level(logging.WARNING, logger="numguard"), pytest.raises(MemoryError):
        np.zeros((3, OVER))
    (record,) = [r for r in caplog.records if getattr(r, "numguard_rule", None) == "backstop"]
    assert record.name == "numguard" and record.levelno == logging.WARNING
    assert record.action == "refused" and record.allocator == "calloc"
    assert record.nbytes == 3 * OVER * 8 and record.limit == LIMIT and record.mode == "raise"
    assert record.available > 0 and record.binding
    assert record.site.startswith(f"{__file__}:")
    assert "np.zeros((3, OVER))" in record.getMessage()


def test_warn_mode_allows_and_warns_and_refuses_when_warnings_are_errors(restore):
    backstop.enable(mode="warn", limit=LIMIT)
    with pytest.warns(numguard.NumguardWarning, match="np.empty would allocate 64.0 MiB"):
        a = np.empty(OVER)
    assert a.size == OVER
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MemoryError):
            np.empty(OVER)


def test_a_share_limit_reads_the_budget_only_for_large_requests(restore):
    backstop.enable(limit="50%")
    state = backstop.status()
    available = budget().available
    assert 64 * 1024 <= state["fast_max"] <= available // 2
    assert state["hard_max"] == pytest.approx(available // 2, rel=0.2)
    with pytest.raises(MemoryError):
        np.empty(available // 8 * 3 // 4 + 1, dtype=np.float64)  # ~75% of available
    calls = backstop.status()["slow_calls"]
    np.ones(1000) + np.ones(1000)  # small: C alone
    assert backstop.status()["slow_calls"] == calls


def test_configure_after_enable_is_followed(restore):
    backstop.enable(limit=LIMIT)
    numguard.configure(limit=4 * LIMIT)
    a = np.empty(OVER)  # over the old fast path: asked, judged by the new settings
    # the fast bound followed (it is also capped at 1/64 of what is available)
    assert a.size == OVER and LIMIT < backstop.status()["fast_max"] <= 4 * LIMIT


def test_a_failing_decision_never_escapes_into_numpy(armed, monkeypatch):
    def broken(self, nbytes, kind, repeat=False):
        raise RuntimeError("judge is broken")

    monkeypatch.setattr(_judge.Judge, "decide", broken)
    backstop.enable()  # hand the handler the broken bound method
    unraisable = []
    monkeypatch.setattr("sys.unraisablehook", unraisable.append)
    with pytest.raises(MemoryError) as caught:
        np.empty(OVER)  # over hard_max: C refuses on its own
    assert caught.value.__context__ is None  # no stray exception chained in
    assert np.ones(1000).sum() == 1000.0  # the handler and the interpreter are fine
    assert len(unraisable) == 1 and isinstance(unraisable[0].exc_value, RuntimeError)


def test_a_nested_allocation_inside_a_decision_is_judged_in_c(armed, monkeypatch):
    inner = []
    original = _judge.Judge.decide

    def allocating(self, nbytes, kind, repeat=False):
        try:
            np.empty(OVER)  # re-enters the handler: C answers by hard_max, no recursion
            inner.append("allocated")
        except MemoryError:
            inner.append("refused")
        return original(self, nbytes, kind, repeat)

    monkeypatch.setattr(_judge.Judge, "decide", allocating)
    backstop.enable()
    with pytest.raises(MemoryError):
        np.empty(OVER)
    assert inner == ["refused"]


def ours() -> str:
    """The name NumPy reports for numguard's handler (the C helper's, or the fallback's
    where NUMGUARD_NO_C runs numguard's Python code alone)."""
    from numguard.backstop import _control

    _control.controller.load()
    return _control.controller.backend.NAME
