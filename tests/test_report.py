"""The message a tired engineer reads: what, with which operands, how big, against what, where.

Each test asserts on content, not layout: the operator as written (`+`, `*`, `@`, `+=`)
or the function (`np.add.reduce`), each operand's shape and dtype, the result shape,
the stretched axes and their operand, the projected size and the limit in human units
with the limit's source, and the user's own file:line.
"""

from __future__ import annotations

import logging
import os
import re
import sys

import numpy as np
import pytest

import numguard
from numguard import BroadcastMemoryError, MemoryLimitError, NumguardError, NumguardWarning, wrap
from numguard.errors import InflationError, RankPromotionError
from numguard.memory import format_bytes

pytestmark = pytest.mark.usefixtures("unchanged_defaults")


def here() -> int:
    """The caller's line number: `site = here(); a + b` puts both on one line."""
    return sys._getframe(1).f_lineno


def shape_re(shape: tuple) -> str:
    """A shape as NumPy prints it, spaces optional: (300, 400), (400,), ()."""
    if len(shape) == 1:
        return rf"\({shape[0]},\)"
    return r"\(" + r",\s*".join(str(n) for n in shape) + r"\)"


def assert_message(error: NumguardError, *, operation: str, operands, result, site: int,
                   stretched=()) -> str:
    text = str(error)
    first = text.splitlines()[0]
    assert operation in first, f"{operation!r} not in {first!r}"
    shape, dtype = result
    assert re.search(shape_re(shape) + r"\s*" + dtype, first), first
    for index, (shape, dtype) in enumerate(operands):
        assert re.search(rf"operand {index}\b.*{shape_re(shape)}\s*{dtype}", text), (
            f"operand {index} {shape} {dtype} missing:\n{text}")
    stretch_lines = [line for line in text.splitlines() if "stretch" in line]
    assert len(stretch_lines) == len(stretched), text
    for operand, axis, size in stretched:
        assert any(f"operand {operand}" in line and f"axis {axis}" in line
                   and f"{size:,}" in line for line in stretch_lines), (
            f"operand {operand} stretched along axis {axis} to {size:,} missing:\n{text}")
    assert f"{__file__}:{site}" in text, f"call site {__file__}:{site} missing:\n{text}"
    return text


def column_and_row(m=300, n=400, dtype_b="f4"):
    return wrap(np.zeros((m, 1))), wrap(np.zeros((1, n), dtype_b))


# -- the operation as written -----------------------------------------------------------

def test_binary_operator():
    a, b = column_and_row()
    with numguard.guard(limit="1KiB"), pytest.raises(BroadcastMemoryError) as info:
        site = here(); a + b  # noqa: E702
    text = assert_message(info.value, operation="`+`", site=site,
                          operands=[((300, 1), "float64"), ((1, 400), "float32")],
                          result=((300, 400), "float64"),
                          stretched=[(0, 1, 400), (1, 0, 300)])
    assert "np.add" in text.splitlines()[0]  # the ufunc too, for searching the docs
    est = info.value.estimate
    assert est.nbytes == 300 * 400 * 8
    assert format_bytes(est.nbytes) in text  # the projected size, in human units
    assert format_bytes(1024) in text  # the limit, in human units
    assert "1KiB" in text  # as the user wrote it: the limit's source


@pytest.mark.parametrize("written, call, result_dtype", [
    ("`*`", lambda a, b: a * b, "float64"),
    ("`-`", lambda a, b: a - b, "float64"),
    ("`/`", lambda a, b: a / b, "float64"),
    ("`**`", lambda a, b: a ** b, "float64"),
    ("`<`", lambda a, b: a < b, "bool"),
    ("`==`", lambda a, b: a == b, "bool"),
    ("`&`", lambda a, b: a.astype(bool) & b.astype(bool), "bool"),
])
def test_each_operator_is_named(written, call, result_dtype):
    a, b = column_and_row(dtype_b="f8")
    with numguard.guard(limit=1000), pytest.raises(BroadcastMemoryError) as info:
        call(a, b)
    # the operator runs inside the lambda: the site is the lambda's line, up in the table
    text = str(info.value)
    assert written in text.splitlines()[0], text
    assert re.search(shape_re((300, 400)) + r"\s*" + result_dtype, text.splitlines()[0])
    assert f"{__file__}:{call.__code__.co_firstlineno}" in text


def test_matmul_operator():
    a = wrap(np.zeros((1000, 1)))
    b = np.zeros((1, 1000), "f4")
    with numguard.guard(limit="1MiB"), pytest.raises(MemoryLimitError) as info:
        site = here(); a @ b  # noqa: E702
    assert_message(info.value, operation="`@`", site=site,
                   operands=[((1000, 1), "float64"), ((1, 1000), "float32")],
                   result=((1000, 1000), "float64"))
    assert "np.matmul" in str(info.value).splitlines()[0]


def test_inplace_operator():
    g = wrap(np.zeros((4, 5)))
    h = np.ones(5, "i2")
    with numguard.guard(rank_promotion="raise"), pytest.raises(RankPromotionError) as info:
        site = here(); g += h  # noqa: E702
    assert_message(info.value, operation="`+=`", site=site,
                   operands=[((4, 5), "float64"), ((5,), "int16")],
                   result=((4, 5), "float64"), stretched=[(1, 0, 4)])
    assert "rank" in str(info.value).splitlines()[0]


def test_unary_operator():
    x = wrap(np.zeros(1000))
    with numguard.guard(limit=100), pytest.raises(MemoryLimitError) as info:
        site = here(); -x  # noqa: E702
    assert_message(info.value, operation="`-`", site=site,
                   operands=[((1000,), "float64")], result=((1000,), "float64"))
    assert "np.negative" in str(info.value)


def test_function_call_names_the_function_not_an_operator():
    a, b = column_and_row()
    with numguard.guard(limit=1000), pytest.raises(BroadcastMemoryError) as info:
        site = here(); np.add(a, b)  # noqa: E702
    text = assert_message(info.value, operation="np.add", site=site,
                          operands=[((300, 1), "float64"), ((1, 400), "float32")],
                          result=((300, 400), "float64"),
                          stretched=[(0, 1, 400), (1, 0, 300)])
    assert "`" not in text.splitlines()[0]


def test_methods_are_named_as_written():
    x = wrap(np.zeros((1000, 100)))
    with numguard.guard(limit=100):
        with pytest.raises(MemoryLimitError) as info:
            site = here(); np.add.reduce(x, axis=0)  # noqa: E702
        assert_message(info.value, operation="np.add.reduce", site=site,
                       operands=[((1000, 100), "float64")], result=((100,), "float64"))
        with pytest.raises(MemoryLimitError) as info:
            site = here(); x.sum(axis=1)  # noqa: E702  (ndarray.sum reaches np.add.reduce)
        assert_message(info.value, operation="np.add.reduce", site=site,
                       operands=[((1000, 100), "float64")], result=((1000,), "float64"))
        with pytest.raises(BroadcastMemoryError) as info:
            site = here(); np.multiply.outer(x[0], x[:, 0])  # noqa: E702
        assert_message(info.value, operation="np.multiply.outer", site=site,
                       operands=[((100,), "float64"), ((1000,), "float64")],
                       result=((100, 1000), "float64"), stretched=[(0, 1, 1000), (1, 0, 100)])
        with pytest.raises(MemoryLimitError) as info:
            site = here(); np.maximum.accumulate(x, axis=0)  # noqa: E702
        assert "np.maximum.accumulate" in str(info.value).splitlines()[0]


def test_python_scalar_operand_is_shown_as_such():
    x = wrap(np.zeros((10, 10), "f4"))
    with numguard.guard(limit=10), pytest.raises(MemoryLimitError) as info:
        site = here(); x * 2.5  # noqa: E702
    text = assert_message(info.value, operation="`*`", site=site,
                          operands=[((10, 10), "float32")], result=((10, 10), "float32"))
    assert re.search(r"operand 1\b.*float", text), text


# -- the call site ----------------------------------------------------------------------

def user_helper(a, b):
    return a * b  # the innermost user frame: this line


def test_call_site_is_the_innermost_user_frame():
    a, b = column_and_row()
    with numguard.guard(limit=1000), pytest.raises(BroadcastMemoryError) as info:
        user_helper(a, b)
    line = user_helper.__code__.co_firstlineno + 1
    assert f"{__file__}:{line}" in str(info.value)


def test_call_site_skips_numpy_frames():
    x = wrap(np.zeros((1000, 100)))
    with numguard.guard(limit=100), pytest.raises(MemoryLimitError) as info:
        site = here(); np.sum(x, axis=0)  # noqa: E702  (through NumPy's own frames)
    assert f"{__file__}:{site}" in str(info.value)
    assert "fromnumeric.py:" not in str(info.value)
    with numguard.guard(limit=100), pytest.raises(MemoryLimitError) as info:
        site = here(); np.cumsum(x, axis=0)  # noqa: E702
    assert f"{__file__}:{site}" in str(info.value)


# -- the limit and its source -----------------------------------------------------------

def test_percentage_limit_names_its_share_and_the_binding_source():
    a = wrap(np.zeros((1000, 1)))
    with numguard.guard(limit="0.00001%"), pytest.raises(BroadcastMemoryError) as info:
        a * np.zeros((1, 1000))
    text = str(info.value)
    budget = info.value.budget
    assert "1e-05%" in text or "0.00001%" in text  # the share as given
    assert format_bytes(budget.available) in text  # of how much
    source = budget.binding.split(":")[0]
    assert source in text, f"binding source {source!r} missing:\n{text}"
    assert format_bytes(info.value.trip.limit) in text


@pytest.mark.parametrize("limit, shown", [
    ("512MiB", "512MiB"), ("2 GB", "2 GB"), ("1.5GiB", "1.5GiB"), (10**9, "953.7 MiB"), (2**20, "1 MiB"),
])
def test_fixed_limits_are_shown_as_given_and_in_human_units(limit, shown):
    # Zero-strided operands: a (60000, 1) x (1, 60000) float64 result is 28.8 GB,
    # over each limit, and nothing is allocated.
    a = wrap(np.lib.stride_tricks.as_strided(np.zeros(1), (60_000, 1), (0, 0)))
    b = np.lib.stride_tricks.as_strided(np.zeros(1), (1, 60_000), (0, 0))
    with numguard.guard(limit=limit), pytest.raises(BroadcastMemoryError) as info:
        a * b
    text = str(info.value)
    assert shown in text
    assert format_bytes(info.value.trip.limit) in text
    assert format_bytes(60_000 * 60_000 * 8) in text


def test_inflation_message_names_the_factor_and_the_sizes():
    a, b = column_and_row(30, 40)
    with numguard.guard(inflation=2.5), pytest.raises(InflationError) as info:
        site = here(); a * b  # noqa: E702
    text = assert_message(info.value, operation="`*`", site=site,
                          operands=[((30, 1), "float64"), ((1, 40), "float32")],
                          result=((30, 40), "float64"), stretched=[(0, 1, 40), (1, 0, 30)])
    assert "2.5" in text
    assert "1,200" in text or "1200" in text  # result elements
    assert "40" in text  # the largest operand


def test_warning_and_log_record_point_at_the_user_line(caplog):
    a, b = column_and_row()
    with numguard.guard(mode="warn", limit=1000), pytest.warns(NumguardWarning) as record:
        site = here(); a + b  # noqa: E702
    assert (record[0].filename, record[0].lineno) == (__file__, site)
    with caplog.at_level(logging.WARNING, logger="numguard"), \
            numguard.guard(mode="log", limit=1000):
        site = here(); a + b  # noqa: E702
    (rec,) = [r for r in caplog.records if r.name == "numguard"]
    assert rec.site == f"{__file__}:{site}"
    assert "`+`" in rec.operation
    assert rec.nbytes == 300 * 400 * 8 and rec.limit == 1000
    assert rec.dtypes == ("float64", "float32")
    assert rec.numguard_rule == "memory"
    assert tuple(rec.result_shapes) == ((300, 400),)


@pytest.mark.parametrize("filename", [
    os.path.dirname(numguard.__file__) + "_pipeline.py",
    os.path.dirname(np.__file__) + "_financial/core.py",
], ids=["numguard_pipeline.py", "numpy_financial"])
def test_call_site_in_a_file_whose_name_extends_a_package_directory(filename):
    code = compile("a * b\n", filename, "exec")
    namespace = {"a": wrap(np.ones((3, 1))), "b": np.ones(4)}
    with numguard.guard(limit=10), pytest.raises(BroadcastMemoryError) as info:
        exec(code, namespace)
    assert f"{filename}:1" in str(info.value)
    assert "`*`" in str(info.value).splitlines()[0]


def test_call_site_in_an_ordinary_file():
    filename = "/tmp/numguard-test-user-script.py"  # compiled, never written
    code = compile("a * b\n", filename, "exec")
    namespace = {"a": wrap(np.ones((3, 1))), "b": np.ones(4)}
    with numguard.guard(limit=10), pytest.raises(BroadcastMemoryError) as info:
        exec(code, namespace)
    assert f"{filename}:1" in str(info.value)
    assert "`*`" in str(info.value).splitlines()[0]
