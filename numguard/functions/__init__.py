"""NumPy's array functions (np.where, np.outer, np.einsum, ...): tables and projections.

`estimate_function` projects a call (what `numguard.estimate(np.where, c, x, y)`
runs), and `ArrayFunctionDispatch.__array_function__` guards it on GuardedArray.
The tables in `tables` classify every overridable NumPy function.
"""

from __future__ import annotations

from typing import Any

from numguard.estimate import Estimate

from .tables import BOUNDED, ESTIMATED, PASS_THROUGH, PROJECTED, UNSUPPORTED, classify
from numguard.guarded.deferral import plain

__all__ = ["BOUNDED", "ESTIMATED", "PASS_THROUGH", "UNSUPPORTED", "classify",
           "estimate_function"]


def estimate_function(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """Project `func(*args, **kwargs)` for an array function numguard projects.

    Raises TypeError for a function numguard does not project (pass-through and
    unsupported ones: see `classify`); otherwise whatever the projection raises,
    which for a call NumPy would reject is usually NumPy's exception class.
    """
    spec = PROJECTED.get(func)
    if spec is None:
        reason = PASS_THROUGH.get(func) or UNSUPPORTED.get(func)
        detail = f" ({reason})" if reason else ""
        raise TypeError(
            f"estimate() takes a ufunc, a ufunc method or a covered array function, "
            f"not {getattr(func, '__name__', func)!r}{detail}"
        )
    args, kwargs = plain(args, kwargs)
    return spec.project(func, args, kwargs)
