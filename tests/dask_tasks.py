"""Task functions for test_dask.py, importable by name in the workers' processes."""

from __future__ import annotations

import numpy as np


def outer_product_sum(n: int) -> float:
    """`a * a.T` on an (n, 1) float64 array: an (n, n) temporary, n*n*8 bytes."""
    a = np.ones((n, 1))
    return float((a * a.T).sum())


def reserve(nbytes: int) -> int:
    """np.empty of `nbytes` (never touched, so it costs no resident memory)."""
    return np.empty(nbytes, dtype=np.uint8).nbytes
