"""Guarded operations against plain NumPy: same values, dtype, shape, return objects, errors.

Every call runs twice: on plain copies of the operands, and on GuardedArray views of
them. The outcomes must agree: the same values, dtype and shape; a GuardedArray where
NumPy returns a new ndarray, NumPy's scalar where NumPy returns a scalar, and the very
`out=` object the caller gave; or, when NumPy refuses, the same exception class with
the same message. Each call runs under two settings: the defaults (nothing trips on
small data) and a log-everything setting (limit 1 byte, inflation 1, rank promotion
warn, mode log), so that the estimate and the whole report path run on every call
without changing its outcome.
"""

from __future__ import annotations

import copy
import logging
import operator
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes
from numpy.testing.overrides import get_overridable_numpy_ufuncs
from strategies import NUMPY_CRASHES, call_strategy

import numguard
from numguard import GuardedArray, unwrap, wrap

#: The two settings every differential call runs under (see the module docstring).
QUIET = {}
LOUD = {"mode": "log", "limit": 1, "inflation": 1, "rank_promotion": "warn"}
SETTING_IDS = {"defaults": QUIET, "log-everything": LOUD}

HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def _process_defaults():
    """Tests here never change the process defaults; fail loudly if one did."""
    before = numguard.get_settings()
    yield
    assert numguard.get_settings() == before


@pytest.fixture(autouse=True)
def _quiet_numguard_logger():
    """The log-everything setting emits a record per call: keep them out of pytest's report.

    A disabled logger still builds each record (with its `extra` fields), then drops it.
    """
    log = logging.getLogger("numguard")
    disabled, log.disabled = log.disabled, True
    yield
    log.disabled = disabled


# -- running a call both ways ------------------------------------------------------------

class Raised:
    def __init__(self, exc: BaseException) -> None:
        self.cls = type(exc)
        self.text = str(exc)

    def __repr__(self) -> str:
        return f"{self.cls.__name__}({self.text!r})"


def run(op: Any, args: tuple, kwargs: dict) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return op(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with the other side
            return Raised(exc)


def guarded_copy(x: Any, wrap_it: bool = True) -> Any:
    """A GuardedArray view of a private copy (arrays), else x itself (scalars, indices)."""
    if isinstance(x, np.ndarray):
        return wrap(x.copy()) if wrap_it else x.copy()
    if isinstance(x, tuple):
        return tuple(guarded_copy(o, wrap_it) for o in x)
    return x


def outputs_of(kwargs: dict) -> list:
    out = kwargs.get("out")
    if out is None or out is Ellipsis:
        return []
    return list(out) if isinstance(out, tuple) else [out]


def assert_same_value(plain: Any, guarded: Any, where: str) -> None:
    if isinstance(plain, np.ndarray):
        assert isinstance(guarded, np.ndarray), f"{where}: {type(guarded)} for an array"
        assert guarded.dtype == plain.dtype, where
        assert guarded.shape == plain.shape, where
        np.testing.assert_array_equal(unwrap(guarded), plain, err_msg=where)
    else:
        assert type(guarded) is type(plain), f"{where}: {type(guarded)} is not {type(plain)}"
        if isinstance(plain, np.generic):
            assert guarded.dtype == plain.dtype, where
        np.testing.assert_array_equal(guarded, plain, err_msg=where)


def assert_same_result(plain: Any, guarded: Any, plain_outs: list, guarded_outs: list) -> None:
    """Types follow NumPy's rules, with GuardedArray in place of a new ndarray."""
    if isinstance(plain, tuple):
        assert isinstance(guarded, tuple) and len(guarded) == len(plain)
        for p, g in zip(plain, guarded):
            assert_same_result(p, g, plain_outs, guarded_outs)
        return
    for p_out, g_out in zip(plain_outs, guarded_outs):
        if p_out is not None and plain is p_out:
            assert guarded is g_out, "out= must return the very object given"
            return
    if plain is None:
        assert guarded is None
        return
    if type(plain) is np.ndarray:
        assert type(guarded) is GuardedArray, f"{type(guarded)} where NumPy returns ndarray"
    assert_same_value(plain, guarded, "result")


def differential(op: Any, args: tuple, kwargs: dict, wrap_mask: tuple | None = None,
                 wrap_outs: tuple | None = None) -> Any:
    """Run op on plain copies and on guarded copies; assert the same outcome."""
    wrap_mask = wrap_mask or (True,) * len(args)
    plain_args = copy.deepcopy(args)
    plain_kwargs = copy.deepcopy(kwargs)
    guarded_args = tuple(guarded_copy(a, w) for a, w in zip(args, wrap_mask))
    guarded_kwargs = dict(kwargs)
    if "out" in kwargs and kwargs["out"] is not None and kwargs["out"] is not Ellipsis:
        out = kwargs["out"]
        outs = out if isinstance(out, tuple) else (out,)
        flags = wrap_outs or (True,) * len(outs)
        new = tuple(guarded_copy(o, f) for o, f in zip(outs, flags))
        guarded_kwargs["out"] = new if isinstance(out, tuple) else new[0]

    guarded_anything = [x for x in guarded_args + tuple(outputs_of(guarded_kwargs))
                        if isinstance(x, GuardedArray)]
    if not guarded_anything:
        return None  # all scalars: NumPy never consults numguard
    expected = run(op, plain_args, plain_kwargs)
    got = run(op, guarded_args, guarded_kwargs)
    if isinstance(expected, Raised) or isinstance(got, Raised):
        assert isinstance(got, Raised) and isinstance(expected, Raised), (expected, got)
        assert (got.cls, got.text) == (expected.cls, expected.text)
    else:
        assert_same_result(expected, got, outputs_of(plain_kwargs), outputs_of(guarded_kwargs))
    # Operands modified in place (ufunc.at, out=) end up the same too.
    for p, g in zip(plain_args, guarded_args):
        if isinstance(p, np.ndarray):
            assert_same_value(p, g, "operand after the call")
    for p, g in zip(outputs_of(plain_kwargs), outputs_of(guarded_kwargs)):
        if p is not None:
            assert_same_value(p, g, "out= after the call")
    return got


# -- 1. every overridable ufunc and method, on the estimate oracle's call strategies ------

UFUNCS = sorted(get_overridable_numpy_ufuncs(), key=lambda u: u.__name__)
METHODS = ["__call__", "reduce", "accumulate", "reduceat", "outer", "at"]
CASES = [pytest.param(u, m, id=f"{u.__name__}.{m}") for u in UFUNCS for m in METHODS
         if (u.__name__, m) not in NUMPY_CRASHES]




@pytest.mark.parametrize("ufunc, method", CASES)
@settings(HYPOTHESIS, max_examples=4)
@given(data=st.data())
def test_every_ufunc_and_method_matches_numpy(ufunc, method, data):
    args, kwargs = data.draw(call_strategy(ufunc, method))
    if kwargs.get("out") is Ellipsis:
        # NumPy drops out=... before calling __array_ufunc__, so no override can honour
        # it (0-d results come back as scalars): a NumPy limitation, see the report.
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    arrays_at = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    # The first array operand is always guarded; the others are drawn.
    mask = tuple(
        isinstance(a, np.ndarray)
        and (i == arrays_at[0] or data.draw(st.booleans(), label=f"wrap {i}"))
        for i, a in enumerate(args)
    )
    outs = outputs_of(kwargs)
    out_mask = tuple(data.draw(st.booleans(), label="wrap out") for _ in outs) or None
    op = ufunc if method == "__call__" else getattr(ufunc, method)
    with numguard.guard(**data.draw(st.sampled_from([QUIET, LOUD]), label="settings")):
        differential(op, args, kwargs, mask, out_mask)


# -- 2. real values through the common operators and functions ---------------------------

DTYPES = ["?", "i1", "u1", "i4", "i8", "f4", "f8", "c16"]
BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.floor_divide, np.power,
          np.maximum, np.fmin, np.less, np.equal, np.logical_xor, np.bitwise_and,
          np.arctan2, np.hypot, np.remainder, np.divmod, np.copysign, np.matmul]
UNARY = [np.negative, np.sqrt, np.exp, np.absolute, np.isnan, np.modf, np.frexp,
         np.invert, np.sign, np.floor, np.conjugate]
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
             operator.lt, operator.ge, operator.and_, operator.matmul, operator.mod]
INPLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv,
           operator.ifloordiv, operator.imatmul, operator.ior]


def values(dtype: str, shape: tuple) -> st.SearchStrategy:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        elements = st.floats(-1e3, 1e3, width=dt.itemsize * 8) | st.sampled_from(
            [0.0, -0.0, np.inf, -np.inf, np.nan])
    elif dt.kind == "c":
        elements = st.complex_numbers(max_magnitude=1e3, allow_nan=False)
    elif dt.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dt)
        elements = st.integers(max(info.min, -100), min(info.max, 100))
    return arrays(dt, shape, elements=elements)


@st.composite
def operand(draw, shape: tuple) -> Any:
    """A guarded array, a plain one, a NumPy or Python scalar (for shape ()), or a 0-d array."""
    dtype = draw(st.sampled_from(DTYPES))
    arr = draw(values(dtype, shape))
    if shape == ():
        kind = draw(st.sampled_from(["array", "numpy scalar", "python scalar"]))
        if kind == "numpy scalar":
            return arr[()]
        if kind == "python scalar":
            return arr[()].item()
    if shape and draw(st.integers(0, 3)) == 0:  # a non-contiguous view
        arr = np.repeat(arr, 2, axis=-1)[..., ::2]
    return arr


@st.composite
def elementwise(draw):
    ufunc = draw(st.sampled_from(BINARY + UNARY))
    if ufunc.signature:
        b = draw(mutually_broadcastable_shapes(signature=ufunc.signature, max_dims=3,
                                               max_side=3))
    else:
        b = draw(mutually_broadcastable_shapes(num_shapes=ufunc.nin, max_dims=3, max_side=3))
    args = tuple(draw(operand(s)) for s in b.input_shapes)
    kwargs: dict = {}
    kind = draw(st.sampled_from(["none", "none", "out", "out+where", "dtype"]))
    if kind == "dtype":
        kwargs["dtype"] = draw(st.sampled_from(["f8", "f4", "c16", "i8"]))
    elif kind.startswith("out"):
        ref = run(ufunc, copy.deepcopy(args), {})
        if not isinstance(ref, Raised):
            refs = ref if isinstance(ref, tuple) else (ref,)
            outs = tuple(np.zeros(np.shape(r), draw(st.sampled_from(
                [np.asarray(r).dtype, np.dtype("f8"), np.dtype("i2")]))) for r in refs)
            if len(outs) > 1 and kind == "out" and draw(st.booleans()):
                outs = (outs[0], None)  # (with where=, a new output is uninitialised)
            kwargs["out"] = outs if len(outs) > 1 or draw(st.booleans()) else outs[0]
            if kind == "out+where" and not ufunc.signature:
                kwargs["where"] = draw(arrays(bool, draw(st.sampled_from(
                    [(), np.shape(refs[0]), np.shape(refs[0])[-1:]]))))
    return ufunc, args, kwargs


@settings(HYPOTHESIS, max_examples=300)
@given(call=elementwise(), data=st.data())
@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_elementwise_on_real_values(setting, call, data):
    ufunc, args, kwargs = call
    mask = tuple(isinstance(a, np.ndarray) and data.draw(st.booleans()) for a in args)
    outs = outputs_of(kwargs)
    out_mask = tuple(o is not None and data.draw(st.booleans()) for o in outs) or None
    if not any(mask) and not any(out_mask or ()):
        mask = tuple(isinstance(a, np.ndarray) for a in args)
        if not any(mask):
            return  # nothing to guard: all scalars
    with numguard.guard(**SETTING_IDS[setting]):
        differential(ufunc, args, kwargs, mask, out_mask)


@st.composite
def reduction(draw):
    ufunc = draw(st.sampled_from([np.add, np.multiply, np.maximum, np.minimum,
                                  np.logical_or, np.subtract, np.bitwise_xor]))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    arr = draw(values(draw(st.sampled_from(DTYPES)), shape))
    method = draw(st.sampled_from(["reduce", "accumulate", "reduceat", "outer", "at"]))
    kwargs: dict = {}
    ndim = len(shape)
    if method == "outer":
        other = draw(operand(tuple(draw(st.lists(st.integers(0, 3), max_size=2)))))
        return ufunc, method, (arr, other), kwargs
    if method == "at":
        if not shape or shape[0] == 0:
            shape = (3,)
            arr = draw(values("f8", shape))
        index = draw(st.lists(st.integers(-shape[0] - 1, shape[0]), max_size=5))
        val = draw(st.one_of(st.integers(-3, 3), st.floats(-3, 3)))
        return ufunc, method, (arr, index, val), kwargs
    axis = draw(st.one_of(st.none(), st.integers(-ndim - 1, ndim),
                          st.lists(st.integers(-ndim, max(ndim - 1, 0)), max_size=2).map(
                              tuple)))
    if axis is not None or method == "reduce":
        kwargs["axis"] = axis
    if method == "reduce":
        if draw(st.booleans()):
            kwargs["keepdims"] = draw(st.booleans())
        if draw(st.integers(0, 2)) == 0:
            kwargs["initial"] = draw(st.sampled_from([0, 1, 5]))
        if draw(st.integers(0, 2)) == 0:
            kwargs["where"] = draw(arrays(bool, shape[-1:] if shape else ()))
    if draw(st.integers(0, 3)) == 0:
        kwargs["dtype"] = draw(st.sampled_from(["f8", "i8", "c16", "?"]))
    args: tuple = (arr,)
    if method == "reduceat":
        args = (arr, draw(st.lists(st.integers(-1, max(shape[:1] or (1,))), max_size=4)))
    if draw(st.integers(0, 2)) == 0:
        ref = run(getattr(ufunc, method), copy.deepcopy(args), copy.deepcopy(kwargs))
        if isinstance(ref, (np.ndarray, np.generic)):
            kwargs["out"] = np.zeros(np.shape(ref), np.asarray(ref).dtype)
    return ufunc, method, args, kwargs


@settings(HYPOTHESIS, max_examples=250)
@given(call=reduction(), data=st.data())
@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_methods_on_real_values(setting, call, data):
    ufunc, method, args, kwargs = call
    mask = tuple(isinstance(a, np.ndarray) and (i == 0 or data.draw(st.booleans()))
                 for i, a in enumerate(args))
    out_mask = (data.draw(st.booleans()),) if "out" in kwargs else None
    with numguard.guard(**SETTING_IDS[setting]):
        differential(getattr(ufunc, method), args, kwargs, mask, out_mask)


@settings(HYPOTHESIS, max_examples=200)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from(OPERATORS), data=st.data())
@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_python_operators(setting, shapes, op, data):
    a = data.draw(operand(shapes.input_shapes[0]))
    b = data.draw(operand(shapes.input_shapes[1]))
    if op is operator.matmul:
        a, b = data.draw(values("f8", (2, 3))), data.draw(values("i4", (3,)))
    mask = (isinstance(a, np.ndarray), isinstance(b, np.ndarray) and data.draw(st.booleans()))
    if not any(mask):
        return
    with numguard.guard(**SETTING_IDS[setting]):
        differential(op, (a, b), {}, mask)


@settings(HYPOTHESIS, max_examples=200)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from(INPLACE), data=st.data())
@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_inplace_operators(setting, shapes, op, data):
    """`g += h`: the same object back, the same values in it, or NumPy's own error."""
    a = data.draw(values(data.draw(st.sampled_from(DTYPES)), shapes.input_shapes[0]))
    b = data.draw(operand(shapes.input_shapes[1]))
    if op is operator.imatmul:
        a, b = data.draw(values("f8", (2, 2))), data.draw(values("f8", (2, 2)))
    plain = a.copy()
    guarded = wrap(a.copy())
    other = wrap(b.copy()) if isinstance(b, np.ndarray) and data.draw(st.booleans()) else b
    with numguard.guard(**SETTING_IDS[setting]):
        expected = run(op, (plain, copy.deepcopy(b)), {})
        got = run(op, (guarded, other), {})
    if isinstance(expected, Raised):
        assert isinstance(got, Raised) and (got.cls, got.text) == (expected.cls, expected.text)
    else:
        assert expected is plain
        assert got is guarded
    assert_same_value(plain, guarded, "in-place target")


# -- 3. wrapping, views, the scalar rule, pickling --------------------------------------

def test_wrap_is_a_view_not_a_copy():
    a = np.arange(12.0).reshape(3, 4)
    g = wrap(a)
    assert type(g) is GuardedArray
    assert isinstance(g, np.ndarray)
    assert np.shares_memory(g, a)
    assert g.base is a or g.base is a.base or np.shares_memory(g.base, a)
    g[0, 0] = 100.0
    assert a[0, 0] == 100.0  # writes go through
    assert wrap(g) is g  # already guarded: itself


def test_wrap_accepts_anything_array_like():
    assert type(wrap([1, 2, 3])) is GuardedArray
    assert wrap([1, 2, 3]).tolist() == [1, 2, 3]
    f = np.asfortranarray(np.ones((2, 3)))
    assert wrap(f).flags.f_contiguous and np.shares_memory(wrap(f), f)
    strided = np.arange(10)[::3]
    assert wrap(strided).strides == strided.strides


def test_unwrap_is_a_plain_view():
    a = np.arange(6.0)
    g = wrap(a)
    u = unwrap(g)
    assert type(u) is np.ndarray
    assert np.shares_memory(u, a)
    assert unwrap(a) is a  # anything else comes back unchanged
    assert unwrap(3) == 3


def test_slices_and_views_stay_guarded():
    g = wrap(np.arange(24.0).reshape(2, 3, 4))
    for view in (g[0], g[:, 1:], g[..., ::2], g.T, g.reshape(6, 4), g.ravel(),
                 g.view(), g.swapaxes(0, 1), g[np.newaxis], g.squeeze(), g.real,
                 np.lib.stride_tricks.sliding_window_view(g, 2, axis=-1, subok=True)):
        assert type(view) is GuardedArray
        assert np.shares_memory(view, g)


def test_results_are_guarded_arrays():
    g = wrap(np.arange(6.0).reshape(2, 3))
    for result in (g + 1, 1 + g, g * g, np.sqrt(g), g > 2, g @ g.T, np.add.outer(g, 1),
                   g.sum(axis=0), g.cumsum(), np.maximum.accumulate(g, axis=1),
                   np.add(g, np.ones(3))):
        assert type(result) is GuardedArray
    # NumPy's scalar rule: a 0-d result is a NumPy scalar, not an array.
    for scalar in (g.sum(), g[0, 0] + 1, np.add(wrap(np.array(1.0)), wrap(np.array(2.0))),
                   np.add.reduce(g, axis=None), g.max(), np.sqrt(wrap(np.array(4.0)))):
        assert type(scalar) is np.float64
    assert type(np.add(wrap(np.array(1, "i4")), 1)) is np.int32


def test_zero_d_out_is_returned_as_given():
    o = wrap(np.array(0.0))
    assert np.add(wrap(np.array(1.0)), 2, out=o) is o
    assert o == 3.0
    plain = np.array(0.0)
    assert np.add.reduce(wrap(np.ones(4)), out=plain) is plain
    assert plain == 4.0


def test_out_returns_the_given_object():
    g = wrap(np.ones((2, 3)))
    plain_out, guarded_out = np.empty((2, 3)), wrap(np.empty((2, 3)))
    assert np.add(g, 1, out=plain_out) is plain_out
    assert type(plain_out) is np.ndarray
    assert np.add(g, 1, out=guarded_out) is guarded_out
    assert np.add(np.ones((2, 3)), 1, out=guarded_out) is guarded_out  # only out is guarded
    q, r = np.divmod(g, 2, out=(plain_out, None))
    assert q is plain_out and type(r) is GuardedArray
    pair = (wrap(np.empty((2, 3))), np.empty((2, 3)))
    q, r = np.divmod(g, 2, out=pair)
    assert q is pair[0] and r is pair[1]
    assert np.add.accumulate(g, axis=1, out=guarded_out) is guarded_out
    assert np.multiply.outer(g[0], g[1], out=np.empty((3, 3))).shape == (3, 3)
    assert np.add.at(wrap(np.zeros(3)), [0, 0, 1], 1) is None


def test_pickle_round_trips():
    for a in (np.arange(6.0).reshape(2, 3), np.array(["a", "bc"]), np.array(1.5),
              np.asfortranarray(np.ones((2, 2), "i2")), np.arange(10)[::3]):
        g = wrap(a)
        back = pickle.loads(pickle.dumps(g, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is GuardedArray
        assert back.dtype == a.dtype and back.shape == a.shape
        np.testing.assert_array_equal(unwrap(back), a)
        back_copy = copy.deepcopy(g)
        assert type(back_copy) is GuardedArray and not np.shares_memory(back_copy, g)


def test_isinstance_ndarray_and_array_functions_accept_it():
    g = wrap(np.arange(4.0))
    assert isinstance(g, np.ndarray)
    assert np.asarray(g) is g or type(np.asarray(g)) is np.ndarray
    assert np.concatenate([g, g]).shape == (8,)
    assert float(np.linalg.norm(g)) == pytest.approx(np.linalg.norm(np.arange(4.0)))


# -- 4. NumPy's own errors pass through unchanged ---------------------------------------

def _same_error(call, plain_args: tuple, guarded_args: tuple, **kwargs) -> None:
    with pytest.raises(Exception) as plain:
        call(*plain_args, **kwargs)
    with pytest.raises(Exception) as guarded:
        call(*guarded_args, **kwargs)
    assert type(guarded.value) is type(plain.value)
    assert str(guarded.value) == str(plain.value)


@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_numpy_errors_pass_through_unchanged(setting):
    a, b = np.ones((3, 4)), np.ones((5,))
    ints, strs = np.arange(4), np.array(["x", "y", "z", "w"])
    with numguard.guard(**SETTING_IDS[setting]):
        # shapes that do not broadcast: operator, function, and the two-array hot path
        _same_error(operator.add, (a, b), (wrap(a), wrap(b)))
        _same_error(np.multiply, (a, b), (wrap(a), b))
        _same_error(operator.iadd, (a.copy(), np.ones((2, 4))), (wrap(a.copy()),
                                                                  wrap(np.ones((2, 4)))))
        # no loop for these dtypes
        _same_error(np.add, (ints, strs), (wrap(ints), wrap(strs)))
        _same_error(np.sqrt, (strs,), (wrap(strs),))
        _same_error(operator.sub, (np.ones(3, bool), np.ones(3, bool)),
                    (wrap(np.ones(3, bool)), wrap(np.ones(3, bool))))
        # bad axis
        _same_error(np.add.reduce, (a,), (wrap(a),), axis=2)
        _same_error(np.add.accumulate, (a,), (wrap(a),), axis=-3)
        _same_error(np.subtract.reduce, (a,), (wrap(a),), axis=(0, 1))
        _same_error(lambda x: x.sum(axis=5), (a,), (wrap(a),))
        # casting errors
        _same_error(operator.iadd, (ints.copy(), 1.5), (wrap(ints.copy()), 1.5))
        _same_error(np.add, (ints, 1.5), (wrap(ints), 1.5), out=np.empty(4, "i8"))
        _same_error(np.add, (ints, ints), (wrap(ints), wrap(ints)), casting="no", dtype="f4")
        _same_error(np.add, (a, 1), (wrap(a), 1), out=np.empty((4, 3)))
        # matmul core dimensions, reduceat indices, outer/at misuse
        _same_error(operator.matmul, (a, a), (wrap(a), wrap(a)))
        _same_error(np.add.reduceat, (ints, [0, 9]), (wrap(ints), [0, 9]))
        _same_error(np.add.at, (ints.copy(), [7], 1), (wrap(ints.copy()), [7], 1))
        _same_error(np.negative.reduce, (ints,), (wrap(ints),))
        _same_error(np.add, (a,), (wrap(a),))  # wrong number of arguments
        _same_error(np.add, (a, a), (wrap(a), wrap(a)), bogus=1)


@pytest.mark.parametrize("setting", SETTING_IDS.keys())
def test_guarded_where_mask(setting):
    g = wrap(np.arange(6.0))
    out = np.zeros(6)
    with numguard.guard(**SETTING_IDS[setting]):
        r = np.add(g, 1, where=g > 2, out=out)  # g > 2 is a GuardedArray
    assert r is out
    np.testing.assert_array_equal(out, [0, 0, 0, 4, 5, 6])


def test_guarded_where_mask_in_a_reduction():
    g = wrap(np.arange(6.0))
    assert np.add.reduce(g, where=g > 2) == 3 + 4 + 5
