"""NumPy's array functions (np.where, np.outer, np.einsum, ...): tables and projections.

Work in progress for issue 5: `estimate_function` projects a call, and
`ArrayFunctionDispatch.__array_function__` guards it on GuardedArray.
"""

from __future__ import annotations

from typing import Any

from numguard.estimate import Estimate


def estimate_function(func: Any, args: tuple, kwargs: dict) -> Estimate:
    """Project `func(*args, **kwargs)` for an array function numguard covers."""
    raise TypeError(
        f"estimate() takes a ufunc, a ufunc method or a covered array function, "
        f"not {getattr(func, '__name__', func)!r}"
    )
