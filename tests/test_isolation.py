"""Settings are per thread and per asyncio task: no block leaks into another's operations."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import numguard
from numguard import BroadcastMemoryError, configure, get_settings, guard, wrap

THREADS = 8
ROUNDS = 25


pytestmark = pytest.mark.usefixtures("restored_defaults")


def limit_for(i: int) -> int:
    """Thread i's limit: room for exactly (i + 1) * 100 float64 elements."""
    return (i + 1) * 100 * 8


def at_and_over(i: int) -> tuple:
    """One result exactly at thread i's limit, one element over (both broadcast)."""
    n = (i + 1) * 100
    return (wrap(np.ones((n, 1))), np.ones(1)), (wrap(np.ones((n + 1, 1))), np.ones(1))


def test_eight_threads_with_different_limits():
    barrier = threading.Barrier(THREADS)
    errors: list = []
    outcomes: dict = {i: [] for i in range(THREADS)}

    def worker(i: int) -> None:
        try:
            (at_a, at_b), (over_a, over_b) = at_and_over(i)
            # the two-array hot path, equal shapes: one element over the limit
            hot_at = wrap(np.ones((i + 1) * 50)), wrap(np.ones((i + 1) * 50))
            with guard(limit=limit_for(i), mode="raise"):
                for _ in range(ROUNDS):
                    barrier.wait(timeout=20)  # all eight inside their blocks together
                    assert get_settings().limit.nbytes == limit_for(i)
                    result = at_a * at_b
                    assert result.shape == ((i + 1) * 100, 1)
                    with pytest.raises(BroadcastMemoryError) as info:
                        over_a * over_b
                    assert info.value.trip.limit == limit_for(i)
                    assert (hot_at[0] + hot_at[1]).shape == ((i + 1) * 50,)
                    outcomes[i].append(True)
            assert get_settings() == numguard.configure()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append((i, exc))
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert all(len(v) == ROUNDS for v in outcomes.values())


def test_threads_with_different_modes_at_once(caplog):
    """Raise in some threads, log or off in others, on the same shared arrays."""
    a, b = wrap(np.ones((50, 1))), np.ones(50)  # a 20 KB result
    modes = ["raise", "log", "off", "raise", "log", "off", "raise", "off"]
    barrier = threading.Barrier(len(modes))
    results: dict = {}

    def worker(i: int) -> None:
        with guard(mode=modes[i], limit=1000):
            barrier.wait(timeout=20)
            try:
                results[i] = (a * b).shape
            except BroadcastMemoryError:
                results[i] = "refused"

    with caplog.at_level(logging.WARNING, logger="numguard"):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(modes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert [results[i] for i in range(len(modes))] == [
        "refused" if m == "raise" else (50, 50) for m in modes]
    assert len([r for r in caplog.records if r.name == "numguard"]) == modes.count("log")


def test_a_new_thread_sees_the_process_defaults_not_its_creators_block():
    configure(limit="3MiB", mode="warn")
    seen = {}

    def look():
        seen["settings"] = get_settings()

    with guard(limit="1KiB", mode="raise"):
        t = threading.Thread(target=look)
        t.start()
        t.join()
        assert get_settings().limit.nbytes == 1024
    assert seen["settings"].limit.nbytes == 3 * 1024**2
    assert seen["settings"].mode == "warn"


def test_configure_in_one_thread_is_seen_by_threads_without_a_block():
    seen = {}
    ready, go = threading.Event(), threading.Event()

    def look():
        ready.set()
        go.wait(timeout=10)
        seen["settings"] = get_settings()

    t = threading.Thread(target=look)
    t.start()
    ready.wait(timeout=10)
    configure(limit="4MiB")
    go.set()
    t.join()
    assert seen["settings"].limit.nbytes == 4 * 1024**2


def test_a_copied_context_carries_a_block_into_an_executor():
    with guard(limit="2KiB"):
        ctx = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=2) as pool:
        inside = pool.submit(ctx.run, get_settings).result()
        outside = pool.submit(get_settings).result()
    assert inside.limit.nbytes == 2048
    assert outside == get_settings()


# -- asyncio ----------------------------------------------------------------------------

def test_asyncio_tasks_with_different_settings():
    async def task(i: int) -> list:
        seen = []
        (at_a, at_b), (over_a, over_b) = at_and_over(i)
        with guard(limit=limit_for(i), mode="raise" if i % 2 == 0 else "log"):
            for _ in range(10):
                await asyncio.sleep(0)  # let the other tasks run in between
                s = get_settings()
                seen.append((s.limit.nbytes, s.mode))
                assert (at_a * at_b).shape == ((i + 1) * 100, 1)
                if s.mode == "raise":
                    with pytest.raises(BroadcastMemoryError):
                        over_a * over_b
                else:
                    assert (over_a * over_b).shape == ((i + 1) * 100 + 1, 1)
        seen.append(get_settings())
        return seen

    async def main():
        return await asyncio.gather(*(task(i) for i in range(THREADS)))

    before = get_settings()
    results = asyncio.run(main())
    for i, seen in enumerate(results):
        *inside, after = seen
        assert inside == [(limit_for(i), "raise" if i % 2 == 0 else "log")] * 10
        assert after == before
    assert get_settings() == before


def test_asyncio_task_inherits_its_creators_block_at_creation():
    async def look():
        await asyncio.sleep(0)
        return get_settings()

    async def main():
        with guard(limit="5KiB"):
            task = asyncio.create_task(look())
        # the block has exited; the task copied the context when it was created
        inherited = await task
        plain = await asyncio.create_task(look())
        return inherited, plain

    inherited, plain = asyncio.run(main())
    assert inherited.limit.nbytes == 5 * 1024
    assert plain == get_settings()


def test_a_guard_inside_a_task_does_not_leak_to_its_creator():
    async def child():
        with guard(mode="off"):
            await asyncio.sleep(0)
        configured = get_settings()
        guard(mode="log").__enter__()  # never exited: stays in the task's own context
        return configured

    async def main():
        mode_before = get_settings().mode
        await asyncio.create_task(child())
        return mode_before, get_settings().mode

    before, after = asyncio.run(main())
    assert before == after


def test_decorated_coroutine_function_scopes_its_body():
    @guard(limit="6KiB")
    async def job():
        await asyncio.sleep(0)
        return get_settings()

    async def main():
        return await job()

    assert asyncio.run(main()).limit.nbytes == 6 * 1024
