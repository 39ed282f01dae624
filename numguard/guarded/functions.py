"""`__array_function__`: defer, project, judge, then run NumPy's function.

Three paths, by the projection registry (numguard.projection.registry.FUNCTIONS):

- projected: the arguments are unwrapped once (views of each
  guarded array's own class), the projection runs on them, `policy.enforce` judges
  it, and NumPy's implementation runs on the same plain arguments, so nothing inside
  it is checked a second time;
- delegated (sum, mean, cumsum, ...) and everything unregistered: NumPy's implementation
  runs on the guarded arrays themselves, so what it allocates through ufuncs, ndarray
  methods and nested array functions is checked where it happens;
- mode "off": exactly what the user's class does without numguard.

A guarded twin of a class with its own `__array_function__` (an astropy Quantity,
say) hands the plain arguments to the public function instead, so that class's own
override runs as it would without numguard. Results are re-wrapped by
`deferral.rewrap`. Types with their own `__array_function__` (dask, xarray, pint)
get NotImplemented before anything is projected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.policy import enforce, run_judged
from numguard.projection.registry import FUNCTIONS

from .deferral import FUNCTION, defers, plain, rewrap

_ndarray = np.ndarray
_ndarray_function = np.ndarray.__array_function__
_scoped_get = _settings._scoped.get
_projected_get = FUNCTIONS.get


class FunctionProtocol:
    """GuardedArray's `__array_function__`; see the module docstring."""

    __slots__ = ()

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if defers(types, FUNCTION):
            return NotImplemented
        guarded = type(self)
        unguarded = guarded._unguarded
        own_protocol = unguarded.__array_function__ is not _ndarray_function
        settings = _scoped_get() or _settings._process
        if settings.mode == "off":
            if own_protocol:
                plain_args, plain_kwargs = plain(args, kwargs)
                return rewrap(func(*plain_args, **plain_kwargs), guarded)
            return _ndarray_function(self, func, types, args, kwargs)
        spec = _projected_get(func)
        if own_protocol:
            implementation = func  # the user's class dispatches its own way
        else:
            implementation = getattr(func, "_implementation", func)  # like=: the public one
            if spec is None or spec.delegated:
                return rewrap(implementation(*args, **kwargs), guarded)
        plain_args, plain_kwargs = plain(args, kwargs)
        estimate = None
        if spec is not None and not spec.delegated:
            try:
                estimate = spec.project(plain_args, plain_kwargs)
            except Exception:  # noqa: BLE001 - not projectable: NumPy raises its own error
                estimate = None
            if estimate is not None:
                enforce(estimate, settings)
        if estimate is not None:
            result = run_judged(implementation, *plain_args, **plain_kwargs)
        else:
            result = implementation(*plain_args, **plain_kwargs)
        if isinstance(result, _ndarray):
            # An out= array NumPy filled comes back as the caller's own object.
            out = plain_kwargs.get("out") if plain_kwargs else None
            if out is not None and result is out:
                return kwargs["out"]
            for given, passed in zip(args, plain_args):
                if result is passed:
                    return given
        return rewrap(result, guarded)
