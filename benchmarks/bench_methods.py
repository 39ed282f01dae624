"""What the guarded ndarray methods cost, next to plain NumPy and a bare subclass.

Run: python -m pytest benchmarks/bench_methods.py --benchmark-only
Compare each group's rows as ratios: they are measured in the same run.
- `x[1:3]`, `x[5]`, `x[1:3, 2]`: basic indexing, the fast path (a view, never checked);
- `x[idx]`, `x[mask]`, `x[i, j]`: advanced indexing (projected, judged);
- `x.copy()`, `x.take(idx)`: whole-array and gather methods.
"""

import numpy as np
import pytest

import numguard


class Bare(np.ndarray):
    """An ndarray subclass that overrides nothing: the cost of being a subclass."""


def kinds(array):
    return {"plain": array, "subclass": array.view(Bare), "numguard": numguard.wrap(array)}


VECTOR = np.arange(1000.0)
MATRIX = np.arange(10_000.0).reshape(100, 100)
IDX = np.array([1, 5, 7, 9])
MASK = VECTOR > 500

CASES = {
    "x[1:3]": (VECTOR, lambda x: x[1:3]),
    "x[5]": (VECTOR, lambda x: x[5]),
    "x[1:3, 2]": (MATRIX, lambda x: x[1:3, 2]),
    "x[idx] (4 of 1000)": (VECTOR, lambda x: x[IDX]),
    "x[mask] (499 of 1000)": (VECTOR, lambda x: x[MASK]),
    "x[idx] (4 rows of 100x100)": (MATRIX, lambda x: x[IDX]),
    "x[i, j] (4 of 100x100)": (MATRIX, lambda x: x[IDX, IDX]),
    "x.copy() (1000)": (VECTOR, lambda x: x.copy()),
    "x.take(idx) (4 of 1000)": (VECTOR, lambda x: x.take(IDX)),
}


@pytest.mark.parametrize("kind", ["plain", "subclass", "numguard"])
@pytest.mark.parametrize("case", list(CASES))
def test_method(benchmark, case, kind):
    array, call = CASES[case]
    benchmark.group = f"method: {case}"
    benchmark(call, kinds(array)[kind])
