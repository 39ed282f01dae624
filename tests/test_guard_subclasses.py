"""wrap() never changes a result (issue #10.3, #10.13): ndarray subclasses keep their
class and behaviour, in every mode, and other subclasses' reflected operators win.

NumPy is the oracle: each operation on the guarded array, unwrapped, equals the same
operation without numguard: values, mask, class and the user's attributes.
"""

from __future__ import annotations

import operator
import pickle

import numpy as np
import pytest

import numguard
from numguard import GuardedArray, unwrap, wrap
from numguard.guarded import guarded_class

MODES = ["off", "log", "warn", "raise"]


class Tagged(np.ndarray):
    """A user's subclass: an attribute carried by __array_finalize__."""

    def __new__(cls, data, tag="t"):
        obj = np.asarray(data).view(cls)
        obj.tag = tag
        return obj

    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", None)


def make(kind, tmp_path):
    base = np.arange(1.0, 7.0).reshape(2, 3)
    if kind == "matrix":
        return np.matrix(base)
    if kind == "masked":
        return np.ma.masked_array(base, mask=[[0, 1, 0], [0, 0, 1]])
    if kind == "recarray":
        return np.rec.fromarrays([base.ravel(), base.ravel() * 10], names="x,y")
    if kind == "memmap":
        mm = np.memmap(tmp_path / "data.bin", dtype="f8", mode="w+", shape=(2, 3))
        mm[:] = base
        return mm
    if kind == "chararray":
        return np.char.array([["ab", "c", "de"], ["f", "gh", "i"]])
    return Tagged(base, tag="mine")


KINDS = ["matrix", "masked", "recarray", "memmap", "chararray", "tagged"]

NUMERIC_OPS = {
    "x * x": lambda x: x * x,
    "x + 1": lambda x: x + 1,
    "2 * x": lambda x: 2 * x,
    "x.sum()": lambda x: x.sum(),
    "np.sum(x, axis=0)": lambda x: np.sum(x, axis=0),
    "x[0]": lambda x: x[0],
    "x[[0, 1]]": lambda x: x[[0, 1]],
    "x.copy()": lambda x: x.copy(),
    "x.T": lambda x: x.T,
    "x.ravel()": lambda x: x.ravel(),
    "np.concatenate": lambda x: np.concatenate([x, x]),
    "x.mean()": lambda x: x.mean(),
    "x > 2": lambda x: x > 2,
    "np.dot(x, x.T)": lambda x: np.dot(x, x.T),
}
OPS = {
    "matrix": NUMERIC_OPS, "masked": NUMERIC_OPS, "memmap": NUMERIC_OPS, "tagged": NUMERIC_OPS,
    "recarray": {"x.x": lambda r: r.x, "x[0]": lambda r: r[0], "x[[0, 1]]": lambda r: r[[0, 1]],
                 "x['y']": lambda r: r["y"], "x.copy()": lambda r: r.copy(),
                 "x.x * 2": lambda r: r.x * 2},
    "chararray": {"x + 'z'": lambda c: c + "z", "x * 2": lambda c: c * 2, "x[0]": lambda c: c[0],
                  "x.upper()": lambda c: c.upper(), "x == 'ab'": lambda c: c == "ab",
                  "x.copy()": lambda c: c.copy()},
}


def assert_same(guarded, plain):
    got = unwrap(guarded)
    assert type(got) is type(plain), (type(got), type(plain))
    if isinstance(plain, np.ma.MaskedArray):
        np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(plain))
        np.testing.assert_array_equal(got.filled(0), plain.filled(0))
    elif isinstance(plain, np.ndarray):
        assert got.dtype == plain.dtype and got.shape == plain.shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(plain))
    else:
        assert got == plain or (got is plain)
    if isinstance(plain, Tagged):
        assert got.tag == plain.tag


CASES = [(kind, op) for kind in KINDS for op in OPS[kind]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("kind", "op"), CASES, ids=[f"{k}-{o}" for k, o in CASES])
def test_results_with_numguard_equal_results_without(kind, op, mode, tmp_path):
    x = make(kind, tmp_path)
    try:
        expected, error = OPS[kind][op](x), None
    except Exception as e:  # noqa: BLE001 - NumPy's error must be the guarded one too
        expected, error = None, e
    with numguard.guard(mode=mode):
        g = wrap(x)
        assert isinstance(g, type(x)) and isinstance(g, GuardedArray)
        assert np.shares_memory(np.asarray(g), np.asarray(x))
        if error is not None:
            with pytest.raises(type(error)):
                OPS[kind][op](g)
            return
        assert_same(OPS[kind][op](g), expected)


@pytest.mark.parametrize("mode", MODES)
def test_wrap_is_the_same_in_every_mode(mode):
    a = np.ones(3)
    with numguard.guard(mode=mode):
        assert type(wrap(a)) is GuardedArray and wrap(a).base is a
        assert type(wrap([1, 2])) is GuardedArray
        assert type(wrap(np.matrix(a))) is guarded_class(np.matrix)


def test_the_issue_reproducers():
    ma = np.ma.masked_array([1.0, 1, 1, 1, 100], mask=[0, 0, 0, 0, 1])
    assert wrap(ma).sum() == ma.sum() == 4.0
    r = np.rec.fromarrays([np.arange(3), np.arange(3.0)], names="x,y")
    np.testing.assert_array_equal(wrap(r).x, r.x)
    m = np.matrix([[1, 2], [3, 4]])
    assert (unwrap(wrap(m) * m) == m * m).all()


def test_twins_are_created_once_and_guard_their_own_class():
    assert guarded_class(np.matrix) is guarded_class(np.matrix)
    assert guarded_class(np.ndarray) is GuardedArray
    assert guarded_class(GuardedArray) is GuardedArray
    with pytest.raises(TypeError, match="ndarray subclass"):
        guarded_class(list)
    m = wrap(np.matrix([[1.0, 2.0], [3.0, 4.0]]))
    with numguard.guard(limit=16), pytest.raises(numguard.MemoryLimitError, match="np.dot"):
        m * m  # the matrix product, projected as NumPy runs it
    masked = wrap(np.ma.masked_array([1.0, 2.0, 3.0]))
    with numguard.guard(limit=16), pytest.raises(numguard.MemoryLimitError, match="copy"):
        masked.copy()  # the masked array's own copy


def test_a_twin_pickles_as_the_users_class():
    m = np.matrix([[1, 2], [3, 4]])
    back = pickle.loads(pickle.dumps(wrap(m)))
    assert type(back) is np.matrix and (back == m).all()
    ma = np.ma.masked_array([1.0, 2.0], mask=[0, 1])
    back = pickle.loads(pickle.dumps(wrap(ma)))
    assert type(back) is np.ma.MaskedArray and back.mask.tolist() == [False, True]


def test_a_class_that_cannot_be_combined_is_declined_clearly():
    class Slotted(np.ndarray):
        __slots__ = ("extra",)

    class Both(Slotted):
        pass

    # A layout GuardedArray can join gives a twin; one that cannot is a clear TypeError.
    try:
        guarded_class(Both)
    except TypeError as error:
        assert "numguard cannot guard" in str(error) and "np.asarray" in str(error)


# -- #10.13: the reflected operators of other subclasses keep winning -----------------

A = np.arange(4).reshape(2, 2)
OPERATORS = ["__mul__", "__pow__", "__add__", "__matmul__", "__lt__", "__eq__"]


@pytest.mark.parametrize("name", OPERATORS)
@pytest.mark.parametrize("other", ["matrix", "masked"])
def test_reflected_operators_of_other_subclasses_go_first(name, other):
    o = np.matrix(A + 1) if other == "matrix" else np.ma.masked_array(A + 1, mask=[[0, 1], [0, 0]])
    op = getattr(operator, name.strip("_")) if name != "__matmul__" else operator.matmul
    if name == "__pow__":
        op = operator.pow
    try:
        expected = op(A, o)
    except TypeError:  # matrix ** matrix: NumPy's error, unchanged
        with pytest.raises(TypeError):
            op(wrap(A), o)
        return
    for left in (wrap(A), wrap(A.copy())):
        assert_same(op(left, o), expected)
        assert_same(op(left, wrap(o)), expected)
    try:
        reverse = op(o, A)
    except TypeError:  # matrix ** array: NumPy's error, unchanged
        with pytest.raises(TypeError):
            op(wrap(o), wrap(A))
        return
    assert_same(op(wrap(o), wrap(A)), reverse)


def test_the_matrix_product_of_the_issue():
    a = np.arange(4).reshape(2, 2)
    m = np.matrix(a)
    assert (a * m).tolist() == [[2, 3], [6, 11]]  # matrix.__rmul__: a product
    assert (unwrap(wrap(a) * m)).tolist() == (a * m).tolist()
    assert type(wrap(a) * m) is np.matrix  # what NumPy gives (no guard to keep)


def test_indexing_a_guarded_matrix_keeps_numpys_shapes():
    # #21.4: m[None].shape is (1, 2, 2) but wrap(m)[None].shape was (2, 2); m[:, None] too.
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    assert numguard.wrap(m)[None].shape == m[None].shape == (1, 2, 2)
    assert numguard.wrap(m)[:, None].shape == m[:, None].shape == (2, 1, 2)
    assert numguard.wrap(m[None]).shape == (1, 2, 2)


@pytest.mark.parametrize("mode", ["off", "raise", "warn", "log"])
def test_stacking_guarded_matrices_raises_as_numpy_does_in_every_mode(mode):
    # #21.4: np.stack([g, g]) in mode off returned (4, 2) where NumPy raises ValueError.
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    g = numguard.wrap(m)
    with pytest.raises(ValueError) as numpys:
        np.stack([m, m])
    with numguard.guard(mode=mode), pytest.raises(ValueError) as guarded:
        np.stack([g, g])
    assert str(guarded.value) == str(numpys.value)
