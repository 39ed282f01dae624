"""NumPy's creation, ufunc, sorting, linalg, fft and random functions with the backstop
armed, in a child process: no crash, no leak, exact results, refusals in between.

The child keeps arrays made before arming, while armed and after disarming, and checks
their contents at the end, after the allocators that made them have changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from backends import needs_c

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

STRESS = textwrap.dedent("""
    import gc, json, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    import numpy as np
    import numguard.backstop as backstop

    ROUNDS = int(sys.argv[1])
    LIMIT = 32 * 2**20

    def rss_kib():
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))

    def workload(seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(20_000)
        m = rng.standard_normal((64, 64)) + 64 * np.eye(64)
        total = 0.0
        # creation
        parts = [np.empty(100), np.zeros((50, 50)), np.ones(3, dtype=np.int8), np.full(7, 2.5),
                 np.arange(1000), np.linspace(0, 1, 513), np.eye(33), np.identity(5),
                 np.array([[1, 2], [3, 4]]), np.fromiter(range(10_000), dtype=np.int64),
                 np.frombuffer(b"abcdefgh" * 100, dtype=np.uint8).copy(),
                 np.concatenate([x, x]), np.stack([x[:10]] * 10), np.tile(x[:5], 40),
                 np.repeat(x[:10], 30), *np.meshgrid(x[:30], x[:40]),
                 np.array(["a", "bb", "ccc"] * 50), np.array([None, 1, "x"] * 50, dtype=object),
                 np.zeros(0), np.empty((0, 5))]
        total += sum(float(np.asarray(p, dtype=object).size) for p in parts)
        # ufuncs and methods
        total += float(np.add.reduce(x * 2 + 1) + np.multiply.outer(x[:100], x[:100]).sum()
                       + np.add.accumulate(x)[-1] + np.sqrt(np.abs(x)).sum()
                       + np.maximum(x, 0).sum() + (x[:, None][:100] - x[None, :100]).sum())
        # sorting and searching
        s = np.sort(x)
        total += float(s[0] + np.argsort(x)[0] + np.partition(x, 50)[50]
                       + np.unique(np.round(x, 1)).size + np.searchsorted(s, 0.0)
                       + np.lexsort((x[:1000], x[1000:2000]))[0] + np.sort(x.astype(np.float32))[-1])
        strided = x[::3].copy(); strided.sort(kind="stable")
        # linalg
        total += float(np.linalg.inv(m).sum() + np.linalg.solve(m, x[:64]).sum()
                       + np.linalg.svd(m, compute_uv=False).sum() + np.linalg.eigh(m @ m.T)[0].sum()
                       + np.linalg.qr(m)[1].sum() + np.linalg.det(m / 64) + np.linalg.norm(m)
                       + np.linalg.lstsq(m, x[:64], rcond=None)[0].sum() + (m @ m).sum())
        # fft
        total += float(np.abs(np.fft.fft(x)).sum() + np.fft.ifft(np.fft.fft(x)).real.sum()
                       + np.fft.rfft(x).real.sum() + np.fft.fft2(m).real.sum())
        # copies, casts, fancy indexing, resizing (realloc)
        y = x.astype(np.float32).copy()
        total += float(y[rng.integers(0, y.size, 500)].sum() + x[x > 0].sum())
        grow = np.arange(10.0); grow.resize(100_000, refcheck=False); total += float(grow[9])
        total += float(np.resize(x[:10], 1000).sum())
        # refusals in between (nothing allocated, no exception left behind)
        refused = 0
        for attempt in (lambda: np.empty(LIMIT // 8 + 1), lambda: np.zeros((4096, 4096)),
                        lambda: x[:, None] + x[None, :], lambda: np.sort(np.broadcast_to(x, (400, x.size))),
                        lambda: np.linalg.inv(np.eye(2100)), lambda: np.fft.fft(np.ones(2**22))):
            try:
                attempt()
            except MemoryError:
                refused += 1
        assert sys.exc_info() == (None, None, None)
        return total, refused

    before = [np.full(n, 1.0) for n in (1, 100, 100_000, 2_000_000)]
    backstop.enable(mode="raise", limit=LIMIT)
    assert np._core.multiarray.get_handler_name().startswith("numguard_backstop")
    during = [np.full(n, 2.0) for n in (1, 100, 100_000, 2_000_000)]

    expected, refused = workload(0)
    assert refused == 6, refused
    rss = []
    for round in range(ROUNDS):
        with ThreadPoolExecutor(2) as pool:
            results = [workload(0)] + list(pool.map(workload, [0, 0]))
        worker = threading.Thread(target=lambda: results.append(workload(0)))
        worker.start(); worker.join()
        assert results == [(expected, 6)] * 4, results
        gc.collect()
        rss.append(rss_kib())

    state = backstop.status()
    backstop.disable()
    after = [np.full(n, 3.0) for n in (1, 100, 100_000, 2_000_000)]
    kept = [float(a.sum()) for a in before + during + after]
    del before, during, after
    gc.collect()
    print(json.dumps({"rss_kib": rss, "kept": kept, "refusals": state["refusals"]}))
""")


@pytest.mark.parametrize("backend, rounds", [pytest.param("c", 12, marks=needs_c), ("ctypes", 3)])
def test_numpy_under_the_backstop(backend, rounds):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env["NUMGUARD_BACKSTOP_BACKEND"] = backend
    done = subprocess.run(
        [sys.executable, "-c", STRESS, str(rounds)], check=False, capture_output=True, text=True,
        timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    sizes = (1, 100, 100_000, 2_000_000)
    assert report["kept"] == [float(n * v) for v in (1.0, 2.0, 3.0) for n in sizes]
    assert report["refusals"] >= 6 * (1 + 4 * rounds)
    rss = report["rss_kib"]
    if rounds >= 6:  # steady state: no growth after warm-up, beyond allocator noise
        assert max(rss[3:]) - rss[2] < 16 * 1024, rss
