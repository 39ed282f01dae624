"""What reading the user's expression costs (numguard.diagnosis), per call.

Run: python -m pytest benchmarks/bench_diagnosis.py --benchmark-only

The frame is paused by opcode tracing right before it runs the instruction that would
allocate (its operands on the stack, as at an allocation); the benchmark runs there.

- diagnose, the seed incident `profiles[:, None] * weights[None, :]`: warm (the site
  already located, as for a second refusal at a line) and cold (the site cache emptied
  before each call: the positions, the span's text and its parse; the file's lines
  stay in linecache, as they do after the first traceback or report).
- broadcast_estimate, the inflation and rank rules' question at every allocation: a
  site that cannot broadcast (`x.repeat(3)`, answered from the cache), `a + b` of one
  shape (operands evaluated, nothing projected), and `a * b` with (50, 1) and (1, 20)
  operands (operands evaluated and projected each time).
- for scale: `user_frame` from the allocating frame (the walk the caller makes
  anyway), and `numguard.estimate(np.multiply, a, b)` alone.

Sub-microsecond calls are timed in batches (pedantic iterations).
"""

import sys

import numpy as np
import pytest

import numguard
from numguard.diagnosis import broadcast_estimate, diagnose, source, user_frame

BINARY = "BINARY_OP" if sys.version_info >= (3, 11) else "BINARY_MULTIPLY"
CALL = "CALL" if sys.version_info >= (3, 11) else "CALL_METHOD"


def _noop():
    pass


def at_instruction(run, opname, action):
    """Run `run()` and call `action(frame)` once, when its frame is about to run
    `opname`. (Opcode events are set on every frame and warmed up once: Python 3.12.1
    sends them only so.)"""
    target, done = run.__code__, []

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if (frame.f_code is target and event == "opcode" and not done
                and __import__("dis").opname[frame.f_code.co_code[frame.f_lasti]] == opname):
            done.append(action(frame))
        return tracer

    sys.settrace(tracer)
    _noop()
    sys.settrace(None)
    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    assert done, f"{opname} was not reached"


PROFILES = np.broadcast_to(np.zeros(1), (5_000_000,))
WEIGHTS = np.broadcast_to(np.zeros(1), (200_000,))


def seed_incident(action):
    profiles, weights = PROFILES, WEIGHTS
    with numguard.guard(limit="1GiB"), pytest.raises(MemoryError):  # refused, never made
        at_instruction(lambda: profiles[:, None] * weights[None, :], BINARY, action)


@pytest.mark.benchmark(group="diagnose: the seed incident")
def test_diagnose_seed_incident_warm(benchmark):
    def measure(frame):
        diagnose(frame)
        found = benchmark(diagnose, frame)
        assert found.estimate.nbytes == 8 * 10**12

    seed_incident(measure)


@pytest.mark.benchmark(group="diagnose: the seed incident")
def test_diagnose_seed_incident_cold_site(benchmark):
    def measure(frame):
        found = benchmark.pedantic(diagnose, args=(frame,), setup=source._sites.clear,
                                   rounds=300, warmup_rounds=5)
        assert found.estimate.nbytes == 8 * 10**12

    seed_incident(measure)


def batched(benchmark, function, frame):
    return benchmark.pedantic(function, args=(frame,), iterations=1000, rounds=100,
                              warmup_rounds=5)


@pytest.mark.benchmark(group="broadcast_estimate, per allocation")
def test_broadcast_estimate_cached_site_that_cannot_broadcast(benchmark):
    x = np.arange(10)

    def measure(frame):
        broadcast_estimate(frame)  # plans the site
        assert batched(benchmark, broadcast_estimate, frame) is None

    at_instruction(lambda: x.repeat(3), CALL, measure)


@pytest.mark.benchmark(group="broadcast_estimate, per allocation")
def test_broadcast_estimate_a_times_b(benchmark):
    a, b = np.ones((50, 1)), np.ones((1, 20))

    def measure(frame):
        broadcast_estimate(frame)
        found = benchmark(broadcast_estimate, frame)
        assert found.result_size == 1000

    at_instruction(lambda: a * b, BINARY, measure)


@pytest.mark.benchmark(group="broadcast_estimate, per allocation")
def test_broadcast_estimate_a_plus_b_of_one_shape(benchmark):
    a, b = np.ones((50, 20)), np.ones((50, 20))

    def measure(frame):
        broadcast_estimate(frame)
        assert benchmark(broadcast_estimate, frame) is None  # stretches nothing

    at_instruction(lambda: a + b, BINARY, measure)


@pytest.mark.benchmark(group="broadcast_estimate, per allocation")
def test_user_frame_walk_for_scale(benchmark):
    x = np.arange(10)
    at_instruction(lambda: x.repeat(3), CALL,
                   lambda frame: batched(benchmark, user_frame, frame))


@pytest.mark.benchmark(group="broadcast_estimate, per allocation")
def test_numguard_estimate_alone_for_scale(benchmark):
    a, b = np.ones((50, 1)), np.ones((1, 20))
    benchmark(numguard.estimate, np.multiply, a, b)
