"""`__array_function__`: defer, project, judge, then run NumPy's function.

Three paths, by table (see numguard.functions.tables):

- projected (estimated or bounded): the arguments are unwrapped once (views of each
  guarded array's own class), the projection runs on them, `policy.enforce` judges
  it, and NumPy's implementation runs on the same plain arguments, so nothing inside
  it is checked a second time;
- `via_ufunc` (sum, mean, cumsum, ...) and everything else: NumPy's implementation
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

from dataclasses import replace
from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.functions.tables import PROJECTED
from numguard.policy import enforce

from .deferral import FUNCTION, defers, plain, rewrap

_ndarray = np.ndarray
_ndarray_function = np.ndarray.__array_function__
_scoped_get = _settings._scoped.get
_projected_get = PROJECTED.get


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
            if spec is None or spec.via_ufunc:
                return rewrap(implementation(*args, **kwargs), guarded)
        plain_args, plain_kwargs = plain(args, kwargs)
        if spec is not None and not spec.via_ufunc:
            try:
                estimate = spec.project(func, plain_args, plain_kwargs)
            except Exception:  # noqa: BLE001 - not projectable: NumPy raises its own error
                estimate = None
            if estimate is not None:
                enforce(estimate, settings if spec.rules == "all" else memory_only(settings))
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


#: (settings, relaxed) for the last settings seen; one tuple, swapped whole, so a
#: thread never reads one pair's settings with another pair's relaxed copy.
_memory_only_last: list = [(None, None)]


def memory_only(settings: _settings.Settings) -> _settings.Settings:
    """The settings with only the memory rule: inflation and rank promotion speak of
    element-wise broadcasting, and joining, tiling, gathers or products grow by design.
    (Cached by identity: the settings in force rarely change.)"""
    seen, relaxed = _memory_only_last[0]
    if seen is not settings:
        relaxed = settings
        if settings.inflation is not None or settings.rank_promotion != "allow":
            relaxed = replace(settings, inflation=None, rank_promotion="allow")
        _memory_only_last[0] = (settings, relaxed)
    return relaxed
