"""The incident, stopped before it happens.

5,000,000 customer profiles of shape (M, 1) met per-cluster weights of shape (1, N).
Broadcasting silently turned that into an (M, N) result; NumPy's malloc succeeded
under overcommit and the container was OOM-killed later. Wrapped with numguard, the
same line raises BroadcastMemoryError before anything is allocated.

Run: python examples/incident.py
"""

import time

import numpy as np

import numguard

M, N = 5_000_000, 200_000  # profiles, clusters


def production_shaped(shape: tuple[int, ...]) -> np.ndarray:
    """Production shapes backed by one element (zero strides): metadata only."""
    return np.lib.stride_tricks.as_strided(np.ones(1), shape, (0,) * len(shape))


def score(profiles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The pipeline step from the incident: meant to be (M,), it broadcasts to (M, N)."""
    return profiles * weights


profiles = numguard.wrap(production_shaped((M, 1)))
weights = numguard.wrap(production_shaped((1, N)))

started = time.perf_counter()
try:
    score(profiles, weights)
except numguard.BroadcastMemoryError as error:
    elapsed = (time.perf_counter() - started) * 1000
    print(error)
    print(f"\nRefused in {elapsed:.1f} ms; nothing was allocated. "
          f"Projected {numguard.memory.format_bytes(error.estimate.nbytes)}, "
          f"available {numguard.memory.format_bytes(error.budget.available)}.")
else:
    raise SystemExit("numguard did not stop the incident")
