"""guard() protects every NumPy allocation inside its block, wrapped arrays or not (#12).

Plain arrays are refused inside a block and allowed outside it: across threads, asyncio
tasks, nested blocks, the decorator and generator steps, and inside NumPy's linalg,
fft, sort and np.load. Limits are small (1 MiB): every refused request is a few MiB and
never allocated; inputs are built outside the blocks.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import numpy as np
import pytest

import numguard
from numguard import backstop
from numguard.backstop import _capsule, _control

MiB = 2**20
LIMIT = MiB
OVER = LIMIT // 8 + 1  # float64 elements: one element over the limit


def handler_name() -> str:
    return _capsule.handler_name()


@pytest.fixture(autouse=True)
def unarmed():
    backstop.disable()
    assert not backstop.is_enabled() and handler_name() == "default_allocator"
    yield
    backstop.disable()
    assert backstop.status()["live_blocks"] == 0
    assert handler_name() == "default_allocator"  # the last block out removed the handler


def refused(make) -> bool:
    try:
        make()
    except MemoryError:
        return True
    return False


def test_plain_arrays_are_refused_inside_a_block_and_allowed_outside():
    assert not refused(lambda: np.empty(OVER))
    with numguard.guard(limit=LIMIT):
        assert handler_name() == "numguard_backstop"
        assert np.empty(LIMIT // 8).nbytes == LIMIT  # exactly the limit: allowed
        for make in (np.empty, np.zeros, np.ones):  # malloc, calloc, malloc + fill
            with pytest.raises(MemoryError, match=r"shape \(131073,\) and data type float64"):
                make(OVER)
        small = backstop.status()["slow_calls"]
        assert (np.ones(1000) + np.ones(1000)).sum() == 2000.0
        assert backstop.status()["slow_calls"] == small  # small requests: C alone
    assert not refused(lambda: np.empty(OVER))
    assert handler_name() == "default_allocator"


def test_inside_the_block_numpy_error_outside_numguard_error_with_estimate_and_budget():
    with numguard.guard(limit=LIMIT):
        try:
            np.zeros((3, OVER))
        except MemoryError as caught:
            inside = caught
    assert type(inside).__module__.startswith("numpy")  # NumPy's own, caught in the block
    assert not isinstance(inside, numguard.NumguardError)
    with pytest.raises(numguard.MemoryLimitError) as leaving, numguard.guard(limit=LIMIT):
        np.zeros((3, OVER))
    error = leaving.value
    assert isinstance(error.__cause__, MemoryError)
    assert error.estimate.shape == (3, OVER) and error.estimate.dtype == np.float64
    assert error.estimate.nbytes == 3 * OVER * 8
    assert error.trip.limit == LIMIT and error.budget is not None and error.budget.available > 0
    message = str(error)
    assert "np.zeros would allocate 3.0 MiB for a (3, 131073) float64 result" in message
    assert "expression: np.zeros((3, OVER))" in message
    assert "limit: 1.0 MiB (limit=1 MiB from guard(limit=...) at test_backstop_blocks.py:" in message
    assert f"{__file__}:" in message and "np.zeros((3, OVER))" in message


def test_nested_blocks_the_inner_settings_win():
    with numguard.guard(limit=LIMIT):
        with numguard.guard(limit=8 * LIMIT):
            assert not refused(lambda: np.empty(OVER))
        assert refused(lambda: np.empty(OVER))
        with numguard.guard(mode="off"):
            assert not refused(lambda: np.empty(OVER))
    with numguard.guard(limit=8 * LIMIT), numguard.guard(limit=LIMIT):
        assert refused(lambda: np.empty(OVER))


def test_other_threads_are_judged_by_their_own_context():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def in_a_block():
        with numguard.guard(limit=LIMIT):
            inside.set()
            seen["block"] = refused(lambda: np.empty(OVER))
            done.wait(10)

    worker = threading.Thread(target=in_a_block)
    worker.start()
    inside.wait(10)
    seen["main"] = refused(lambda: np.empty(4 * OVER))  # while the worker's block is live
    other = threading.Thread(target=lambda: seen.update(other=refused(lambda: np.empty(OVER))))
    other.start()
    other.join()
    done.set()
    worker.join()
    assert seen == {"block": True, "main": False, "other": False}


def test_asyncio_tasks_are_judged_by_their_own_context():
    async def guarded(entered: asyncio.Event, release: asyncio.Event) -> bool:
        with numguard.guard(limit=LIMIT):
            entered.set()
            await release.wait()
            return refused(lambda: np.empty(OVER))

    async def plain(entered: asyncio.Event, release: asyncio.Event) -> bool:
        await entered.wait()
        outcome = refused(lambda: np.empty(OVER))  # the other task's block is live
        release.set()
        return outcome

    async def main():
        entered, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(guarded(entered, release), plain(entered, release))

    assert asyncio.run(main()) == [True, False]


def test_the_decorator_and_generator_steps():
    @numguard.guard(limit=LIMIT)
    def job():
        return np.empty(OVER)

    with pytest.raises(numguard.MemoryLimitError):
        job()

    @numguard.guard(limit=LIMIT)
    def steps():
        yield refused(lambda: np.empty(OVER))
        yield refused(lambda: np.empty(OVER))

    outcomes = []
    for outcome in steps():
        outcomes.append(outcome)
        outcomes.append(refused(lambda: np.empty(OVER)))  # between steps: outside the block
    assert outcomes == [True, False, True, False]


def test_inside_linalg_fft_sort_and_load(tmp_path):
    square = np.eye(400)  # 1.28 MB, made outside the block
    signal = np.ones(2**16 + 1)  # its FFT is 1 MiB + 16 B of complex128
    data = np.arange(2.0 * OVER)
    saved = tmp_path / "large.npy"
    np.save(saved, data)
    with numguard.guard(limit=LIMIT):
        assert refused(lambda: np.linalg.inv(square))
        assert refused(lambda: np.fft.fft(signal))
        assert refused(lambda: np.sort(data))
        assert refused(lambda: np.load(saved))
        assert np.load(saved, mmap_mode="r")[-1] == data[-1]  # a map allocates no data
    assert np.sort(data)[-1] == data[-1] and np.load(saved).shape == data.shape


def test_warn_and_log_blocks_allow_and_report_once(caplog):
    with pytest.warns(numguard.NumguardWarning, match="np.empty would allocate 1.0 MiB") as caught:
        with numguard.guard(limit=LIMIT, mode="warn"):
            assert np.empty(OVER).size == OVER
    assert len([w for w in caught if issubclass(w.category, numguard.NumguardWarning)]) == 1
    with caplog.at_level(logging.WARNING, logger="numguard"):
        with numguard.guard(limit=LIMIT, mode="log"):
            assert np.empty(OVER).size == OVER
    (record,) = [r for r in caplog.records
                 if getattr(r, "numguard_rule", None) == "backstop" and r.mode == "log"]
    assert record.action == "allowed" and record.mode == "log" and record.limit == LIMIT


def test_a_wrapped_operation_is_judged_once_by_the_guard():
    a = numguard.wrap(np.ones((200, 1)))
    b = np.ones(1000)
    with pytest.warns(numguard.NumguardWarning) as caught:
        with numguard.guard(limit=LIMIT, mode="warn"):
            assert (a * b).shape == (200, 1000)  # 1.6 MB: one warning, the guard's
    assert len(caught) == 1 and not str(caught[0].message).startswith("numguard: a NumPy allocation")


def test_the_armed_process_and_a_block_together():
    backstop.enable(limit=8 * LIMIT)
    try:
        assert refused(lambda: np.empty(8 * OVER))  # the process limit, outside blocks
        assert not refused(lambda: np.empty(OVER))
        with numguard.guard(limit=LIMIT):
            assert refused(lambda: np.empty(OVER))
        with numguard.guard(limit=64 * LIMIT):
            assert not refused(lambda: np.empty(8 * OVER))  # the block's own limit wins
        assert handler_name() == "numguard_backstop"  # still armed after the blocks
    finally:
        backstop.disable()


def test_a_failing_hook_never_breaks_the_block(monkeypatch, caplog):
    def broken(settings, budget=None):
        raise RuntimeError("thresholds are broken")

    monkeypatch.setattr(_control, "thresholds", broken)
    monkeypatch.setattr(_control.controller, "_hook_failed", False)
    with numguard.guard(limit=LIMIT):
        assert np.empty(OVER).size == OVER  # not judged, but the block runs
    with numguard.guard(limit=LIMIT):
        pass
    lines = [r.getMessage() for r in caplog.records if "guard block" in r.getMessage()]
    assert len(lines) == 1 and "RuntimeError: thresholds are broken" in lines[0]


def test_a_share_limit_in_a_block():
    available = numguard.budget().available
    with numguard.guard(limit="50%"):
        assert 64 * 1024 <= backstop.status()["fast_max"] <= available // 2
        assert refused(lambda: np.empty(available // 8 * 3 // 4 + 1))  # ~75% of available


def test_disable_restores_the_process_settings_enable_replaced():
    before = numguard.get_settings()
    backstop.enable(limit=LIMIT, mode="warn")
    backstop.enable(limit=2 * LIMIT)  # again while armed: disable() still restores `before`
    assert numguard.get_settings().limit.nbytes == 2 * LIMIT
    backstop.disable()
    assert numguard.get_settings() == before and not backstop.is_enabled()
    backstop.enable(mode="off")  # asks for mode off: set, and not armed
    try:
        assert numguard.get_settings().mode == "off" and not backstop.is_enabled()
    finally:
        numguard.configure(mode=before.mode)
