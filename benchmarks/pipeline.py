"""A 20-step pipeline written the way a data engineer writes one.

Normalise features, measure distances to centroids, pick the nearest, mask the
outliers, summarise. Every step is plain NumPy; the variants only change the type
of the two input arrays.
"""

from __future__ import annotations

import numpy as np


def run(points, centroids):
    mean = points.mean(axis=0)                                  # 1
    spread = points.std(axis=0) + 1e-12                         # 2, 3
    z = (points - mean) / spread                                # 4, 5
    c = (centroids - mean) / spread                             # 6, 7
    diff = z[:, None, :] - c[None, :, :]                        # 8
    d2 = (diff * diff).sum(axis=-1)                             # 9, 10
    nearest = d2.argmin(axis=1)                                 # 11
    best = d2.min(axis=1)                                       # 12
    dist = np.sqrt(best)                                        # 13
    threshold = dist.mean() + 3 * dist.std()                    # 14, 15, 16
    outlier = dist > threshold                                  # 17
    weights = np.where(outlier, 0.0, 1.0 / (1.0 + dist))        # 18, 19
    score = (weights * dist).sum() / weights.sum()              # 20
    return nearest, outlier, score


def inputs(n: int, dims: int = 8, clusters: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dims)), rng.standard_normal((clusters, dims))
