"""Array-function projections against NumPy itself: shape, dtype and bytes of the real result."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import numguard
from oracle import held_bytes
from numguard.projection import FUNCTIONS

pytestmark = pytest.mark.filterwarnings(
    "ignore:Arrays of 2-dimensional vectors:DeprecationWarning")

rng = np.random.default_rng(0)
A = rng.random((3, 4))
B = rng.random((4, 5))
V = rng.random(4)
I = np.arange(12, dtype=np.int32).reshape(3, 4)
C3 = rng.random((5, 3))
M = rng.random(10) > 0.5


def outputs(result):
    if isinstance(result, (tuple, list)):
        return [r for item in result for r in outputs(item)]
    return [np.asarray(result)]


#: (func, args, kwargs, bytes): bytes "equal" when the projection counts exactly the
#: results, "view" when it counts 0, "more" when it adds modelled temporaries.
CASES = [
    (np.where, (A > 0.5, A, 0), {}, "equal"),
    (np.where, (A[:, :1] > 0.5, I[:1], 1.5), {}, "equal"),
    (np.choose, (np.array([0, 1, 0, 1]), [A, I]), {}, "equal"),
    (np.select, ([A > 0.5, A < 0.1], [A, I]), {"default": 7}, "equal"),
    (np.cross, (C3, C3[::-1]), {}, "more"),
    (np.cross, (C3[:, :2], C3[:, :2]), {}, "more"),
    (np.linalg.cross, (C3, C3), {}, "more"),
    (np.broadcast_to, (V, (3, 4)), {}, "view"),
    (np.broadcast_arrays, (A, V, I[:1]), {}, "view"),
    (np.outer, (A, V), {}, "equal"),
    (np.linalg.outer, (V, V[:3].astype(np.int8)), {}, "equal"),
    (np.kron, (A, I), {}, "equal"),
    (np.kron, (V, A), {}, "equal"),
    (np.dot, (A, B), {}, "equal"),
    (np.dot, (rng.random((2, 3, 4)), rng.random((5, 4, 2))), {}, "equal"),
    (np.dot, (A, V), {}, "equal"),
    (np.dot, (I, 2.0), {}, "equal"),
    (np.inner, (A, I), {}, "equal"),
    (np.vdot, (A, I), {}, "equal"),
    (np.tensordot, (rng.random((3, 4, 5)), rng.random((4, 5, 2))), {}, "equal"),
    (np.tensordot, (A, B), {"axes": ([1], [0])}, "equal"),
    (np.linalg.tensordot, (A, B), {"axes": 1}, "equal"),
    (np.linalg.matmul, (A, B), {}, "equal"),
    (np.linalg.vecdot, (A, I), {}, "equal"),
    (np.einsum, ("ij,jk->ik", A, B), {}, "equal"),
    (np.einsum, ("...j,j", A, V), {}, "equal"),
    (np.einsum, ("ij,jk,kl->il", A, B, rng.random((5, 2))), {"optimize": True}, "more"),
    (np.einsum, (A, [0, 1], B, [1, 2]), {"dtype": np.float32, "casting": "same_kind"}, "equal"),
    (np.convolve, (V, V[:3]), {}, "equal"),
    (np.correlate, (V, V[:3]), {"mode": "same"}, "equal"),
    (np.concatenate, ([A, I],), {}, "equal"),
    (np.concatenate, ([A, I],), {"axis": None, "dtype": np.float32}, "equal"),
    (np.concatenate, ([A, rng.random((3, 2))],), {"axis": 1}, "equal"),
    (np.stack, ([A, I],), {"axis": -1}, "equal"),
    (np.hstack, ([V, V],), {}, "equal"),
    (np.hstack, ([A, I],), {}, "equal"),
    (np.vstack, ([V, V],), {}, "equal"),
    (np.dstack, ([A, I],), {}, "equal"),
    (np.dstack, ([V, V],), {}, "equal"),
    (np.column_stack, ([V, A.T],), {}, "equal"),
    (np.block, ([[A, I], [rng.random((1, 8))]],), {}, "equal"),
    (np.block, ([V, V],), {}, "equal"),
    (np.append, (A, I), {}, "equal"),
    (np.append, (A, I), {"axis": 0}, "equal"),
    (np.tile, (A, (2, 1, 3)), {}, "equal"),
    (np.tile, (A, 2), {}, "equal"),
    (np.repeat, (A, 3), {}, "equal"),
    (np.repeat, (A, [1, 0, 4]), {"axis": 0}, "equal"),
    (np.repeat, (np.empty((0, 2)), -1), {"axis": 0}, "equal"),
    (np.pad, (A, ((1, 2), (0, 3))), {}, "equal"),
    (np.pad, (A, 2), {"mode": "edge"}, "equal"),
    (np.resize, (A, (5, 7)), {}, "equal"),
    (np.meshgrid, (V, V[:3], V[:2]), {}, "equal"),
    (np.meshgrid, (V, V[:3]), {"indexing": "ij", "sparse": True}, "equal"),
    (np.meshgrid, (V, V[:3]), {"copy": False}, "view"),
    (np.vander, (V,), {"N": 6}, "equal"),
    (np.diag, (V,), {"k": 2}, "equal"),
    (np.diag, (A,), {"k": 1}, "equal"),
    (np.diagflat, (A,), {}, "equal"),
    (np.empty_like, (A,), {"dtype": np.int8}, "equal"),
    (np.zeros_like, (I,), {}, "equal"),
    (np.ones_like, (A,), {"shape": (2, 2)}, "equal"),
    (np.full_like, (A,), {"fill_value": 3}, "equal"),
    (np.linspace, (np.zeros(3), 1.0), {"num": 5, "axis": 1}, "equal"),
    (np.geomspace, (1, np.ones(2) * 8), {"num": 4}, "equal"),
    (np.copy, (A,), {}, "equal"),
    (np.astype, (I, np.float32), {}, "equal"),
    (np.roll, (A, 2), {}, "equal"),
    (np.tril, (A,), {}, "more"),
    (np.triu, (I,), {"k": 1}, "more"),
    (np.nan_to_num, (A,), {}, "equal"),
    (np.iscomplex, (A,), {}, "equal"),
    (np.i0, (A,), {}, "equal"),
    (np.unwrap, (A,), {}, "equal"),
    (np.packbits, (I.astype(bool),), {"axis": 1}, "equal"),
    (np.unpackbits, (I.astype(np.uint8),), {}, "equal"),
    (np.sort, (A,), {}, "equal"),
    (np.sort, (A,), {"axis": None}, "equal"),
    (np.argsort, (A,), {"axis": 0}, "equal"),
    (np.partition, (A, 1), {}, "equal"),
    (np.argpartition, (A, 1), {"axis": None}, "equal"),
    (np.sort_complex, (I,), {}, "equal"),
    (np.lexsort, ((V, V),), {}, "equal"),
    (np.take, (A, [[0, 1], [2, 0]]), {"axis": 1}, "equal"),
    (np.take, (A, [5, 1]), {}, "equal"),
    (np.take_along_axis, (A, np.argsort(A, axis=1)[:, :2]), {"axis": 1}, "equal"),
    (np.diagonal, (A,), {"offset": 1}, "view"),
    (np.linalg.diagonal, (rng.random((2, 3, 3)),), {}, "view"),
    (np.searchsorted, (np.sort(V), A), {}, "equal"),
    (np.digitize, (A, [0.2, 0.5]), {}, "equal"),
    (np.interp, (A, V, V), {}, "equal"),
    (np.isin, (A, V), {}, "equal"),
    (np.array_equal, (A, A), {}, "more"),
    (np.unravel_index, (I, (4, 3)), {}, "equal"),
    (np.ravel_multi_index, (([0, 1], [2, 3]), (3, 4)), {}, "equal"),
    (np.ediff1d, (A,), {"to_begin": [1, 2]}, "equal"),
    (np.bincount, (np.array([0, 5, 2]),), {"minlength": 3}, "equal"),
    (np.histogram, (V,), {"bins": 5}, "equal"),
    (np.histogram, (V,), {"bins": [0, 0.5, 1], "weights": V.astype(np.float32)}, "equal"),
    (np.histogram2d, (V, V), {"bins": (3, 4)}, "more"),
    (np.histogramdd, (A,), {"bins": 3}, "more"),
    (np.histogramdd, ([V, V, V],), {"bins": [2, 3, 4]}, "more"),
    (np.histogram_bin_edges, (V,), {"bins": 7}, "equal"),
    (np.sum, (A,), {"axis": 0}, "equal"),
    (np.sum, (I,), {"axis": (0, 1), "keepdims": True, "dtype": np.int8}, "equal"),
    (np.prod, (I,), {}, "equal"),
    (np.mean, (I,), {"axis": 1}, "equal"),
    (np.std, (A,), {"axis": 0, "ddof": 1}, "equal"),
    (np.var, (I,), {}, "equal"),
    (np.max, (A,), {"axis": 1, "keepdims": True}, "equal"),
    (np.amin, (I,), {"axis": 0}, "equal"),
    (np.any, (A,), {"axis": 0}, "equal"),
    (np.all, (A,), {}, "equal"),
    (np.ptp, (I,), {"axis": 1}, "equal"),
    (np.average, (A,), {"axis": 0, "weights": V[:3]}, "equal"),
    (np.count_nonzero, (A,), {"axis": 1}, "equal"),
    (np.argmax, (A,), {"axis": 0}, "equal"),
    (np.argmin, (A,), {}, "equal"),
    (np.nansum, (A,), {"axis": 1}, "more"),
    (np.nanmean, (I,), {"axis": 0}, "equal"),
    (np.nanstd, (A,), {"axis": 0}, "more"),
    (np.nanargmax, (A,), {"axis": 0}, "more"),
    (np.median, (A,), {"axis": 0}, "more"),
    (np.percentile, (A, [10, 50, 90]), {"axis": 1}, "more"),
    (np.nanquantile, (A, 0.5), {"keepdims": True}, "more"),
    (np.cumsum, (A,), {}, "equal"),
    (np.cumsum, (I,), {"axis": 1, "dtype": np.int8}, "equal"),
    (np.cumprod, (A,), {"axis": 0}, "equal"),
    (np.cumulative_sum, (I,), {"axis": 1, "include_initial": True}, "equal"),
    (np.cumulative_prod, (V,), {}, "equal"),
    (np.nancumsum, (A,), {"axis": 0}, "more"),
    (np.trace, (A,), {}, "equal"),
    (np.trace, (rng.random((2, 3, 4)),), {"axis1": 1, "axis2": 2}, "equal"),
    (np.linalg.trace, (rng.random((2, 3, 3)),), {"offset": 1}, "equal"),
    (np.diff, (A,), {}, "equal"),
    (np.diff, (A > 0.5,), {"n": 2, "axis": 0}, "equal"),
    (np.diff, (I,), {"prepend": 0, "append": [[1]] * 3}, "equal"),
    (np.diff, (A,), {"n": 0}, "view"),
    # bounded
    (np.unique, (I % 5,), {"return_counts": True, "return_inverse": True}, "bound"),
    (np.unique_all, (I % 5,), {}, "bound"),
    (np.unique_values, (A,), {}, "bound"),
    (np.unique_counts, (I % 3,), {}, "bound"),
    (np.unique_inverse, (I % 3,), {}, "bound"),
    (np.nonzero, (A > 0.5,), {}, "equal"),
    (np.where, (A > 0.5,), {}, "equal"),
    (np.argwhere, (A > 0.5,), {}, "more"),
    (np.flatnonzero, (A > 0.5,), {}, "equal"),
    (np.extract, (A > 0.5, A), {}, "more"),  # counted: exact
    (np.compress, (M[:3], A), {"axis": 0}, "more"),  # counted: exact
    (np.delete, (A, [0, 2]), {"axis": 1}, "more"),  # counted: exact
    (np.insert, (A, 1, [1, 2, 3, 4]), {"axis": 0}, "more"),  # counted: exact
    (np.setdiff1d, (I, V), {}, "bound"),
    (np.union1d, (I, V), {}, "bound"),
    (np.intersect1d, (I, I[:2]), {"return_indices": True}, "bound"),
    (np.setxor1d, (I, V), {}, "bound"),
    # np.lib.scimath decides complex or real from real data as NumPy does (min, max)
    (np.lib.scimath.sqrt, (A - 0.5,), {}, "more"),
    (np.lib.scimath.sqrt, (A,), {}, "more"),
    (np.lib.scimath.sqrt, (I.astype(np.uint8),), {}, "equal"),
    (np.lib.scimath.logn, (2, A), {}, "more"),
    *[(getattr(np.lib.scimath, name), (A * 3 - 1,), {}, "more")
      for name in ("log", "log10", "log2", "arccos", "arcsin", "arctanh")],
    (np.lib.scimath.power, (A - 0.5, 0.5), {}, "more"),
    # complex data: the larger outcome (clongdouble stays, or a zero-imaginary negative
    # converts it to complex128)
    (np.lib.scimath.log, (A.astype(np.clongdouble) - 0.5,), {}, "bound"),
    (np.amax, (A,), {"axis": 0}, "equal"),
    (np.min, (I,), {"axis": 0}, "equal"),
    *[(getattr(np, name), (A,), {"axis": 0}, "more")
      for name in ("nanargmin", "nanmax", "nanmin", "nanmedian", "nanprod", "nanvar",
                   "nanmean")],
    (np.nanpercentile, (A, 50), {}, "more"),
    (np.quantile, (A, [0.1, 0.9]), {"axis": 0}, "more"),
    (np.nancumprod, (A,), {}, "more"),
    (np.array_equiv, (A, A[:1]), {}, "more"),
    (np.logspace, (np.zeros(2), 2.0), {"num": 3}, "equal"),
]


def case_id(case):
    return case[0].__name__


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_projection_matches_numpy(case):
    func, args, kwargs, kind = case
    est = numguard.estimate(func, *args, **kwargs)
    real = outputs(func(*args, **kwargs))
    real_bytes = held_bytes(real, [a for a in outputs(list(args)) if a.ndim])
    if kind == "bound":
        assert not est.exact
        assert len(est.shapes) == len(real)
        for shape, dtype, r in zip(est.shapes, est.dtypes, real):
            assert math.prod(shape) >= r.size and len(shape) == r.ndim
            assert dtype == r.dtype or np.can_cast(r.dtype, dtype, "safe")
        assert est.nbytes >= real_bytes
        return
    assert est.shapes == tuple(r.shape for r in real)
    assert est.dtypes == tuple(r.dtype for r in real)
    if kind == "equal":
        assert est.nbytes == real_bytes and est.exact
    elif kind == "view":
        assert est.nbytes == 0
    else:  # "more": NumPy's temporaries are counted in the peak, beside the results
        assert est.peak > real_bytes
        assert est.nbytes == real_bytes and est.exact


def test_every_projected_function_has_a_case():
    from test_projection_linalg import CASES as LINALG_CASES
    from test_projection_sources import CASES as SOURCE_CASES
    from test_projection_traps import FFT_CASES

    covered = {c[0] for c in CASES + LINALG_CASES + SOURCE_CASES + FFT_CASES}
    covered |= {np.linalg.eig, np.linalg.eigvals, np.cov, np.corrcoef, np.tril_indices_from,
                np.triu_indices_from, np.polydiv, np.roots, np.require,
                np.fromfile}  # in test_projection_linalg, _traps and _sources
    public = {f for f in FUNCTIONS if not f.__name__.startswith("_")}
    # The creation functions are reached only through like=: tested in the dispatch tests.
    creation = {np.ones, np.zeros, np.empty, np.full, np.identity, np.eye, np.tri,
                np.logspace}
    missing = sorted(f.__name__ for f in public - covered - creation
                     if getattr(np, f.__name__, None) is f or f.__module__ != "numpy")
    assert not missing, missing


# --- property-based: shapes vary -------------------------------------------------

DTYPES = st.sampled_from(["?", "i1", "u2", "i8", "f4", "f8", "c16"])
FAST = settings(max_examples=40, deadline=None)


def arrays(shape, dtype):
    return np.zeros(shape, dtype=dtype)


def check(func, *args, view=False, **kwargs):
    try:
        real = outputs(func(*args, **kwargs))
    except Exception as error:  # NumPy refuses: the projection must refuse too, or be
        try:                    # caught by the guard, which then lets NumPy raise
            numguard.estimate(func, *args, **kwargs)
        except Exception:
            return
        raise AssertionError(f"projected a call NumPy rejects: {error!r}")
    est = numguard.estimate(func, *args, **kwargs)
    assert est.shapes == tuple(r.shape for r in real)
    assert est.dtypes == tuple(r.dtype for r in real)
    assert est.nbytes == (0 if view else sum(r.nbytes for r in real))


@FAST
@given(mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=4), DTYPES, DTYPES)
def test_where_broadcasts_like_numpy(shapes, dx, dy):
    c, x, y = shapes.input_shapes
    check(np.where, np.zeros(c, bool), arrays(x, dx), arrays(y, dy))


@FAST
@given(st.lists(array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3), min_size=1,
                max_size=3), st.integers(-3, 3) | st.none(), DTYPES)
def test_concatenate_and_stack(shapes, axis, dtype):
    operands = [arrays(s, dtype) for s in shapes]
    check(np.concatenate, operands, axis=axis)
    if axis is not None:
        check(np.stack, operands, axis=axis)
    check(np.hstack, operands)
    check(np.vstack, operands)
    check(np.dstack, operands)


@FAST
@given(array_shapes(min_dims=0, max_dims=3, max_side=3),
       st.lists(st.integers(0, 3), max_size=4) | st.integers(0, 3), DTYPES)
def test_tile(shape, reps, dtype):
    check(np.tile, arrays(shape, dtype), reps)


@FAST
@given(array_shapes(min_dims=0, max_dims=3, max_side=3), array_shapes(min_dims=0, max_dims=3,
       max_side=3), DTYPES, DTYPES)
def test_products(s1, s2, d1, d2):
    x, y = arrays(s1, d1), arrays(s2, d2)
    check(np.outer, x, y)
    check(np.kron, x, y)
    check(np.dot, x, y)
    check(np.inner, x, y)
    check(np.tensordot, x, y, axes=min(len(s1), len(s2), 1))


@FAST
@given(array_shapes(min_dims=1, max_dims=3, max_side=4), st.integers(-3, 2),
       st.integers(0, 3), DTYPES)
def test_along_an_axis(shape, axis, n, dtype):
    a = arrays(shape, dtype)
    check(np.repeat, a, n, axis=axis)
    check(np.diff, a, n=n, axis=axis, view=n == 0)
    check(np.sort, a, axis=axis)
    check(np.argsort, a, axis=axis)
    check(np.cumsum, a, axis=axis)
    check(np.sum, a, axis=axis)
    check(np.mean, a, axis=axis, keepdims=True)
    check(np.take, a, [0, 0], axis=axis)
    check(np.pad, a, n)


@FAST
@given(st.lists(array_shapes(min_dims=2, max_dims=2, max_side=3), min_size=2, max_size=3))
def test_einsum_chain(shapes):
    letters = "abcdefgh"
    operands, terms = [], []
    for i, s in enumerate(shapes):
        operands.append(np.ones((shapes[i - 1][1] if i else s[0], s[1])))
        terms.append(letters[i] + letters[i + 1])
    spec = ",".join(terms) + "->" + letters[0] + letters[len(shapes)]
    check(np.einsum, spec, *operands)
    est = numguard.estimate(np.einsum, spec, *operands, optimize="greedy")
    assert est.shape == np.einsum(spec, *operands).shape
