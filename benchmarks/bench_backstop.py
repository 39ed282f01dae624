"""What the allocation backstop costs, armed vs disarmed, in the same run.

Run: python -m pytest benchmarks/bench_backstop.py --benchmark-only
Compare each group's rows as ratios (median / median of "plain").

- plain: NumPy's own default handler (the backstop disarmed).
- backstop: armed with the C helper (the fast path: one compare, then NumPy's function).
- ctypes: armed with the fallback used when the C helper was not built (every
  allocation calls into Python).

Guard blocks (#12), each group's rows in the same run:

- "a + b, 1e3 elements, inside a guard block vs outside": outside (NumPy's own handler,
  nothing installed) against inside `guard(limit="1GiB")` and `guard(limit="50%")`
  (the handler installed, the block's threshold in C: one compare per allocation).
- "guard block: enter + leave": `with guard(limit=...): pass` with the backstop's
  BlockHooks and without them (settings.py alone), so the difference is the hooks'.

The limit is the default, 80% of available memory: every allocation measured here is
on the fast path, as almost every allocation of a real program is.

Sub-microsecond calls are timed in batches (pedantic, 2,000 calls per round): timed
one by one, the timer's own overhead and noise would hide a few nanoseconds.
"""

import numpy as np
import pipeline
import pytest

import numguard
from numguard import backstop, settings
from numguard.backstop import _capsule, _control, _ctypes_handler

SIZES = {"1": 1, "1e3": 1_000, "1e6": 1_000_000}
KINDS = ["plain", "backstop"]
# The fallback runs last (its own tests below, same groups): measured first, its
# callbacks and trampolines shifted the next tests' allocator state by a few percent.
FALLBACK = ["ctypes"]


@pytest.fixture
def armed(request):
    kind = request.param
    controller = _control.controller
    saved = controller.backend, controller.backend_name
    if kind == "ctypes":  # the fallback a user without the C helper runs, armed the same way
        controller.load()
        controller.backend, controller.backend_name = _ctypes_handler, "ctypes"
    if kind != "plain":
        backstop.enable()
        assert backstop.status()["backend"] == ("c" if kind == "backstop" else "ctypes")
    yield kind
    backstop.disable()
    controller.backend, controller.backend_name = saved
    assert _capsule.handler_name() == "default_allocator"


def empty(benchmark, size):
    benchmark.group = f"np.empty({size}), float64"
    benchmark.pedantic(np.empty, args=(SIZES[size],), iterations=2000, rounds=300,
                       warmup_rounds=20)


def add(benchmark):
    benchmark.group = "a + b, 1e3 elements (one result allocation)"
    a, b = np.ones(1000), np.ones(1000)
    benchmark.pedantic(np.add, args=(a, b), iterations=2000, rounds=200, warmup_rounds=20)


def run_pipeline(benchmark):
    benchmark.group = "20-step pipeline, 10,000 points x 8 dims, 16 centroids"
    points, centroids = pipeline.inputs(10_000)
    benchmark(pipeline.run, points, centroids)


@pytest.mark.parametrize("armed", KINDS, indirect=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_empty(benchmark, size, armed):
    empty(benchmark, size)


@pytest.mark.parametrize("armed", KINDS, indirect=True)
def test_add(benchmark, armed):
    add(benchmark)


@pytest.mark.parametrize("armed", KINDS, indirect=True)
def test_pipeline(benchmark, armed):
    run_pipeline(benchmark)


@pytest.mark.parametrize("armed", FALLBACK, indirect=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_empty_fallback(benchmark, size, armed):
    empty(benchmark, size)


@pytest.mark.parametrize("armed", FALLBACK, indirect=True)
def test_add_fallback(benchmark, armed):
    add(benchmark)


@pytest.mark.parametrize("armed", FALLBACK, indirect=True)
def test_pipeline_fallback(benchmark, armed):
    run_pipeline(benchmark)


@pytest.fixture
def block(request):
    """Run the benchmark outside any block, or inside one with the given limit."""
    if request.param == "outside":
        yield request.param
        return
    with numguard.guard(limit=request.param):
        assert _capsule.handler_name() == "numguard_backstop"
        yield request.param
    assert _capsule.handler_name() == "default_allocator"


@pytest.mark.parametrize("block", ["outside", "1GiB", "50%"], indirect=True)
def test_add_in_a_block(benchmark, block):
    benchmark.group = "a + b, 1e3 elements, inside a guard block vs outside"
    a, b = np.ones(1000), np.ones(1000)
    benchmark.pedantic(np.add, args=(a, b), iterations=2000, rounds=200, warmup_rounds=20)


@pytest.fixture(params=["hooks", "no hooks"])
def hooks(request, monkeypatch):
    if request.param == "no hooks":
        monkeypatch.setattr(settings.BlockHooks, "enter", None)
        monkeypatch.setattr(settings.BlockHooks, "release", None)
    return request.param


@pytest.mark.parametrize("limit", ["1GiB", "50%"])
def test_enter_and_leave_a_block(benchmark, hooks, limit):
    benchmark.group = "guard block: enter + leave"
    block = numguard.guard(limit=limit)

    def enter_and_leave():
        with block:
            pass

    benchmark.pedantic(enter_and_leave, iterations=1000, rounds=200, warmup_rounds=10)


def interleaved(size: int, rounds: int = 300, calls: int = 2000) -> tuple[float, float]:
    """Median ns per np.empty(size), disarmed and armed, alternating round by round."""
    import statistics
    import time

    def batch() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            np.empty(size)
        return (time.perf_counter() - start) / calls * 1e9

    times: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for armed_now in ((False, True) if round_ % 2 else (True, False)):
            backstop.enable() if armed_now else backstop.disable()
            times[armed_now].append(batch())
    backstop.disable()
    return statistics.median(times[False]), statistics.median(times[True])


if __name__ == "__main__":
    # A cross-check free of test order: python benchmarks/bench_backstop.py
    for label, size in SIZES.items():
        plain, armed_ns = interleaved(size)
        print(f"np.empty({label}): plain {plain:.1f} ns, armed {armed_ns:.1f} ns, "
              f"ratio {armed_ns / plain:.3f}")
