"""`%load_ext numguard` in a real IPython InteractiveShell: refused cells, magics, unload.

Real allocations stay small: the limit is 1 MiB and the refused result 8 MB.
"""

import ast
import sys

import numpy as np
import pytest

IPython = pytest.importorskip("IPython")

from IPython.core.error import UsageError  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from traitlets.config import Config  # noqa: E402

import numguard  # noqa: E402
from numguard import backstop  # noqa: E402
from numguard import ipython as extension  # noqa: E402
from numguard.memory import format_bytes  # noqa: E402

#: `%load_ext numguard` once numguard/__init__.py has the hooks; the module meanwhile.
EXTENSION = "numguard" if hasattr(numguard, "load_ipython_extension") else "numguard.ipython"

ELEMENTS = 1_000_000
BIG = f"np.ones({ELEMENTS})"
BIG_NBYTES = ELEMENTS * np.dtype(np.float64).itemsize  # what NumPy asks for: 8,000,000


@pytest.fixture(scope="module")
def shell():
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main = sys.modules["__main__"]  # IPython installs its own; multiprocessing needs this one
    shell = InteractiveShell.instance(config=config)
    shell.run_cell("import numpy as np\nimport numguard", store_history=True)
    yield shell
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main


@pytest.fixture
def ip(shell):
    """The shell with the extension loaded; unloading must restore what was there."""
    settings, armed = numguard.get_settings(), backstop.is_enabled()
    shell.run_line_magic("load_ext", EXTENSION)
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", EXTENSION)
        shell.ast_node_interactivity = "last_expr"
    assert numguard.get_settings() == settings
    assert backstop.is_enabled() == armed


def run(shell, cell):
    return shell.run_cell(cell, store_history=True)


def test_load_arms_the_session_with_the_default_limit_and_unload_restores(shell, capsys):
    before, armed = numguard.get_settings(), backstop.is_enabled()
    shell.run_line_magic("load_ext", EXTENSION)
    assert backstop.is_enabled()
    assert numguard.get_settings() == before  # NUMGUARD_* or the default, 80% (kernel test)
    assert any(isinstance(t, extension.CellTranslator) for t in shell.ast_transformers)
    assert "numguard" in shell.magics_manager.magics["line"]
    shell.run_line_magic("numguard", "limit=1MiB")
    shell.run_line_magic("unload_ext", EXTENSION)
    assert numguard.get_settings() == before
    assert backstop.is_enabled() == armed
    assert not any(isinstance(t, extension.CellTranslator) for t in shell.ast_transformers)
    assert "numguard" not in shell.magics_manager.magics["line"]
    assert "numguard" not in shell.magics_manager.magics["cell"]
    assert run(shell, f"after = {BIG}").success  # NumPy's behaviour again


def test_a_refused_cell_shows_numguards_short_message_and_keeps_the_session(ip, capsys):
    ip.run_line_magic("numguard", "limit=1MiB")
    capsys.readouterr()
    result = run(ip, f"kept = 41\nrefused = {BIG}")
    error = result.error_in_exec
    assert isinstance(error, numguard.MemoryLimitError)
    assert isinstance(error.__cause__, MemoryError)  # chained from NumPy's own error
    assert f"would allocate {format_bytes(BIG_NBYTES)}" in str(error)
    assert "1.0 MiB" in str(error)
    assert f"refused = {BIG}" in str(error)  # the cell's line
    shown = capsys.readouterr().out
    assert f"{type(error).__name__}: {error}" in shown
    assert "Traceback" not in shown and "site-packages" not in shown
    assert len(shown.strip().splitlines()) == len(str(error).splitlines())
    assert "refused" not in ip.user_ns and ip.user_ns["kept"] == 41
    assert run(ip, "kept + 1").result == 42


def test_a_trailing_expression_is_displayed_and_not_kept_alive(ip, capsys):
    result = run(ip, "values = np.arange(4)\nvalues.sum()")
    assert result.result == 6
    assert "Out[" in capsys.readouterr().out
    assert extension._held == []
    run(ip, "values.sum();")  # a trailing ; hides it, as without numguard
    assert "Out[" not in capsys.readouterr().out


def test_settings_changed_inside_a_cell_apply_in_that_cell(ip):
    magic = run(ip, f"%numguard limit=1MiB\nrefused = {BIG}")
    assert isinstance(magic.error_in_exec, numguard.MemoryLimitError)
    ip.run_line_magic("numguard", "limit=80%")
    configured = run(ip, f"numguard.configure(limit='1MiB')\nrefused = {BIG}")
    assert isinstance(configured.error_in_exec, numguard.MemoryLimitError)
    assert "refused" not in ip.user_ns


def test_the_settings_magic_sets_the_session_and_names_itself_as_origin(ip):
    cell = run(ip, "%numguard limit=2GiB mode=warn inflation=2")
    settings = numguard.get_settings()
    assert (settings.limit.nbytes, settings.mode, settings.inflation) == (2 * 1024**3, "warn", 2.0)
    assert settings.origin("limit") == f"%numguard in In[{cell.execution_count}]"
    ip.run_line_magic("numguard", "mode=raise")  # not from a cell
    assert numguard.get_settings().origin("mode") == "%numguard"
    ip.run_line_magic("numguard", "inflation=none 'limit=1 GiB'")
    assert numguard.get_settings().inflation is None
    assert numguard.get_settings().limit.nbytes == 1024**3


@pytest.mark.parametrize("line, named", [
    ("limit=12XB", "invalid limit '12XB'"),
    ("limit=0", "invalid limit '0'"),
    ("mode=loud", "invalid mode 'loud'"),
    ("inflation=big", "invalid inflation 'big'"),
    ("frobnicate", "'frobnicate' is not a setting"),
    ("colour=red", "'colour=red' is not a setting"),
    ("limit='2GiB", "cannot read"),
])
def test_bad_input_is_a_usage_error_naming_it_and_what_is_accepted(ip, line, named):
    before = numguard.get_settings()
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("numguard", line)
    assert named in str(caught.value)
    assert "expected" in str(caught.value)
    assert numguard.get_settings() == before


def test_status_shows_mode_limit_origin_memory_and_refusals(ip, capsys):
    cell = run(ip, "%numguard limit=1MiB")
    run(ip, f"refused = {BIG}")
    capsys.readouterr()
    ip.run_line_magic("numguard", "")
    status = capsys.readouterr().out
    available = numguard.budget()
    assert f"armed, mode=raise (from {numguard.get_settings().origin('mode')})" in status
    assert f"limit: 1.0 MiB (limit=1MiB), from %numguard in In[{cell.execution_count}]" in status
    assert "memory available:" in status and f"bound by {available.binding_source.name}" in status
    assert "refusals so far: 1 allocation(s) refused by the backstop, 1 cell(s) stopped" in status


def test_off_and_on_switch_it_and_on_restores_the_mode(ip, capsys):
    ip.run_line_magic("numguard", "limit=1MiB mode=log")
    ip.run_line_magic("numguard", "off")
    assert not backstop.is_enabled()
    assert run(ip, f"allowed = {BIG}").success
    capsys.readouterr()
    ip.run_line_magic("numguard", "")
    assert "numguard: off, mode=off" in capsys.readouterr().out
    ip.run_line_magic("numguard", "on")
    assert backstop.is_enabled() and numguard.get_settings().mode == "log"
    ip.run_line_magic("numguard", "mode=raise")
    assert isinstance(run(ip, f"refused = {BIG}").error_in_exec, numguard.MemoryLimitError)


def test_the_cell_magic_scopes_its_settings_to_the_cell(ip):
    before = numguard.get_settings()
    result = run(ip, "%%numguard limit=1MiB inflation=2\n"
                     "inside = numguard.get_settings()\n"
                     "inside.limit.text")
    assert result.result == "1MiB"
    inside = ip.user_ns["inside"]
    assert inside.inflation == 2.0
    assert inside.origin("limit") == f"guard(limit=..., inflation=...) at In[{result.execution_count}]:1"
    assert numguard.get_settings() == before
    wrapped = run(ip, "%%numguard limit=1MiB\n"
                      "w = numguard.wrap(np.ones(1000))\n"
                      "outer = w[:, None] * w")
    assert isinstance(wrapped.error_in_exec, numguard.BroadcastMemoryError)
    assert "outer" not in ip.user_ns
    with pytest.raises(UsageError, match="not a setting"):
        ip.run_cell_magic("numguard", "off", "1")


def test_an_error_in_a_guarded_cell_shows_the_cells_frames_not_numguards(ip, capsys):
    capsys.readouterr()
    result = run(ip, "%%numguard limit=1MiB\nfirst = 1\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    shown = capsys.readouterr().out
    assert "1 / 0" in shown and "ZeroDivisionError" in shown
    assert "numguard/ipython.py" not in shown and "exec(code" not in shown
    assert ip.user_ns["first"] == 1


def test_the_cell_magic_refuses_plain_arrays_over_its_limit(ip):
    result = run(ip, f"%%numguard limit=1MiB\nrefused = {BIG}")
    assert isinstance(result.error_in_exec, numguard.MemoryLimitError)


def test_other_errors_keep_their_type_and_line(ip, capsys):
    result = run(ip, "a = 1\nraise MemoryError('mine')")
    assert type(result.error_in_exec) is MemoryError
    result = run(ip, "a = 1\n\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert result.error_in_exec.__traceback__.tb_next.tb_lineno == 3


@pytest.mark.parametrize("cell, value", [
    ("from __future__ import annotations\nannotated: int = 3\nannotated", 3),
    # #21.9: a docstring, then a future import (a SyntaxError with the extension loaded)
    ('"""A docstring."""\nfrom __future__ import annotations\nx: int = 1\nx', 1),
    ('"""Only a docstring."""', "Only a docstring."),
    ("import asyncio\nawait asyncio.sleep(0)\n5", 5),
    ("def f():\n    return 7\nf()", 7),
    ("(walrus := 9)\nwalrus", 9),
    ("%reset -f\nimport numpy as np\nnp.int64(11)", 11),
])
def test_cells_of_every_shape_still_run(ip, cell, value):
    result = run(ip, cell)
    assert result.success, result.error_in_exec or result.error_before_exec
    assert result.result == value
    run(ip, "import numpy as np\nimport numguard")


def test_the_interactivity_setting_is_respected(ip, capsys):
    ip.ast_node_interactivity = "last_expr_or_assign"
    assert run(ip, "shown = 12").result == 12
    ip.ast_node_interactivity = "all"
    capsys.readouterr()
    run(ip, "101\n202")
    out = capsys.readouterr().out
    assert "101" in out and "202" in out


def test_cells_are_wrapped_once_and_future_imports_stay_first(shell):
    translator = extension.CellTranslator(shell)
    module = translator.visit(ast.parse("from __future__ import annotations\nx = 1\nx"))
    assert isinstance(module.body[0], ast.ImportFrom)
    assert isinstance(module.body[1], ast.With)
    assert extension.is_release(module.body[2])
    again = ast.dump(translator.visit(module))
    assert again == ast.dump(module)
    mine = translator.visit(ast.parse("lock._release()"))
    assert isinstance(mine.body[0], ast.With)  # a user's own _release() is wrapped


def test_loading_twice_is_harmless_and_reload_works(ip):
    ip.run_line_magic("load_ext", EXTENSION)
    count = sum(isinstance(t, extension.CellTranslator) for t in ip.ast_transformers)
    assert count == 1
    ip.run_line_magic("reload_ext", EXTENSION)
    count = sum(isinstance(t, extension.CellTranslator) for t in ip.ast_transformers)
    assert count == 1
    assert run(ip, "1 + 1").result == 2


def test_inflation_set_by_the_magic_judges_plain_arrays_in_cells(ip):
    # #20.4: `%numguard inflation=2` let np.ones((50,1)) * np.ones((1,20)) pass.
    ip.run_line_magic("numguard", "inflation=2")
    result = run(ip, "inflated = np.ones((50, 1)) * np.ones((1, 20))")
    error = result.error_in_exec
    assert isinstance(error, numguard.errors.InflationError)
    assert "expression: np.ones((50, 1)) * np.ones((1, 20))" in str(error)
    assert "inflation: more than the factor 2 allowed (%numguard" in str(error)
    assert run(ip, "fine = np.ones((10, 3)) + np.ones(3)\nfine.shape").result == (10, 3)
