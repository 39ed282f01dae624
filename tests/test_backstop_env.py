"""The production switch, as a container runs it: fresh interpreters, scripts that never
import numguard, NUMGUARD_* in the environment (the start-up hook, numguard-backstop.pth).

Every refused operation here asks for about 3 GB and gets nothing: peak RSS is checked.
The one allowed over-limit operation (mode "log") allocates 300 MB.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from backends import HANDLER

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux RSS and overcommit")

INCIDENT = "np.ones((20000, 1)) + np.ones((1, 20000))"  # a 3.2 GB float64 result
FAR_BELOW_3GB = 512 * 1024  # KiB, VmHWM's unit


def child_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(variables)
    return env


def run_python(code: str, *, cwd: Path | None = None, args: tuple[str, ...] = (), **variables: str):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        check=False, capture_output=True, text=True, timeout=60, env=child_env(**variables), cwd=cwd,
    )


def last_json(stdout: str):
    return json.loads(stdout.strip().splitlines()[-1])


def test_the_start_up_hook_is_installed():
    places = [*site.getsitepackages(), site.getusersitepackages()]
    assert any(Path(p, "numguard-backstop.pth").is_file() for p in places), (
        "numguard-backstop.pth is not in site-packages: reinstall with pip install -e ."
    )


@pytest.mark.parametrize("mode", [None, "", "off"])
def test_unset_or_off_the_hook_imports_nothing(mode):
    variables = {} if mode is None else {"NUMGUARD_MODE": mode}
    done = run_python(
        """
        import json, sys
        before = sorted(m for m in sys.modules if m.startswith(("numguard", "numpy")))
        import numpy as np
        after = sorted(m for m in sys.modules if m.startswith("numguard"))
        watchers = [f for f in sys.meta_path if getattr(f, "numguard_watcher", False)]
        print(json.dumps([before, after, len(watchers), np._core.multiarray.get_handler_name()]))
        """,
        **variables,
    )
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == [[], [], 0, "default_allocator"]


def test_set_the_hook_waits_for_numpy():
    done = run_python(
        """
        import json, sys
        loaded = sorted(m for m in sys.modules if m.startswith(("numguard", "numpy")))
        watchers = [f for f in sys.meta_path if getattr(f, "numguard_watcher", False)]
        print(json.dumps([loaded, len(watchers)]))
        """,
        NUMGUARD_MODE="raise",
    )
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == [[], 1]


UNMODIFIED_PIPELINE = f"""
import json, resource, sys, threading
from concurrent.futures import ThreadPoolExecutor
import numpy as np

def step():
    try:
        {INCIDENT}
    except MemoryError as error:
        return str(error)
    return "allocated"

outcomes = {{"main": step()}}
worker = threading.Thread(target=lambda: outcomes.update(thread=step()))
worker.start(); worker.join()
with ThreadPoolExecutor(2) as pool:
    outcomes["executor"] = pool.submit(step).result()
outcomes["handler"] = np._core.multiarray.get_handler_name()
outcomes["numguard imported"] = "numguard" in sys.modules
# this process's own high-water mark (ru_maxrss keeps the parent's across fork and exec)
outcomes["peak_kib"] = next(int(line.split()[1]) for line in open("/proc/self/status")
                            if line.startswith("VmHWM:"))
print(json.dumps(outcomes))
"""


def test_raise_refuses_before_allocating_in_main_thread_thread_and_executor(tmp_path):
    script = tmp_path / "pipeline.py"
    script.write_text(UNMODIFIED_PIPELINE)
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=60,
        env=child_env(NUMGUARD_MODE="raise", NUMGUARD_LIMIT="256MiB"),
    )
    assert done.returncode == 0, done.stderr
    outcome = last_json(done.stdout)
    for where in ("main", "thread", "executor"):
        assert "Unable to allocate 2.98 GiB" in outcome[where], where
        assert "shape (20000, 20000) and data type float64" in outcome[where], where
    assert outcome["handler"] == HANDLER
    assert outcome["numguard imported"] is True
    assert outcome["peak_kib"] < FAR_BELOW_3GB, outcome["peak_kib"]
    # No logging configured: the record still shows, on stderr, once per refusal.
    assert done.stderr.count("numguard: `+` (np.add) would allocate 3.0 GiB") == 3
    assert "limit: 256.0 MiB (limit=256MiB from NUMGUARD_LIMIT)" in done.stderr
    assert f"{script}:8: {INCIDENT}" in done.stderr


def test_without_the_variable_the_same_script_allocates(tmp_path):
    # The control experiment, at a size that is safe to really allocate.
    script = tmp_path / "pipeline.py"
    script.write_text(UNMODIFIED_PIPELINE.replace("20000", "2000"))
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=60,
        env=child_env(NUMGUARD_MODE="off", NUMGUARD_LIMIT="1MiB"),  # any other NUMGUARD_* arms
    )
    assert done.returncode == 0, done.stderr
    outcome = last_json(done.stdout)
    assert [outcome[w] for w in ("main", "thread", "executor")] == ["allocated"] * 3
    assert outcome["handler"] == "default_allocator" and not outcome["numguard imported"]


def test_log_mode_allows_and_emits_the_record(tmp_path):
    script = tmp_path / "logged.py"
    script.write_text(textwrap.dedent("""
        import json, logging
        import numpy as np

        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append({k: getattr(record, k, None) for k in (
                    "name", "levelname", "numguard_rule", "action", "nbytes", "limit",
                    "limit_text", "mode", "available", "binding", "site", "allocator")})
        logging.getLogger().addHandler(Keep())

        result = np.ones((5000, 1)) + np.ones((1, 7500))  # 300 MB
        print(json.dumps([result.nbytes, float(result[-1, -1]), records]))
    """))
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=60,
        env=child_env(NUMGUARD_MODE="log", NUMGUARD_LIMIT="256MiB"),
    )
    assert done.returncode == 0, done.stderr
    nbytes, last, records = last_json(done.stdout)
    assert (nbytes, last) == (300_000_000, 2.0)
    (record,) = records
    assert record["name"] == "numguard" and record["levelname"] == "WARNING"
    assert record["numguard_rule"] == "backstop" and record["action"] == "allowed"
    assert record["nbytes"] == 300_000_000 and record["limit"] == 256 * 2**20
    assert record["limit_text"] == "256MiB" and record["mode"] == "log"
    assert record["available"] > 0 and record["binding"]
    assert record["site"] == f"{script}:13"
    assert record["allocator"] == "malloc"
    assert "numguard: a NumPy allocation" not in done.stderr  # logging is configured: no stderr copy


def test_an_invalid_value_fails_safe_armed_with_the_default_in_one_line():
    # #20.7: a bad value arms the process with that setting's default (it used to run
    # unprotected), in one line naming the value, what is accepted and what was used.
    done = run_python("import numpy; print(numpy._core.multiarray.get_handler_name())",
                      NUMGUARD_MODE="raise", NUMGUARD_LIMIT="lots")
    assert done.returncode == 0
    assert done.stdout.split() == [HANDLER]
    (line,) = done.stderr.splitlines()
    assert line.startswith("numguard: NUMGUARD_LIMIT='lots' is not valid")
    assert "expected a whole byte count" in line
    assert line.endswith("using limit=80% (the default) instead.")


def test_a_misspelt_mode_arms_in_raise_mode_and_refuses():
    # The reproducer: NUMGUARD_MODE=raize used to print one line and run
    # unprotected with exit 0.
    done = run_python(f"""
        import numpy as np
        try:
            {INCIDENT}
            print("allocated")
        except MemoryError:
            print("refused")
        """, NUMGUARD_MODE="raize", NUMGUARD_LIMIT="256MiB")
    assert done.stdout.split() == ["refused"], done.stderr
    assert "NUMGUARD_MODE='raize' is not valid" in done.stderr
    assert "using mode=raise (the default) instead." in done.stderr


def test_the_ctypes_fallback_behaves_the_same():
    done = run_python(
        f"""
        import json, numpy as np, numguard.backstop as backstop
        try:
            {INCIDENT}
            outcome = "allocated"
        except MemoryError as error:
            outcome = str(error)
        small = float(np.ones(1000).sum() + np.zeros((10, 10)).sum())
        print(json.dumps([outcome, small, backstop.status()["backend"],
                          np._core.multiarray.get_handler_name()]))
        """,
        NUMGUARD_MODE="raise", NUMGUARD_LIMIT="256MiB", NUMGUARD_BACKSTOP_BACKEND="ctypes",
    )
    assert done.returncode == 0, done.stderr
    outcome, small, backend, handler = last_json(done.stdout)
    assert "Unable to allocate 2.98 GiB" in outcome
    assert (small, backend, handler) == (1000.0, "ctypes", "numguard_backstop_ctypes")
