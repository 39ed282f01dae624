"""The projection layer: what a NumPy call will allocate, computed before it runs.

Pure functions of shapes, dtypes and layouts: no settings, no policy, no budget, no
GuardedArray, no element data read except where NumPy itself reads it to size a
result (boolean masks, repeat counts). Modules by what they project: `ufunc_call`
and `gufunc` (ufunc calls), `ufunc_methods` (reduce, accumulate, ...),
`ndarray_methods` and `indexing` (ndarray methods), `functions/` (array functions by
family, registered in `registry`), with `tables` naming the functions left alone.

Loaded on first use: a process armed at start-up (NUMGUARD_MODE) imports numguard
inside `import numpy`, and most of this layer (the array-function families, the
ufunc projections, the tables that import numpy.ma) is not needed until a guarded
array is used. `registered_functions()` fills the registry; `FUNCTIONS` and
`ANSWERS` read here are the filled tables.

Peaks known only as bounds (the data decides; the projection takes the most, so only
a projection below the truth would be wrong; tests/test_fuzz.py's PEAK_BOUNDS holds
the same list and checks it against this one):
- unique, unique_all, unique_counts, unique_inverse, unique_values, setdiff1d,
  setxor1d, union1d, intersect1d: the number of distinct values sizes the result
  (projected: every element distinct);
- isin: how many values are in range, or distinct, decides its temporaries;
- nanmedian, nanpercentile, nanquantile: NaN positions (counted at most, every one);
- i0: each branch's share of the data decides the series' temporaries;
- linalg.eig, linalg.eigvals, poly: a real or a complex result, as the data decides
  (complex projected);
- linalg.lstsq: residuals exist only at full rank; roots, polydiv: leading zeros
  (of the coefficients, of the remainder) are trimmed;
- scimath: complex data is converted or not depending on its values;
- ndarray.dumps: protocol 2 writes the data as a latin-1 string, UTF-8 encoded, in a
  buffer CPython's pickle grows by reallocation: each byte above 127 takes two, and
  the growth pattern is pickle's own (projected: every byte doubled);
- LAPACK's work buffers (np.linalg) are malloc'd outside NumPy's allocator: modelled
  from the LAPACK workspace queries (`Estimate.outside`), a bound, not measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import registry
from .record import Estimate, Stretch

__all__ = ["Estimate", "Stretch", "estimate", "project_ufunc", "registered_functions"]


def registered_functions() -> dict[Any, registry.Projection]:
    """The array-function registry (`registry.FUNCTIONS`), its families imported (and so
    registered) on the first call."""
    from . import functions  # noqa: F401 - registers the array-function projections

    return registry.FUNCTIONS


def __getattr__(name: str) -> Any:
    """`FUNCTIONS` and `ANSWERS`: the registry's tables, filled first."""
    if name in ("FUNCTIONS", "ANSWERS"):
        registered_functions()
        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_project_call: Any = None
_binary_fast_path: Any = None
_UFUNC = np.ufunc


def _load_project_call() -> Any:
    """The ufunc-call projection, imported on first use (arming stays cheap) and then
    kept: an import statement on every call would cost a microsecond."""
    global _project_call, _binary_fast_path
    from .ufunc_call import binary_fast_path, project_call

    _project_call, _binary_fast_path = project_call, binary_fast_path
    return project_call


def estimate(op: Any, /, *args: Any, **kwargs: Any) -> Estimate:
    """Project what `op(*args, **kwargs)` will produce, without allocating or running it.

    `op` is a ufunc (`np.add`), one of its methods (`np.add.reduce`, `.accumulate`,
    `.reduceat`, `.outer`, `.at`), or any overridable array function (`np.where`,
    `np.linalg.svd`, `np.transpose`: views answer 0 bytes). Where NumPy would reject
    the call, this raises the exception class NumPy raises; where the size cannot be
    known before running (a user callback's result, a text stream's length), a
    TypeError that says why.
    """
    if type(op) is _UFUNC:  # (np.ufunc cannot be subclassed)
        if len(args) == 2 and not kwargs and _binary_fast_path is not None:
            fast = _binary_fast_path(op, args[0], args[1])  # the hot path, one frame
            if fast is not None:
                return fast
        return (_project_call or _load_project_call())(op, args, kwargs)
    owner = getattr(op, "__self__", None)
    if isinstance(owner, np.ufunc):
        from .ufunc_methods import project_method

        return project_method(owner, op.__name__, args, kwargs)
    projection = registered_functions().get(op) or registry.ANSWERS.get(op)
    if projection is None:
        from .tables import not_projected_reason

        reason = not_projected_reason(op)
        detail = f" ({reason})" if reason else ""
        raise TypeError(
            f"estimate() cannot project {getattr(op, '__name__', op)!r} before it "
            f"runs{detail}; it takes a ufunc, a ufunc method or a covered array function"
        )
    from .operands import plain_arguments

    args, kwargs = plain_arguments(args, kwargs)
    return projection.project(args, kwargs)


def project_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Estimate:
    """The `__array_ufunc__` form: (ufunc, method, inputs, kwargs) as NumPy passes them."""
    if method == "__call__":
        return (_project_call or _load_project_call())(ufunc, inputs, kwargs)
    from .ufunc_methods import project_method

    return project_method(ufunc, method, inputs, kwargs)
