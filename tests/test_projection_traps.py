"""The traps of issue #16: FFT and statistics against NumPy, and every trap refused at
production shape on GuardedArrays, before NumPy allocates, with a hint.

Production shapes are zero-strided views (as_strided): nothing is allocated.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import numguard

RNG = np.random.default_rng(1)
DTYPES = [np.float64, np.float32, np.complex64, np.int16]


def virtual(shape, dtype=np.float64):
    return as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))


def outputs(value):
    return [value] if isinstance(value, np.ndarray) else [np.asarray(v) for v in value]


FFT_CASES = [
    *[(f, (RNG.standard_normal((4, 6)).astype(d),), kw) for d in DTYPES
      for f in (np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.hfft,
                np.fft.ihfft) if not (d is np.complex64 and f in (np.fft.rfft, np.fft.ihfft))
      for kw in ({}, {"n": 9}, {"n": 3, "axis": 0, "norm": "ortho"})],
    *[(f, (RNG.standard_normal((3, 4, 6)).astype(d),), kw) for d in DTYPES
      for f in (np.fft.fftn, np.fft.ifftn, np.fft.fft2, np.fft.ifft2, np.fft.irfftn,
                np.fft.irfft2, np.fft.rfftn, np.fft.rfft2)
      if not (d is np.complex64 and f in (np.fft.rfftn, np.fft.rfft2))
      for kw in ({}, {"s": (5, 8), "axes": (0, 2)}, {"axes": (1,), "norm": "forward"})],
    (np.fft.fftshift, (np.arange(10.0).reshape(2, 5),), {}),
    (np.fft.ifftshift, (np.arange(10, dtype=np.int8),), {"axes": 0}),
]


@pytest.mark.parametrize("func, args, kwargs", FFT_CASES,
                         ids=[f"{f.__name__}-{a[0].dtype}-{kw}" for f, a, kw in FFT_CASES])
def test_fft_matches_numpy(func, args, kwargs):
    est = numguard.estimate(func, *args, **kwargs)
    real = outputs(func(*args, **kwargs))
    assert est.shapes == tuple(r.shape for r in real)
    assert est.dtypes == tuple(r.dtype for r in real)
    assert est.nbytes == sum(r.nbytes for r in real) and est.exact
    assert est.peak >= est.nbytes


def test_fft_out_allocates_no_result():
    x = np.ones(8)
    out = np.empty(8, complex)
    assert numguard.estimate(np.fft.fft, x, out=out).nbytes == 0


@pytest.mark.parametrize("bad", [{"n": 0}, {"norm": "sideways"}, {"axis": 3}])
def test_fft_errors_are_numpys(bad):
    with pytest.raises((ValueError, np.exceptions.AxisError)):
        numguard.estimate(np.fft.fft, np.ones(4), **bad)


COV_OPTIONS = [{}, {"rowvar": False}, {"bias": True}, {"ddof": 0},
               {"aweights": np.arange(1.0, 6)}, {"fweights": np.arange(1, 6)},
               {"dtype": np.float32}]


@pytest.mark.parametrize("shape", [(3, 5), (5,), (1, 5)])
@pytest.mark.parametrize("options", COV_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.complex64])
def test_cov_matches_numpy(shape, options, dtype):
    m = (RNG.standard_normal(shape) * 4).astype(dtype)
    if options.get("rowvar") is False:
        m = m.T.copy()
    est = numguard.estimate(np.cov, m, **options)
    real = np.cov(m, **options)
    assert (est.shape, est.dtype, est.nbytes) == (real.shape, real.dtype, real.nbytes)
    assert est.peak > est.nbytes  # NumPy's copy of the data


@pytest.mark.parametrize("rowvar", [True, False])
def test_corrcoef_and_cov_with_y_match_numpy(rowvar):
    x, y = RNG.standard_normal((3, 6)), RNG.standard_normal((2, 6)).astype(np.float32)
    if not rowvar:
        x, y = x.T.copy(), y.T.copy()
    for func in (np.cov, np.corrcoef):
        est = numguard.estimate(func, x, y, rowvar=rowvar)
        real = func(x, y, rowvar=rowvar)
        assert (est.shape, est.dtype, est.nbytes) == (real.shape, real.dtype, real.nbytes)


@pytest.mark.parametrize("n, m, k", list(itertools.product(range(5), range(5), range(-5, 6))))
def test_triangle_indices_match_numpy(n, m, k):
    a = np.zeros((n, m))
    for func in (np.tril_indices_from, np.triu_indices_from):
        est = numguard.estimate(func, a, k)
        real = func(a, k)
        assert est.shapes == tuple(r.shape for r in real)
        assert est.dtypes == tuple(r.dtype for r in real)
        assert est.nbytes == sum(r.nbytes for r in real)


TALL = (200_000, 10)
TRAPS = {
    "svd full_matrices": (lambda x: np.linalg.svd(x), TALL, "full_matrices=False"),
    "qr complete": (lambda x: np.linalg.qr(x, mode="complete"), TALL, 'mode="reduced"'),
    "cov rowvar": (lambda x: np.cov(x), TALL, "rowvar=False"),
    "corrcoef rowvar": (lambda x: np.corrcoef(x), TALL, "rowvar=False"),
    "fft huge n": (lambda x: np.fft.fft(x, n=10**12), (1000,), "a smaller n"),
    "rfftn huge s": (lambda x: np.fft.rfftn(x, s=(10**6, 10**6)), (10, 10), "a smaller n"),
    "tril_indices_from": (lambda x: np.tril_indices_from(x), (10**6, 10**6), "smaller array"),
    "triu_indices_from": (lambda x: np.triu_indices_from(x), (10**6, 10**6), "smaller array"),
}


@pytest.mark.parametrize("name", list(TRAPS))
def test_trap_estimate_names_the_fix(name):
    call, shape, hint = TRAPS[name]
    func = {"svd": np.linalg.svd, "qr": np.linalg.qr, "cov": np.cov,
            "corrcoef": np.corrcoef, "fft": np.fft.fft, "rfftn": np.fft.rfftn,
            "tril_indices_from": np.tril_indices_from,
            "triu_indices_from": np.triu_indices_from}[name.split()[0]]
    kwargs = {"qr": {"mode": "complete"}, "fft": {"n": 10**12},
              "rfftn": {"s": (10**6, 10**6)}}.get(name.split()[0], {})
    est = numguard.estimate(func, virtual(shape), **kwargs)
    assert est.nbytes > 2**30 and hint in est.hint


def test_svd_trap_is_298_gib_and_the_fix_is_small():
    x = virtual(TALL)
    full = numguard.estimate(np.linalg.svd, x)
    assert full.shapes[0] == (200_000, 200_000)
    assert full.nbytes // 2**30 == 298
    reduced = numguard.estimate(np.linalg.svd, x, full_matrices=False)
    assert reduced.shapes[0] == (200_000, 10) and reduced.hint == ""
    assert numguard.estimate(np.cov, x, rowvar=False).shape == (10, 10)


@pytest.mark.parametrize("name", list(TRAPS))
def test_trap_is_refused_on_guarded_arrays_before_numpy_allocates(name):
    call, shape, hint = TRAPS[name]
    g = numguard.wrap(virtual(shape))
    start = time.perf_counter()
    with numguard.guard(limit="1GiB"), pytest.raises(numguard.MemoryLimitError) as info:
        call(g)
    assert time.perf_counter() - start < 5  # generous: refused before any O(n^2) work
    assert hint in str(info.value)


def test_refusal_allocates_nothing_in_a_capped_process():
    """Under RLIMIT_AS of 2 GiB, the svd trap is refused by numguard, not by malloc."""
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "import numpy as np, numguard\n"
        "from numpy.lib.stride_tricks import as_strided\n"
        "g = numguard.wrap(as_strided(np.zeros(1), shape=(200000, 10), strides=(0, 0)))\n"
        "with numguard.guard(limit='1GiB'):\n"
        "    try:\n"
        "        np.linalg.svd(g)\n"
        "    except numguard.MemoryLimitError as e:\n"
        "        print('refused', 'full_matrices=False' in str(e))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "refused True", run.stderr
