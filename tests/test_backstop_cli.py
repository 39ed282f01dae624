"""`python -m numguard run`, the way `coverage run` runs a program: a script or -m module,
its own arguments, its exit status, and NUMGUARD_* exported to its own subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux overcommit")

INCIDENT = "np.ones((20000, 1)) + np.ones((1, 20000))"  # a 3.2 GB float64 result, refused


def child_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(variables)
    return env


def last_json(stdout: str):
    return json.loads(stdout.strip().splitlines()[-1])


def run_cli(*arguments: str, cwd: Path, **variables: str):
    return subprocess.run(
        [sys.executable, "-m", "numguard", "run", *arguments], check=False, capture_output=True, text=True,
        timeout=60, env=child_env(**variables), cwd=cwd,
    )


CLI_SCRIPT = f"""
import json, os, subprocess, sys
import numpy as np
try:
    {INCIDENT}
    outcome = "allocated"
except MemoryError as error:
    outcome = type(error).__name__
child = subprocess.run([sys.executable, "-c", "import numpy, sys; print('numguard' in sys.modules)"],
                       capture_output=True, text=True).stdout.strip()
print(json.dumps([sys.argv, __name__, sys.path[0], outcome, os.environ.get("NUMGUARD_LIMIT"), child]))
sys.exit(3)
"""


def test_run_a_script(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(CLI_SCRIPT)
    done = run_cli("--limit", "256MiB", str(script), "a", "--b", cwd=tmp_path.parent)
    assert done.returncode == 3, done.stderr
    argv, name, path0, outcome, limit, child = last_json(done.stdout)
    assert argv == [str(script), "a", "--b"] and name == "__main__"
    assert path0 == str(tmp_path)
    assert outcome == "MemoryError"
    assert (limit, child) == ("256MiB", "True")  # exported: the program's children are armed


def test_run_a_module(tmp_path):
    (tmp_path / "jobmodule.py").write_text(CLI_SCRIPT)
    done = run_cli("--mode", "raise", "--limit", "256MiB", "-m", "jobmodule", "x", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    argv, name, _, outcome, _, _ = last_json(done.stdout)
    assert argv[1:] == ["x"] and argv[0].endswith("jobmodule.py") and name == "__main__"
    assert outcome == "MemoryError"


def test_run_rejects_bad_settings_and_missing_scripts(tmp_path):
    done = run_cli("--limit", "lots", "job.py", cwd=tmp_path)
    assert done.returncode == 2 and "invalid limit 'lots'" in done.stderr
    done = run_cli("missing.py", cwd=tmp_path)
    assert done.returncode == 2 and "no such file: 'missing.py'" in done.stderr


FAILING_JOB = f"""
import numpy as np


def step():
    return {INCIDENT}


step()
"""


@pytest.mark.parametrize("how", ["script", "module"])
def test_a_failing_program_looks_as_under_python_and_names_the_option(tmp_path, how):
    # #20.6: `numguard run --limit 2GiB job.py` said "from enable() at <frozen runpy>:88",
    # and its traceback showed numguard's and runpy's frames.
    (tmp_path / "job.py").write_text(FAILING_JOB)
    target = ("-m", "job") if how == "module" else (str(tmp_path / "job.py"),)
    done = run_cli("--limit", "256MiB", *target, cwd=tmp_path)
    plain = subprocess.run([sys.executable, *target], capture_output=True, text=True, timeout=60,
                           env=child_env(NUMGUARD_LIMIT="256MiB"), cwd=tmp_path)
    assert done.returncode == plain.returncode == 1
    assert "runpy" not in done.stderr and "numguard/__main__" not in done.stderr
    assert "Traceback (most recent call last):\n  File " in done.stderr
    frames = [line for line in done.stderr.splitlines() if line.startswith("  File ")]
    # (`python -m job` shows runpy's own frames first: numguard run shows the program's)
    assert frames == [line for line in plain.stderr.splitlines()
                      if line.startswith("  File ") and "runpy" not in line]
    assert "limit: 256.0 MiB (limit=256MiB from numguard run --limit)" in done.stderr
    assert "expression: np.ones((20000, 1)) + np.ones((1, 20000))" in done.stderr
