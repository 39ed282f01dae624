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


def refuse() -> tuple[numguard.BroadcastMemoryError, float]:
    """The refusal and how long it took, in milliseconds, from the call to the caught error."""
    started = time.perf_counter()
    try:
        score(profiles, weights)
    except numguard.BroadcastMemoryError as error:
        return error, (time.perf_counter() - started) * 1000
    raise SystemExit("numguard did not stop the incident")


# The first refusal in a process pays for what loads on first use (the projection, the
# budget's discovery of its sources, the report); the second is what a loop would pay.
error, cold = refuse()
_, warm = refuse()
print(error)
print(f"\nRefused in {cold:.1f} ms the first time in this process, {warm:.2f} ms the second; "
      f"nothing was allocated. Projected {numguard.memory.format_bytes(error.estimate.nbytes)}, "
      f"available {numguard.memory.format_bytes(error.budget.available)}.")
