"""ndarray methods that allocate without passing through `__array_ufunc__`.

GuardedArray inherits these overrides: each first defers (an argument of a type with
its own `__array_ufunc__`/`__array_function__` is never projected: NumPy's method runs
as it would without numguard, see `deferral.defers`), then projects its result
(`numguard.projection.ndarray_methods`, pure), calls `numguard.policy.enforce`, then
runs ndarray's own method. With mode "off" the method runs at once. Where the
projection cannot read the arguments, the check is skipped and NumPy raises its own
error, unchanged. NumPy functions that delegate to these methods (`np.take`,
`np.repeat`, `np.argsort`, `np.sort` through `copy`, `np.reshape`, `np.ravel`,
`np.nonzero`, `np.searchsorted`, `np.choose`, `np.compress`, `np.around`...) are
guarded through them when `numguard.guarded.functions` lets them run on the GuardedArray.

Rules: the memory limit applies to every override; inflation and rank promotion only
to `choose`, whose operands broadcast element-wise. A gather, a repeat or a product
grows by design, and an index of another rank than the array is normal: the same
choice the array-function override makes for np.take, np.repeat, np.dot.

Data-dependent errors (an index out of bounds, resize of an array that does not own
its data) are NumPy's to report: projections read shapes, and only when a call is
refused do they look at the data (`array_methods.REJECTS`) to let NumPy raise instead.

How each allocating ndarray method is guarded (checked empirically on NumPy 2.4 with
`numguard.guard(limit=16)`; `tests/test_guarded_methods.py` keeps it true):

=======================================  ==========================================
method                                   guarded by
=======================================  ==========================================
sum, prod, max, min                      __array_ufunc__: np.add/multiply/maximum/
                                         minimum.reduce
mean, var, std                           __array_ufunc__: np.add.reduce, subtract...
cumsum, cumprod                          __array_ufunc__: np.add/multiply.accumulate
any, all                                 __array_ufunc__: np.logical_or/and.reduce
clip                                     __array_ufunc__: np.clip
conj, conjugate                          __array_ufunc__: np.conjugate (complex;
                                         a real array returns itself)
trace                                    __array_ufunc__: np.add.reduce (ndim > 2)
round (decimals=0, float/complex)        __array_ufunc__: np.rint
operators (+, -, @, ==, ~, abs, ...)     __array_ufunc__
copy, __copy__, __deepcopy__             override (a.nbytes)
astype                                   override (None when `a` itself comes back)
flatten, tobytes, byteswap               override (a.nbytes)
ravel, reshape                           override, only when they must copy
resize                                   override (the new buffer)
round (decimals != 0, or integers)       override (NumPy allocates the result
                                         outside the ufunc protocol, then fills it
                                         with ufunc calls given out=)
tolist                                   override (lower bound: list slots, floats)
dumps, dump                              override (pickle holds a bytes copy)
__getitem__                              override for advanced indexing; basic keys
                                         (int, slice, ..., None, str) stay a fast view
take, compress, repeat, choose           override
searchsorted, argsort, argpartition      override (intp results)
argmax, argmin                           override (intp results; not ufuncs)
dot                                      override (0-d operands too: NumPy then
                                         multiplies plain conversions, unseen)
nonzero                                  override: the bound ndim x size x 8 bytes;
                                         counted exactly only if the bound trips
imag (property, non-complex arrays)      override (a new array of zeros)
=======================================  ==========================================

Out of reach of a method override, left alone: `a.flat[...]` and `a.flat.copy()`
(np.flatiter cannot be subclassed), pickling (`__reduce_ex__` copies in C without
calling tobytes), `np.array(a)` and `np.asarray(a, dtype=...)` (NumPy copies without
calling a method and without dispatching; `np.copy(a)` is an array function, guarded
by numguard.guarded.functions), work buffers of in-place `sort`/`partition`, and temporaries
of `__setitem__`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numguard import settings as _settings
from numguard.errors import NumguardError
from numguard.policy import ALLOWANCE_SLACK, JUDGED, enforce, judge, run_judged, small_bound
from numguard.projection.indexing import BASIC_INDEX_TYPES
from numguard.projection.ndarray_methods import METHODS

from .deferral import EITHER, defers_any, rewrap

_ndarray = np.ndarray
_scoped_get = _settings._scoped.get
_mark_judged, _unmark = JUDGED.set, JUDGED.reset
_getitem = np.ndarray.__getitem__
_project_getitem = METHODS["__getitem__"].project
_project_imag = METHODS["imag"].project
_NO_KWARGS: dict = {}
#: Keys (and tuple elements) that make basic indexing: a view, never checked.
_BASIC = BASIC_INDEX_TYPES | {str}

def decide_method(name: str, project: Any, a: np.ndarray, args: tuple, kwargs: dict,
          settings: _settings.Settings) -> int | None:
    """Project `a.<name>(*args, **kwargs)`, judge and act; NumPy's errors stay NumPy's.
    Foreign arrays among the arguments are neither projected nor converted. The bytes
    the call may allocate when it was decided here (the method then runs with that
    allowance, see policy.JUDGED); None when it could not be projected (the backstop
    judges what NumPy allocates)."""
    if (args and defers_any(args, EITHER)) or (kwargs and defers_any(kwargs.values(), EITHER)):
        return None
    try:
        estimate = project(a, *args, **kwargs)
        if estimate is None:
            return 0  # no new array
        refine = METHODS[name].refine
        if refine is not None and judge(estimate, settings) is not None:
            estimate = refine(a, *args, **kwargs)
    except Exception:  # noqa: BLE001 - NumPy raises its own error when it runs
        return None
    try:
        return enforce(estimate, settings)
    except NumguardError:
        # A call NumPy rejects on its data (an index out of bounds) gets NumPy's error.
        rejects = METHODS[name].rejects
        if rejects is not None and _safely(rejects, a, args, kwargs):
            return 0  # decided: NumPy rejects it on its data, before using the memory
        raise


def _safely(rejects: Any, a: np.ndarray, args: tuple, kwargs: dict) -> bool:
    try:
        return bool(rejects(a, *args, **kwargs))
    except Exception:  # noqa: BLE001
        return False


def _gather_bound(a: np.ndarray, key: np.ndarray) -> int:
    """Bytes of a[key] for a plain index array or mask, at most (huge if unsure)."""
    kind = key.dtype.kind
    if kind == "b":
        return a.size * a.itemsize
    if kind not in "iu":
        return 1 << 62
    rows = a.shape[0]
    row = a.size // rows if rows else 0
    return key.size * row * a.itemsize


def _guarded(name: str, method: Any = None) -> Any:
    """The override of `name`: check, then `method` (ndarray's, or a guarded twin's
    own class's) on the guarded array itself."""
    method = getattr(_ndarray, name) if method is None else method
    project = METHODS[name].project
    small_peak = METHODS[name].small_peak

    def override(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
        # Judged: too small to matter, or projected and let through, with what it may
        # allocate. Only a call the override could not project is left for the
        # backstop to judge.
        allowed: int | None = None
        if settings.mode != "off":
            small = small_peak(self.size, self.itemsize)
            if small is not None and small <= small_bound(settings):
                allowed = small
            else:
                allowed = decide_method(name, project, self, args, kwargs, settings)
        target = self if self._unguarded is _ndarray else self.view(self._unguarded)
        # (a twin runs the user's class's own method, on a view of that class)
        if allowed is not None:
            result = run_judged(allowed, method, target, *args, **kwargs)
        else:
            result = method(target, *args, **kwargs)
        kind = type(result)
        if kind is _ndarray or kind is tuple or kind is self._unguarded:
            return rewrap(result, type(self))
        return result

    override.__name__ = name
    override.__qualname__ = f"AllocatingMethods.{name}"
    override.__doc__ = method.__doc__
    return override


def _guarded_getitem(getitem: Any) -> Any:
    """`a[key]` through `getitem` (ndarray's, or a twin's own class's): basic keys stay a
    fast view, advanced indexing is checked first."""

    def __getitem__(self: Any, key: Any) -> Any:
        kind = type(key)
        if kind in _BASIC:
            return getitem(self, key)
        if kind is tuple:
            for item in key:
                if type(item) not in _BASIC:
                    break
            else:
                return getitem(self, key)
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
        if settings.mode != "off":
            bound = _gather_bound(self, key) if kind is _ndarray and self.ndim else None
            if bound is None or bound > small_bound(settings):
                bound = decide_method("__getitem__", _project_getitem, self, (key,),
                                      _NO_KWARGS, settings)
            if bound is not None:
                return run_judged(bound, getitem, self, key)
        return getitem(self, key)

    __getitem__.__qualname__ = "AllocatingMethods.__getitem__"
    return __getitem__


class AllocatingMethods:
    """Mixin for GuardedArray; see the module docstring."""

    __slots__ = ()

    __getitem__ = _guarded_getitem(_getitem)

    @property
    def imag(self: Any) -> Any:
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
        if settings.mode != "off":
            allowed: int | None = self.size * self.itemsize
            if allowed > small_bound(settings):  # type: ignore[operator]
                allowed = decide_method("imag", _project_imag, self, (), _NO_KWARGS, settings)
            if allowed is not None:
                return run_judged(allowed, _ndarray_imag.__get__, self, type(self))
        return _ndarray_imag.__get__(self, type(self))

    @imag.setter
    def imag(self, value: Any) -> None:
        _ndarray_imag.__set__(self, value)


_ndarray_imag = _ndarray.__dict__["imag"]

def _guarded_resize(method: Any) -> Any:
    """`a.resize(...)`: checked as the others, then NumPy's own method on the array itself,
    holding no reference of numguard's when NumPy counts them (its default refcheck
    refuses an array referenced more than by the caller: numguard must not be the
    reference that makes it refuse)."""
    project = METHODS["resize"].project

    def resize(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        settings: _settings.Scope | _settings.Settings | None = _scoped_get()  # the Scope: not kept in a local (see settings.Scope)
        settings = _settings._process if settings is None else settings.settings  # type: ignore[union-attr]
        allowed = (decide_method("resize", project, self, args, kwargs, settings)
                   if settings.mode != "off" else None)
        bound = method.__get__(self)
        del self  # from here on only the bound method refers to the array
        if allowed is None:
            return bound(*args, **kwargs)
        token = _mark_judged(allowed + ALLOWANCE_SLACK)  # policy.run_judged, without its frame
        try:
            return bound(*args, **kwargs)
        finally:
            _unmark(token)

    resize.__qualname__ = "AllocatingMethods.resize"
    resize.__doc__ = method.__doc__
    return resize


for _name, _known in METHODS.items():
    if _name != "__getitem__" and not _known.is_property:
        setattr(AllocatingMethods, _name,
                _guarded_resize(_ndarray.resize) if _name == "resize" else _guarded(_name))
del _name, _known

#: Every ndarray attribute numguard overrides.
OVERRIDDEN = frozenset(METHODS)


def _on_plain_view(getitem: Any) -> Any:
    """A twin's own `__getitem__` runs on a view of the user's class, its result
    re-wrapped: class checks inside it (memmap's `type(res) is memmap`) then hold."""

    def plain_getitem(self: Any, key: Any) -> Any:
        result = getitem(self.view(self._unguarded), key)
        kind = type(result)
        if kind is _ndarray or kind is self._unguarded:
            return rewrap(result, type(self))
        return result

    return plain_getitem


def overrides_for(unguarded: type) -> dict[str, Any]:
    """The method overrides of a guarded twin of `unguarded`, for the methods that class
    defines itself: checked as ndarray's are, then that class's own method runs (its
    own properties, such as a masked array's `imag`, are kept as they are)."""
    found: dict[str, Any] = {}
    for name in sorted(OVERRIDDEN):
        own = getattr(unguarded, name, None)
        if own is None or own is getattr(_ndarray, name):
            continue
        if METHODS[name].is_property or not callable(own):
            found[name] = own
        elif name == "resize":  # on the array itself: a view never owns its data
            found[name] = _guarded_resize(own)
        elif name == "__getitem__":
            found[name] = _guarded_getitem(_on_plain_view(own))
        else:
            found[name] = _guarded(name, own)
    return found
