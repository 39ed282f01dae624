"""Settings: limit strings, validation, guard() scoping and nesting, the decorator, configure()."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import numguard
from numguard import (
    BroadcastMemoryError,
    MemoryLimitError,
    Settings,
    configure,
    get_settings,
    guard,
    wrap,
)
from numguard.limits import Limit
from numguard.settings import parse_limit

GiB, MiB = 1024**3, 1024**2


pytestmark = pytest.mark.usefixtures("restored_defaults")


def virtual(shape):
    """A zero-strided float64 array: any shape, 8 bytes of memory."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape, (0,) * len(shape))


# -- limits -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, nbytes", [
    ("512MiB", 512 * MiB),
    ("2 GB", 2 * 10**9),
    ("1.5GiB", int(1.5 * GiB)),
    ("64KiB", 64 * 1024),
    ("1kb", 1000),
    ("10 MB", 10**7),
    ("3TiB", 3 * 1024**4),
    ("100", 100),
    ("100B", 100),
    ("1e9", 10**9),
    (" 256 MiB ", 256 * MiB),
    ("512mib", 512 * MiB),  # units are not case-sensitive
    (536870912, 536870912),
    (1, 1),
])
def test_fixed_limits(text, nbytes):
    limit = parse_limit(text)
    assert limit.nbytes == nbytes and limit.fraction is None
    with guard(limit=text) as scoped:
        assert scoped.limit.nbytes == nbytes
        assert get_settings().limit.nbytes == nbytes


@pytest.mark.parametrize("text, fraction", [("75%", 0.75), ("100%", 1.0), ("0.5%", 0.005),
                                            ("12.5 %", 0.125)])
def test_share_limits(text, fraction):
    limit = parse_limit(text)
    assert limit.nbytes is None and limit.fraction == pytest.approx(fraction)
    assert limit.resolve(1000 * MiB) == int(1000 * MiB * fraction)


def test_a_limit_object_passes_through():
    limit = parse_limit("1GiB")
    assert parse_limit(limit) is limit
    with guard(limit=limit):
        assert get_settings().limit is limit


@pytest.mark.parametrize("bad", ["lots", "-1", "", "MiB", "12 parsecs", "1.5.3GB", "inf",
                                 "nan", "GiB512", [512], None, 1.5, True])
def test_bad_limits_name_the_accepted_forms(bad):
    with pytest.raises(ValueError) as info:
        guard(limit=bad)
    text = str(info.value)
    assert repr(bad) in text
    for form in ("512MiB", "2 GB", "1.5GiB", "75%", "byte count"):
        assert form in text, f"{form!r} missing from {text!r}"


@pytest.mark.parametrize("bad, reason", [
    (0, "positive"), (-5, "positive"), ("0", "at least one byte"), ("0.5", "at least one byte"),
    ("0%", "above 0%"), ("150%", "at most 100%"), ("100.5%", "at most 100%"),
])
def test_out_of_range_limits_say_why(bad, reason):
    with pytest.raises(ValueError, match="invalid limit") as info:
        parse_limit(bad)
    assert reason in str(info.value)


def test_an_overflowing_limit_is_a_value_error():
    with pytest.raises(ValueError, match="invalid limit"):
        parse_limit("1e400")


def test_limits_are_enforced_exactly():
    # Operands are made before the block: inside it every allocation is judged (#12).
    a64, column128, column129 = wrap(np.ones(64)), wrap(np.ones((128, 1))), wrap(np.ones((129, 1)))
    a129, one = wrap(np.ones(129)), np.ones(1)
    with guard(limit="1KiB"):
        assert (a64 + a64).shape == (64,)  # 512 B
        column128 * one  # exactly 1024 B: allowed
        with pytest.raises(BroadcastMemoryError):
            column129 * one  # 1032 B
        with pytest.raises(MemoryLimitError):
            a129 + a129  # the two-array hot path too


@pytest.mark.parametrize("limit", ["512MiB", "2 GB", "1.5GiB", "75%", 10**9])
def test_big_results_are_refused_without_allocating(limit):
    a = wrap(virtual((200_000, 1)))
    with guard(limit=limit), pytest.raises(BroadcastMemoryError):
        a * virtual((1, 200_000))  # 320 GB


# -- other settings ---------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"mode": "loud"}, "'raise', 'warn', 'log', 'off'"),
    ({"mode": None}, "'raise', 'warn', 'log', 'off'"),
    ({"mode": "RAISE"}, "'raise', 'warn', 'log', 'off'"),
    ({"inflation": 0.5}, "at least 1"),
    ({"inflation": 0}, "at least 1"),
    ({"inflation": "2"}, "at least 1"),
    ({"inflation": True}, "at least 1"),
    ({"inflation": float("nan")}, "at least 1"),
    ({"rank_promotion": "maybe"}, "'allow', 'warn', 'raise'"),
    ({"rank_promotion": True}, "'allow', 'warn', 'raise'"),
])
def test_bad_settings_are_value_errors_naming_the_accepted_values(changes, message):
    for call in (guard, configure):
        with pytest.raises(ValueError) as info:
            call(**changes)
        (name, value), = changes.items()
        assert name in str(info.value) and repr(value) in str(info.value)
        assert message in str(info.value)


def test_unknown_setting_is_a_type_error_naming_the_settings():
    for call in (guard, configure):
        with pytest.raises(TypeError) as info:
            call(limits="1GiB")
        for name in ("'limits'", "mode", "limit", "inflation", "rank_promotion"):
            assert name in str(info.value)


def test_good_settings():
    with guard(mode="warn", inflation=2, rank_promotion="raise") as s:
        assert s == Settings(mode="warn", limit=get_settings().limit, inflation=2.0,
                             rank_promotion="raise")
        assert isinstance(s.inflation, float)
    with guard(inflation=None):
        assert get_settings().inflation is None
    for mode in ("raise", "warn", "log", "off"):
        with guard(mode=mode):
            assert get_settings().mode == mode


# -- guard(): scoping, nesting, re-entry ------------------------------------------------

def test_guard_scopes_and_restores():
    outer = get_settings()
    with guard(limit="1MiB") as inside:
        assert get_settings() is inside
        assert inside.limit.nbytes == MiB
        assert inside.mode == outer.mode  # settings not given: those in force at entry
    assert get_settings() == outer


def test_nested_guards_inner_wins():
    with guard(limit="1MiB", mode="warn"):
        with guard(limit="2MiB"):
            assert get_settings().limit.nbytes == 2 * MiB
            assert get_settings().mode == "warn"  # inherited from the outer block
            with guard(mode="log", inflation=3):
                s = get_settings()
                assert (s.mode, s.limit.nbytes, s.inflation) == ("log", 2 * MiB, 3.0)
            assert get_settings().mode == "warn" and get_settings().inflation is None
        assert get_settings().limit.nbytes == MiB


def test_inner_guard_decides_the_outcome():
    a, row = wrap(np.ones((100, 1))), np.ones(100)  # made outside: blocks judge every allocation
    with guard(limit=100):
        with guard(limit="1MiB"):
            assert (a * row).shape == (100, 100)
        with pytest.raises(BroadcastMemoryError):
            a * row
    with guard(limit="1MiB"), guard(limit=100), pytest.raises(BroadcastMemoryError):
        a * row


def test_guard_restores_after_an_exception():
    before = get_settings()
    with pytest.raises(KeyError):
        with guard(mode="off"):
            raise KeyError("boom")
    assert get_settings() == before
    with pytest.raises(MemoryLimitError):
        with guard(limit=8):
            wrap(np.ones(10)) + 1
    assert get_settings() == before


def test_entering_the_same_instance_twice_is_a_type_error():
    g = guard(limit="1MiB")
    with g:
        with pytest.raises(TypeError, match="twice"):
            with g:
                pass
        assert get_settings().limit.nbytes == MiB  # the failed entry changed nothing
    # after it exits, the instance may be used again
    with g:
        assert get_settings().limit.nbytes == MiB
    with g:
        pass


def test_guard_validates_at_construction():
    with pytest.raises(ValueError):
        guard(mode="sometimes")


# -- the decorator ----------------------------------------------------------------------

def test_decorator_scopes_each_call():
    seen = []

    @guard(limit="3MiB", mode="warn")
    def job(x):
        """Job docs."""
        seen.append(get_settings())
        return x + 1

    before = get_settings()
    assert job(1) == 2
    assert job(2) == 3
    assert [s.limit.nbytes for s in seen] == [3 * MiB, 3 * MiB]
    assert all(s.mode == "warn" for s in seen)
    assert get_settings() == before
    assert job.__name__ == "job" and job.__doc__ == "Job docs."  # functools.wraps


def test_decorator_takes_unset_settings_from_the_caller_at_call_time():
    @guard(limit="3MiB")
    def job():
        return get_settings()

    with guard(mode="log"):
        s = job()
    assert (s.mode, s.limit.nbytes) == ("log", 3 * MiB)
    with guard(mode="off", limit=10):
        assert job().limit.nbytes == 3 * MiB  # the decorator is the inner setting
    assert job().mode == get_settings().mode


def test_decorator_enforces_inside_and_restores_after_an_error():
    @guard(limit=100)
    def blow_up(column, row):
        return column * row

    before = get_settings()
    with pytest.raises(BroadcastMemoryError):
        blow_up(wrap(np.ones((100, 1))), np.ones(100))
    assert get_settings() == before
    assert blow_up(wrap(np.ones((3, 1))), np.ones(3)).shape == (3, 3)
    assert (wrap(np.ones((100, 1))) * np.ones(100)).shape == (100, 100)  # outside: defaults


def test_decorator_works_recursively():
    depths = []

    @guard(inflation=2)
    def descend(level):
        with guard(limit=f"{level + 1}MiB"):
            depths.append((level, get_settings().limit.nbytes, get_settings().inflation))
            if level < 4:
                descend(level + 1)
            # back from the deeper call: this level's settings again
            assert get_settings().limit.nbytes == (level + 1) * MiB
        assert get_settings().inflation == 2.0

    before = get_settings()
    descend(0)
    assert depths == [(i, (i + 1) * MiB, 2.0) for i in range(5)]
    assert get_settings() == before


def test_one_decorator_instance_in_many_threads_at_once():
    barrier = threading.Barrier(8)
    seen: dict = {}
    errors = []

    @guard(limit="5MiB", mode="log")
    def job(i):
        barrier.wait(timeout=10)  # all eight inside the decorated call together
        seen[i] = get_settings()
        barrier.wait(timeout=10)
        return i

    def run(i):
        try:
            assert job(i) == i
            assert get_settings() == defaults  # after the call: the process defaults
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    defaults = get_settings()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(seen) == 8
    assert all(s.limit.nbytes == 5 * MiB and s.mode == "log" for s in seen.values())


# -- configure() and get_settings() -----------------------------------------------------

def test_configure_sets_process_defaults_and_returns_the_previous_ones():
    before = get_settings()
    previous = configure(limit="7MiB", mode="warn")
    assert isinstance(previous, Settings)
    assert previous is before  # as np.seterr returns the old state
    s = get_settings()
    assert (s.limit.nbytes, s.mode) == (7 * MiB, "warn")
    configure(inflation=4)
    assert get_settings().limit.nbytes == 7 * MiB  # other defaults kept
    assert get_settings().inflation == 4.0


def test_guard_wins_over_configure_even_when_configured_inside():
    with guard(limit="1MiB"):
        configure(limit="9MiB")
        assert get_settings().limit.nbytes == MiB
    assert get_settings().limit.nbytes == 9 * MiB


def test_a_rejected_configure_changes_nothing():
    before = get_settings()
    with pytest.raises(ValueError):
        configure(limit="2GiB", mode="bogus")
    assert get_settings() == before


def test_configured_defaults_apply_to_guarded_arrays():
    a = wrap(np.ones((100, 1)))
    configure(limit=100)
    with pytest.raises(BroadcastMemoryError):
        a * np.ones(100)
    configure(mode="off")
    assert (a * np.ones(100)).shape == (100, 100)


def test_the_documented_defaults_in_a_clean_process():
    # (the environment variables are tested in test_environment.py)
    s = Settings()
    assert (s.mode, s.limit.fraction, s.inflation, s.rank_promotion) == (
        "raise", 0.8, None, "allow")
    assert str(s.limit) == "80%"


def test_limit_text_and_repr():
    assert str(parse_limit("512MiB")) == "512MiB"
    assert str(parse_limit("75%")) == "75%"
    assert "1000" in str(parse_limit(1000))
    assert isinstance(parse_limit(1000), Limit)


def test_settings_are_immutable():
    s = get_settings()
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        s.mode = "off"  # type: ignore[misc]


@pytest.mark.parametrize("value", [2e9, np.int64(2_000_000_000), 2_000_000_000])
def test_whole_numbers_of_bytes_are_limits_in_any_numeric_type(value):
    assert parse_limit(value).nbytes == 2_000_000_000


def test_a_settings_object_made_by_hand_means_what_configure_means():
    # #21.6: numguard.Settings(limit="1MiB") was accepted, then `wrap(x) + 1` and
    # enable() raised AttributeError.
    settings = numguard.Settings(limit="1MiB")
    assert settings.limit == parse_limit("1MiB")
    previous = numguard.configure(settings)
    try:
        assert (numguard.wrap(np.ones(3)) + 1).tolist() == [2.0, 2.0, 2.0]
        with pytest.raises(MemoryError):
            numguard.wrap(np.ones(1)).repeat(10**6)
    finally:
        numguard.configure(previous)


@pytest.mark.parametrize("changes, named", [
    ({"mode": "bogus"}, "invalid mode 'bogus'"),
    ({"inflation": 0.0}, "invalid inflation 0.0"),
    ({"inflation": float("inf")}, "the factor must be finite"),
    ({"rank_promotion": "sometimes"}, "invalid rank_promotion 'sometimes'"),
    ({"limit": "lots"}, "invalid limit 'lots'"),
    ({"mode": None}, "invalid mode None"),
])
def test_a_settings_object_made_by_hand_is_checked_like_configure(changes, named):
    # #21.6: Settings(mode="bogus") reported but allowed; inflation=0.0 was accepted.
    with pytest.raises(ValueError, match=re.escape(named)):
        numguard.Settings(**changes)
