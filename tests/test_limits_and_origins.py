"""Strict limits (#10.6), an explicit limit is a cap (#12.4), and every report says where
its limit came from (#12.5)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numguard
from numguard import MemoryLimitError, configure, guard, wrap
from numguard.environment import settings_from_environment
from numguard.limits import Limit, parse_limit
from numguard.memory import budget

pytestmark = pytest.mark.usefixtures("restored_defaults")


# -- strict parsing -----------------------------------------------------------------------

@pytest.mark.parametrize("text, reason", [
    ("1.5", "whole number of bytes"),   # was read as a 1-byte limit: everything refused
    ("0.5B", "at least one byte"),
    ("\u0663", "not a number"),          # ARABIC-INDIC DIGIT THREE: str.isdigit() says yes
    ("\u0663MiB", "not a number"),
    ("200%", "at most 100%"),
    ("0%", "above 0%"),
    ("12 parsecs", "not a number"),
])
def test_a_limit_that_would_mean_something_else_is_refused_with_its_reason(text, reason):
    with pytest.raises(ValueError, match=reason) as info:
        parse_limit(text)
    assert repr(text) in str(info.value) and "expected" in str(info.value)
    with pytest.raises(ValueError):
        configure(limit=text)
    with pytest.raises(ValueError):
        guard(limit=text)


@pytest.mark.parametrize("fields", [
    (None, math.nan, "x"), (None, None, "x"), (0, None, "x"), (-5, None, "x"),
    (1.5, None, "x"), (None, 2.0, "x"), (None, 0.0, "x"), (5, 0.5, "x"), (5, None, 7),
])
def test_a_limit_built_directly_is_validated(fields):
    with pytest.raises(ValueError, match="invalid Limit"):
        Limit(*fields)


def test_whole_byte_counts_and_units_still_parse():
    assert parse_limit("1e3").nbytes == 1000 and parse_limit("1.5KB").nbytes == 1500
    assert str(parse_limit(1)) == "1 byte" and str(parse_limit(2)) == "2 bytes"


@pytest.mark.parametrize("raw, reason", [
    ("200%", "at most 100%"), ("1.5", "whole number of bytes"), ("\u0663", "ASCII"),
])
def test_the_environment_gives_the_specific_reason_too(raw, reason):
    with pytest.raises(ValueError, match=reason) as info:
        settings_from_environment({"NUMGUARD_LIMIT": raw})
    assert str(info.value).startswith(f"NUMGUARD_LIMIT={raw!r} is not valid")


def test_configure_returns_the_previous_settings_and_takes_them_back():
    before = numguard.get_settings()
    old = configure(limit="3MiB", mode="warn")
    assert old is before
    assert numguard.get_settings().limit.nbytes == 3 * 2**20
    configure(old)
    assert numguard.get_settings() == before
    with pytest.raises(TypeError, match="Settings"):
        configure("3MiB")


# -- an explicit limit is a cap -----------------------------------------------------------

def virtual(shape):
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape, (0,) * len(shape))


def test_an_explicit_limit_above_what_the_process_can_allocate_is_capped():
    available = budget().available
    n = int(available * 1.5) // 8  # 1.5x what is available, well under the explicit limit
    column, row = wrap(virtual((n, 1))), virtual((1, 1))
    with guard(limit=4 * available), pytest.raises(MemoryLimitError) as info:
        column * row
    message = str(info.value)
    assert info.value.trip.capped and info.value.trip.limit <= available
    assert "capped at what this process can allocate" in message
    assert "from guard(limit=...) at test_limits_and_origins.py:" in message


CAPPED = textwrap.dedent("""
    import resource, numpy as np, numguard
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    try:
        over = numguard.budget().available + 50_000_000  # over what RLIMIT_AS leaves
        with numguard.guard(limit="64GiB"):
            np.ones((over // 8,))
    except numguard.MemoryLimitError as error:
        print("refused;", "capped" if error.trip.capped else "not capped")
        print(str(error).splitlines()[1])
""")


def test_under_rlimit_as_a_64_gib_guard_judges_against_what_is_left():
    done = subprocess.run([sys.executable, "-c", CAPPED], capture_output=True, text=True,
                          timeout=120, env={k: v for k, v in os.environ.items()
                                            if not k.startswith("NUMGUARD_")})
    assert done.returncode == 0, done.stderr
    first, limit_line = done.stdout.splitlines()[:2]
    assert first == "refused; capped"
    assert "limit=64GiB from guard(limit=...)" in limit_line and "RLIMIT_AS" in limit_line


# -- where the limit came from --------------------------------------------------------------

def refusal_message(**block):
    column, row = wrap(np.ones((300, 1))), np.ones(400)
    with pytest.raises(MemoryLimitError) as info:
        if block:
            with guard(**block):
                column * row
        else:
            column * row
    return str(info.value)


def test_each_origin_is_named_in_the_message():
    assert "limit=10 bytes from guard(limit=...) at test_limits_and_origins.py:" in (
        refusal_message(limit=10))
    configure(limit=10)
    line = refusal_message()
    assert "limit=10 bytes from configure() at test_limits_and_origins.py:" in line
    configure(numguard.Settings())
    assert numguard.get_settings().origin("limit") == "default"
    configure(limit="0.00001%")
    assert "0.00001% of " in refusal_message() or "1e-05% of" in refusal_message()


def test_the_environment_and_the_default_are_named_in_a_fresh_process():
    code = textwrap.dedent("""
        import numpy as np, numguard
        s = numguard.get_settings()
        print(s.origin("limit"), "|", s.origin("mode"))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**env, "NUMGUARD_LIMIT": "2GiB"})
    assert done.stdout.strip() == "NUMGUARD_LIMIT | default", done.stderr


# -- a guarded copy owns its data (#10.12) --------------------------------------------------

def test_a_guarded_copy_resizes_as_the_plain_copy_does():
    x = np.arange(6.0)
    plain, guarded = x.copy(), wrap(x).copy()
    assert guarded.flags.owndata == plain.flags.owndata is True
    plain.resize(8, refcheck=False)
    guarded.resize(8, refcheck=False)
    np.testing.assert_array_equal(np.asarray(guarded), plain)
    assert type(guarded) is numguard.GuardedArray


def test_owndata_matches_a_pass_through_subclass():
    class Passthrough(np.ndarray):
        pass

    x = np.arange(6.0)
    sub, guarded = x.view(Passthrough), wrap(x)
    for make in (lambda a: a.copy(), lambda a: a.astype("f4"), lambda a: a.flatten(),
                 lambda a: a.take([0, 1]), lambda a: a.repeat(2)):
        assert make(guarded).flags.owndata == make(sub).flags.owndata, make
