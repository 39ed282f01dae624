"""The cost of guarding, side by side with the alternatives, measured in one run.

Run: python -m pytest benchmarks/bench_suite.py --benchmark-only
     python benchmarks/report.py        (the same, as a Markdown table of ratios)
CI smoke-runs it with --benchmark-disable so that it cannot rot.
"""

from __future__ import annotations

import operator

import numpy as np
import pipeline
import pytest
from variants import KINDS, as_kind, available, binary

import numguard

SIZES = {"1": 1, "1e3": 1_000, "1e6": 1_000_000, "1e7": 10_000_000}


def kinds(*excluded: str):
    return [pytest.param(k, marks=pytest.mark.skipif(not available(k), reason="no astropy"))
            for k in KINDS if k not in excluded]


@pytest.mark.parametrize("kind", kinds())
@pytest.mark.parametrize("size", list(SIZES))
def test_binary(benchmark, size, kind):
    benchmark.group = f"a + b, {size} element(s)"
    n = SIZES[size]
    a, b = as_kind(np.ones(n), kind), as_kind(np.ones(n), kind)
    benchmark(binary(kind, operator.add), a, b)


@pytest.mark.parametrize("kind", kinds())
def test_broadcast(benchmark, kind):
    benchmark.group = "broadcast (1000,1) + (1,1000)"
    a, b = as_kind(np.ones((1000, 1)), kind), as_kind(np.ones((1, 1000)), kind)
    benchmark(binary(kind, operator.add), a, b)


@pytest.mark.parametrize("kind", kinds("handcheck"))
def test_reduction(benchmark, kind):
    benchmark.group = "reduction: a.sum(axis=0), (1000, 100)"
    a = as_kind(np.ones((1000, 100)), kind)
    benchmark(a.sum, axis=0)


@pytest.mark.parametrize("kind", kinds())
def test_matmul(benchmark, kind):
    benchmark.group = "matmul (100,100) @ (100,100)"
    a, b = as_kind(np.ones((100, 100)), kind), as_kind(np.ones((100, 100)), kind)
    benchmark(binary(kind, operator.matmul), a, b)


@pytest.mark.parametrize("kind", kinds("handcheck"))
def test_where(benchmark, kind):
    benchmark.group = "np.where(c, a, b), 1e3"
    c = np.arange(1000) % 2 == 0
    a, b = as_kind(np.ones(1000), kind), as_kind(np.zeros(1000), kind)
    benchmark(np.where, c, a, b)


@pytest.mark.parametrize("kind", kinds())
def test_scalar_operand(benchmark, kind):
    benchmark.group = "a * 2.5, 1e3"
    a = as_kind(np.ones(1000), kind)
    benchmark(binary(kind, operator.mul), a, 2.5)


@pytest.mark.parametrize("kind", kinds())
def test_in_place(benchmark, kind):
    benchmark.group = "a += b, 1e3"
    a, b = as_kind(np.ones(1000), kind), as_kind(np.ones(1000), kind)
    benchmark(binary(kind, operator.iadd), a, b)


@pytest.mark.parametrize("kind", kinds("handcheck"))
def test_pipeline(benchmark, kind):
    benchmark.group = "20-step pipeline, 10,000 points x 8 dims, 16 centroids"
    points, centroids = pipeline.inputs(10_000)
    benchmark(pipeline.run, as_kind(points, kind), as_kind(centroids, kind))


def test_estimate_alone(benchmark):
    benchmark.group = "numguard.estimate(np.add, a, b), equal shapes"
    a, b = np.ones(1000), np.ones(1000)
    benchmark(numguard.estimate, np.add, a, b)
