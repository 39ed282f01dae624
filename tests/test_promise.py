"""#22.1: a projection is a promise the allocator checks.

A wrapped operation runs with an allowance (its projected peak plus slack); what it
allocates beyond that, and whatever user code NumPy calls back meanwhile allocates, is
judged like a plain array's allocation. So a wrapped array is refused wherever the plain
one is: the issue's table, each case inside a guard block whose limit is below the
call's real peak.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import numguard
from numguard import guard, wrap


def objects() -> np.ndarray:
    """Three 8 MB arrays in an object array (no other reference to them: see
    numguard.guarded.written for why that matters)."""
    data = np.empty(3, dtype=object)
    for k in range(3):
        data[k] = np.ones(10**6)
    return data


M = 2000
CASES = {
    "rfft of float32": (lambda x: np.fft.rfft(x), lambda: np.ones((1000, 1000), np.float32),
                        "6MiB"),
    "strided argmin": (lambda x: np.argmin(x[:, ::2], axis=1),
                       lambda: np.ones((1000, 2000), np.uint16), "1MiB"),
    "matmul of long double and complex": (
        lambda x: np.matmul(x, np.ones(300, np.complex128)),
        lambda: np.ones((300, 300), np.longdouble), "1MiB"),
    "dot into an operand": (lambda x: np.dot(x, x, out=x), lambda: np.ones((M, M)), "1MiB"),
    "einsum into an operand": (lambda x: np.einsum("ij,jk->ik", x, x, out=x),
                               lambda: np.ones((M, M)), "1MiB"),
    "take into an operand": (
        lambda x: np.take(x, np.arange(M * M)[::-1].copy(), out=x.reshape(-1)),
        lambda: np.ones((M, M)), "1MiB"),
    "object array times 2": (lambda x: x * 2, objects, "1MiB"),
    "frompyfunc callback": (
        lambda x: np.frompyfunc(lambda v: np.ones(10**6) * v, 1, 1)(x),
        lambda: np.arange(3.0), "1MiB"),
}


def outcome(operation, data, limit) -> str:
    try:
        with guard(limit=limit):
            operation(data)
        return "ran"
    except MemoryError:
        return "refused"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_wrapped_array_is_refused_wherever_the_plain_one_is(name):
    operation, make, limit = CASES[name]
    plain = outcome(operation, make(), limit)
    assert plain == "refused"
    assert outcome(operation, wrap(make()), limit) == plain


def test_a_projection_too_low_costs_a_judgement_never_an_unjudged_allocation(monkeypatch):
    # Make every ufunc projection claim nothing: the allowance is then only the slack,
    # and the real 15.3 MiB result is judged by the backstop (and refused) anyway.
    from numguard.guarded import ufuncs
    from numguard.projection.record import Estimate

    real = ufuncs.project_ufunc

    def too_low(*args, **kwargs) -> Estimate:
        return real(*args, **kwargs)._replace(nbytes=0, temporaries=0)

    monkeypatch.setattr(ufuncs, "project_ufunc", too_low)
    monkeypatch.setattr(ufuncs, "FASTPATH", None, raising=False)
    with pytest.raises(MemoryError), guard(limit="1MiB"):
        wrap(np.ones((2000, 1))) * wrap(np.ones((1, 1000)))


def test_operations_within_their_allowance_are_reported_once():
    with pytest.warns(numguard.NumguardWarning) as caught, guard(limit="1MiB", mode="warn"):
        wrap(np.ones((2000, 1))) * np.ones((1, 1000))
    assert len(caught) == 1


OBJECT_OPERATIONS = {
    "w * 2": lambda w: w * 2, "2 * w": lambda w: 2 * w, "-w": lambda w: -w,
    "w + w": lambda w: w + w, "w ** 2": lambda w: w ** 2, "abs(w)": lambda w: abs(w),
    "np.multiply(w, 2)": lambda w: np.multiply(w, 2),
}


@pytest.mark.parametrize("mode", ["raise", "off"])
@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(
        name == "-w" and sys.version_info < (3, 11), strict=True,
        reason="on Python 3.10 with NumPy 2.2, NumPy's backtrace test reuses the elements "
               "for the user's -data but not when the same operator runs from numguard's "
               "frame: the elision heuristic, not the operator, decides"))
    for name in sorted(OBJECT_OPERATIONS)])
def test_object_arrays_elements_are_changed_exactly_as_numpy_changes_them(name, mode):
    # Found for #22.1: NumPy reuses an object array's big elements as temporaries when
    # a ufunc is called from Python (np.multiply(data, 2) overwrites data's elements),
    # but not for operators (data * 2). numguard must not turn one into the other.
    operation = OBJECT_OPERATIONS[name]
    plain = objects()
    operation(plain)
    guarded = objects()
    with guard(mode=mode):
        operation(wrap(guarded))
    assert [float(e[0]) for e in guarded] == [float(e[0]) for e in plain]
