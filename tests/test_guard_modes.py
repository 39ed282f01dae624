"""What a trip does: raise, warn, log or nothing; and a refused operation touches nothing.

The three rules (memory limit, inflation, rank promotion) each have their own error and
warning classes and obey the mode; rank promotion acts at most as its own setting.
"""

from __future__ import annotations

import logging
import operator
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

import numguard
from numguard import (
    BroadcastMemoryError,
    GuardedArray,
    MemoryLimitError,
    NumguardError,
    NumguardWarning,
    wrap,
)
from numguard.errors import (
    InflationError,
    InflationWarning,
    MemoryLimitWarning,
    RankPromotionError,
    RankPromotionWarning,
)
from numguard.projection import Estimate

pytestmark = pytest.mark.usefixtures("unchanged_defaults")


def column_and_row():
    """(3,1) x (1,4): a 96-byte float64 result, 12 elements from operands of 3 and 4."""
    return wrap(np.arange(3.0).reshape(3, 1)), wrap(np.arange(4.0).reshape(1, 4))


def trigger(a, b):
    return a * b  # every trip below reports this line


def expected_product():
    return np.arange(3.0).reshape(3, 1) * np.arange(4.0).reshape(1, 4)


# -- the memory limit in each mode ------------------------------------------------------

def test_raise_mode_raises_broadcast_memory_error():
    a, b = column_and_row()
    with numguard.guard(mode="raise", limit=95):
        with pytest.raises(BroadcastMemoryError) as info:
            trigger(a, b)
    error = info.value
    assert isinstance(error, MemoryError)
    assert isinstance(error, NumguardError)
    assert isinstance(error.estimate, Estimate)
    assert error.estimate.shape == (3, 4)
    assert error.estimate.nbytes == 96
    assert error.budget is None  # a fixed limit reads no budget
    with numguard.guard(mode="raise", limit=96):
        np.testing.assert_array_equal(trigger(a, b), expected_product())  # at the limit: runs


def test_percentage_limit_carries_the_budget():
    a = wrap(np.zeros((1000, 1)))
    b = np.zeros((1, 1000))  # 8 MB result, far above 1e-6 of available memory
    with numguard.guard(limit="0.000001%"):
        with pytest.raises(BroadcastMemoryError) as info:
            a + b
    budget = info.value.budget
    assert budget is not None
    assert budget.available > 0
    assert info.value.trip.limit == int(budget.available * 1e-8)
    assert "available" in str(info.value)


def limited(mode):
    """A 10-byte limit in `mode`, written on one line: the reports name the same origin."""
    return numguard.guard(mode=mode, limit=10)


def test_warn_mode_warns_with_the_same_text_then_runs():
    a, b = column_and_row()
    with limited("raise"):
        with pytest.raises(BroadcastMemoryError) as info:
            trigger(a, b)
    with limited("warn"):
        with pytest.warns(NumguardWarning) as record:
            result = trigger(a, b)
    assert len(record) == 1
    warning = record[0]
    assert warning.category is MemoryLimitWarning and issubclass(MemoryLimitWarning, NumguardWarning)
    # Shown by default (ResourceWarning, the old base, is hidden by default filters).
    assert issubclass(NumguardWarning, Warning) and not issubclass(NumguardWarning, ResourceWarning)
    assert str(warning.message) == str(info.value)
    assert warning.filename == __file__  # attributed to the user's line, not numguard's
    assert type(result) is GuardedArray
    np.testing.assert_array_equal(result, expected_product())


def test_log_mode_logs_one_record_with_extra_fields_then_runs(caplog):
    a, b = column_and_row()
    with limited("raise"):
        with pytest.raises(BroadcastMemoryError) as info:
            trigger(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log mode must not warn
        with caplog.at_level(logging.WARNING, logger="numguard"):
            with limited("log"):
                result = trigger(a, b)
    records = [r for r in caplog.records if r.name == "numguard"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == str(info.value)
    assert "*" in record.operation and "np.multiply" in record.operation
    assert tuple(map(tuple, record.shapes)) == ((3, 1), (1, 4))
    assert tuple(record.dtypes) == ("float64", "float64")
    assert record.nbytes == 96
    assert record.limit == 10
    assert record.site == f"{__file__}:{trigger.__code__.co_firstlineno + 1}"
    np.testing.assert_array_equal(result, expected_product())


def test_numguard_installs_only_a_null_handler():
    log = logging.getLogger("numguard")
    assert log.handlers and all(type(h) is logging.NullHandler for h in log.handlers)


def test_off_mode_does_nothing(caplog):
    a, b = column_and_row()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.DEBUG, logger="numguard"):
            with numguard.guard(mode="off", limit=1, inflation=1, rank_promotion="raise"):
                result = trigger(a, b)
                assert wrap(np.ones(3)).shape == (3,)
    assert not [r for r in caplog.records if r.name == "numguard"]
    np.testing.assert_array_equal(result, expected_product())


def test_every_call_warns_not_only_the_first():
    a, b = column_and_row()
    with numguard.guard(mode="warn", limit=10):
        with pytest.warns(NumguardWarning) as record:
            for _ in range(3):
                trigger(a, b)
    assert len(record) == 3


# -- inflation --------------------------------------------------------------------------

def test_inflation_trips_with_its_own_classes_in_each_mode(caplog):
    a, b = column_and_row()  # 12 elements from operands of at most 4: factor 3
    with numguard.guard(inflation=3):
        trigger(a, b)  # exactly the factor: allowed
    with numguard.guard(inflation=2.9):
        with pytest.raises(InflationError) as info:
            trigger(a, b)
    assert isinstance(info.value, NumguardError)
    assert not isinstance(info.value, MemoryError)
    assert info.value.estimate.result_size == 12
    with numguard.guard(inflation=2, mode="warn"):
        with pytest.warns(InflationWarning) as record:
            trigger(a, b)
    assert issubclass(InflationWarning, NumguardWarning)
    assert len(record) == 1 and record[0].category is InflationWarning
    with caplog.at_level(logging.WARNING, logger="numguard"):
        with numguard.guard(inflation=2, mode="log"):
            trigger(a, b)
    assert len([r for r in caplog.records if r.name == "numguard"]) == 1
    with numguard.guard(inflation=2, mode="off"):
        trigger(a, b)


def test_inflation_shows_at_toy_size_and_none_turns_it_off():
    profiles = wrap(np.ones((5, 1)))
    weights = np.ones((1, 4))
    with numguard.guard(inflation=1):
        with pytest.raises(InflationError):
            profiles * weights
        profiles * np.ones((5, 1))  # same shape: no inflation
        profiles * 2.0  # scalars never inflate
        np.add.reduce(profiles)  # reductions shrink
    with numguard.guard(inflation=None):
        assert (profiles * weights).shape == (5, 4)


def test_outer_is_exempt_from_inflation_but_not_from_the_limit():
    x, y = wrap(np.arange(100.0)), wrap(np.arange(100.0))
    with numguard.guard(inflation=1):
        assert np.multiply.outer(x, y).shape == (100, 100)
        with pytest.raises(InflationError):
            x[:, None] * y[None, :]  # the same product, written with broadcasting
    with numguard.guard(inflation=1, limit="1KiB"):
        with pytest.raises(BroadcastMemoryError):
            np.multiply.outer(x, y)


def test_memory_limit_is_judged_before_inflation():
    a, b = column_and_row()
    with numguard.guard(limit=10, inflation=1):
        with pytest.raises(BroadcastMemoryError):
            trigger(a, b)


# -- rank promotion ---------------------------------------------------------------------

def test_rank_promotion_in_each_setting(caplog):
    m, v = wrap(np.ones((3, 4))), np.arange(4.0)
    with numguard.guard(rank_promotion="allow"):
        assert (m + v).shape == (3, 4)
    with numguard.guard(rank_promotion="raise"):
        with pytest.raises(RankPromotionError) as info:
            m + v
        assert isinstance(info.value, NumguardError)
        # scalars and 0-d arrays are not rank promotion; nor are reductions
        m + 1.0
        m + np.float64(2)
        m + wrap(np.array(3.0))
        m + np.ones((1, 4))
        np.add.reduce(m, axis=0)
    with numguard.guard(rank_promotion="warn"):
        with pytest.warns(RankPromotionWarning) as record:
            result = m + v
        assert issubclass(RankPromotionWarning, NumguardWarning)
        assert len(record) == 1 and record[0].category is RankPromotionWarning
        np.testing.assert_array_equal(result, np.ones((3, 4)) + np.arange(4.0))


@pytest.mark.parametrize("mode, rank_promotion, outcome", [
    ("raise", "raise", "raise"),
    ("raise", "warn", "warn"),   # rank promotion acts at most as its own setting
    ("warn", "raise", "warn"),   # ... and at most as the mode
    ("log", "raise", "log"),
    ("log", "warn", "log"),
    ("off", "raise", "nothing"),
    ("raise", "allow", "nothing"),
])
def test_rank_promotion_obeys_the_mode(mode, rank_promotion, outcome, caplog):
    m, v = wrap(np.ones((3, 4))), np.arange(4.0)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING,
                                                                          logger="numguard"):
        warnings.simplefilter("always")
        with numguard.guard(mode=mode, rank_promotion=rank_promotion):
            if outcome == "raise":
                with pytest.raises(RankPromotionError):
                    m + v
            else:
                assert (m + v).shape == (3, 4)
    warned = [w for w in caught if issubclass(w.category, NumguardWarning)]
    logged = [r for r in caplog.records if r.name == "numguard"]
    assert len(warned) == (outcome == "warn")
    assert len(logged) == (outcome == "log")


# -- a refused operation touches nothing ------------------------------------------------

def snapshot(*arrays):
    return [np.array(x, copy=True) for x in arrays]


def assert_untouched(before, arrays):
    for b, a in zip(before, arrays):
        assert np.asarray(a).tobytes() == b.tobytes()  # bitwise: NaNs included


def test_refused_broadcast_touches_no_input():
    a, b = column_and_row()
    before = snapshot(a, b)
    with numguard.guard(limit=10):
        with pytest.raises(BroadcastMemoryError):
            a + b
        with pytest.raises(BroadcastMemoryError):
            np.add(a, b)
    assert_untouched(before, (a, b))


def test_refused_call_touches_no_out_array():
    a, b = column_and_row()
    o1 = np.full((3, 4), 7.0)
    o2 = wrap(np.full((3, 4), 8.0))
    before = snapshot(a, b, o1, o2)
    with numguard.guard(limit=10):
        # divmod's second output would be allocated: over the limit, the first stays as is
        with pytest.raises(BroadcastMemoryError):
            np.divmod(a, b, out=(o1, None))
        with pytest.raises(BroadcastMemoryError):
            np.divmod(a, b, out=(None, o2))
    with numguard.guard(inflation=2):
        with pytest.raises(InflationError):
            np.add(a, b, out=o1)
        with pytest.raises(InflationError):
            np.add(a, b, out=o2)
        with pytest.raises(InflationError):
            np.multiply(a, b, out=o1, where=np.ones((3, 4), bool))
    assert_untouched(before, (a, b, o1, o2))


def test_refused_inplace_broadcast_touches_nothing():
    g = wrap(np.arange(12.0).reshape(3, 4))
    h = wrap(np.arange(4.0))
    plain_h = np.arange(4.0)
    before = snapshot(g, h)
    with numguard.guard(rank_promotion="raise"):
        with pytest.raises(RankPromotionError):
            g += h
        with pytest.raises(RankPromotionError):
            g *= plain_h
        with pytest.raises(RankPromotionError):
            np.add(g, h, out=g)
        with pytest.raises(RankPromotionError):
            np.subtract(g, plain_h, out=unwrap_view(g))
    assert_untouched(before, (g, h))


def unwrap_view(g):
    return numguard.unwrap(g)


def test_refused_reduction_and_accumulate_touch_nothing():
    g = wrap(np.arange(200.0).reshape(20, 10))
    out = np.zeros((20, 10))
    before = snapshot(g, out)
    with numguard.guard(limit=100):
        with pytest.raises(MemoryLimitError):
            np.add.accumulate(g, axis=0)
        with pytest.raises(MemoryLimitError):
            g.cumsum()
        with pytest.raises(MemoryLimitError):
            np.add.reduce(g, axis=1, dtype="c16")  # 20 x 16 bytes
    assert_untouched(before, (g, out))


REFUSE_ALL = {"limit": 1, "inflation": 1, "rank_promotion": "raise", "mode": "raise"}
BINARY = [np.add, np.multiply, np.maximum, np.true_divide, np.divmod, np.less, np.matmul,
          np.arctan2, np.ldexp]


@settings(deadline=None, derandomize=True, database=None, max_examples=150,
          suppress_health_check=[HealthCheck.too_slow])
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=1, max_dims=3, min_side=1,
                                            max_side=3),
       ufunc=st.sampled_from(BINARY), data=st.data())
def test_any_refused_call_touches_no_input_and_no_out(shapes, ufunc, data):
    """Whatever the call, if numguard refuses it, every array is as it was, bit for bit."""
    a_shape, b_shape, _ = shapes.input_shapes
    if ufunc.signature:
        a_shape, b_shape = (2, 3), (3, 2)
    a = data.draw(arrays("f8", a_shape, elements=st.floats(-9, 9)))
    b = data.draw(arrays(data.draw(st.sampled_from(["f8", "i4"])), b_shape,
                         elements=st.integers(-9, 9)))
    guarded_a = wrap(a)
    guarded_b = wrap(b) if data.draw(st.booleans()) else b
    kwargs = {}
    try:
        with np.errstate(all="ignore"):
            reference = ufunc(a, b)
    except Exception:  # noqa: BLE001 - no valid call to refuse
        return
    refs = reference if isinstance(reference, tuple) else (reference,)
    outs = []
    if data.draw(st.booleans()):
        outs = [data.draw(st.sampled_from([None, "plain", "guarded"])) for _ in refs]
        outs = [None if kind is None else
                (wrap if kind == "guarded" else np.asarray)(np.full(np.shape(r), 5, r.dtype))
                for kind, r in zip(outs, refs)]
        kwargs["out"] = tuple(outs)
    before = snapshot(a, b, *[o for o in outs if o is not None])
    with numguard.guard(**REFUSE_ALL), np.errstate(all="ignore"):
        try:
            ufunc(guarded_a, guarded_b, **kwargs)
        except NumguardError:
            assert_untouched(before, (a, b, *[o for o in outs if o is not None]))
            assert_untouched(before, (guarded_a, guarded_b))


# -- warn mode outside pytest -----------------------------------------------------------

def test_warn_mode_is_visible_under_default_warning_filters():
    script = textwrap.dedent("""
        import numpy as np, numguard
        with numguard.guard(mode="warn", limit=10):
            r = numguard.wrap(np.ones((3, 1))) * np.ones((1, 4))
        print("ran", r.shape)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"}, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert "ran (3, 4)" in proc.stdout
    assert "MemoryLimitWarning" in proc.stderr  # numguard's own class, shown by default


def test_warn_mode_is_visible_with_warnings_enabled():
    script = textwrap.dedent("""
        import numpy as np, numguard
        with numguard.guard(mode="warn", limit=10):
            r = numguard.wrap(np.ones((3, 1))) * np.ones((1, 4))
        print("ran", r.shape)
    """)
    proc = subprocess.run([sys.executable, "-W", "default", "-c", script],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert "ran (3, 4)" in proc.stdout
    assert "MemoryLimitWarning" in proc.stderr and "(3, 1)" in proc.stderr


def test_other_array_types_get_not_implemented():
    """NEP 13: a type with its own __array_ufunc__ handles the call itself."""

    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return ("handled by Other", ufunc.__name__, method)

    g = wrap(np.ones(3))
    assert np.add(g, Other()) == ("handled by Other", "add", "__call__")
    assert g + Other() == ("handled by Other", "add", "__call__")
    assert np.multiply.outer(Other(), g) == ("handled by Other", "multiply", "outer")

    class Refuses:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return NotImplemented

    with pytest.raises(TypeError):
        np.add(g, Refuses())
    with pytest.raises(TypeError):
        g + Refuses()


def test_operator_results_stay_guarded_across_chains():
    a, b = column_and_row()
    c = operator.neg(trigger(a, b)) + 1
    assert type(c) is GuardedArray
    with numguard.guard(limit=10):
        with pytest.raises(BroadcastMemoryError):
            c[:, :1] * c[:1, :]


def _refusal(**settings_):
    column, row = wrap(np.ones((300, 1))), np.ones(400)
    with numguard.guard(**settings_):
        try:
            column * row
        except NumguardError as error:
            return error
    raise AssertionError("not refused")


@pytest.mark.parametrize("settings_", [{"limit": 10}, {"limit": "0.00001%"}, {"inflation": 1},
                                       {"rank_promotion": "raise"}],
                         ids=["fixed-limit", "share-limit", "inflation", "rank-promotion"])
def test_errors_pickle_and_copy(settings_):
    import copy
    import pickle

    error = _refusal(**settings_)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert back.estimate == error.estimate
    assert str(copy.copy(error)) == str(error)
