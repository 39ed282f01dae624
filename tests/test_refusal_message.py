"""A refusal's message is built when first shown, with the same text, and pickles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import numguard
from numguard.errors import BroadcastMemoryError, InflationError
from numguard.report import describe


def refused() -> BroadcastMemoryError:
    column, row = numguard.wrap(np.ones((1_000_000, 1))), numguard.wrap(np.ones((1, 1_000_000)))
    with pytest.raises(BroadcastMemoryError) as info:
        column + row  # the operator named in the message
    return info.value


def test_the_text_is_the_one_describe_builds():
    error = refused()
    text = str(error)
    assert text.startswith("numguard: `+` (np.add) would allocate")
    assert "column + row" in text
    assert error.args == (text,)
    site_free = describe(error.estimate, error.trip, refused=True)
    assert site_free.splitlines()[1:-2] == text.splitlines()[1:-2]


def test_args_before_str_and_pickling():
    error = refused()
    assert error.args[0].startswith("numguard: `+` (np.add)")
    fresh = refused()  # pickled before its text was ever built
    copy = pickle.loads(pickle.dumps(fresh))
    assert type(copy) is BroadcastMemoryError and str(copy) == str(fresh)
    assert copy.budget is not None


def test_an_eager_message_and_assigned_args_still_work():
    error = InflationError("plain text")
    assert str(error) == "plain text" and error.args == ("plain text",)
    lazy = InflationError(lambda: "built later")
    lazy.args = ("replaced",)
    assert str(lazy) == "replaced"
