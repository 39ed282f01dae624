"""The incident at its production shape: 5,000,000 profiles against 200,000 cluster weights.

(M, 1) x (1, N) would be a (5,000,000, 200,000) float64 result: 8 TB. numguard must
refuse it with BroadcastMemoryError within milliseconds, name the stretched axes, and
allocate nothing. The profiles are a zero-strided view (8 bytes of memory); the
weights are a real (1, 200_000) view, 1.6 MB.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import numguard
from numguard import BroadcastMemoryError, wrap
from numguard.memory import format_bytes

M, N = 5_000_000, 200_000
#: The documented defaults, spelled out, so that NUMGUARD_* in the test environment
#: cannot change what this test means.
DEFAULTS = {"mode": "raise", "limit": "80%", "inflation": None, "rank_promotion": "allow"}


def production_operands():
    profiles = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(M, 1), strides=(0, 0))
    weights = np.random.default_rng(5).random(N)[np.newaxis, :]  # a (1, N) view
    assert weights.base is not None
    return wrap(profiles), weights


def test_incident_is_refused_within_milliseconds_with_nothing_allocated():
    profiles, weights = production_operands()
    # A first refusal imports what reports it (loaded on the first trip, not at start-up):
    # a toy one first, so that what is traced below is the incident's own refusal.
    with numguard.guard(limit="1KiB"), pytest.raises(MemoryError):
        wrap(np.ones((50, 1))) * np.ones((1, 50))
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        with numguard.guard(**DEFAULTS), pytest.raises(BroadcastMemoryError) as info:
            profiles * weights
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0, f"took {elapsed:.3f} s"  # milliseconds in practice; 1 s is slack
    assert peak - before < 1024**2, f"{peak - before} bytes traced during the refusal"

    error = info.value
    assert isinstance(error, MemoryError)
    assert error.estimate.shape == (M, N)
    assert error.estimate.nbytes == M * N * 8
    assert error.budget is not None and error.budget.available > 0
    text = str(error)
    lines = text.splitlines()
    assert re.search(r"\(5000000,\s*200000\)", lines[0]), lines[0]
    assert format_bytes(M * N * 8) in text
    stretched = [line for line in lines if "stretch" in line]
    assert any("operand 0" in s and "axis 1" in s and "200,000" in s for s in stretched), text
    assert any("operand 1" in s and "axis 0" in s and "5,000,000" in s for s in stretched), text
    assert f"{__file__}:" in text


def test_incident_written_as_in_production():
    """The pipeline's own spelling: profiles as a column, weights broadcast as a row."""
    profiles = wrap(np.lib.stride_tricks.as_strided(np.zeros(1), shape=(M,), strides=(0,)))
    weights = np.random.default_rng(6).random(N)
    with numguard.guard(**DEFAULTS):
        with pytest.raises(BroadcastMemoryError):
            profiles[:, np.newaxis] * weights  # (M, 1) x (N,)
        with pytest.raises(BroadcastMemoryError):
            np.multiply(profiles.reshape(-1, 1), weights.reshape(1, -1))
        with pytest.raises(BroadcastMemoryError):
            np.subtract.outer(profiles, weights)
        # the correct, intended operation at the same scale is 40 MB and allowed
        scores = profiles * 2.0
        assert scores.shape == (M,)


def test_inflation_catches_the_incident_on_toy_data():
    """The structural signature shows at any size: 5 profiles, 4 clusters."""
    profiles = wrap(np.ones((5, 1)))
    weights = np.ones((1, 4))
    with numguard.guard(inflation=2), pytest.raises(numguard.errors.InflationError):
        profiles * weights


CHILD = textwrap.dedent("""
    import json, resource, sys, time
    cap = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import numpy as np, numguard

    def peak_rss_kib():  # this process's own high-water mark (ru_maxrss keeps the
        # parent's across fork and exec)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    rss_before = peak_rss_kib()
    profiles = numguard.wrap(
        np.lib.stride_tricks.as_strided(np.zeros(1), shape=(5_000_000, 1), strides=(0, 0)))
    weights = np.random.default_rng(5).random(200_000)[np.newaxis, :]
    started = time.perf_counter()
    try:
        profiles * weights
        outcome, text = "ran", ""
    except MemoryError as e:
        outcome, text = type(e).__name__, str(e)
    elapsed = time.perf_counter() - started
    rss_after = peak_rss_kib()
    print(json.dumps({"outcome": outcome, "text": text, "elapsed": elapsed,
                      "rss_before_kib": rss_before, "rss_after_kib": rss_after}))
""")


def test_incident_under_a_2_gib_address_space_cap():
    """In a child capped at 2 GiB of address space: the refusal is numguard's, not the
    allocator's, it comes at once, and peak RSS stays at the interpreter's own size."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["outcome"] == "BroadcastMemoryError", report
    assert report["elapsed"] < 1.0
    assert report["rss_after_kib"] - report["rss_before_kib"] < 64 * 1024  # < 64 MiB
    assert report["rss_after_kib"] < 512 * 1024
    assert "RLIMIT_AS" in report["text"]  # the cap is what binds, and the message says so
    assert "200,000" in report["text"] and "5,000,000" in report["text"]
