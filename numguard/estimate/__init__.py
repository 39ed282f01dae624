"""Pre-flight estimates: what a NumPy call will allocate, computed before it runs.

Pure functions of shapes and dtypes: no policy, no budget, no data touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .methods import estimate_method
from .record import Estimate, Stretch
from .ufunc_call import estimate_call

__all__ = ["Estimate", "Stretch", "estimate", "estimate_ufunc"]


def estimate(op: Any, /, *args: Any, **kwargs: Any) -> Estimate:
    """Project what `op(*args, **kwargs)` will produce, without allocating or running it.

    `op` is a ufunc (`np.add`) or one of its methods (`np.add.reduce`, `.accumulate`,
    `.reduceat`, `.outer`, `.at`). Where NumPy would reject the call, this raises the
    exception class NumPy raises.
    """
    if isinstance(op, np.ufunc):
        return estimate_call(op, args, kwargs)
    owner = getattr(op, "__self__", None)
    if isinstance(owner, np.ufunc):
        return estimate_method(owner, op.__name__, args, kwargs)
    from numguard.functions import estimate_function  # array functions build on this package

    return estimate_function(op, args, kwargs)


def estimate_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Estimate:
    """The `__array_ufunc__` form: (ufunc, method, inputs, kwargs) as NumPy passes them."""
    if method == "__call__":
        return estimate_call(ufunc, inputs, kwargs)
    return estimate_method(ufunc, method, inputs, kwargs)
