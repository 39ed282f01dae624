"""Every overridable NumPy array function, in exactly one table, keyed by function object.

- ESTIMATED: the result is projected exactly before NumPy runs (Spec.project).
- BOUNDED: the result's size depends on the data (unique, nonzero, boolean masks):
  an upper bound, with `exact=False`.
- PASS_THROUGH: nothing that scales with the data is allocated here (views, shape
  queries, in-place writes), or every allocation happens in ufunc calls and nested
  array functions that GuardedArray checks itself ("delegated"). The value says why.
- UNSUPPORTED: allocates, but is not projected; the value says why. NumPy runs as is.

tests/test_functions_tables.py asserts the tables are disjoint and cover
`numpy.testing.overrides.get_overridable_numpy_array_functions()`, so a new NumPy
cannot slip a function past unnoticed.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


from . import projections as p
from ._common import Projector


class Spec(NamedTuple):
    """How the guard handles one projected function."""

    project: Projector
    """(func, args, kwargs) -> Estimate, on plain arguments."""
    rules: str
    """"all": memory, inflation and rank promotion (element-wise broadcasting);
    "memory": the memory limit only (joining, tiling and products inflate by design)."""
    via_ufunc: bool = False
    """Every allocation already reaches GuardedArray.__array_ufunc__ (reductions run
    through ndarray methods and ufunc.reduce): the guard does not project again, and
    NumPy runs on the GuardedArrays themselves so each step is checked exactly."""


def _resolve(path: str) -> list[Any]:
    """The function objects at `path` ("numpy.linalg.cross"), with the like= twin
    NumPy keeps for a creation function (numpy._core.numeric._ones_with_like)."""
    module, _, name = path.rpartition(".")
    found = [getattr(importlib.import_module(module), name)]
    for home in _TWIN_HOMES.get(name, ()):
        twin = getattr(importlib.import_module(home), f"_{name}_with_like", None)
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


def _table(entries: dict[str, Any]) -> dict[Any, Any]:
    table: dict[Any, Any] = {}
    for names, value in entries.items():
        for name in names.split():
            path = name if name.startswith("numpy.") else f"numpy.{name}"
            for func in _resolve(path):
                if func in table:
                    raise RuntimeError(f"{path} listed twice")
                table[func] = value
    return table


_ALL = "all"
_MEM = "memory"

ESTIMATED: dict[Any, Spec] = _table({
    # element-wise broadcasting: every rule applies, as for ufuncs
    "where": Spec(p.project_where, _ALL),
    "choose": Spec(p.project_choose, _ALL),
    "select": Spec(p.project_select, _ALL),
    "cross linalg.cross": Spec(p.project_cross, _ALL),
    "broadcast_to": Spec(p.project_broadcast_to, _ALL),
    "broadcast_arrays": Spec(p.project_broadcast_arrays, _ALL),
    # products
    "outer linalg.outer": Spec(p.project_outer, _MEM),
    "kron": Spec(p.project_kron, _MEM),
    "dot": Spec(p.project_dot, _MEM),
    "inner": Spec(p.project_inner, _MEM),
    "vdot": Spec(p.project_vdot, _MEM),
    "tensordot linalg.tensordot": Spec(p.project_tensordot, _MEM),
    "linalg.matmul linalg.vecdot": Spec(p.project_matmul, _ALL, via_ufunc=True),
    "einsum": Spec(p.project_einsum, _MEM),
    "convolve correlate": Spec(p.project_convolve, _MEM),
    # joining, repeating, padding
    "concatenate": Spec(p.project_concatenate, _MEM),
    "stack": Spec(p.project_stack, _MEM),
    "hstack vstack dstack column_stack": Spec(p.project_hvd_stack, _MEM),
    "block": Spec(p.project_block, _MEM),
    "append": Spec(p.project_append, _MEM),
    "tile": Spec(p.project_tile, _MEM),
    "repeat": Spec(p.project_repeat, _MEM),
    "pad": Spec(p.project_pad, _MEM),
    "resize": Spec(p.project_resize, _MEM),
    "meshgrid": Spec(p.project_meshgrid, _MEM),
    "vander": Spec(p.project_vander, _MEM),
    "diag diagflat": Spec(p.project_diag, _MEM),
    # creation (reached with like=GuardedArray) and copies
    "empty_like zeros_like ones_like full_like": Spec(p.project_like, _MEM),
    "empty zeros ones full identity eye tri": Spec(p.project_creation, _MEM),
    "linspace logspace geomspace": Spec(p.project_linspace, _MEM),
    "copy": Spec(p.project_copy, _MEM),
    "astype": Spec(p.project_astype, _MEM),
    "roll": Spec(p.project_roll, _MEM),
    "tril triu": Spec(p.project_tri_copy, _MEM),
    "nan_to_num iscomplex i0 unwrap": Spec(p.project_elementwise, _MEM),
    "packbits unpackbits": Spec(p.project_packbits, _MEM),
    # selection and ordering
    "sort argsort partition argpartition": Spec(p.project_sort, _MEM),
    "sort_complex": Spec(p.project_sort_complex, _MEM),
    "lexsort": Spec(p.project_lexsort, _MEM),
    "take": Spec(p.project_take, _MEM),
    "take_along_axis": Spec(p.project_take_along_axis, _MEM),
    "diagonal linalg.diagonal": Spec(p.project_diagonal, _MEM),
    "searchsorted": Spec(p.project_searchsorted, _MEM),
    "interp": Spec(p.project_interp, _MEM),
    "digitize": Spec(p.project_digitize, _MEM),
    "isin": Spec(p.project_isin, _MEM),
    "array_equal array_equiv": Spec(p.project_array_equal, _MEM),
    "unravel_index": Spec(p.project_unravel_index, _MEM),
    "ravel_multi_index": Spec(p.project_ravel_multi_index, _MEM),
    "ediff1d": Spec(p.project_ediff1d, _MEM),
    "bincount": Spec(p.project_bincount, _MEM),
    # histograms
    "histogram": Spec(p.project_histogram, _MEM),
    "histogram2d histogramdd": Spec(p.project_histogramdd, _MEM),
    "histogram_bin_edges": Spec(p.project_bin_edges, _MEM),
    # reductions and cumulative sums that reach __array_ufunc__ through ndarray methods
    "sum prod max min amax amin any all mean std var ptp average count_nonzero":
        Spec(p.project_reduction, _MEM, via_ufunc=True),
    "cumsum cumprod cumulative_sum cumulative_prod":
        Spec(p.project_cumulative, _MEM, via_ufunc=True),
    "trace linalg.trace": Spec(p.project_trace, _MEM, via_ufunc=True),
    "diff": Spec(p.project_diff, _MEM, via_ufunc=True),
    # reductions that copy their input outside the ufunc path (np.array(a, copy=True),
    # partitioning a copy): projected here, result plus that copy
    "nansum nanprod nanmax nanmin nanmean nanstd nanvar nanargmax nanargmin argmax argmin "
    "median nanmedian percentile nanpercentile quantile nanquantile":
        Spec(p.project_reduction, _MEM),
    "nancumsum nancumprod": Spec(p.project_cumulative, _MEM),
})

BOUNDED: dict[Any, Spec] = _table({
    "unique unique_all unique_counts unique_inverse unique_values":
        Spec(p.project_unique, _MEM),
    "nonzero argwhere flatnonzero": Spec(p.project_nonzero, _MEM),
    "extract compress": Spec(p.project_masked, _MEM),
    "delete": Spec(p.project_delete, _MEM),
    "insert": Spec(p.project_insert, _MEM),
    "setdiff1d setxor1d intersect1d union1d": Spec(p.project_set_op, _MEM),
    "lib.scimath.sqrt lib.scimath.log lib.scimath.log10 lib.scimath.log2 lib.scimath.logn "
    "lib.scimath.power lib.scimath.arccos lib.scimath.arcsin lib.scimath.arctanh":
        Spec(p.project_elementwise, _MEM),
})

_VIEW = "view: shares the input's memory"
_SMALL = "small: no result that scales with the data"
_IN_PLACE = "in place: writes into an existing array"
_DELEGATED = ("delegated: its allocations are ufunc calls and array functions on the "
              "GuardedArray itself, each checked where it happens")

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
    "around round clip fix angle isneginf isposinf isreal sinc isclose allclose "
    "gradient trapezoid polyval": _DELEGATED,
})

_LAPACK = "LAPACK: copies and workspace not modelled yet"
_IO = "files and buffers: the result's size comes from the data read"
_CALLBACK = "calls user code: the result's size depends on what it returns"
_RECORDS = "structured-array helpers: field layouts not modelled"

UNSUPPORTED: dict[Any, str] = _table({
    "linalg.cholesky linalg.cond linalg.det linalg.eig linalg.eigh linalg.eigvals "
    "linalg.eigvalsh linalg.inv linalg.lstsq linalg.matrix_power linalg.matrix_rank "
    "linalg.pinv linalg.qr linalg.slogdet linalg.solve linalg.svd linalg.svdvals "
    "linalg.tensorinv linalg.tensorsolve": _LAPACK,
    "linalg.norm linalg.vector_norm linalg.matrix_norm":
        "norms square a copy of the input (np.asarray first): not modelled yet",
    "linalg.multi_dot": "intermediate products of the chosen order not modelled yet",
    "cov corrcoef": "copies and centres the data, then a (vars, vars) product: not modelled yet",
    "save savez savez_compressed savetxt loadtxt genfromtxt fromfile frombuffer "
    "fromstring fromiter": _IO,
    "array asarray asanyarray ascontiguousarray asfortranarray require":
        "reached only with like=: converts data that already exists (a copy at most its size)",
    "arange": "reached only with like=: length from start/stop/step not modelled yet",
    "apply_along_axis apply_over_axes piecewise fromfunction": _CALLBACK,
    "array2string array_repr array_str datetime_as_string":
        "text: results are Python strings or string arrays, not modelled",
    "busday_count busday_offset is_busday": "business-day calendars: not modelled yet",
    "tril_indices_from triu_indices_from":
        "about n*n/2 index pairs: not modelled yet",
    "poly polyadd polysub polymul polydiv polyder polyint polyfit roots":
        "polynomial helpers: 1-D coefficient arrays (polyfit, roots: LAPACK), not modelled",
    " ".join(f"lib.recfunctions.{n}" for n in (
        "append_fields apply_along_fields assign_fields_by_name drop_fields "
        "find_duplicates join_by merge_arrays rec_append_fields rec_drop_fields rec_join "
        "recursive_fill_fields rename_fields repack_fields require_fields stack_arrays "
        "structured_to_unstructured unstructured_to_structured").split()): _RECORDS,
})

#: One lookup for the dispatcher: function -> Spec (estimated or bounded).
PROJECTED: dict[Any, Spec] = {**ESTIMATED, **BOUNDED}


def classify(func: Any) -> str:
    """Which table holds `func`: "estimated", "bounded", "pass-through", "unsupported"."""
    for name, table in (("estimated", ESTIMATED), ("bounded", BOUNDED),
                        ("pass-through", PASS_THROUGH), ("unsupported", UNSUPPORTED)):
        if func in table:
            return name
    raise KeyError(f"{getattr(func, '__name__', func)!r} is in no numguard table")
