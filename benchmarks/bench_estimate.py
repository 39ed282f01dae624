"""What an estimate costs on the hot path, next to the call it protects (same run)."""

import numpy as np
import pytest

import numguard

A = np.ones(1)
B = np.ones(1)
COLUMN = np.ones((1000, 1))
ROW = np.ones((1, 1000))


@pytest.mark.benchmark(group="estimate: equal shapes, 1 element")
def test_plain_add(benchmark):
    benchmark(np.add, A, B)


@pytest.mark.benchmark(group="estimate: equal shapes, 1 element")
def test_estimate_equal_shapes(benchmark):
    benchmark(numguard.estimate, np.add, A, B)


@pytest.mark.benchmark(group="estimate: scalar operand")
def test_estimate_scalar(benchmark):
    benchmark(numguard.estimate, np.add, A, 2.5)


@pytest.mark.benchmark(group="estimate: broadcast (1000,1)+(1,1000)")
def test_estimate_broadcast(benchmark):
    benchmark(numguard.estimate, np.add, COLUMN, ROW)


@pytest.mark.benchmark(group="estimate: reduce")
def test_estimate_reduce(benchmark):
    benchmark(numguard.estimate, np.add.reduce, COLUMN, axis=0)


@pytest.mark.benchmark(group="estimate: matmul")
def test_estimate_matmul(benchmark):
    benchmark(numguard.estimate, np.matmul, COLUMN, ROW)
