"""#21.3: settings and backstop membership travel together, whatever carries a block.

A plain and a wrapped array in the same context always get the same verdict: the
wrapped one is judged by the settings in force, the plain one by the backstop, and both
follow the one ContextVar that holds the block's Scope.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import numpy as np
import pytest

import numguard
from numguard import backstop, guard, wrap

EIGHT_MB = 10**6  # float64 elements


def verdicts() -> list[str]:
    """[plain np.ones(10**6), wrapped repeat to 10**6]: 'allowed' or 'refused'."""
    found = []
    for make in (lambda: np.ones(EIGHT_MB), lambda: wrap(np.ones(1)).repeat(EIGHT_MB)):
        try:
            make()
            found.append("allowed")
        except MemoryError:
            found.append("refused")
    return found


@pytest.fixture(autouse=True)
def nothing_live_after():
    yield
    assert backstop.status()["live_blocks"] == 0
    assert not backstop.status()["installed"]


def test_a_decorated_async_generator_runs_its_body_in_the_block():
    # The reproducer: the body ran at the default settings and allocated 8 MB.
    @guard(limit="1MiB")
    async def chunks():
        yield verdicts()
        yield numguard.get_settings().limit.text

    async def collect():
        return [item async for item in chunks()]

    assert asyncio.run(collect()) == [["refused", "refused"], "1MiB"]
    assert numguard.get_settings().limit.text == "80%"


def test_a_decorated_async_generator_forwards_asend_athrow_and_aclose():
    seen = []

    @guard(limit="1MiB")
    async def echo():
        try:
            while True:
                received = yield numguard.get_settings().limit.text
                seen.append(received)
        except ValueError as error:
            seen.append(f"thrown {error}")
            yield "after the throw"
        finally:
            seen.append("closed")

    async def drive():
        steps = echo()
        first = await steps.asend(None)
        second = await steps.asend("one")
        thrown = await steps.athrow(ValueError("boom"))
        await steps.aclose()
        return [first, second, thrown]

    assert asyncio.run(drive()) == ["1MiB", "1MiB", "after the throw"]
    assert seen == ["one", "thrown boom", "closed"]


def test_interleaved_generators_leave_the_caller_outside_every_block():
    # g1 = gen("1MiB"); next(g1); g2 = gen("2MiB"); next(g2); both run to the end: the
    # caller used to be stuck at 1 MiB for good, wrapped refused while plain allowed.
    def gen(limit):
        with guard(limit=limit):
            yield numguard.get_settings().limit.text
            yield numguard.get_settings().limit.text

    g1 = gen("1MiB")
    next(g1)
    g2 = gen("2MiB")
    next(g2)
    rest = list(g1) + list(g2)
    assert rest == ["2MiB", "2MiB"]  # g2's block, entered last, is in force until it ends
    assert numguard.get_settings().limit.text == "80%"
    assert verdicts() == ["allowed", "allowed"]


def test_interleaved_generators_in_the_other_order_too():
    def gen(limit):
        with guard(limit=limit):
            yield
            yield

    g1, g2 = gen("1MiB"), gen("2MiB")
    next(g1)
    next(g2)
    list(g2)
    assert numguard.get_settings().limit.text == "1MiB"  # g1's block is still open
    assert verdicts() == ["refused", "refused"]
    list(g1)
    assert numguard.get_settings().limit.text == "80%"
    assert verdicts() == ["allowed", "allowed"]


def test_a_task_created_in_a_block_and_awaited_after_it_is_judged_alike():
    # The settings said 1 MiB and wrapped operations were refused, but plain 8 MB
    # allocations were allowed: the task's context holds the block, so both are refused.
    async def work():
        await asyncio.sleep(0)
        return verdicts()

    async def main():
        with guard(limit="1MiB"):
            task = asyncio.create_task(work())
        assert verdicts() == ["allowed", "allowed"]  # outside the block here
        return await task

    assert asyncio.run(main()) == ["refused", "refused"]


def test_a_context_copied_in_a_block_keeps_it_judged_after_the_block():
    import contextvars

    with guard(limit="1MiB"):
        copied = contextvars.copy_context()
    assert copied.run(verdicts) == ["refused", "refused"]
    assert verdicts() == ["allowed", "allowed"]
    del copied  # the last holder of the block's Scope: the backstop lets go


def test_one_instance_entered_from_four_threads_gives_type_errors_and_nothing_else():
    # Besides the documented TypeError, threads sharing one instance used to get
    # "cannot unpack non-iterable NoneType", and live_blocks=1 stayed for good.
    block = guard(limit="1MiB")
    errors: list[BaseException] = []
    entered = []

    def enter(start: threading.Barrier) -> None:
        start.wait()
        try:
            with block:
                entered.append(1)
                time.sleep(0.0005)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch inside __enter__ and __exit__ too
    try:
        for _ in range(50):
            start = threading.Barrier(4, timeout=30)
            threads = [threading.Thread(target=enter, args=(start,)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert entered and errors
    assert all(type(e) is TypeError and "twice" in str(e) for e in errors), errors
    assert len(entered) + len(errors) == 200


@pytest.mark.parametrize("where", ["here", "thread", "task", "generator", "decorated"])
def test_plain_and_wrapped_arrays_always_get_the_same_verdict(where):
    def inside():
        with guard(limit="1MiB"):
            return verdicts()

    if where == "here":
        found = inside()
    elif where == "thread":
        results: list = []
        thread = threading.Thread(target=lambda: results.append(inside()))
        thread.start()
        thread.join()
        found = results[0]
    elif where == "task":
        async def task():
            return inside()
        found = asyncio.run(task())
    elif where == "generator":
        def steps():
            yield inside()
        found = next(steps())
    else:
        found = guard(limit="1MiB")(verdicts)()
    assert found == ["refused", "refused"]
    assert verdicts() == ["allowed", "allowed"]


@pytest.mark.parametrize("path", ["plain", "wrapped", "method", "function"])
def test_a_kept_traceback_of_a_refusal_does_not_keep_the_block_registered(path):
    # A frame an exception carries keeps its locals: numguard's own frames must not hold
    # the Scope, or a test runner keeping the failure would keep the handler installed.
    operations = {
        "plain": lambda: np.ones((2000, 1)) * np.ones((1, 1000)),
        "wrapped": lambda: wrap(np.ones((2000, 1))) * np.ones((1, 1000)),
        "method": lambda: wrap(np.ones(1)).repeat(EIGHT_MB),
        "function": lambda: np.outer(wrap(np.ones(2000)), np.ones(1000)),
    }
    try:
        with guard(limit="1MiB"):
            operations[path]()
    except MemoryError as error:
        kept = error
    assert kept.__traceback__ is not None
    assert backstop.status()["live_blocks"] == 0
