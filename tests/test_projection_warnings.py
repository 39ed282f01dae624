"""numguard never warns on its own behalf (issue 21, item 11): projecting a call whose
stand-ins would make NumPy fetch a complex-to-real cast raises no ComplexWarning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import numguard
from numguard.projection import estimate
from numguard.projection.ndarray_methods import project

C = np.ones((3, 2), complex)
R = np.ones((3, 2))

CALLS = [
    pytest.param(np.add, (C, C), {"out": np.empty((3, 2)), "casting": "unsafe"}, id="out=real"),
    pytest.param(np.add, (C, 1), {"dtype": "f8", "casting": "unsafe"}, id="dtype=real"),
    pytest.param(np.multiply, (C, C), {"signature": "dd->d", "casting": "unsafe"},
                 id="signature=real"),
    pytest.param(np._core.umath.clip, (np.array([True]), np.array(True), np.array([[1 + 0j]])),
                 {"casting": "unsafe", "dtype": "f8", "where": np.array(True)},
                 id="clip, as the test suite showed it"),
    pytest.param(np.add.at, (R.copy(), [0], 1j), {}, id="at, weak complex"),
    pytest.param(np.add.at, (R.copy(), [0], C[0, :1]), {}, id="at, complex array"),
    pytest.param(np.sum, (C,), {"dtype": "f8"}, id="sum dtype"),
    pytest.param(np.mean, (C,), {"dtype": "f4", "axis": 0}, id="mean dtype"),
    pytest.param(np.cumsum, (C,), {"dtype": "i8"}, id="cumsum dtype"),
    pytest.param(np.trace, (C,), {"dtype": "f4"}, id="trace dtype"),
]


@pytest.mark.parametrize("op, args, kwargs", CALLS)
def test_projecting_a_discarding_cast_warns_nothing(op, args, kwargs) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = estimate(op, *args, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = op(*args, **kwargs)
    if real is not None:
        assert est.dtype == np.asarray(real if "out" not in kwargs else kwargs["out"]).dtype


@pytest.mark.parametrize("dtype", ["f8", None, "i4"])
def test_astype_projection_warns_nothing(dtype) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = project("astype", C, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert est.dtype == C.astype(dtype).dtype


def test_astype_projection_keeps_numpys_casting_error() -> None:
    with pytest.raises(TypeError):
        C.astype("f8", casting="same_kind")
    with pytest.raises(TypeError):
        project("astype", C, "f8", casting="same_kind")


def _complex_warnings(array: np.ndarray) -> int:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        np.add(array, array, out=np.empty((3, 2)), casting="unsafe")
        array.astype("f8")
    return sum(issubclass(w.category, np.exceptions.ComplexWarning) for w in seen)


def test_a_guarded_discarding_cast_warns_as_often_as_plain_numpy() -> None:
    """The user's calls warn as NumPy's do (once each), and numguard adds none."""
    plain = _complex_warnings(C)
    with numguard.guard(limit="1GiB", mode="raise"):
        guarded = _complex_warnings(numguard.wrap(C))
    assert plain == guarded == 2
