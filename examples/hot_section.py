"""Scoped settings around a hot section: `with numguard.guard(...)` and `@numguard.guard(...)`.

Like np.errstate, guard() changes the settings only inside its block (or the decorated
function's calls), in this thread or asyncio task only; nested blocks win. Here a
feature-engineering step gets a hard 256 MiB budget per operation: the intended
operations pass, and an accidental outer product is refused before NumPy allocates.

Run: python examples/hot_section.py
"""

from __future__ import annotations

import numpy as np

import numguard

rng = np.random.default_rng(7)
features = numguard.wrap(rng.standard_normal((200_000, 16)))  # 25.6 MB, guarded
centroids = rng.standard_normal((64, 16))


def nearest_centroid(x: np.ndarray) -> np.ndarray:
    """Squared distances via ||x||^2 - 2 x.c + ||c||^2: (M, 64), 102 MB at this size."""
    cross = x @ centroids.T
    distances = (x * x).sum(axis=1, keepdims=True) - 2 * cross + (centroids**2).sum(axis=1)
    return distances.argmin(axis=1)


def naive_distances(x: np.ndarray) -> np.ndarray:
    """The same distances by broadcasting (M, 1, 16) - (64, 16): an (M, 64, 16) temporary."""
    return ((x[:, None, :] - centroids) ** 2).sum(axis=2)


print("1. context manager around the hot section:")
with numguard.guard(limit="256MiB", mode="raise"):
    print(f"   settings in force: limit={numguard.get_settings().limit}, "
          f"mode={numguard.get_settings().mode}")
    labels = nearest_centroid(features)
    print(f"   nearest_centroid: labels {labels.shape}, {np.bincount(labels).size} clusters used")
    try:
        naive_distances(features)
    except numguard.BroadcastMemoryError as error:
        print("   naive_distances refused:")
        print("   " + "\n   ".join(str(error).splitlines()))
print(f"   after the block: limit={numguard.get_settings().limit} (the process default)")


print("2. decorator: each call runs under its own settings")


@numguard.guard(limit="256MiB", mode="raise")
def nightly_features(x: np.ndarray) -> np.ndarray:
    return naive_distances(x)


small = features[:1_000]
print(f"   nightly_features on {small.shape[0]:,} rows: {nightly_features(small).shape}")
try:
    nightly_features(features)
except numguard.BroadcastMemoryError as error:
    print(f"   nightly_features on {features.shape[0]:,} rows refused: "
          f"{str(error).splitlines()[0]}")

print("3. nested: an inner block wins, here to log instead of raising")
with numguard.guard(limit="256MiB", mode="raise"):
    with numguard.guard(mode="log"):  # keeps the 256MiB limit, changes only the mode
        print(f"   inner settings: limit={numguard.get_settings().limit}, "
              f"mode={numguard.get_settings().mode}")
print("done")
