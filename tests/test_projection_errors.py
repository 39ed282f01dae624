"""estimate() agrees with NumPy on errors (issue 22 item 4, issue 21 item 5): it raises
the error class NumPy raises for calls decidable from shapes and dtypes, never raises
on a call NumPy runs, and a guarded call NumPy rejects gets NumPy's own error."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import public_class

import numguard
from numguard.errors import NumguardError
from numguard.projection import estimate

G = np.ones(2)

#: Calls NumPy rejects, from shapes and dtypes alone.
REJECTED = [
    pytest.param(np.nonzero, (np.array(1),), {}, id="nonzero of 0-d"),
    pytest.param(np.where, (np.array(1),), {}, id="where(condition) of 0-d"),
    pytest.param(np.min, (np.ones((0, 3)),), {}, id="min of a zero-size array"),
    pytest.param(np.min, (np.ones((0, 3)),), {"axis": 0}, id="min along an empty axis"),
    pytest.param(np.max, (np.ones((3, 0)),), {"axis": 1}, id="max along an empty axis"),
    pytest.param(np.max, (np.ones(3),), {"where": np.ones(3, bool)}, id="max where= no initial"),
    pytest.param(np.ptp, (np.ones((0, 3)),), {}, id="ptp of a zero-size array"),
    pytest.param(np.nanmin, (np.ones((0, 3)),), {}, id="nanmin of a zero-size array"),
    pytest.param(np.argmin, (np.ones((0, 3)),), {}, id="argmin of a zero-size array"),
    pytest.param(np.nanargmax, (np.ones((2, 0)),), {"axis": 1}, id="nanargmax of an empty axis"),
    pytest.param(np.zeros, ((2**70,),), {}, id="zeros (2**70,)"),
    pytest.param(np.zeros, ((2**62,),), {}, id="zeros (2**62,): too big"),
    pytest.param(np.empty, ((0, 2**62, 2**62),), {}, id="empty (0, 2**62, 2**62): too big"),
    pytest.param(np.ones_like, (G,), {"shape": (2**62,)}, id="ones_like shape too big"),
    pytest.param(np.full, ((2**70,), 1.0), {}, id="full (2**70,)"),
    pytest.param(np.repeat, (G, 2**62), {}, id="repeat 2**62"),
    pytest.param(np.repeat, (G, 2**70), {}, id="repeat 2**70 (OverflowError)"),
    pytest.param(np.repeat, (G, np.array(3, np.uint64)), {}, id="repeat by uint64 (TypeError)"),
    pytest.param(np.tile, (G, 2**62), {}, id="tile 2**62"),
    pytest.param(np.eye, (2**32,), {}, id="eye 2**32"),
    pytest.param(np.identity, (2**32,), {}, id="identity 2**32"),
    pytest.param(np.arange, (0, 2**62), {}, id="arange too big"),
    pytest.param(np.linspace, (0, 1, 2**62), {}, id="linspace too big"),
    pytest.param(np.tril, (np.array(1.0),), {}, id="tril of 0-d (TypeError)"),
    pytest.param(np.broadcast_to, (G[:1], (2**62,)), {}, id="a broadcast view too big"),
    # the fuzz (seed 424242): with optimize, the BLAS step's matmul refuses the cast
    pytest.param(np.einsum, ("ij,ij->", np.ones((2, 3), "f4"), np.ones((2, 3), "c16")),
                 {"optimize": "greedy", "dtype": "f8"}, id="einsum optimized: matmul's error"),
]


@pytest.mark.parametrize("op, args, kwargs", REJECTED)
def test_estimate_raises_numpys_error(op, args, kwargs) -> None:
    with pytest.raises(Exception) as numpy_error:
        op(*args, **kwargs)
    with pytest.raises(Exception) as projection_error:
        estimate(op, *args, **kwargs)
    assert public_class(projection_error.value) is public_class(numpy_error.value)


#: Calls NumPy runs, which estimate() once refused.
RUN = [
    pytest.param(np.tril, (np.ones(3),), {}, id="tril of 1-d"),
    pytest.param(np.triu, (np.ones(3),), {"k": 1}, id="triu of 1-d"),
    pytest.param(np.triu, (np.ones((2, 3, 4)),), {"k": -1}, id="triu stacked"),
    pytest.param(np.lib.scimath.sqrt, (np.ones(3, "u1"),), {}, id="scimath.sqrt of uint8"),
    pytest.param(np.lib.scimath.log, (np.ones(3, "u8"),), {}, id="scimath.log of uint64"),
    pytest.param(np.lib.scimath.power, (np.ones(3, "u2"), 2), {}, id="scimath.power of uint16"),
    pytest.param(np.lib.scimath.logn, (2, np.ones(3, "u2")), {}, id="scimath.logn of uint16"),
    pytest.param(np.lib.scimath.arccos, (np.ones(3, "?"),), {}, id="scimath.arccos of bool"),
    pytest.param(np.argsort, (np.array(1.0),), {}, id="argsort of 0-d"),
    pytest.param(np.argpartition, (np.array(1.0), 0), {}, id="argpartition of 0-d"),
    pytest.param(np.argwhere, (np.array(1),), {}, id="argwhere of 0-d"),
    pytest.param(np.flatnonzero, (np.array(0),), {}, id="flatnonzero of 0-d"),
    pytest.param(np.min, (np.ones((0, 3)),), {"axis": 1}, id="min along a full axis"),
    pytest.param(np.max, (np.ones((0, 3)),), {"initial": 0}, id="max of zero-size, initial"),
    *[pytest.param(np.linalg.vector_norm, (np.arange(24.0).reshape(2, 3, 4),), kwargs,
                   id=f"vector_norm of 3-d {kwargs}")
      for kwargs in ({"ord": 1}, {"ord": 0}, {"ord": np.inf, "axis": (0, 2)},
                     {"ord": 3, "axis": (0, 1)}, {"ord": -np.inf, "keepdims": True})],
    # optimize contracts through matmul (same_kind casting), where c_einsum casts safely
    pytest.param(np.einsum, ("ij,jk->ik", np.ones((3, 4)), np.ones((4, 5))),
                 {"optimize": True, "dtype": "f4"}, id="einsum optimized: a same_kind cast"),
    # a diagonal is a view: NumPy keeps the operand's dtype, whatever dtype= asks
    pytest.param(np.einsum, ("ii->i", np.ones((3, 3), "c16")),
                 {"dtype": "f4", "casting": "unsafe"}, id="einsum view ignores dtype"),
]


@pytest.mark.parametrize("op, args, kwargs", RUN)
def test_estimate_answers_what_numpy_runs(op, args, kwargs) -> None:
    real = op(*args, **kwargs)
    est = estimate(op, *args, **kwargs)
    results = real if isinstance(real, tuple) else (real,)
    assert est.shapes == tuple(np.shape(r) for r in results)
    assert est.dtypes == tuple(np.asarray(r).dtype for r in results)


# Issue 21, item 5, as reported: NumPy's ValueError must reach the user, not a refusal.

def test_wrapped_repeat_beyond_intp_gets_numpys_value_error() -> None:
    with numguard.guard(limit="1MiB"):
        with pytest.raises(ValueError) as raised:
            numguard.wrap(np.ones(2)).repeat(2**62)
    assert not isinstance(raised.value, NumguardError)


def test_tile_beyond_intp_gets_numpys_value_error() -> None:
    with numguard.guard(limit="1MiB"):
        with pytest.raises(ValueError) as raised:
            np.tile(numguard.wrap(np.ones(2)), 2**62)
    assert not isinstance(raised.value, NumguardError)


def test_eye_beyond_intp_like_a_guarded_array_gets_numpys_value_error() -> None:
    g = numguard.wrap(np.ones(2))
    with numguard.guard(limit="1MiB"):
        with pytest.raises(ValueError) as raised:
            np.eye(2**32, like=g)
    assert not isinstance(raised.value, NumguardError)


def test_estimate_of_zeros_beyond_intp_raises_value_error() -> None:
    with pytest.raises(ValueError):
        numguard.estimate(np.zeros, (2**70,))
