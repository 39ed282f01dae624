"""The array-function registry: each projection is registered beside its code.

    @projects(np.concatenate)
    def concatenate(func, arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
        ...

A projection's first parameter receives the NumPy function object (several
functions may share one projection); the others are NumPy's own parameter names and
defaults (tests/test_projection_signatures.py keeps them in step), so the call's
arguments bind exactly as NumPy binds them. It returns an `Estimate`, or raises: any
exception means "numguard cannot project this call", and NumPy then raises its own.

Functions are named by object, or by a dotted name under `numpy` ("linalg.cross")
where some supported NumPy lacks it: a name this NumPy lacks is skipped and listed in
`MISSING`, so `import numguard` works on older NumPy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .record import Estimate

#: (func, *args, **kwargs) -> Estimate
ProjectionFunction = Callable[..., Estimate]


class Projection:
    """How one NumPy function is projected (the entry the overrides read)."""

    __slots__ = ("bound", "delegated", "func", "function")

    def __init__(self, func: Any, function: ProjectionFunction, delegated: bool,
                 bound: bool) -> None:
        self.func = func
        """The NumPy function served."""
        self.function = function
        """The projection: function(func, *args, **kwargs) -> Estimate."""
        self.delegated = delegated
        """NumPy's implementation reaches GuardedArray.__array_ufunc__ (and ndarray
        methods) for every allocation: the override lets it run on GuardedArrays,
        checked step by step, instead of projecting the whole call."""
        self.bound = bound
        """The result's size depends on the data: the estimate is an upper bound."""

    def project(self, args: tuple, kwargs: dict) -> Estimate:
        """The estimate of `func(*args, **kwargs)`, on plain (unwrapped) arguments."""
        return self.function(self.func, *args, **kwargs)

    def __repr__(self) -> str:
        flags = "".join(
            f", {name}=True" for name in ("delegated", "bound") if getattr(self, name)
        )
        return f"Projection({getattr(self.func, '__name__', self.func)}{flags})"


#: NumPy function -> its projection (like= twins included).
FUNCTIONS: dict[Any, Projection] = {}
#: Pass-through functions (tables.PASS_THROUGH: views, small results, in-place
#: writes) -> the projection `numguard.estimate` answers with. The guard never reads
#: these: the functions run as they are.
ANSWERS: dict[Any, Projection] = {}
#: Dotted names registered but absent from this NumPy -> the projection's name.
MISSING: dict[str, str] = {}


def projects(
    *functions: Any, delegated: bool = False, bound: bool = False, answer_only: bool = False
) -> Callable[[ProjectionFunction], ProjectionFunction]:
    """Register the decorated projection for `functions` (objects or "linalg.cross");
    `answer_only` for a pass-through function, which only `estimate()` asks about."""
    table = ANSWERS if answer_only else FUNCTIONS

    def register(function: ProjectionFunction) -> ProjectionFunction:
        for named in functions:
            for func in resolve(named, MISSING, function.__name__):
                if func in table:
                    raise RuntimeError(f"{named} is registered twice")
                table[func] = Projection(func, function, delegated or answer_only, bound)
        return function

    return register


def resolve(named: Any, missing: dict[str, str], note: str) -> list[Any]:
    """The function objects for `named`: the function, and the like= twin NumPy keeps
    for a creation function (numpy._core.numeric._ones_with_like). A dotted name this
    NumPy lacks gives none, and is recorded in `missing` with `note`."""
    if isinstance(named, str):
        path = named if named.startswith("numpy.") else f"numpy.{named}"
        module, _, name = path.rpartition(".")
        try:
            func = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            missing[path] = note
            return []
    else:
        func = named
    found = [func]
    for home in _TWIN_HOMES.get(getattr(func, "__name__", ""), ()):
        twin = getattr(importlib.import_module(home), f"_{func.__name__}_with_like", None)
        if twin is not None:
            found.append(twin)
    return found


_TWIN_HOMES = {
    "ones": ("numpy._core.numeric",), "full": ("numpy._core.numeric",),
    "identity": ("numpy._core.numeric",), "fromfunction": ("numpy._core.numeric",),
    "eye": ("numpy.lib._twodim_base_impl",), "tri": ("numpy.lib._twodim_base_impl",),
    "require": ("numpy._core._asarray",), "loadtxt": ("numpy.lib._npyio_impl",),
    "genfromtxt": ("numpy.lib._npyio_impl",),
}
