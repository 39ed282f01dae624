"""The C fast path is safe: threads with their own settings, fork, exact reference counts,
no leak over 100k calls, and no crash on calls nobody should make (in a subprocess)."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import warnings

import numpy as np
import psutil
import pytest
from test_fastpath_differential import describe, python_only

import numguard
from numguard import GuardedArray, wrap
from numguard.guarded import ufuncs

pytestmark = pytest.mark.skipif(ufuncs.FASTPATH is None, reason="the C fast path is not "
                                "built or NUMGUARD_NO_C is set")


def calls() -> list:
    """Calls the C path takes, declines (too large, broadcast, NumPy scalars) or fails."""
    rng = np.random.default_rng(7)
    small, other = rng.random(5), rng.random(5)
    ints = np.arange(-4, 4, dtype=np.int16)
    large = rng.random((40, 40))  # a bound of 76,800 bytes: over NEGLIGIBLE_NBYTES
    return [
        lambda: wrap(small) + wrap(other),
        lambda: wrap(small) * 2.5,
        lambda: np.sqrt(wrap(small)),
        lambda: np.add(wrap(small), other),
        lambda: divmod(wrap(ints), 3),
        lambda: wrap(ints) << 2,
        lambda: wrap(large) - wrap(large),
        lambda: wrap(small) + wrap(small[:, None]),
        lambda: wrap(small) + np.float64(1.0),
        lambda: wrap(ints) + 2**70,
        lambda: np.exp(wrap(large)),
    ]


def run_call(call):
    try:
        return describe(call()), None
    except Exception as exc:  # noqa: BLE001 - compared with the Python path's
        return None, (type(exc), str(exc))


class ThreadRecords(logging.Handler):
    """numguard's records, by the thread that made them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_thread: dict[int, list] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.by_thread.setdefault(record.thread, []).append(record.getMessage())


BLOCKS = [{}, {"limit": 100}, {"limit": 5000, "mode": "log"}, {"mode": "off"},
          {"limit": 1, "mode": "log"}, {"limit": 2000}, {"limit": "1 MiB", "inflation": 2}]


def run_block(settings: dict, records: ThreadRecords, rounds: int) -> list:
    outcomes = []
    made = calls()  # (operands made outside the block: the backstop judges a block's)
    with numguard.guard(**settings), np.errstate(all="ignore"):
        for _ in range(rounds):
            for call in made:
                start = len(records.by_thread.get(threading.get_ident(), []))
                result = run_call(call)
                outcomes.append((result, records.by_thread.get(threading.get_ident(),
                                                                [])[start:]))
    return outcomes


def test_threads_with_their_own_blocks_agree_with_the_python_path():
    log = logging.getLogger("numguard")
    records = ThreadRecords()
    log.addHandler(records)
    old_level, log.level = log.level, logging.DEBUG
    try:
        with python_only():
            expected = [run_block(settings, records, 1) for settings in BLOCKS]
        got: dict[int, list] = {}

        def worker(index: int) -> None:
            got[index] = run_block(BLOCKS[index], records, 20)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(BLOCKS))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        log.removeHandler(records)
        log.level = old_level
    for index, outcomes in got.items():
        assert outcomes == expected[index] * 20, BLOCKS[index]


def test_a_forked_child_reads_its_own_settings():
    w = wrap(np.ones(3))
    add = GuardedArray.__add__
    assert add.attempt(w, w)[0]  # the cache holds the defaults now
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:
        status = 1
        try:
            taken = add.attempt(w, w)
            before = numguard.configure(limit=100)
            declined = add.attempt(w, w)
            numguard.configure(before)
            ok = (taken[0] and taken[1].tolist() == [2.0] * 3 and declined == (False, None)
                  and add.attempt(w, w)[0])
            status = 0 if ok else 2
        finally:
            os._exit(status)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0
    assert add.attempt(w, w)[0]


def reference_counts(objects: list) -> list[int]:
    return [sys.getrefcount(x) for x in objects]


def test_reference_counts_are_exact():
    owners = [np.ones(4), np.full(4, 2.0), np.arange(4, dtype=np.int8)]  # views' bases
    (w, v, ints), a = [wrap(x) for x in owners], np.ones(4)
    scalar, huge = float("2.5"), 2**70 + 1
    settings = numguard.get_settings()
    watched = [*owners, w, v, a, ints, scalar, huge, settings, np.add, np.sqrt, np.divmod,
               GuardedArray, np.ndarray, ufuncs.FASTPATH, GuardedArray.__add__,
               GuardedArray.__array_ufunc__]

    def once():
        w + v, w + w, w * scalar, v - a, np.sqrt(w), np.add(w, a), divmod(w, v), w.__add__(v)
        w + np.float64(1.0), w + wrap(np.ones((2, 4))), w + [1.0, 2.0, 3.0, 4.0]  # declined
        for failing in (lambda: ints + huge, lambda: np.left_shift(w, 1)):
            try:
                failing()
            except (OverflowError, TypeError):
                pass
        with numguard.guard(limit=10):
            try:
                w + w
            except numguard.MemoryLimitError:
                pass

    once()
    gc.collect()
    before = reference_counts(watched)
    for _ in range(1000):
        once()
    gc.collect()
    assert reference_counts(watched) == before


def test_a_result_is_held_by_the_caller_alone():
    w = wrap(np.ones(3))
    c_result = w + w
    with python_only():
        python_result = w + w
    assert sys.getrefcount(c_result) == sys.getrefcount(python_result) == 2
    assert sys.getrefcount(c_result.base) == sys.getrefcount(python_result.base)
    quotient, remainder = divmod(w, 2)
    assert sys.getrefcount(quotient) == sys.getrefcount(remainder) == 2


def test_no_leak_over_100k_calls():
    w, v = wrap(np.ones(8)), wrap(np.ones(8))
    odd = np.float64(2.0)

    def batch():
        for _ in range(2000):  # 50 calls a round: 40 taken, 10 declined
            for _ in range(8):
                w + v
                w * 2.5
                np.sqrt(w)
                np.add(w, v)
                divmod(w, 3)
            for _ in range(2):
                w + odd
                np.add(w, v, out=np.empty(8))
                w + w[:, None][:1]
                w.__add__(v, *())
                np.negative(w, dtype="f4")

    batch()  # warm-up: every cache filled
    gc.collect()
    process = psutil.Process()
    tracemalloc.start()
    try:
        traced_before = tracemalloc.get_traced_memory()[0]
        rss_before = process.memory_info().rss
        batch()
        gc.collect()
        traced_after = tracemalloc.get_traced_memory()[0]
        rss_after = process.memory_info().rss
    finally:
        tracemalloc.stop()
    assert traced_after - traced_before < 64 * 1024
    assert rss_after - rss_before < 8 * 1024 * 1024


def test_nonsense_calls_raise_and_never_crash():
    """Entries called the wrong way: Python's errors, in a subprocess, with a timeout."""
    code = textwrap.dedent("""
        import numpy as np, numguard
        from numguard import GuardedArray
        from numguard.guarded import ufuncs
        E, A = GuardedArray.__array_ufunc__, GuardedArray.__add__
        w = numguard.wrap(np.ones(3))
        calls = [
            lambda: A(), lambda: A(w), lambda: A(None, None), lambda: A(1, 2), lambda: A(w, w, w),
            lambda: E(), lambda: E(w), lambda: E(w, np.add), lambda: E(w, np.add, "__call__"),
            lambda: E(w, None, "__call__", w), lambda: E(w, np.add, None, w, w),
            lambda: E(w, np.add, "__call__", w, w, w), lambda: E(1, np.add, "__call__", 1, 2),
            lambda: E(np.ones(3), np.add, "__call__", np.ones(3), np.ones(3)),
            lambda: E(w, np.add, "__call__", w, w, out=None), lambda: A.attempt(),
            lambda: E.attempt(), lambda: E.attempt(w, np.add, "__call__", w, w, bogus=1),
            lambda: A.__get__(None, GuardedArray)(w, w), lambda: A.__get__(w)(w),
            lambda: type(A)(), lambda: ufuncs.FASTPATH.operator(),
            lambda: ufuncs.FASTPATH.array_ufunc(1), lambda: ufuncs.FASTPATH.operator(np.add, 1),
            lambda: type(ufuncs.FASTPATH)(), lambda: type(ufuncs.FASTPATH)(1, 2),
            lambda: A.__wrapped__, lambda: repr(E),
        ]
        for call in calls:
            try:
                call()
                print("returned")
            except Exception as error:
                print(type(error).__name__)
        print("done")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert lines[-1] == "done" and len(lines) == 29
    assert "SystemError" not in lines, lines
