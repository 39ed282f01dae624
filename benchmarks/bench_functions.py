"""What the guard costs on array functions: np.where and np.concatenate, 1e3 elements.

Run: python -m pytest benchmarks/bench_functions.py --benchmark-only
Compare rows within a group: plain ndarray, a minimal subclass whose
__array_function__ only unwraps and re-wraps, and GuardedArray.
"""

import numpy as np
import pytest

import numguard


class PassThrough(np.ndarray):
    """The floor for any guard of this kind: NumPy's own dispatch on a subclass."""

    def __array_function__(self, func, types, args, kwargs):
        result = super().__array_function__(func, types, args, kwargs)
        return result.view(PassThrough) if type(result) is np.ndarray else result


def make(kind, array):
    if kind == "plain":
        return array
    if kind == "passthrough":
        return array.view(PassThrough)
    return numguard.wrap(array)


KINDS = ["plain", "passthrough", "numguard"]


@pytest.mark.parametrize("kind", KINDS)
def test_where(benchmark, kind):
    benchmark.group = "np.where(c, x, y), 1e3 elements, float64"
    x = make(kind, np.arange(1000.0))
    y = make(kind, np.zeros(1000))
    c = make(kind, np.arange(1000) % 2 == 0)
    benchmark(np.where, c, x, y)


@pytest.mark.parametrize("kind", KINDS)
def test_concatenate(benchmark, kind):
    benchmark.group = "np.concatenate([a, b]), 2 x 500 elements, float64"
    a = make(kind, np.arange(500.0))
    b = make(kind, np.ones(500))
    benchmark(np.concatenate, [a, b])


@pytest.mark.parametrize("kind", KINDS)
def test_sum(benchmark, kind):
    benchmark.group = "np.sum(a), 1e3 elements (checked through __array_ufunc__)"
    a = make(kind, np.arange(1000.0))
    benchmark(np.sum, a)


@pytest.mark.parametrize("kind", KINDS)
def test_transpose(benchmark, kind):
    benchmark.group = "np.transpose(a), pass-through"
    a = make(kind, np.ones((10, 100)))
    benchmark(np.transpose, a)
