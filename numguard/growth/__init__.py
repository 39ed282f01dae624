"""Production size from toy data: how each line's allocations grow with the sizes, projected.

`scaling(func, n={"users": [200, 400, 800], "items": [20, 40, 80]},
at={"users": 5_000_000, "items": 200_000}, limit="16GiB")` runs `func` at a few toy
sizes, records every NumPy data allocation at its call site and each run's peak of
live NumPy memory, fits bytes = c x users^a x items^b to each line and to the peak, and
projects them to production. A toy run takes kilobytes; the projection says what the
same lines will ask for in production, before production runs them.

- design.py: the sizes, checked, and the runs to make (a star with a corner);
- observe.py: what one run allocates, per line, and its peak (the one place allocations
  are observed: the pytest plugin's guarded runs use it too);
- fit.py: the product of powers, and when a fit is too poor to extrapolate;
- peak.py: the peak projected as the sum of what each line holds at it;
- report.py: the findings and how they read; analysis.py: `scaling` itself;
- marker.py: `@pytest.mark.numguard_scaling`, for the pytest plugin (imports pytest).
"""

from __future__ import annotations

from .analysis import scaling
from .observe import allocation_site, short_path, watch_allocations
from .report import ScalingReport, SiteGrowth

__all__ = ["ScalingReport", "SiteGrowth", "allocation_site", "scaling", "short_path",
           "watch_allocations"]
