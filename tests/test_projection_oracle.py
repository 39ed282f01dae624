"""Differential tests: every estimate against what NumPy really does, on small data."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from numpy.testing.overrides import get_overridable_numpy_ufuncs
from oracle import KernelTimeError, check_agreement
from strategies import (
    NEEDS_OUT,
    NUMPY_CRASHES,
    PARTITION_INDEX,
    STRING_RECIPES,
    call_strategy,
    fill,
    partition_index_args,
    safe_string_out,
)

UFUNCS = sorted(get_overridable_numpy_ufuncs(), key=lambda u: u.__name__)
METHODS = ["__call__", "reduce", "accumulate", "reduceat", "outer", "at"]

#: CI runs a fixed, derandomized sample (about 11,000 calls in under a minute). To
#: explore further: NUMGUARD_ORACLE_EXAMPLES=200 NUMGUARD_ORACLE_RANDOM=1 pytest ...
SETTINGS = settings(
    max_examples=int(os.environ.get("NUMGUARD_ORACLE_EXAMPLES", "12")),
    deadline=None,
    derandomize=not os.environ.get("NUMGUARD_ORACLE_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)




def _check(ufunc: np.ufunc, method: str, args: tuple, kwargs: dict) -> None:
    op = ufunc if method == "__call__" else getattr(ufunc, method)
    try:
        check_agreement(op, args, kwargs, nin=ufunc.nin)
    except KernelTimeError:
        reject()


#: Divergences the deterministic run still finds: open work on issue 2, kept visible as
#: strict xfails so that a fix (or a new gap) changes this table.
KNOWN_GAPS: dict[tuple[str, str], str] = {
}

CASES = [
    pytest.param(
        u, m, id=f"{u.__name__}.{m}",
        marks=[pytest.mark.xfail(reason=KNOWN_GAPS[(u.__name__, m)], strict=True)]
        if (u.__name__, m) in KNOWN_GAPS else [],
    )
    for u in UFUNCS
    for m in METHODS
    if (u.__name__, m) not in NUMPY_CRASHES
]


@pytest.mark.parametrize("ufunc, method", CASES)
@SETTINGS
@given(data=st.data())
def test_estimate_agrees_with_numpy(ufunc: np.ufunc, method: str, data: st.DataObject) -> None:
    args, kwargs = data.draw(call_strategy(ufunc, method))
    _check(ufunc, method, args, kwargs)


# A deterministic walk: one valid call per ufunc and method, which must succeed in both.

def _homogeneous_loop(ufunc: np.ufunc) -> str | None:
    """A loop whose inputs and output share one type: what a reduction needs."""
    for loop in ufunc.types:
        if len(set(loop.replace("->", ""))) == 1:
            return loop
    return None


def _canonical_inputs(ufunc: np.ufunc, shape: tuple, loop: str | None = None) -> tuple:
    recipe = STRING_RECIPES.get(ufunc.__name__)
    if recipe is not None:
        # _partition and _rpartition serve StringDType; the others take str_ too.
        text = np.dtype("T" if ufunc.__name__ in ("_partition", "_rpartition") else "U4")
        return tuple(
            fill(shape, text) if kind == "str" else np.full(shape, 1)  # ints and steps
            for kind in recipe
        )
    loop = (loop or ufunc.types[0]).split("->")[0]
    dtypes = ["M8[s]" if c == "M" else "m8[s]" if c == "m" else c for c in loop]
    return tuple(fill(shape, np.dtype(d)) for d in dtypes)


def _valid_methods(ufunc: np.ufunc) -> list[str]:
    methods = ["__call__"]
    if ufunc.signature is None and not ufunc.__name__.startswith("_") and ufunc.types:
        if ufunc.nin <= 2 and ufunc.nout == 1:
            methods.append("at")
        if ufunc.nin == 2:
            methods.append("outer")
            if ufunc.nout == 1 and _homogeneous_loop(ufunc):
                methods += ["reduce", "accumulate", "reduceat"]
    return methods


WALK = [
    pytest.param(u, m, id=f"{u.__name__}.{m}") for u in UFUNCS for m in _valid_methods(u)
]


@pytest.mark.parametrize("ufunc, method", WALK)
def test_walk_every_ufunc_and_method(ufunc: np.ufunc, method: str) -> None:
    if ufunc.signature is not None:
        shapes = {"matmul": [(2, 3), (3, 4)], "matvec": [(2, 3), (3,)],
                  "vecmat": [(3,), (3, 4)], "vecdot": [(2, 3), (2, 3)]}[ufunc.__name__]
        inputs = tuple(fill(s, np.dtype(c)) for s, c in zip(shapes, ufunc.types[-4].split("->")[0]))
    elif method in ("reduce", "accumulate", "reduceat"):
        inputs = _canonical_inputs(ufunc, (2, 3), _homogeneous_loop(ufunc))
    else:
        inputs = _canonical_inputs(ufunc, (2, 3))
    kwargs: dict = {}
    if ufunc.__name__ in PARTITION_INDEX:
        args, kwargs = partition_index_args(ufunc, (2, 3), np.dtype("U4"))
    elif method == "__call__":
        args = inputs
        if ufunc.__name__ in NEEDS_OUT:
            kwargs["out"] = safe_string_out(ufunc, args, (2, 3))
    elif method == "outer":
        args = (inputs[0][0], inputs[1][:, 0])
    elif method == "at":
        args = (inputs[0].copy(), [0, 1, 0]) + ((inputs[1][0, 0],) if ufunc.nin == 2 else ())
    elif method == "reduceat":
        args = (inputs[0], [0, 1])
    else:
        args = (inputs[0],)
        kwargs["axis"] = 1
    op = ufunc if method == "__call__" else getattr(ufunc, method)
    try:
        est = check_agreement(op, args, kwargs, nin=ufunc.nin)
    except KernelTimeError:
        pytest.skip("NumPy's kernel rejects these values")
    assert est is not None, "the canonical call must be valid for NumPy and numguard"
