"""`__array_ufunc__`: defer, project, judge, then run NumPy's kernel on plain views.

GuardedArray's version starts with an inlined hot path for `a + b`, `a * 2.5` and
`a += b` between GuardedArrays of one shape and Python scalars; guarded twins of other
classes (np.matrix, masked arrays, ...) take the general path alone, so the kernel
always runs on views of their own class and its `__array_wrap__` behaves as without
numguard.

In front of both, when it is built, stands the C fast path (`_fastpath.c`, which says
exactly what it takes): GuardedArray's `__array_ufunc__` and its element-wise operators
are C entries that run small calls that cannot trip themselves, and call the Python
methods here with the same arguments for anything else. The Python path is the oracle
(tests/test_fastpath*.py hold the two together) and the fallback: without the
extension, or with NUMGUARD_NO_C=1 in the environment, it runs alone. `use_c(False)`
takes the entries out at run time (tests and benchmarks compare the two paths).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.policy import (
    ALLOWANCE_SLACK,
    ELEMENT_SLACK,
    JUDGED,
    cannot_trip,
    enforce,
    run_judged,
    small_bound,
)
from numguard.projection import project_ufunc

from .deferral import UFUNC, Guarded, defers, returned, rewrap
from .written import involves_objects, written_operator

_ndarray = np.ndarray
_scoped_get = _settings._scoped.get
_mark_judged, _unmark = JUDGED.set, JUDGED.reset
SLOW = object()
_matmul = np.matmul
_SCALAR_TYPES = frozenset({int, float, complex, bool})


def guarded_ufunc(guarded: type[Guarded], ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict,
                  settings: _settings.Settings) -> Any:
    """The general path: defer to foreign types, check, run on plain views, rewrap."""
    outs = kwargs.get("out")
    if defers(map(type, inputs), UFUNC) or (
        outs is not None and defers(map(type, outs), UFUNC)
    ):
        return NotImplemented
    allowed = decide_ufunc(ufunc, method, inputs, kwargs, settings) if settings.mode != "off" else None
    kernel = ufunc if method == "__call__" else getattr(ufunc, method)
    if method == "__call__" and involves_objects(inputs):
        written = written_operator(inputs, kwargs)  # see numguard.guarded.written
        if written is not None:
            kernel, kwargs = written, {}
    unwrapped = [x.view(x._unguarded) if isinstance(x, Guarded) else x for x in inputs]
    if "where" in kwargs:
        where = kwargs["where"]
        if isinstance(where, Guarded):
            kwargs["where"] = where.view(where._unguarded)
    if outs is not None and kwargs:
        kwargs["out"] = tuple([o.view(o._unguarded) if isinstance(o, Guarded) else o
                               for o in outs])
    result = (kernel(*unwrapped, **kwargs) if allowed is None
              else run_judged(allowed, kernel, *unwrapped, **kwargs))
    if method == "at":
        return None
    if type(result) is tuple:
        if outs is None:
            return tuple([rewrap(r, guarded) for r in result])
        return tuple([returned(o, r, guarded) for o, r in zip(outs, result)])
    if outs is None:
        if type(result) is _ndarray:
            return result.view(guarded._for_ndarray)
        return rewrap(result, guarded)
    return returned(outs[0], result, guarded)


class UfuncProtocol:
    """GuardedArray's `__array_ufunc__`: the hot path, else the general path."""

    __slots__ = ()

    def __array_ufunc__(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
        if len(inputs) == 2 and method == "__call__":
            fast = binary_hot_path(type(self), ufunc, inputs[0], inputs[1], kwargs, settings)
            if fast is not SLOW:
                return fast
        return guarded_ufunc(type(self), ufunc, method, inputs, kwargs, settings)


def subclass_array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any,
                         **kwargs: Any) -> Any:
    """Guarded twins' `__array_ufunc__`: the general path alone."""
    settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
    return guarded_ufunc(type(self), ufunc, method, inputs, kwargs,
                         _settings._process if settings is None else settings.settings)  # type: ignore[union-attr]


def binary_hot_path(
    guarded: type, ufunc: np.ufunc, a: Any, b: Any, kwargs: dict, settings: _settings.Settings
) -> Any:
    """`a + b`, `a * 2.5`, `a += b` between arrays of the guarded class, of one shape,
    and Python scalars.

    Inlined and cheap: when nothing can trip (no broadcasting, so no inflation and no
    rank promotion, and a result too small for any limit, or written into `out=`), no
    estimate is made at all; a larger result is judged by `policy.cannot_trip` on its
    bound and, when that passes, runs with that bound as its allowance. Anything else (and a gufunc
    other than a square matmul) returns SLOW for the general path.
    """
    out = None
    if kwargs:
        out = kwargs.get("out")
        if len(kwargs) != 1 or out is None or len(out) != 1 or type(out[0]) is not guarded:
            return SLOW
        out = out[0]
    type_a, type_b = type(a), type(b)
    given_a, given_b = a, b
    if type_a is guarded:
        shape, size, itemsizes = a.shape, a.size, a.itemsize
        if itemsizes == 8 and a.dtype.kind == "O":
            return SLOW  # object elements: see numguard.guarded.written
        if type_b is guarded:
            if b.shape != shape or (b.itemsize == 8 and b.dtype.kind == "O"):
                return SLOW
            itemsizes += b.itemsize
            b = b.view(_ndarray)
        elif type_b in _SCALAR_TYPES:
            itemsizes += _SCALAR_ITEMSIZE
        else:
            return SLOW
        a = a.view(_ndarray)
    elif type_b is guarded and type_a in _SCALAR_TYPES:
        if b.itemsize == 8 and b.dtype.kind == "O":
            return SLOW
        shape, size, itemsizes = b.shape, b.size, b.itemsize + _SCALAR_ITEMSIZE
        b = b.view(_ndarray)
    else:
        return SLOW
    if out is not None:
        if out.shape != shape:
            return SLOW
        if ufunc.nout != 1:
            return SLOW
        if settings.mode != "off" and size * out.itemsize > small_bound(settings) and (
            _overlaps(given_a, out) or _overlaps(given_b, out)
        ):
            return SLOW  # NumPy copies an overlapping operand first: project that copy
        # Written in place: nothing is allocated and nothing is stretched.
        ufunc(a, b, out=out.view(_ndarray))
        return out
    if settings.mode != "off":
        bound = size * (itemsizes + ELEMENT_SLACK)
        if ufunc.signature is not None:  # a gufunc: only a square matmul keeps the shape
            if ufunc is not _matmul or len(shape) < 2 or shape[-1] != shape[-2]:
                return SLOW
            bound *= 3  # the result and a copy of each operand
        if bound > small_bound(settings):
            if not cannot_trip(bound, settings):
                return SLOW  # project it: the report needs the exact figure
            token = _mark_judged(bound + ALLOWANCE_SLACK)  # decided here: policy.run_judged, inlined
            try:
                result = ufunc(a, b)
            finally:
                _unmark(token)
            return result.view(guarded) if type(result) is _ndarray else rewrap(result, guarded)
    result = ufunc(a, b)
    if type(result) is _ndarray:
        return result.view(guarded)
    return rewrap(result, guarded)


#: Bytes a Python scalar operand can contribute per element (complex128 at most).
_SCALAR_ITEMSIZE = 16


def decide_ufunc(
    ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict, settings: _settings.Settings
) -> int | None:
    """Project, judge and act; the bytes the call may allocate (its projected peak, or
    the bound that cleared it) when it was decided here, None when it could not be
    projected (NumPy raises its own error, or the backstop judges what it allocates)."""
    bound = _peak_bound(ufunc, method, inputs, kwargs)
    if bound is not None and cannot_trip(bound, settings):
        return bound  # decided: too small to matter
    try:
        estimate = project_ufunc(ufunc, method, inputs, kwargs)
    except Exception:  # noqa: BLE001 - NumPy raises its own error when it runs
        return None
    return enforce(estimate, settings)


def _peak_bound(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> int | None:
    """An upper bound of the bytes the call allocates, for calls that broadcast nothing,
    read cheaply from shapes; None when there is none this cheap (then it is projected).

    - `a + b` on arrays of one shape: size x (both itemsizes + ELEMENT_SLACK);
    - 2-D `a @ b`: the result and a copy of each operand, at (both itemsizes +
      ELEMENT_SLACK) per element;
    - `ufunc.reduce(a, axis=...)` without out= or a where= mask: the result's elements
      x (itemsize + ELEMENT_SLACK).
    """
    if method == "__call__":
        if kwargs or len(inputs) != 2:
            return None
        a, b = inputs
        if not isinstance(a, _ndarray) or not isinstance(b, _ndarray):
            return None
        per_element = a.itemsize + b.itemsize + ELEMENT_SLACK
        if ufunc.signature is None:
            return a.size * per_element if a.shape == b.shape else None
        if ufunc is np.matmul and a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
            return (a.size + b.size + a.shape[0] * b.shape[1]) * per_element
        return None
    if method != "reduce" or len(inputs) != 1:
        return None
    array = inputs[0]  # reduce: None for a zero-size array (its result can be larger
    # than the array), an axis NumPy rejects, dtype=, out= or a where= mask
    if not isinstance(array, _ndarray) or not array.size:
        return None
    get = kwargs.get
    if get("out") is not None or get("dtype") is not None or get("where", True) is not True:
        return None
    axis = kwargs.get("axis", 0)
    if axis is None:
        return array.itemsize + ELEMENT_SLACK
    if type(axis) is int and -array.ndim <= axis < array.ndim:
        return array.size // array.shape[axis] * (array.itemsize + ELEMENT_SLACK)
    return None


def _overlaps(operand: Any, out: np.ndarray) -> bool:
    """An operand other than `out` itself whose memory may overlap it (bounds check)."""
    return operand is not out and isinstance(operand, _ndarray) and np.may_share_memory(
        operand, out)


# -- the C fast path --------------------------------------------------------------------

#: Any value but "" or "0" runs numguard's Python paths alone (the C fast path stays out).
NO_C_VARIABLE = "NUMGUARD_NO_C"

#: NumPy's element-wise ufuncs the C path may run, with their number of inputs:
#: no gufunc, 1 or 2 inputs, legacy loops (the string ufuncs have none).
ELEMENTWISE_UFUNCS = {
    u: u.nin for u in vars(np).values()
    if isinstance(u, np.ufunc) and u.signature is None and u.nin in (1, 2) and u.types
}
#: The dtypes whose arrays the C path takes: bool, integers, floats, complex, half.
NUMERIC_DTYPES = [np.dtype(code) for code in "?bBhHiIlLqQefdgFDG"]


def _fastpath() -> Any:
    """The C fast path's FastPath, or None: switched off, not built, or NumPy's array
    layout is not the one it reads (it checks sample arrays before it starts)."""
    if os.environ.get(NO_C_VARIABLE, "").strip() not in ("", "0"):
        return None
    try:
        from . import _fastpath  # type: ignore[attr-defined]
    except ImportError:
        return None
    samples = [np.zeros(shape, dtype) for shape in [(), (3,), (2, 5), (4, 1, 3)]
               for dtype in NUMERIC_DTYPES]
    samples.append(np.zeros((6, 4))[::2, 1:])
    try:
        return _fastpath.FastPath(
            ndarray=_ndarray, ufunc_type=np.ufunc, scoped=_settings._scoped,
            namespace=vars(_settings), small_bound=small_bound, guarded_base=Guarded,
            ufuncs=ELEMENTWISE_UFUNCS, itemsizes={d.num: d.itemsize for d in NUMERIC_DTYPES},
            slack=ELEMENT_SLACK, scalar_itemsize=_SCALAR_ITEMSIZE,
            samples=[(a, a.shape, a.dtype.num) for a in samples])
    except RuntimeError:  # the layout differs: the Python path runs alone
        return None


FASTPATH = _fastpath()
#: Every C entry: (owner class, attribute, the entry, the Python method it stands before).
ENTRIES: list[tuple[type, str, Any, Any]] = []
_in_use = [FASTPATH is not None]


def add_entry(owner: type, name: str, make: Callable[[Any], Any]) -> None:
    """Put `make(python method)`, a C entry, in front of `owner.name` (when C is on)."""
    if FASTPATH is None:
        return
    python = owner.__dict__[name]
    entry = make(python)
    ENTRIES.append((owner, name, entry, python))
    if _in_use[0]:
        setattr(owner, name, entry)


def use_c(enabled: bool) -> bool:
    """Install (True) or take out (False) the C entries; returns whether they were in.

    For tests and benchmarks that run the Python path alone in one process; it changes
    the classes, so every thread sees it. Without the extension it does nothing.
    """
    was = _in_use[0]
    enabled = enabled and FASTPATH is not None
    for owner, name, entry, python in ENTRIES:
        setattr(owner, name, entry if enabled else python)
    _in_use[0] = enabled
    return was


add_entry(UfuncProtocol, "__array_ufunc__", lambda python: FASTPATH.array_ufunc(python))
