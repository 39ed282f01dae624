"""The incident's bug, caught on toy data: numguard.scaling projects each line to production.

The scoring step passes its unit tests: with a few hundred users and a few dozen items
the broadcast (users, items) temporary is a few hundred KiB. `scaling` runs it at
those toy sizes, varying both sizes, records what NumPy allocates at each line and
the peak of what is alive at once, sees that the product line grows as
users^1.0 x items^1.0 and projects it to production's 5,000,000 users and 200,000
items: 7.3 TiB, against a 16 GiB machine. The fixed version (no (users, items)
temporary) grows with users alone and passes. Six toy runs, each under 1 MiB.

Had the toy test fixed items at 20 and varied users only, the product would have been
projected at 762.9 MiB and passed: a size the toy runs do not vary cannot be projected.

Run: python examples/toy_data_scaling.py
"""

from __future__ import annotations

import numpy as np

import numguard

TOY = {"users": [200, 400, 800], "items": [20, 40, 80]}
PRODUCTION = {"users": 5_000_000, "items": 200_000}


def best_cluster_score(users: int, items: int) -> np.ndarray:
    """The pipeline step from the incident: every user's profile against every item."""
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    return (profiles[:, None] * weights[None, :]).max(axis=1)


def best_cluster_score_fixed(users: int, items: int) -> np.ndarray:
    """Same scores: max_j(p * w_j) is p * max(w) for p >= 0 (p * min(w) below 0)."""
    profiles = np.linspace(0.0, 1.0, users)
    weights = np.linspace(1.0, 2.0, items)
    return np.where(profiles >= 0, profiles * weights.max(), profiles * weights.min())


np.testing.assert_allclose(best_cluster_score(800, 80), best_cluster_score_fixed(800, 80))

reports = {step: numguard.scaling(step, n=TOY, at=PRODUCTION, limit="16GiB")
           for step in (best_cluster_score, best_cluster_score_fixed)}
for step, report in reports.items():
    print(f"{step.__name__}: {'passes' if report.ok else 'FAILS'}")
    print("  " + "\n  ".join(str(report).splitlines()) + "\n")

if reports[best_cluster_score].ok or not reports[best_cluster_score_fixed].ok:
    raise SystemExit("scaling did not tell the incident from its fix")
