"""The C fast path against the Python path: the same calls, the same outcomes.

Every call runs twice from one line of `outcome` (so a report names the same caller):
with the C entries in, and with them taken out (`ufuncs.use_c(False)`, the Python path
alone, the oracle). Both must agree exactly: the result's class, dtype, shape, strides,
flags and bytes (or NumPy's error, class and message), the operands and out= arrays
afterwards, every warning (category and text) and every record on logger "numguard".
Settings are drawn over all modes, byte limits on both sides of each call's bound,
inflation and rank promotion, in a guard block or as the process defaults.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, mutually_broadcastable_shapes
from numpy.testing.overrides import get_overridable_numpy_ufuncs
from strategies import STRING_RECIPES, call_strategy

import numguard
from numguard import GuardedArray, wrap
from numguard.guarded import ufuncs

pytestmark = pytest.mark.skipif(ufuncs.FASTPATH is None, reason="the C fast path is not "
                                "built or NUMGUARD_NO_C is set")

HYPOTHESIS = settings(deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.filter_too_much])


@contextlib.contextmanager
def python_only():
    was = ufuncs.use_c(False)
    try:
        yield
    finally:
        ufuncs.use_c(was)


# -- one outcome, described exactly ----------------------------------------------------------

class Outcome(NamedTuple):
    result: Any
    error: tuple | None
    operands: tuple
    warned: list
    records: list


def describe(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(describe(v) for v in value))
    if isinstance(value, np.ndarray):
        flags = value.flags
        data = value.tobytes() if value.dtype.kind not in "OT" and value.dtype.char not in "gG" \
            else repr(value.tolist())  # (long doubles' padding bytes are never written)
        return ("array", type(value), value.dtype, value.shape, value.strides,
                flags.c_contiguous, flags.f_contiguous, flags.writeable, flags.aligned,
                flags.owndata, type(value.base), data)
    if isinstance(value, np.generic):
        data = value.tobytes() if value.dtype.kind not in "OT" and value.dtype.char not in "gG" \
            else repr(value)
        return ("scalar", type(value), value.dtype, data)
    return ("other", type(value), repr(value))


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.levelname, record.getMessage()))


def copies(value: Any, wrapped: bool) -> Any:
    if isinstance(value, np.ndarray):
        return wrap(value.copy()) if wrapped else value.copy()
    if isinstance(value, tuple):
        return tuple(copies(v, wrapped) for v in value)
    return value


def outcome(op: Any, args: tuple, kwargs: dict, scope: dict | None, process: dict | None) -> Outcome:
    """Run `op` once, on fresh copies, under a block's settings or process defaults."""
    handler = Records()
    log = logging.getLogger("numguard")
    log.addHandler(handler)
    old_level, log.level = log.level, logging.DEBUG
    previous = numguard.configure(**process) if process is not None else None
    block = numguard.guard(**scope) if scope is not None else contextlib.nullcontext()
    try:
        with warnings.catch_warnings(record=True) as caught, block:
            warnings.simplefilter("always")
            try:
                result, error = describe(op(*args, **kwargs)), None
            except Exception as exc:  # noqa: BLE001 - compared with the other path
                result, error = None, (type(exc), str(exc))
    finally:
        if previous is not None:
            numguard.configure(previous)
        log.removeHandler(handler)
        log.level = old_level
    return Outcome(result, error, describe(args + tuple(kwargs.values())),
                   [(w.category, str(w.message)) for w in caught], handler.seen)


def agree(op: Any, args: tuple, kwargs: dict, wrap_mask: tuple, where: tuple) -> Outcome:
    """The C path and the Python path on the same call and settings: the same outcome."""
    def fresh():
        return (tuple(copies(a, w) for a, w in zip(args, wrap_mask)),
                {k: copies(v, True) for k, v in kwargs.items()})

    c_args, c_kwargs = fresh()
    p_args, p_kwargs = fresh()
    with np.errstate(all="warn"):
        # Once first, discarded: the projection's caches warm up (its dtype replay can
        # warn on a first call only; see projection/dtypes.py's _replay), as in a program.
        outcome(op, *fresh(), *where)
        got = outcome(op, c_args, c_kwargs, *where)
        with python_only():
            expected = outcome(op, p_args, p_kwargs, *where)
    assert got == expected
    return got


#: The operators with a C entry of their own (the others reach __array_ufunc__'s).
OPERATOR_ENTRIES = {operator.add: "__add__", operator.sub: "__sub__", operator.mul: "__mul__",
                    operator.truediv: "__truediv__", operator.floordiv: "__floordiv__",
                    operator.mod: "__mod__", divmod: "__divmod__", operator.lshift: "__lshift__",
                    operator.rshift: "__rshift__", operator.and_: "__and__",
                    operator.or_: "__or__", operator.xor: "__xor__"}


def c_takes(op: Any, args: tuple, kwargs: dict, wrap_mask: tuple, where: tuple) -> bool:
    """Whether the C entry the call reaches first runs it itself (NumPy's errors count:
    the C path raised them), under the same settings, on fresh copies."""
    args = tuple(copies(a, w) for a, w in zip(args, wrap_mask))
    kwargs = {k: copies(v, True) for k, v in kwargs.items()}
    scope, process = where
    previous = numguard.configure(**process) if process is not None else None
    try:
        with (numguard.guard(**scope) if scope is not None else contextlib.nullcontext()), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if isinstance(op, np.ufunc):
                owners = [x for x in args + tuple(kwargs.get("out", ())) if isinstance(x, GuardedArray)]
                entry, call = GuardedArray.__array_ufunc__, (op, "__call__") + args
            else:
                owners = args[:1] if type(args[0]) is GuardedArray else []
                entry, call = getattr(GuardedArray, OPERATOR_ENTRIES.get(op, ""), None), args[1:]
            if not owners or type(entry).__name__ != "Entry":
                return False
            try:
                return entry.attempt(owners[0], *call, **kwargs)[0]
            except Exception:  # noqa: BLE001 - NumPy's own error, from the C path
                return True
    finally:
        if previous is not None:
            numguard.configure(previous)


# -- settings ------------------------------------------------------------------------------

SETTINGS = st.fixed_dictionaries({}, optional={
    "mode": st.sampled_from(["raise", "warn", "log", "off"]),
    "limit": st.one_of(st.integers(1, 6000), st.sampled_from(["1 MiB", "50%"])),
    "inflation": st.sampled_from([None, 1, 2]),
    "rank_promotion": st.sampled_from(["allow", "warn", "raise"]),
})
#: (guard block settings, process defaults): one of the two set.
WHERE = st.one_of(SETTINGS.map(lambda s: (s, None)), SETTINGS.map(lambda s: (None, s)))

# -- calls ---------------------------------------------------------------------------------

UFUNCS = sorted(ufuncs.ELEMENTWISE_UFUNCS, key=lambda u: u.__name__) + [
    np.matmul, np.vecdot, np._core.umath.clip]  # declined ones, for the mix
NUMERIC = [d.str for d in ufuncs.NUMERIC_DTYPES] + [">f8", ">i4"]
OTHER_DTYPES = ["O", "U3", "M8[s]", "m8[s]", "i4,f8"]
PYTHON_SCALARS = st.sampled_from([0, 1, -1, 2, 7, 300, 2**40, 2**70, 0.5, -2.5, 1e300,
                                  float("nan"), 1j, True, False])
NUMPY_SCALARS = st.sampled_from([np.float64(1.5), np.int8(3), np.complex64(1j), np.bool_(True)])


@st.composite
def array(draw: Any, shape: tuple) -> np.ndarray:
    code = draw(st.sampled_from(NUMERIC) if draw(st.integers(0, 7)) else
                st.sampled_from(OTHER_DTYPES))
    dtype = np.dtype(code)
    if dtype.kind == "O":
        return np.full(shape, draw(st.sampled_from([1.0, 2, -3])), dtype=object)
    if dtype.kind in "USV":
        return np.zeros(shape, dtype)
    if dtype.kind in "mM":
        return np.arange(int(np.prod(shape)), dtype="i8").reshape(shape).astype(dtype)
    data = draw(arrays(dtype, shape))
    layout = draw(st.sampled_from(["c", "c", "f", "strided"]))
    if layout == "f":
        return np.asfortranarray(data)
    if layout == "strided" and shape:
        return np.repeat(data, 2, axis=-1)[..., ::2]
    return data


@st.composite
def operand(draw: Any, shape: tuple, first: bool) -> tuple[Any, bool]:
    """(value, wrap it?): the first operand is a guarded array, the others anything."""
    kind = "guarded" if first else draw(st.sampled_from(
        ["guarded", "guarded", "guarded", "plain", "python scalar", "python scalar",
         "numpy scalar"]))
    if kind == "python scalar":
        return draw(PYTHON_SCALARS), False
    if kind == "numpy scalar":
        return draw(NUMPY_SCALARS), False
    return draw(array(shape)), kind == "guarded"


@st.composite
def ufunc_call(draw: Any) -> tuple:
    ufunc = draw(st.sampled_from(UFUNCS))
    if ufunc.signature is None and draw(st.integers(0, 3)):
        shapes = (draw(array_shapes(min_dims=0, max_dims=3, max_side=4)),) * ufunc.nin
    elif ufunc.signature is None:
        shapes = draw(mutually_broadcastable_shapes(num_shapes=ufunc.nin, max_dims=3,
                                                    max_side=4)).input_shapes
    else:
        shapes = draw(mutually_broadcastable_shapes(signature=ufunc.signature, max_dims=3,
                                                    max_side=3)).input_shapes
    first = draw(st.integers(0, ufunc.nin - 1))
    drawn = [draw(operand(shape, i == first)) for i, shape in enumerate(shapes)]
    args, mask = tuple(d[0] for d in drawn), tuple(d[1] for d in drawn)
    kwargs: dict = {}
    extra = draw(st.integers(0, 14))
    if extra == 0:
        kwargs["dtype"] = draw(st.sampled_from(["f8", "f4", "i8", "O"]))
    elif extra == 1:
        kwargs["where"] = np.ones(shapes[0], bool)
    elif extra == 2 and ufunc.nout == 1:
        try:
            shape = np.broadcast_shapes(*[np.shape(a) for a in args])
            kwargs["out"] = (np.zeros(shape, draw(st.sampled_from(["f8", "c16", "i8"]))),)
        except ValueError:
            pass
    return ufunc, args, kwargs, mask


def test_ufunc_calls_agree():
    taken: list[bool] = []

    @given(call=ufunc_call(), where=WHERE)
    @settings(HYPOTHESIS, max_examples=600)
    def check(call, where):
        ufunc, args, kwargs, mask = call
        agree(ufunc, args, kwargs, mask, where)
        taken.append(c_takes(ufunc, args, kwargs, mask, where))

    check()
    # The C path is really exercised (a share of random draws: 20-35% seen, never 0).
    assert sum(taken) >= len(taken) // 10, f"C took {sum(taken)} of {len(taken)} calls"


OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, divmod, operator.lshift, operator.rshift, operator.and_,
             operator.or_, operator.xor, operator.pow, operator.lt, operator.eq,
             operator.matmul]


@st.composite
def operator_call(draw: Any) -> tuple:
    op = draw(st.sampled_from(OPERATORS))
    shape = draw(array_shapes(min_dims=0, max_dims=2, max_side=4))
    other_shape = shape if draw(st.integers(0, 3)) else draw(
        array_shapes(min_dims=0, max_dims=2, max_side=4))
    left, _ = draw(operand(shape, True))
    right, wrapped = draw(operand(other_shape, False))
    if draw(st.integers(0, 3)) == 0:  # the guarded array on the right: reflected
        return op, (right, left), (wrapped, True)
    return op, (left, right), (True, wrapped)


def test_operators_agree():
    taken: list[bool] = []

    @given(call=operator_call(), where=WHERE)
    @settings(HYPOTHESIS, max_examples=400)
    def check(call, where):
        op, args, mask = call
        agree(op, args, {}, mask, where)
        taken.append(c_takes(op, args, {}, mask, where))

    check()  # (reflected calls and ** < == @ reach __array_ufunc__: not counted here)
    # The C path is really exercised (a share of random draws: 16-30% seen, never 0).
    assert sum(taken) >= len(taken) // 10, f"C took {sum(taken)} of {len(taken)} calls"


CORPUS = [
    pytest.param(u, id=u.__name__, marks=() if u.types or u.__name__ in STRING_RECIPES else
                 pytest.mark.skip(reason="tests/strategies.py draws no operands for a ufunc "
                                         "without a loop table (NumPy 2.5's real, imag)"))
    for u in sorted(get_overridable_numpy_ufuncs(), key=lambda u: u.__name__)
]


@pytest.mark.parametrize("ufunc", CORPUS)
@given(data=st.data())
@settings(HYPOTHESIS, max_examples=3)
def test_the_oracle_corpus_agrees(ufunc, data):
    """tests/strategies.py's calls of every overridable ufunc (keywords and all)."""
    args, kwargs = data.draw(call_strategy(ufunc, "__call__"))
    if kwargs.get("out") is Ellipsis:
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if "out" in kwargs and not isinstance(kwargs["out"], tuple):
        kwargs["out"] = (kwargs["out"],)
    arrays_at = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    if not arrays_at:
        return  # all scalars: NumPy never consults numguard
    mask = tuple(isinstance(a, np.ndarray) and (i == arrays_at[0] or data.draw(st.booleans()))
                 for i, a in enumerate(args))
    agree(ufunc, args, kwargs, mask, data.draw(WHERE, label="settings"))


# -- the grid: every registered ufunc, numeric dtypes, both paths, and C takes them -------

GRID_DTYPES = ["?", "i1", "u2", "i8", "u8", "f2", "f4", "f8", "g", "c8", "c16"]


def grid_operands(ufunc: np.ufunc) -> list[tuple]:
    values = {code: (np.arange(-3, 3) % 5).astype(code) for code in GRID_DTYPES}
    if ufunc.nin == 1:
        return [(values[code],) for code in GRID_DTYPES]
    pairs = [(values[a], values[b]) for a in GRID_DTYPES for b in GRID_DTYPES[::3]]
    return pairs + [(values["f8"], 2.5), (values["i8"], 3), (values["c16"], 1j),
                    (values["?"], True), (values["u8"], -1)]


@pytest.mark.parametrize("ufunc", sorted(ufuncs.ELEMENTWISE_UFUNCS, key=lambda u: u.__name__),
                         ids=lambda u: u.__name__)
def test_c_takes_every_registered_ufunc_and_agrees(ufunc):
    taken = 0
    entry = GuardedArray.__array_ufunc__
    for operands in grid_operands(ufunc):
        mask = tuple(isinstance(x, np.ndarray) for x in operands)
        agree(ufunc, operands, {}, mask, (None, None))
        guarded = tuple(wrap(x.copy()) if isinstance(x, np.ndarray) else x for x in operands)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                done, _ = entry.attempt(guarded[0], ufunc, "__call__", *guarded)
        except (TypeError, ValueError, OverflowError):
            done = True  # NumPy's own refusal, raised by the C path itself
        taken += done
    assert taken == len(grid_operands(ufunc)), "the C path declined a call it should take"
