"""`__array_function__` for GuardedArray: project, enforce, then run NumPy's function.

Three paths, by table (see numguard.functions.tables):

- projected (estimated or bounded): the arguments are unwrapped once, the projection
  runs on them, `policy.enforce` judges it, and NumPy's implementation runs on the
  same plain arguments, so nothing inside it is checked a second time;
- `via_ufunc` (sum, mean, cumsum, ...) and everything else: NumPy's implementation
  runs on the GuardedArrays themselves, so what it allocates through ufuncs, ndarray
  methods and nested array functions is checked where it happens;
- mode "off": exactly ndarray.__array_function__.

Results that NumPy returns as plain ndarrays come back as GuardedArrays (also inside
the tuples and lists that meshgrid, split or unique_all return). Types with their
own `__array_function__` (dask, xarray, astropy, pint) get NotImplemented.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.policy import enforce
from numguard.projection.registry import FUNCTIONS

from .unwrap import guarded_type as _guarded
from .unwrap import plain

_ndarray = np.ndarray
_ndarray_function = np.ndarray.__array_function__
_scoped_get = _settings._scoped.get
_projected_get = FUNCTIONS.get


class ArrayFunctionDispatch:
    """Mixin for GuardedArray; see the module docstring."""

    __slots__ = ()

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        ours = ArrayFunctionDispatch.__array_function__
        for t in types:
            handler = t.__array_function__
            if handler is not ours and handler is not _ndarray_function:
                return NotImplemented
        settings = _scoped_get() or _settings._process
        if settings.mode == "off":
            return _ndarray_function(self, func, types, args, kwargs)
        implementation = getattr(func, "_implementation", func)  # like=: the public function
        spec = _projected_get(func)
        if spec is None or spec.delegated:
            return _rewrap(implementation(*args, **kwargs))
        plain_args, plain_kwargs = plain(args, kwargs)
        try:
            estimate = spec.project(plain_args, plain_kwargs)
        except Exception:  # noqa: BLE001 - not projectable: NumPy raises its own error
            estimate = None
        if estimate is not None:
            enforce(estimate, settings if estimate.broadcast else _memory_only(settings))
        result = implementation(*plain_args, **plain_kwargs)
        if type(result) is _ndarray:
            # An out= array NumPy filled comes back as the caller's own object.
            out = plain_kwargs.get("out") if plain_kwargs else None
            if out is not None and result is out:
                return kwargs["out"]
            for given, passed in zip(args, plain_args):
                if result is passed:
                    return given
            return result.view(_guarded())
        return _rewrap(result)


def _rewrap(result: Any) -> Any:
    t = type(result)
    if t is _ndarray:
        return result.view(_guarded())
    if t is tuple or t is list:
        return t([_rewrap(r) for r in result])
    if isinstance(result, tuple) and hasattr(result, "_fields"):  # unique_all and friends
        return t(*[_rewrap(r) for r in result])
    return result


_memory_only_cache: list = [None, None]


def _memory_only(settings: _settings.Settings) -> _settings.Settings:
    """The settings with only the memory rule: inflation and rank promotion speak of
    element-wise broadcasting, and joining, tiling or products grow by design."""
    if _memory_only_cache[0] is not settings:
        relaxed = settings
        if settings.inflation is not None or settings.rank_promotion != "allow":
            relaxed = settings.updated(inflation=None, rank_promotion="allow")
        _memory_only_cache[:] = [settings, relaxed]
    return _memory_only_cache[1]
