"""estimate() answers for every overridable NumPy function (issue #16), or says why not.

NumPy registers np.fft's 16 functions only once np.fft is imported, and numpy.strings',
numpy.char's and numpy.polynomial's once those are: numguard imports all of them, so
"every" is 348 here on NumPy 2.4.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing.overrides import get_overridable_numpy_array_functions

import numguard
from numguard.projection import ANSWERS, FUNCTIONS
from numguard.projection.tables import PASS_THROUGH, UNSUPPORTED

OVERRIDABLE = sorted(get_overridable_numpy_array_functions(),
                     key=lambda f: f"{f.__module__}.{f.__name__}")


def label(func):
    return f"{func.__module__}.{func.__name__}"


@pytest.mark.parametrize("func", OVERRIDABLE, ids=label)
def test_every_function_is_answered_or_says_why(func):
    if func in FUNCTIONS:
        return
    if func in PASS_THROUGH:
        assert func in ANSWERS, f"{label(func)}: pass-through without an answer"
        return
    assert func in UNSUPPORTED
    with pytest.raises(TypeError, match=UNSUPPORTED[func].split(":")[0]):
        numguard.estimate(func, np.ones(3))


def test_answers_serve_pass_through_functions_only():
    assert set(ANSWERS) <= set(PASS_THROUGH)
    assert not set(ANSWERS) & set(FUNCTIONS)


def test_unsupported_is_near_zero():
    # The string functions (numpy.strings, numpy.char: 30, registered once those modules
    # are imported) are counted apart: their result widths depend on the data.
    strings = {label(f) for f in UNSUPPORTED if f.__module__ in ("numpy.strings", "numpy.char")}
    names = {label(f) for f in UNSUPPORTED} - strings
    assert len(names) <= 45, sorted(names)
    assert all(UNSUPPORTED[f].startswith("strings:") for f in UNSUPPORTED
               if label(f) in strings)


@pytest.mark.parametrize("call, shapes, nbytes", [
    (lambda: numguard.estimate(np.transpose, np.ones((2, 3))), ((3, 2),), 0),
    (lambda: numguard.estimate(np.split, np.ones((4, 3)), 2), ((2, 3), (2, 3)), 0),
    (lambda: numguard.estimate(np.reshape, np.ones((2, 3)).T, (6,)), ((6,),), 48),
    (lambda: numguard.estimate(np.reshape, np.ones((2, 3)), (3, 2)), ((3, 2),), 0),
    (lambda: numguard.estimate(np.ravel, np.ones((2, 3))[:, ::2]), ((4,),), 32),
    (lambda: numguard.estimate(np.shape, np.ones((2, 3))), (), 0),
    (lambda: numguard.estimate(np.copyto, np.ones(3), 2.0), (), 0),
    (lambda: numguard.estimate(np.clip, np.ones((2, 3)), 0, 1), ((2, 3),), 48),
    (lambda: numguard.estimate(np.isclose, np.ones((2, 3)), np.ones(3)), ((2, 3),), 6),
])
def test_views_and_delegated_functions_answer(call, shapes, nbytes):
    est = call()
    assert est.shapes == shapes and est.nbytes == nbytes


def test_views_at_production_shape_allocate_nothing():
    big = np.lib.stride_tricks.as_strided(np.zeros(1), (10**6, 10**6), (0, 0))
    est = numguard.estimate(np.moveaxis, big, 0, 1)
    assert est.shape == (10**6, 10**6) and est.nbytes == 0 and est.peak == 0
