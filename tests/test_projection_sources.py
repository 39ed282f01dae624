"""Delegated functions, polynomial helpers, like= conversions, arange, buffers, files,
iterators and business days: shapes, dtypes and result bytes against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import numguard

A = np.arange(12.0).reshape(3, 4)
X = np.linspace(0, 1, 20)
DATES = np.array(["2020-01-01", "2020-03-05", "2021-07-04"], "M8[D]")

CASES = [
    (np.clip, (A, 1, 5), {}), (np.clip, (A,), {"max": 3}), (np.around, (A, 1), {}),
    (np.round, (A.astype(np.float32),), {}), (np.fix, (A,), {}), (np.angle, (A + 1j,), {}),
    (np.isneginf, (A,), {}), (np.isposinf, (A,), {}), (np.isreal, (A,), {}),
    (np.sinc, (A.astype(np.float32),), {}), (np.isclose, (A, A[0]), {}),
    (np.allclose, (A, A[0]), {}), (np.polyval, ([1, 2, 3], A), {}),
    (np.gradient, (A,), {}), (np.gradient, (np.arange(5),), {}), (np.trapezoid, (A,), {}),
    (np.polyadd, ([1, 2, 3], [1.5, 2]), {}), (np.polysub, (np.int32([1, 2]), [1, 2, 3]), {}),
    (np.polymul, ([1, 2], [3, 4, 5]), {}), (np.polyder, ([1, 2, 3, 4],), {"m": 2}),
    (np.polyint, ([1, 2, 3],), {"m": 2}), (np.poly, ([1, 2, 3],), {}),
    (np.polyfit, (X, X**2, 2), {}), (np.polyfit, (X, np.c_[X, X], 3), {"full": True}),
    (np.polyfit, (X, X**2, 2), {"cov": True}),
    (np.array, (A,), {}), (np.array, ([[1, 2], [3, 4]],), {"ndmin": 3}),
    (np.asarray, (A, np.float32), {}), (np.asanyarray, (A,), {}),
    (np.ascontiguousarray, (A[:, ::2],), {}), (np.asfortranarray, (A,), {}),
    (np.arange, (10,), {}), (np.arange, (1.5, 7, 0.5), {}),
    (np.arange, (5, 1, -1), {"dtype": np.int8}), (np.frombuffer, (b"12345678" * 3,), {}),
    (np.fromiter, (range(5), float), {"count": 5}),
    (np.busday_count, (DATES, "2022-01-01"), {}), (np.busday_offset, ("2020-01-01", [1, 2]),
                                                     {"roll": "forward"}),
    (np.is_busday, (DATES,), {}),
]


def results(value):
    return [np.asarray(v) for v in value] if isinstance(value, (list, tuple)) else [
        np.asarray(value)]


@pytest.mark.parametrize("func, args, kwargs", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_matches_numpy(func, args, kwargs):
    est = numguard.estimate(func, *args, **kwargs)
    real = results(func(*args, **kwargs))
    assert est.shapes == tuple(r.shape for r in real)
    assert est.dtypes == tuple(r.dtype for r in real)
    fresh = sum(r.nbytes for r in real if not any(
        isinstance(a, np.ndarray) and np.shares_memory(r, a) for a in args))
    if func in (np.frombuffer,):
        fresh = 0  # a view of the bytes object
    assert est.nbytes == fresh
    assert est.peak >= est.nbytes


@pytest.mark.parametrize("func, args", [
    (np.polydiv, ([1.0, 2, 3, 4], [1.0, 2])), (np.roots, ([1, -3, 2],)),
    (np.poly, (np.eye(3),)), (np.require, (A[:, ::2], None, "C")),
])
def test_data_dependent_results_are_bounds(func, args):
    est = numguard.estimate(func, *args)
    real = results(func(*args))
    assert not est.exact
    assert est.nbytes >= sum(r.nbytes for r in real)


def test_fromfile_is_bounded_by_the_file(tmp_path):
    path = tmp_path / "data.bin"
    np.arange(100.0).tofile(path)
    est = numguard.estimate(np.fromfile, str(path))
    assert est.shape == (100,) and not est.exact
    assert numguard.estimate(np.fromfile, str(path), count=7).shape == (7,)
    text = tmp_path / "data.txt"
    text.write_text("1 2 3 4")
    assert numguard.estimate(np.fromfile, str(text), sep=" ").nbytes >= 4 * 8


def test_what_cannot_be_known_says_why():
    with pytest.raises(TypeError, match="iterator's length"):
        numguard.estimate(np.fromiter, iter(range(3)), float)
    with pytest.raises(TypeError, match="parsing the text"):
        numguard.estimate(np.loadtxt, "numbers.txt")
