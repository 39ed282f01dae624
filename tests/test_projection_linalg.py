"""np.linalg projections against NumPy itself: shapes, dtypes and result bytes of the
real results on small inputs, for every dtype linalg takes; peaks never below them."""

from __future__ import annotations

import numpy as np
import pytest

import numguard

RNG = np.random.default_rng(0)
DTYPES = [np.float64, np.float32, np.complex128, np.complex64, np.int64]


def spd(n, dtype, stack=()):
    m = RNG.standard_normal(stack + (n, n))
    m = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    return m.astype(dtype)


def general(shape, dtype):
    return (RNG.standard_normal(shape) * 3).astype(dtype)


def results(value):
    if isinstance(value, np.ndarray | np.generic):
        return [np.asarray(value)]
    if isinstance(value, (int, float)):
        return [np.asarray(value)]
    return [r for v in value for r in results(v)]


CASES = [
    *[(np.linalg.svd, (general((6, 3), d),), kw) for d in DTYPES
      for kw in ({}, {"full_matrices": False}, {"compute_uv": False})],
    (np.linalg.svd, (general((2, 3, 5), np.float64),), {}),
    (np.linalg.svd, (spd(4, np.float64),), {"hermitian": True}),
    (np.linalg.svd, (spd(4, np.float32),), {"hermitian": True, "compute_uv": False}),
    (np.linalg.svdvals, (general((5, 3), np.float32),), {}),
    *[(np.linalg.qr, (general(s, d),), {"mode": mode}) for d in DTYPES
      for s in ((6, 3), (3, 6), (2, 5, 4)) for mode in ("reduced", "complete", "r", "raw")],
    *[(f, (spd(4, d),), {}) for d in DTYPES
      for f in (np.linalg.eigh, np.linalg.eigvalsh, np.linalg.inv, np.linalg.cholesky,
                np.linalg.det, np.linalg.slogdet)],
    (np.linalg.inv, (spd(3, np.float32, (2, 4)),), {}),
    (np.linalg.solve, (spd(3, np.float64), general((3,), np.float32)), {}),
    (np.linalg.solve, (spd(3, np.float32, (2,)), general((2, 3, 2), np.float32)), {}),
    (np.linalg.solve, (spd(3, np.complex64), general((3, 4), np.int64)), {}),
    (np.linalg.lstsq, (general((6, 3), np.float64), general((6,), np.float64)), {}),
    (np.linalg.lstsq, (general((6, 3), np.float32), general((6, 2), np.float32)), {}),
    (np.linalg.pinv, (general((5, 3), np.float64),), {}),
    (np.linalg.pinv, (general((2, 3, 4), np.complex64),), {}),
    (np.linalg.matrix_rank, (general((5, 3), np.float64),), {}),
    (np.linalg.matrix_rank, (general((2, 5, 3), np.float32),), {}),
    (np.linalg.matrix_rank, (general((4,), np.float32),), {}),
    (np.linalg.cond, (spd(3, np.float64),), {}),
    (np.linalg.cond, (spd(3, np.float32, (2,)),), {"p": "fro"}),
    (np.linalg.cond, (spd(3, np.complex64),), {"p": 1}),
    *[(np.linalg.matrix_power, (spd(3, d),), {"n": n}) for d in (np.float64, np.int64)
      for n in (0, 1, 2, 3, 5, -1, -3)],
    (np.linalg.tensorinv, (np.eye(24).reshape(4, 6, 8, 3),), {}),
    (np.linalg.tensorinv, (np.eye(24, dtype=np.float32).reshape(24, 8, 3),), {"ind": 1}),
    (np.linalg.tensorsolve, (np.eye(6).reshape(6, 2, 3), np.ones(6)), {}),
    *[(np.linalg.norm, (general((4, 5), d),), kw) for d in DTYPES
      for kw in ({}, {"ord": "fro"}, {"ord": 2}, {"ord": "nuc"}, {"ord": 1},
                 {"ord": np.inf, "axis": 1}, {"ord": 3, "axis": 0, "keepdims": True},
                 {"axis": (0, 1)})],
    (np.linalg.vector_norm, (general((3, 4, 5), np.float32),), {"axis": (0, 2)}),
    (np.linalg.vector_norm, (general((3, 4), np.int64),), {"ord": 1, "keepdims": True}),
    (np.linalg.matrix_norm, (general((2, 3, 4), np.complex64),), {"ord": 2}),
    (np.linalg.multi_dot, ([general((4, 3), np.float64), general((3, 5), np.float32)],), {}),
    (np.linalg.multi_dot, ([general((3,), np.float64), general((3, 5), np.float64),
                            general((5,), np.float64)],), {}),
    (np.linalg.multi_dot, ([general((10, 30), np.float64), general((30, 5), np.float64),
                            general((5, 60), np.float64), general((60, 2), np.int64)],), {}),
]


def case_id(case):
    func, args, kwargs = case
    shapes = "x".join(str(getattr(a, "shape", "list")) for a in args)
    dtype = getattr(args[0], "dtype", "")
    return f"{func.__name__}-{shapes}-{dtype}-{kwargs}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_linalg_projection_matches_numpy(case):
    func, args, kwargs = case
    est = numguard.estimate(func, *args, **kwargs)
    returned = func(*args, **kwargs)
    real = results(returned)
    assert est.shapes == tuple(r.shape for r in real)
    assert est.dtypes == tuple(r.dtype for r in real)
    fresh = [r for r in real if not any(np.shares_memory(r, a) for a in args
                                        if isinstance(a, np.ndarray))]
    assert est.nbytes == sum(r.nbytes for r in fresh)  # matrix_power(a, 1) returns a
    assert est.exact or func is np.linalg.lstsq  # its residuals may come back empty
    assert est.peak >= est.nbytes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("func", [np.linalg.eig, np.linalg.eigvals])
def test_eig_bounds_the_real_or_complex_result(func, dtype):
    a = general((4, 4), dtype)
    symmetric = (a + a.T).astype(dtype)  # real eigenvalues: NumPy returns real arrays
    for x in (a, symmetric):
        est = numguard.estimate(func, x)
        real = results(func(x))
        assert not est.exact
        assert est.shapes == tuple(r.shape for r in real)
        assert est.nbytes >= sum(r.nbytes for r in real)
        for dtype_est, r in zip(est.dtypes, real):
            assert np.can_cast(r.dtype, dtype_est, "safe")


@pytest.mark.parametrize("b_shape", [(6,), (6, 2)])
def test_lstsq_residuals_are_a_bound(b_shape):
    a = general((6, 3), np.float64)
    b = general(b_shape, np.float64)
    est = numguard.estimate(np.linalg.lstsq, a, b)
    real = results(np.linalg.lstsq(a, b))
    assert est.shapes == tuple(r.shape for r in real)
    underdetermined = numguard.estimate(np.linalg.lstsq, a.T, b[:3])
    assert underdetermined.nbytes >= sum(r.nbytes for r in results(np.linalg.lstsq(a.T, b[:3])))


@pytest.mark.parametrize("call", [
    lambda: numguard.estimate(np.linalg.svd, np.ones(3)),
    lambda: numguard.estimate(np.linalg.inv, np.ones((2, 3))),
    lambda: numguard.estimate(np.linalg.qr, np.ones((2, 3)), mode="bogus"),
    lambda: numguard.estimate(np.linalg.inv, np.ones((2, 2), np.float16)),
])
def test_numpy_errors_are_numpys(call):
    with pytest.raises((np.linalg.LinAlgError, ValueError, TypeError)):
        call()
