"""The C fast path (guarded/_fastpath.c): what it takes, what it declines, the settings
it reads, its switch, and the entries' manners as methods.

`entry.attempt(...)` runs the C path alone: (True, result) when it ran the call, (False,
None) when it declines, in which case the entry calls its Python method (`__wrapped__`).
"""

from __future__ import annotations

import enum
import inspect
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import numguard
from numguard import GuardedArray, wrap
from numguard.guarded import guarded_class, ufuncs

try:
    from numguard.guarded import _fastpath
except ImportError:  # built without a compiler: the Python path runs alone
    _fastpath = None

built = pytest.mark.skipif(_fastpath is None, reason="the C extension is not built")
needs_c = pytest.mark.skipif(ufuncs.FASTPATH is None, reason="the C fast path is not built "
                             "or NUMGUARD_NO_C is set")
ADD = GuardedArray.__add__
ARRAY_UFUNC = GuardedArray.__array_ufunc__


def ufunc_attempt(ufunc, *inputs, method="__call__", **kwargs):
    """The C path alone, as NumPy calls `__array_ufunc__` on the first guarded input."""
    owner = next(x for x in inputs + tuple(kwargs.get("out", ())) if isinstance(x, GuardedArray))
    return ARRAY_UFUNC.attempt(owner, ufunc, method, *inputs, **kwargs)


def handled(pair) -> bool:
    done, result = pair
    assert done or result is None
    return done


# -- what it takes -------------------------------------------------------------------------

@needs_c
class TestTakes:
    def test_the_operators_of_one_shape_and_python_scalars(self):
        w, v = wrap(np.arange(6.0).reshape(2, 3)), wrap(np.ones((2, 3)))
        for other in (w, v, np.ones((2, 3)), 2.5, 3, True, 1j, 2**70):
            done, result = ADD.attempt(w, other)
            assert done, other
            assert type(result) is GuardedArray
            expected = np.add(np.arange(6.0).reshape(2, 3), other)
            assert result.dtype == expected.dtype
            np.testing.assert_array_equal(result.view(np.ndarray), expected)

    @pytest.mark.parametrize("ufunc", [np.sqrt, np.negative, np.isnan, np.exp, np.invert,
                                       np.add, np.less, np.arctan2, np.left_shift])
    def test_numpys_element_wise_ufuncs(self, ufunc):
        data = np.arange(1, 7, dtype=np.int64 if ufunc in (np.invert, np.left_shift) else
                         np.float64)
        inputs = (wrap(data),) * ufunc.nin
        done, result = ufunc_attempt(ufunc, *inputs)
        assert done
        expected = ufunc(*(data,) * ufunc.nin)
        assert type(result) is GuardedArray and result.dtype == expected.dtype
        np.testing.assert_array_equal(result.view(np.ndarray), expected)

    def test_a_plain_array_or_a_scalar_first(self):
        w, a = wrap(np.ones(3)), np.full(3, 2.0)
        for inputs in [(a, w), (2.5, w), (w, a)]:
            done, result = ufunc_attempt(np.subtract, *inputs)
            assert done and type(result) is GuardedArray
            np.testing.assert_array_equal(result.view(np.ndarray),
                                          np.subtract(*[np.asarray(x) for x in inputs]))

    def test_several_outputs_come_back_guarded(self):
        w = wrap(np.array([1.5, -2.25, 7.0]))
        done, (quotient, remainder) = GuardedArray.__divmod__.attempt(w, 2)
        assert done and type(quotient) is GuardedArray and type(remainder) is GuardedArray
        np.testing.assert_array_equal(remainder.view(np.ndarray), [1.5, 1.75, 1.0])
        done, parts = ufunc_attempt(np.modf, w)
        assert done and [type(p) for p in parts] == [GuardedArray, GuardedArray]
        np.testing.assert_array_equal(parts[0].view(np.ndarray), np.modf(w.view(np.ndarray))[0])

    def test_0d_operands_give_numpys_scalar(self):
        w = wrap(np.array(2.0))
        done, result = ADD.attempt(w, w)
        assert done and type(result) is np.float64 and result == 4.0

    def test_empty_strided_and_byte_swapped_arrays(self):
        for data in (np.ones((0, 3)), np.arange(12.0).reshape(3, 4)[::2, ::-1],
                     np.arange(4, dtype=">f8"), np.asfortranarray(np.ones((2, 3), "f4"))):
            w = wrap(data)
            done, result = ADD.attempt(w, w)
            assert done and type(result) is GuardedArray
            expected = data + data
            assert result.dtype == expected.dtype and result.strides == expected.strides
            np.testing.assert_array_equal(result.view(np.ndarray), expected)

    def test_broadcasting_when_mode_is_off(self):
        w, v = wrap(np.ones(3)), wrap(np.ones((2, 1)))
        assert not handled(ADD.attempt(w, v))
        with numguard.guard(mode="off"):
            done, result = ADD.attempt(w, v)
        assert done and result.shape == (2, 3)

    def test_numpys_errors_come_through_unchanged(self):
        for scalar in (300, 2**70):
            with pytest.raises(OverflowError) as numpys:
                np.add(np.ones(3, np.int8), scalar)
            with pytest.raises(OverflowError) as ours:
                ADD.attempt(wrap(np.ones(3, np.int8)), scalar)
            assert str(ours.value) == str(numpys.value)
        with pytest.raises(TypeError, match="left_shift"):
            ufunc_attempt(np.left_shift, wrap(np.ones(3)), 2)


# -- what it declines ----------------------------------------------------------------------

class Foreign:
    """An operand with its own __array_ufunc__: NEP 13 gives it its turn."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return "foreign"


class Small(enum.IntEnum):
    ONE = 1


class MyGuarded(GuardedArray):
    pass


def _declined_cases():
    w, w2 = wrap(np.ones(3)), wrap(np.ones(3))
    return {
        "a guarded twin (np.matrix)": lambda: ADD.attempt(
            np.matrix(np.ones((2, 2))).view(guarded_class(np.matrix)),
            np.matrix(np.ones((2, 2))).view(guarded_class(np.matrix))),
        "a subclass of GuardedArray": lambda: ADD.attempt(np.ones(3).view(MyGuarded),
                                                           np.ones(3).view(MyGuarded)),
        "out=": lambda: ufunc_attempt(np.add, w, w, out=(w2,)),
        "where=": lambda: ufunc_attempt(np.add, w, w, where=np.ones(3, bool)),
        "dtype=": lambda: ufunc_attempt(np.add, w, w, dtype="f4"),
        "a method other than __call__": lambda: ufunc_attempt(np.add, w, method="reduce"),
        "a gufunc": lambda: ufunc_attempt(np.matmul, w, w),
        "three inputs": lambda: ufunc_attempt(np._core.umath.clip, w, 0.0, 1.0),
        "a ufunc outside NumPy's namespace": lambda: ufunc_attempt(
            np.frompyfunc(lambda x: x, 1, 1), w),
        "object dtype": lambda: ADD.attempt(wrap(np.ones(3, object)), wrap(np.ones(3, object))),
        "structured dtype": lambda: ADD.attempt(wrap(np.zeros(3, "i4,f8")), 1),
        "unicode": lambda: ufunc_attempt(np.add, wrap(np.array(["a"])), wrap(np.array(["b"]))),
        "StringDType": lambda: ufunc_attempt(
            np.add, *[wrap(np.array(["a"], dtype=np.dtypes.StringDType()))] * 2),
        "datetime64": lambda: ufunc_attempt(np.subtract, wrap(np.zeros(3, "M8[s]")),
                                            wrap(np.zeros(3, "M8[s]"))),
        "timedelta64": lambda: ADD.attempt(wrap(np.zeros(3, "m8[s]")), wrap(np.zeros(3, "m8[s]"))),
        "a NumPy scalar": lambda: ADD.attempt(w, np.float64(2.0)),
        "a subclass of int": lambda: ADD.attempt(w, Small.ONE),
        "a foreign __array_ufunc__": lambda: ADD.attempt(w, Foreign()),
        "a list": lambda: ADD.attempt(w, [1.0, 2.0, 3.0]),
        "broadcasting": lambda: ADD.attempt(w, wrap(np.ones((2, 3)))),
        "a 0-d array against a 1-d one": lambda: ADD.attempt(w, wrap(np.array(1.0))),
        "a result too large to skip the estimate": lambda: ADD.attempt(
            wrap(np.ones(2000)), wrap(np.ones(2000))),
        "keywords to an operator": lambda: ADD.attempt(w, w, extra=1),
        "no input": lambda: ARRAY_UFUNC.attempt(w, np.add, "__call__"),
        "a method name that is not a str": lambda: ARRAY_UFUNC.attempt(w, np.add, 1, w, w),
    }


@needs_c
@pytest.mark.parametrize("case", list(_declined_cases()))
def test_declines(case):
    """Declining leaves no exception set (CPython would raise SystemError) and runs nothing."""
    assert _declined_cases()[case]() == (False, None)


@needs_c
def test_declining_calls_the_python_method_with_the_same_arguments():
    w = wrap(np.ones(3))
    assert (w + Foreign()) == "foreign"  # NEP 13: the foreign operand's turn, as in Python
    assert np.add(w, Foreign()) == "foreign"
    twin = np.matrix([[1.0, 2.0], [3.0, 4.0]]).view(guarded_class(np.matrix))
    assert type(twin * twin) is guarded_class(np.matrix)
    np.testing.assert_array_equal(np.asarray(twin * twin), [[7.0, 10.0], [15.0, 22.0]])
    assert type(np.ones(3).view(MyGuarded) + 1) is MyGuarded
    with pytest.raises(TypeError):
        GuardedArray.__add__(w, w, extra=1)


@needs_c
def test_a_result_over_the_limit_is_judged_by_the_python_path():
    w = wrap(np.ones(3))
    with numguard.guard(limit=3 * (8 + 8 + 32) - 1):  # the bound, less one byte
        assert not handled(ADD.attempt(w, w))
        assert type(w + w) is GuardedArray  # the projection (48 bytes) passes
    with numguard.guard(limit=3 * (8 + 8 + 32)):
        assert handled(ADD.attempt(w, w))
    with numguard.guard(limit=20):
        with pytest.raises(numguard.MemoryLimitError):
            w + w


# -- the settings it reads -----------------------------------------------------------------

@needs_c
def test_each_configure_is_seen_at_once(restored_defaults):
    w = wrap(np.ones(3))
    numguard.configure(limit=100)
    assert not handled(ADD.attempt(w, w))
    numguard.configure(limit=1000)
    assert handled(ADD.attempt(w, w))
    numguard.configure(limit=100, mode="off")
    assert handled(ADD.attempt(w, w))


@needs_c
def test_blocks_nest_and_end():
    w = wrap(np.ones(3))
    with numguard.guard(limit=100):
        assert not handled(ADD.attempt(w, w))
        with numguard.guard(limit=1000):
            assert handled(ADD.attempt(w, w))
        assert not handled(ADD.attempt(w, w))
    assert handled(ADD.attempt(w, w))


@needs_c
def test_threads_read_their_own_settings():
    w = wrap(np.ones(3))
    barrier = threading.Barrier(2)
    seen: dict[str, list[bool]] = {"strict": [], "default": []}

    def strict():
        with numguard.guard(limit=100):
            barrier.wait()
            for _ in range(2000):
                seen["strict"].append(handled(ADD.attempt(w, w)))

    def default():
        barrier.wait()
        for _ in range(2000):
            seen["default"].append(handled(ADD.attempt(w, w)))

    threads = [threading.Thread(target=strict), threading.Thread(target=default)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert seen["strict"] == [False] * 2000 and seen["default"] == [True] * 2000


@needs_c
def test_a_broken_scope_fails_as_the_python_path_does():
    class Broken:
        @property
        def settings(self):
            raise LookupError("no settings here")

    w = wrap(np.ones(3))
    token = numguard.settings._scoped.set(Broken())
    try:
        with pytest.raises(LookupError, match="no settings here"):
            ADD.attempt(w, w)
        with pytest.raises(LookupError, match="no settings here"):
            ADD.__wrapped__(w, w)
    finally:
        numguard.settings._scoped.reset(token)


# -- the entries as methods, the switch, the layout check ----------------------------------

@needs_c
def test_entries_look_like_the_methods_they_stand_before():
    w = wrap(np.ones(2))
    python = ADD.__wrapped__
    assert inspect.isfunction(python)
    assert (ADD.__name__, ADD.__qualname__, ADD.__doc__, ADD.__module__) == (
        python.__name__, python.__qualname__, python.__doc__, python.__module__)
    assert inspect.signature(ADD) == inspect.signature(python)
    bound = w.__add__
    assert bound.__self__ is w and bound.__func__ is ADD
    np.testing.assert_array_equal(bound(w).view(np.ndarray), [2.0, 2.0])
    assert "C fast path" in repr(ADD)
    assert ARRAY_UFUNC.__wrapped__ is ufuncs.UfuncProtocol.__dict__["__array_ufunc__"].__wrapped__


@needs_c
def test_use_c_swaps_the_entries_in_and_out():
    w = wrap(np.ones(2))
    assert ufuncs.use_c(False) is True
    try:
        assert inspect.isfunction(GuardedArray.__add__)
        assert inspect.isfunction(GuardedArray.__array_ufunc__)
        np.testing.assert_array_equal((w + w).view(np.ndarray), [2.0, 2.0])
    finally:
        assert ufuncs.use_c(True) is False
    assert GuardedArray.__add__ is ADD and GuardedArray.__array_ufunc__ is ARRAY_UFUNC


def _run(code: str, **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(environ)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


@built
@pytest.mark.parametrize("value, active", [("1", False), ("yes", False), ("0", True),
                                           ("", True)])
def test_numguard_no_c_runs_the_python_path_alone(value, active):
    done = _run("""
        import inspect, numpy as np, numguard
        from numguard.guarded import ufuncs
        w = numguard.wrap(np.ones(3))
        assert (w + w).tolist() == [2.0, 2.0, 2.0] and type(np.sqrt(w)) is numguard.GuardedArray
        print(ufuncs.FASTPATH is not None, inspect.isfunction(numguard.GuardedArray.__add__))
    """, NUMGUARD_NO_C=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(active), str(not active)]


@needs_c
def test_fastpath_checks_the_layout_it_reads_first():
    kwargs = dict(ndarray=np.ndarray, ufunc_type=np.ufunc, scoped=numguard.settings._scoped,
                  namespace=vars(numguard.settings), small_bound=numguard.policy.small_bound,
                  guarded_base=numguard.guarded.deferral.Guarded,
                  ufuncs=ufuncs.ELEMENTWISE_UFUNCS, itemsizes={12: 8}, slack=32,
                  scalar_itemsize=16)
    fastpath = type(ufuncs.FASTPATH)
    a = np.zeros((2, 3))
    fastpath(**kwargs, samples=[(a, (2, 3), a.dtype.num)])
    for wrong in [(a, (3, 2), a.dtype.num), (a, (2,), a.dtype.num), (a, (2, 3), 11)]:
        with pytest.raises(RuntimeError, match="layout"):
            fastpath(**kwargs, samples=[wrong])
    with pytest.raises(TypeError):
        fastpath(**kwargs, samples=[])
    with pytest.raises(ValueError, match="not a builtin numeric type"):
        fastpath(**{**kwargs, "itemsizes": {17: 8}}, samples=[(a, (2, 3), a.dtype.num)])
    with pytest.raises(ValueError, match="not a binary element-wise ufunc"):
        ufuncs.FASTPATH.operator(np.sqrt, lambda self, other: None)


def test_the_registry_holds_numpys_element_wise_ufuncs():
    registry = ufuncs.ELEMENTWISE_UFUNCS
    assert np.add in registry and np.sqrt in registry and np.divmod in registry
    assert all(u.signature is None and u.nin == nin and nin in (1, 2) and u.types
               for u, nin in registry.items())
    assert np.matmul not in registry and np.vecdot not in registry
    from numguard.guarded.operators import ELEMENTWISE
    assert set(ELEMENTWISE.values()) <= set(registry)


def test_the_switch_decides_whether_the_c_entries_are_in():
    """A silently failing layout check would leave the Python path alone: catch it."""
    if _fastpath is None or os.environ.get(ufuncs.NO_C_VARIABLE, "") not in ("", "0"):
        assert ufuncs.FASTPATH is None and ufuncs.ENTRIES == []
        assert inspect.isfunction(GuardedArray.__add__)
        assert inspect.isfunction(GuardedArray.__array_ufunc__)
    else:
        assert isinstance(ufuncs.FASTPATH, _fastpath.FastPath)
        assert type(GuardedArray.__add__) is _fastpath.Entry
        assert type(GuardedArray.__array_ufunc__) is _fastpath.Entry
