"""The incident's bug, caught on toy data: numguard.scaling projects each line to production.

The scoring step passes its unit tests: with 1,000 to 4,000 profiles the broadcast
(n, n // 10) temporary is a few MiB. `scaling` runs it at those toy sizes, records
what NumPy allocates at each line, sees that the product line grows as n^2 and
projects it to the 5,000,000 profiles of production: terabytes, against a 16 GiB
machine. The fixed version (one matrix product, no (n, k) temporary kept per row)
grows linearly and passes. Each toy run allocates at most 13 MiB.

Run: python examples/toy_data_scaling.py
"""

from __future__ import annotations

import numpy as np

from numguard.growth import scaling  # also `numguard.scaling` once exported

PRODUCTION = 5_000_000
TOY = [1_000, 2_000, 4_000]


def best_cluster_score(n: int) -> np.ndarray:
    """The pipeline step from the incident: clusters grow with the data (n // 10)."""
    profiles = np.linspace(0.0, 1.0, n)
    weights = np.linspace(1.0, 2.0, n // 10)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def best_cluster_score_fixed(n: int) -> np.ndarray:
    """Same scores: max_j(p * w_j) is p * max(w) for p >= 0 (p * min(w) below 0)."""
    profiles = np.linspace(0.0, 1.0, n)
    weights = np.linspace(1.0, 2.0, n // 10)
    return np.where(profiles >= 0, profiles * weights.max(), profiles * weights.min())


np.testing.assert_allclose(best_cluster_score(2_000), best_cluster_score_fixed(2_000))

reports = {step: scaling(step, n=TOY, at=PRODUCTION, limit="16GiB")
           for step in (best_cluster_score, best_cluster_score_fixed)}
for step, report in reports.items():
    print(f"{step.__name__}: {'passes' if report.ok else 'FAILS'}")
    print("  " + "\n  ".join(str(report).splitlines()) + "\n")

if reports[best_cluster_score].ok or not reports[best_cluster_score_fixed].ok:
    raise SystemExit("scaling did not tell the incident from its fix")
