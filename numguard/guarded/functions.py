"""`__array_function__`: defer, project, judge, then run NumPy's function.

Three paths, by the projection registry (numguard.projection.registry.FUNCTIONS):

- projected: the arguments are unwrapped once (views of each
  guarded array's own class), the projection runs on them, `policy.enforce` judges
  it, and NumPy's implementation runs on the same plain arguments, so nothing inside
  it is checked a second time; a call whose peak `_peak_bound` bounds cheaply skips
  the projection when `policy.cannot_trip` clears that bound (it runs with that bound
  as its allowance);
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
from numguard.policy import ALLOWANCE_SLACK, ELEMENT_SLACK, JUDGED, cannot_trip, enforce
from numguard.projection import registered_functions
from numguard.projection.registry import FUNCTIONS  # noqa: F401  (tests patch it here)

from .deferral import FUNCTION, defers, plain, plain_one, rewrap

_ndarray = np.ndarray
_ndarray_function = np.ndarray.__array_function__
_scoped_get = _settings._scoped.get


def _first_lookup(func: Any) -> Any:
    """`_projected_get` until the registry is filled (on first use, not at import:
    see numguard.projection); then FUNCTIONS.get itself."""
    global _projected_get
    _projected_get = registered_functions().get
    return _projected_get(func)


_projected_get = _first_lookup
_mark_judged, _unmark = JUDGED.set, JUDGED.reset
_where = np.where


class FunctionProtocol:
    """GuardedArray's `__array_function__`; see the module docstring."""

    __slots__ = ()

    def __array_function__(self: Any, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if defers(types, FUNCTION):
            return NotImplemented
        guarded = type(self)
        unguarded = guarded._unguarded
        own_protocol = unguarded.__array_function__ is not _ndarray_function
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
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
        plain_args = tuple([
            a if type(a) is _ndarray else a.view(unguarded) if type(a) is guarded
            else plain_one(a) for a in args])
        plain_kwargs = {k: plain_one(v) for k, v in kwargs.items()} if kwargs else kwargs
        allowed: int | None = None
        if spec is not None and not spec.delegated:
            bound = _peak_bound(func, plain_args, plain_kwargs)
            if bound is not None and cannot_trip(bound, settings):
                allowed = bound  # decided: too small to matter
            else:
                try:
                    estimate = spec.project(plain_args, plain_kwargs)
                except Exception:  # noqa: BLE001 - not projectable: NumPy raises its own
                    estimate = None
                if estimate is not None:
                    allowed = enforce(estimate, settings)
        if allowed is not None:
            token = _mark_judged(allowed + ALLOWANCE_SLACK)  # policy.run_judged, inlined
            try:
                result = implementation(*plain_args, **plain_kwargs)
            finally:
                _unmark(token)
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


def _peak_bound(func: Any, args: tuple, kwargs: dict) -> int | None:
    """An upper bound of the bytes a call allocates, read cheaply from shapes, for
    calls that broadcast nothing; None when there is none this cheap (it is projected).

    `np.where(c, x, y)` on arrays of one shape: size x (the three itemsizes +
    ELEMENT_SLACK), which covers any promotion of x and y.
    """
    if func is _where and len(args) == 3 and not kwargs:
        condition, x, y = args
        if (isinstance(condition, _ndarray) and isinstance(x, _ndarray)
                and isinstance(y, _ndarray) and condition.shape == x.shape == y.shape):
            return condition.size * (
                condition.itemsize + x.itemsize + y.itemsize + ELEMENT_SLACK)
    return None
