"""The small-array shortcut of GuardedArray's allocating methods is a bound on the peak.

A method with `bytes_per_element` skips projection when `a.size` elements of that many
bytes (plus one copy of the input where `copies_input`, and `scratch_per_element`) fit
under the small bound. Once projections modelled temporaries (the contiguous copy of a
strided or non-last-axis arg-reduction, a sort's lane buffers, round's scaled values), a
bound of the result alone let guard(limit=...) run a call whose projected peak was over
the limit. Every registered method with the
shortcut is checked against its own projection across dtypes, layouts and arguments.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import numguard
from numguard.projection import ndarray_methods as am

DTYPES = [np.bool_, np.int8, np.int64, np.float16, np.float32, np.float64, np.complex64,
          np.complex128, np.longdouble, "U3", "S5", "M8[s]", object]
ARGUMENTS = {
    "argmax": [((), {}), ((), {"axis": 0}), ((), {"axis": 1, "keepdims": True})],
    "argmin": [((), {}), ((), {"axis": 0}), ((), {"axis": -1})],
    "argsort": [((), {}), ((), {"axis": 0}), ((), {"axis": None}), ((), {"kind": "stable"})],
    "argpartition": [((1,), {}), ((0,), {"axis": 0}), ((1,), {"axis": None})],
    "round": [((), {}), ((-2,), {}), ((1,), {})],
    "__deepcopy__": [(({},), {})],
    "reshape": [((-1,), {}), (((2, -1),), {"order": "F"})],
    "copy": [((), {}), ((), {"order": "F"})],
}
SHORTCUT = sorted(name for name, m in am.METHODS.items() if m.bytes_per_element is not None)


def layouts(dtype):
    base = np.ones((4, 6)).astype(dtype)
    return [base, base.T, base[:, ::2], base[0, 0], np.asfortranarray(base)]


def small_bound(method, a):
    return method.small_peak(a.size, a.itemsize)


@pytest.mark.parametrize("name", SHORTCUT)
def test_the_shortcut_bounds_the_projected_peak(name):
    method = am.METHODS[name]
    checked = 0
    for dtype in DTYPES:
        for a in layouts(dtype):
            for args, kwargs in ARGUMENTS.get(name, [((), {})]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        estimate = method.project(a, *args, **kwargs)
                    except Exception:  # noqa: BLE001 - NumPy rejects it: nothing to bound
                        continue
                if estimate is None:
                    continue
                checked += 1
                assert estimate.peak <= small_bound(method, a), (
                    name, a.dtype, a.shape, a.strides, args, kwargs, estimate.peak)
    assert checked


def test_a_strided_argmax_over_the_limit_is_refused():
    # (6, 4) int64 transposed: argmax() copies it (192 B) for an 8 B result; the bound
    # of the result alone (192 B) let guard(limit=199) run it.
    a = np.arange(24).reshape(4, 6).T
    g = numguard.wrap(a)
    peak = am.METHODS["argmax"].project(a).peak
    assert peak == 200
    with numguard.guard(limit=peak):
        assert g.argmax() == a.argmax()
    with pytest.raises(numguard.MemoryLimitError), numguard.guard(limit=peak - 1):
        g.argmax()
