"""Overlap copies (issue #10 item 9): NumPy copies an output that overlaps an input.

Reality is NumPy's own report of its data allocations to tracemalloc (domain
np.lib.tracemalloc_domain): the peak a real call reaches is compared with the bytes
the projection counts. Arrays are 8 MB at most.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import numguard

N = 1_000_000
#: NumPy's iterator buffers and bookkeeping: well under this.
SLACK = 256 * 1024


def peak_bytes(call):
    """Peak bytes traced during `call()`: NumPy reports its data allocations to
    tracemalloc (domain np.lib.tracemalloc_domain), Python's own are small here."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        snapshot_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return snapshot_peak


def vector():
    return np.arange(N, dtype=np.float64)


def matrix():
    return np.arange(N, dtype=np.float64).reshape(1000, 1000)


def f32_over_f64():
    """A float32 input read backwards over the float64 output it overlaps: the loop
    is float32 (1.0 is weak), so the temporary is float32 too."""
    z = np.zeros(2 * N, dtype=np.float32)
    return np.add, (z[: N // 2][::-1], 1.0), z.view(np.float64)[: N // 2]


CASES = {
    "a += a[::-1]": lambda a=vector(): (np.add, (a, a[::-1]), a),
    "a += a": lambda a=vector(): (np.add, (a, a), a),
    "a[:-1] = a[1:] + 1 (input ahead)": lambda a=vector(): (np.add, (a[1:], 1), a[:-1]),
    "a[1:] = a[:-1] + 1 (input behind)": lambda a=vector(): (np.add, (a[:-1], 1), a[1:]),
    "m += m.T": lambda m=matrix(): (np.add, (m, m.T), m),
    "m[:500] += m[250] (broadcast input)": lambda m=matrix(): (np.add, (m[:500], m[250]),
                                                               m[:500]),
    "rows that do not overlap": lambda m=matrix(): (np.add, (m[::2], m[1::2]), m[::2]),
    "float32 loop into float64 out": f32_over_f64,
    "matmul out=m (gufunc)": lambda m=matrix()[:300, :300].copy(): (np.matmul, (m, m), m),
}


@pytest.mark.parametrize("name", list(CASES))
def test_overlap_copy_matches_numpy(name):
    ufunc, inputs, out = CASES[name]()
    projected = numguard.estimate(ufunc, *inputs, out=out).peak
    measured = peak_bytes(lambda: ufunc(*inputs, out=out))
    assert projected <= measured + 1024
    assert measured <= projected + SLACK


def test_overlap_copy_counts_for_accumulate():
    a = vector()
    assert numguard.estimate(np.add.accumulate, a, out=a).peak == 0
    reversed_out = a[::-1]
    projected = numguard.estimate(np.add.accumulate, a, out=reversed_out).peak
    measured = peak_bytes(lambda: np.add.accumulate(a, out=reversed_out))
    assert projected == a.nbytes
    assert measured <= projected + SLACK


def test_in_place_reverse_add_is_counted():
    g = vector()
    est = numguard.estimate(np.add, g, g[::-1], out=g)
    assert est.peak == g.nbytes  # the copy is a temporary: no result is allocated
    assert est.exact


def test_guard_refuses_the_overlap_copy_and_leaves_g_untouched():
    g = numguard.wrap(vector())
    before = g.copy()
    with numguard.guard(limit=1000), pytest.raises(MemoryError):
        np.add(g, g[::-1], out=g, casting="same_kind")
    np.testing.assert_array_equal(np.asarray(g), np.asarray(before))


def test_guard_refuses_in_place_reverse_add():
    g = numguard.wrap(vector())
    before = g.copy()
    with numguard.guard(limit=1000), pytest.raises(MemoryError):
        g += g[::-1]
    np.testing.assert_array_equal(np.asarray(g), np.asarray(before))
