"""The array functions numguard does not project, each with its reason.

Every overridable NumPy array function is in exactly one place: projected (the
registry, `numguard.projection.registry.FUNCTIONS`, filled by the modules of
`numguard.projection.functions`), PASS_THROUGH or UNSUPPORTED.

- PASS_THROUGH: nothing that scales with the data is allocated here (views, shape
  queries, in-place writes), or every allocation happens in ufunc calls and nested
  array functions that GuardedArray checks itself ("delegated"). The value says why.
- UNSUPPORTED: allocates, but is not projected; the value says why. NumPy runs as is.

Names this NumPy lacks (np.unstack before 2.1) are skipped and listed in `MISSING`
(with the registry's), which `classify` and scripts/coverage_table.py report.
tests/test_projection_tables.py asserts the tables are disjoint and cover
`numpy.testing.overrides.get_overridable_numpy_array_functions()`, so a new NumPy
cannot slip a function past unnoticed.
"""

from __future__ import annotations

from typing import Any

from .registry import FUNCTIONS, resolve
from .registry import MISSING as _MISSING_PROJECTIONS

#: Dotted names listed here or registered, but absent from this NumPy -> why listed.
MISSING: dict[str, str] = {}


def _table(entries: dict[str, str]) -> dict[Any, str]:
    table: dict[Any, str] = {}
    for names, reason in entries.items():
        for name in names.split():
            for func in resolve(name, MISSING, reason):
                if func in table:
                    raise RuntimeError(f"{name} listed twice")
                table[func] = reason
    return table


_VIEW = "view: shares the input's memory"
_SMALL = "small: no result that scales with the data"
_IN_PLACE = "in place: writes into an existing array"

PASS_THROUGH: dict[Any, str] = _table({
    "transpose swapaxes moveaxis rollaxis squeeze expand_dims atleast_1d atleast_2d "
    "atleast_3d flip fliplr flipud rot90 real imag matrix_transpose "
    "linalg.matrix_transpose split array_split hsplit vsplit dsplit unstack trim_zeros "
    "lib.stride_tricks.sliding_window_view real_if_close": _VIEW,
    "reshape ravel": _VIEW + " (a layout that forces a copy is ndarray.reshape's, "
                             "which GuardedArray's methods guard)",
    "shape ndim size result_type can_cast min_scalar_type common_type iscomplexobj "
    "isrealobj shares_memory may_share_memory ix_ diag_indices_from einsum_path": _SMALL,
    "copyto place put putmask put_along_axis fill_diagonal": _IN_PLACE,
    "array2string array_repr array_str": "text: a Python string, summarised above "
                                          "np.get_printoptions()['threshold'] elements",
})

_CALLBACK = "calls user code: the result's size depends on what it returns"
_RECORDS = "structured-array helpers: field layouts not modelled"

UNSUPPORTED: dict[Any, str] = _table({
    "loadtxt genfromtxt fromstring": "text: the number of values is known only by "
                                     "parsing the text",
    "save savez savez_compressed savetxt": "files: writes data out; the copies the "
                                           "formats make are not modelled",
    "apply_along_axis apply_over_axes piecewise fromfunction": _CALLBACK,
    "datetime_as_string": "text: a string array whose width depends on the unit: not modelled yet",
    # Registered as array functions once numpy.strings, numpy.char and numpy.polynomial
    # are imported (dask, pandas and others import them): listed here, so that a
    # GuardedArray meets them classified whatever was imported first.
    " ".join(f"_core.strings.{n}" for n in (
        "capitalize center decode encode expandtabs ljust lower mod multiply partition "
        "replace rjust rpartition swapcase title translate upper zfill "
        "_join _rsplit _split _splitlines").split()):
        "strings: the result's itemsize depends on the data (widths, replacements, "
        "encodings): not modelled yet",
    "char.equal char.not_equal char.less char.less_equal char.greater char.greater_equal":
        "strings: comparisons of string arrays (whitespace-stripped copies): not modelled yet",
    "polynomial.polynomial.polyval2d polynomial.polynomial.polygrid2d":
        "polynomial series: evaluation through numpy.polynomial's helpers, not modelled yet",
    "in1d": "deprecated since NumPy 2.0 and removed in 2.4: np.isin is projected",
    " ".join(f"lib.recfunctions.{n}" for n in (
        "append_fields apply_along_fields assign_fields_by_name drop_fields "
        "find_duplicates join_by merge_arrays rec_append_fields rec_drop_fields rec_join "
        "recursive_fill_fields rename_fields repack_fields require_fields stack_arrays "
        "structured_to_unstructured unstructured_to_structured").split()): _RECORDS,
})


def classify(func: Any) -> str:
    """Where `func` is handled: "estimated" (projected exactly), "bounded" (an upper
    bound), "pass-through" or "unsupported". A name this NumPy lacks is in `MISSING`."""
    projection = FUNCTIONS.get(func)
    if projection is not None:
        return "bounded" if projection.bound else "estimated"
    if func in PASS_THROUGH:
        return "pass-through"
    if func in UNSUPPORTED:
        return "unsupported"
    raise KeyError(f"{getattr(func, '__name__', func)!r} is in no numguard table")


def not_projected_reason(func: Any) -> str | None:
    """Why numguard leaves `func` alone, or None when it is not listed."""
    return PASS_THROUGH.get(func) or UNSUPPORTED.get(func)


def missing_names() -> dict[str, str]:
    """Every name, registered or listed, that this NumPy lacks -> projection or reason."""
    return {**_MISSING_PROJECTIONS, **MISSING}
