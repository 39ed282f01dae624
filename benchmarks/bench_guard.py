"""What the guard costs on `a + b`, next to plain NumPy and a pass-through subclass.

Run: python -m pytest benchmarks/bench_guard.py --benchmark-only
Compare the groups' rows as ratios: they are measured in the same run.
"""

import numpy as np
import pytest
from variants import variants

SIZES = {"1": 1, "1e3": 1_000, "1e6": 1_000_000}


@pytest.mark.parametrize("kind", ["plain", "passthrough", "numguard"])
@pytest.mark.parametrize("size", list(SIZES))
def test_add(benchmark, size, kind):
    benchmark.group = f"a + b, {size} element(s), float64"
    a = variants(np.ones(SIZES[size]))[kind]
    b = variants(np.ones(SIZES[size]))[kind]
    benchmark(a.__add__, b)
