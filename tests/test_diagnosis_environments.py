"""The diagnosis where users run code: an IPython cell, and each supported Python.

Other Pythons run in a subprocess with this worktree on PYTHONPATH; an interpreter is
used when it can import NumPy and psutil: pyenv's 3.10, 3.12 and 3.13, and any named
in NUMGUARD_TEST_PYTHONS (paths separated by os.pathsep). Absent ones are skipped.
"""

from __future__ import annotations

import glob
import json
import linecache
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json, sys
    {prelude}
    import numpy as np
    import numguard
    from numguard.backstop import watch
    from numguard.diagnosis import broadcast_estimate, diagnose, user_frame

    seen = []

    def callback(nbytes):
        frame = user_frame(sys._getframe(1))
        found = diagnose(frame)
        broadcast = broadcast_estimate(frame)
        del frame
        seen.append(dict(nbytes=nbytes, expression=found.expression,
                         operation=found.operation, texts=list(found.operand_texts),
                         shapes=found.estimate and [list(s) for s in found.estimate.shapes],
                         broadcast=broadcast is not None, reason=found.reason))

    profiles = np.broadcast_to(np.zeros(1), (5_000_000,))
    weights = np.broadcast_to(np.zeros(1), (200_000,))
    x = np.arange(10)
    with watch(callback, floor=64, refused=callback):
        with numguard.guard(limit="1GiB"):
            try:
                profiles[:, None] * weights[None, :]
            except MemoryError:
                pass
        np.ones((50, 1)) * np.ones((1, 20))
        x.repeat(100)
        rows = [v * np.ones((1, 20)) for v in (np.ones((50, 1)),)]
    print(json.dumps(seen))
""")


def run_script(python: str, folder: Path, prelude: str = "") -> list[dict]:
    """The smoke script's diagnoses, run by `python` with this worktree's numguard."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMGUARD_")}
    env["PYTHONPATH"] = str(ROOT)
    path = folder / "smoke.py"  # a file: the diagnosis reads the source of the lines
    path.write_text(SCRIPT.format(prelude=prelude))
    done = subprocess.run([python, str(path)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def interpreters() -> list[str]:
    found = []
    for version in ("3.10", "3.12", "3.13"):
        found += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    found += [p for p in os.environ.get("NUMGUARD_TEST_PYTHONS", "").split(os.pathsep) if p]
    return found


def usable(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import numpy, psutil"], capture_output=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def version_of(python: str) -> tuple[int, int]:
    done = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                          capture_output=True, text=True, timeout=60)
    major, minor = done.stdout.split()
    return int(major), int(minor)


def check_the_smoke(seen: list[dict]) -> None:
    by_expression = {s["expression"]: s for s in seen}
    seed = by_expression["profiles[:, None] * weights[None, :]"]
    assert seed["operation"] == "`*` (np.multiply)"
    assert seed["texts"] == ["profiles[:, None]", "weights[None, :]"]
    assert seed["shapes"] == [[5_000_000, 200_000]] and seed["broadcast"]
    inflated = by_expression["np.ones((50, 1)) * np.ones((1, 20))"]
    assert inflated["shapes"] == [[50, 20]] and inflated["broadcast"]
    assert by_expression["x.repeat(100)"]["operation"] == "x.repeat()"
    assert by_expression["v * np.ones((1, 20))"]["shapes"] == [[50, 20]]


@pytest.mark.parametrize("python", interpreters() or ["absent"])
def test_each_supported_python_diagnoses_the_smoke_cases(python, tmp_path):
    if python == "absent" or not usable(python):
        pytest.skip(f"{python}: no interpreter with NumPy and psutil")
    has_executing = subprocess.run([python, "-c", "import executing"],
                                   capture_output=True).returncode == 0
    if version_of(python) < (3, 11) and not has_executing:
        pytest.skip(f"{python}: Python 3.10 needs `executing` to find the expression")
    check_the_smoke(run_script(python, tmp_path))


BLOCK_EXECUTING = "sys.modules['executing'] = None  # as if it were not installed"


def test_without_executing_python_3_11_and_later_still_find_the_expression(tmp_path):
    if sys.version_info < (3, 11):
        pytest.skip("Python 3.10 needs executing")
    check_the_smoke(run_script(sys.executable, tmp_path, BLOCK_EXECUTING))


@pytest.mark.parametrize("python", [p for p in interpreters() if "3.10" in p] or ["absent"])
def test_python_3_10_without_executing_degrades_to_an_unknown_expression(python, tmp_path):
    if python == "absent" or not usable(python):
        pytest.skip("no Python 3.10 with NumPy and psutil")
    seen = run_script(python, tmp_path, BLOCK_EXECUTING)
    assert seen and all(s["expression"] == "" and s["shapes"] is None for s in seen)
    assert all("needs the `executing` package" in s["reason"] for s in seen)


# -- a real IPython shell running a cell ---------------------------------------------

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main = sys.modules["__main__"]
    shell = InteractiveShell.instance(config=config)
    yield shell
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main


def test_an_ipython_cell_is_read_from_the_cells_source(shell):
    seen: list = []
    shell.user_ns["seen"] = seen
    setup = shell.run_cell(textwrap.dedent("""
        import sys
        import numpy as np
        import numguard
        from numguard.backstop import watch
        from numguard.diagnosis import diagnose, user_frame

        def callback(nbytes):
            frame = user_frame(sys._getframe(1))
            seen.append(diagnose(frame))
            del frame

        profiles = np.broadcast_to(np.zeros(1), (5_000_000,))
        weights = np.broadcast_to(np.zeros(1), (200_000,))
    """), store_history=True)
    assert setup.success
    cell = shell.run_cell(textwrap.dedent("""
        with numguard.guard(limit="1GiB"), watch(callback, floor=2**30, refused=callback):
            try:
                result = profiles[:, None] * weights[None, :]
            except MemoryError:
                refused = True
    """), store_history=True)
    assert cell.success and shell.user_ns["refused"]
    (found,) = seen
    assert found.expression == "profiles[:, None] * weights[None, :]"
    assert found.operation == "`*` (np.multiply)"
    assert found.operand_texts == ("profiles[:, None]", "weights[None, :]")
    assert found.estimate.shapes == ((5_000_000, 200_000),)
    assert found.filename != __file__  # the cell's own name and line
    line = linecache.getline(found.filename, found.lineno)
    assert line.strip() == "result = profiles[:, None] * weights[None, :]"
