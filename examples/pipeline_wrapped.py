"""The incident's pipeline, wrapped with numguard at its entry.

A small scoring pipeline: load customer profiles (one spending figure each, a column of
shape (M, 1)), normalise them, weight each profile by its cluster's weight, and score.
The bug from the incident: the per-cluster weights arrive as a row of shape (1, N)
instead of one weight per profile, (M, 1). Broadcasting turns profiles x weights into
an (M, N) matrix without complaint. On toy data the pipeline still "works" (scores come
out, just wrong); at 5,000,000 profiles the (M, N) result is 8 TB and the container was
OOM-killed.

numguard.wrap() at the entry is the only change to the pipeline. This script:
  1. runs the pipeline at a safe size with correct weights;
  2. runs it at the same size with the buggy weights: it passes the memory limit, but
     the inflation rule (a test-suite setting) catches the stretch on toy data;
  3. runs it at production size (zero-strided views: nothing big is allocated), where
     numguard refuses the weighting step before NumPy allocates anything.

Run: python examples/pipeline_wrapped.py
"""

from __future__ import annotations

import time

import numpy as np

import numguard

PRODUCTION_PROFILES, PRODUCTION_CLUSTERS = 5_000_000, 200_000
SAFE_PROFILES, SAFE_CLUSTERS = 2_000, 50


# -- the pipeline (unchanged but for wrap() in load_profiles) ------------------------------

def load_profiles(spending: np.ndarray) -> np.ndarray:
    """Entry point: every array that flows from here on is guarded."""
    return numguard.wrap(spending.reshape(-1, 1))


def normalise(profiles: np.ndarray) -> np.ndarray:
    return (profiles - profiles.mean()) / (profiles.std() or 1.0)


def weight(profiles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return profiles * weights  # meant (M, 1) x (M, 1); with a (1, N) row it is (M, N)


def score(weighted: np.ndarray) -> np.ndarray:
    return weighted.sum(axis=1)


def run_pipeline(spending: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return score(weight(normalise(load_profiles(spending)), weights))


# -- data ---------------------------------------------------------------------------------

def safe_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spending = rng.gamma(2.0, 50.0, SAFE_PROFILES)
    per_cluster = rng.random(SAFE_CLUSTERS)
    cluster_of = rng.integers(0, SAFE_CLUSTERS, SAFE_PROFILES)
    per_profile = per_cluster[cluster_of].reshape(-1, 1)  # correct: (M, 1)
    buggy = per_cluster.reshape(1, -1)  # the incident: (1, N)
    return spending, per_profile, buggy


def production_shaped(shape: tuple[int, ...]) -> np.ndarray:
    """Production shapes backed by a single element (zero strides): metadata only."""
    return np.lib.stride_tricks.as_strided(np.ones(1), shape, (0,) * len(shape))


def main() -> int:
    rng = np.random.default_rng(2024)
    spending, per_profile, buggy = safe_data(rng)

    print(f"1. safe size ({SAFE_PROFILES:,} profiles), correct weights {per_profile.shape}:")
    scores = run_pipeline(spending, per_profile)
    print(f"   scores {scores.shape}, {type(scores).__name__}, mean {scores.mean():+.3f}")

    print(f"2. safe size, buggy weights {buggy.shape}:")
    scores = run_pipeline(spending, buggy)
    print(f"   scores {scores.shape}: no error, and silently wrong (each score summed "
          f"{SAFE_CLUSTERS} clusters)")
    with numguard.guard(inflation=2):  # what a test suite would set
        try:
            run_pipeline(spending, buggy)
        except numguard.errors.InflationError as error:
            print("   with guard(inflation=2) the toy run is caught:")
            print("   " + str(error).splitlines()[0])

    print(f"3. production size ({PRODUCTION_PROFILES:,} profiles, "
          f"{PRODUCTION_CLUSTERS:,} clusters), buggy weights:")
    spending = production_shaped((PRODUCTION_PROFILES,))
    weights = production_shaped((1, PRODUCTION_CLUSTERS))
    started = time.perf_counter()
    try:
        run_pipeline(spending, weights)
    except numguard.BroadcastMemoryError as error:
        elapsed = (time.perf_counter() - started) * 1000
        print("numguard stopped the production run before allocating:")
        print(error)
        print(f"(pipeline up to the refusal: {elapsed:.0f} ms; projected "
              f"{numguard.memory.format_bytes(error.estimate.nbytes)})")
        return 0
    print("numguard did not stop the production run")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
