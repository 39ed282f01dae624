"""The start-up switch as this source tree defines it (numguard-backstop.pth, _startup.py).

Each child starts with `python -S` and then runs site's own `addsitedir` on a folder
holding this tree's .pth file: exactly what start-up does with site-packages, but with
the .pth of this tree rather than whatever version was installed in the venv.

- Any NUMGUARD_* variable arms the process, mode "raise" by default; NUMGUARD_MODE=off
  means not armed.
- An invalid value is one line on stderr, and the program runs on.
- An editable install whose source folder moved: one line, once, not a traceback twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from backends import HANDLER

import numguard

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux overcommit")

TREE = Path(numguard.__file__).parent
PTH = TREE / "backstop" / "numguard-backstop.pth"
NUMPY_SITE = str(Path(np.__file__).parent.parent)
TERABYTE = "np.empty(2**37)"  # 1 TiB of float64: over any limit here, never allocated


def start(code: str, site_dirs: list[Path], *, pythonpath: str | None, **variables: str):
    """A fresh interpreter whose start-up reads the .pth files in `site_dirs`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMGUARD_", "PYTHONPATH"))}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.update(variables)
    prologue = f"import sys, site\nsys.path.append({NUMPY_SITE!r})\n" + "".join(
        f"site.addsitedir({str(folder)!r})\n" for folder in site_dirs)
    return subprocess.run(
        [sys.executable, "-S", "-c", prologue + textwrap.dedent(code)], check=False,
        capture_output=True, text=True, timeout=60, env=env, cwd=site_dirs[0],
    )


PROBE = f"""
import json, sys
import numpy as np
try:
    {TERABYTE}
except MemoryError:
    pass
state = sys.modules["numguard.backstop"].status() if "numguard.backstop" in sys.modules else {{}}
print(json.dumps([np._core.multiarray.get_handler_name(), state.get("armed"), state.get("mode"),
                  state.get("refusals")]))
"""


@pytest.mark.parametrize("variable, value", [
    ("NUMGUARD_MODE", "raise"), ("NUMGUARD_LIMIT", "256MiB"), ("NUMGUARD_INFLATION", "2"),
    ("NUMGUARD_RANK_PROMOTION", "warn"),
])
def test_any_numguard_variable_arms_with_mode_raise(site_dir, variable, value):
    done = start(PROBE, [site_dir], pythonpath=str(TREE.parent), **{variable: value})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [HANDLER, True, "raise", 1]


@pytest.mark.parametrize("variables", [{}, {"NUMGUARD_MODE": "off", "NUMGUARD_LIMIT": "1MiB"},
                                       {"NUMGUARD_LIMIT": "  "}])
def test_mode_off_or_nothing_set_is_not_armed(site_dir, variables):
    done = start("""
        import json, sys
        import numpy as np
        print(json.dumps([np._core.multiarray.get_handler_name(),
                          sorted(m for m in sys.modules if "numguard" in m)]))
    """, [site_dir], pythonpath=str(TREE.parent), **variables)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["default_allocator", []]


@pytest.mark.parametrize("variable, value, accepted", [
    ("NUMGUARD_LIMIT", "lots", "a whole byte count"),
    ("NUMGUARD_MODE", "rase", "raise | warn | log | off"),
    ("NUMGUARD_INFLATION", "0.5", "a factor of at least 1"),
])
def test_an_invalid_value_is_one_line_and_the_program_runs_armed(site_dir, variable, value, accepted):
    done = start("""
        import numpy as np
        print("ran", np._core.multiarray.get_handler_name())
    """, [site_dir], pythonpath=str(TREE.parent), **{variable: value})
    assert done.returncode == 0
    assert done.stdout.split() == ["ran", HANDLER]
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"numguard: {variable}={value!r} is not valid") and ": expected " in line
    assert accepted in line and line.endswith("(the default) instead.")


def editable_install(tmp_path: Path) -> tuple[Path, Path]:
    """A venv-like site folder (lib64 -> lib) with an editable install of a copy of numguard.

    The finder is setuptools' own, copied from this venv's editable install when there
    is one, with its mapping pointed at the copy.
    """
    source = tmp_path / "project"
    shutil.copytree(TREE, source / "numguard", ignore=shutil.ignore_patterns("__pycache__"))
    lib = tmp_path / "lib" / "site-packages"
    lib.mkdir(parents=True)
    (tmp_path / "lib64").symlink_to(tmp_path / "lib")
    finders = sorted(Path(NUMPY_SITE).glob("__editable___numguard_*_finder.py"))
    if not finders:
        pytest.skip("numguard is not installed in editable mode here")
    text = finders[0].read_text()
    start_of_mapping = text.index("MAPPING")
    end_of_mapping = text.index("\n", start_of_mapping)
    mapping = f"MAPPING: dict[str, str] = {{'numguard': {str(source / 'numguard')!r}}}"
    (lib / "__editable___numguard_copy_finder.py").write_text(
        text[:start_of_mapping] + mapping + text[end_of_mapping:])
    (lib / "__editable__.numguard-copy.pth").write_text(
        "import __editable___numguard_copy_finder; __editable___numguard_copy_finder.install()\n")
    shutil.copy(PTH, lib)
    return source, lib


def test_an_editable_install_whose_folder_moved_says_so_in_one_line(tmp_path):
    source, lib = editable_install(tmp_path)
    both = [lib, tmp_path / "lib64" / "site-packages"]  # what site reads in a venv
    armed = start(PROBE, both, pythonpath=None, NUMGUARD_MODE="raise")
    assert armed.returncode == 0, armed.stderr
    assert json.loads(armed.stdout.splitlines()[-1]) == [HANDLER, True, "raise", 1]

    source.rename(tmp_path / "moved")
    done = start("""
        import numpy as np
        print("ran", np._core.multiarray.get_handler_name())
    """, both, pythonpath=None, NUMGUARD_MODE="raise")
    assert done.returncode == 0
    assert done.stdout.split() == ["ran", "default_allocator"]
    (line,) = done.stderr.splitlines()
    assert line.startswith("numguard: a NUMGUARD_* variable is set, but LookupError: "
                           "the numguard package was not found")
    assert "source folder moved" in line and line.endswith("numguard is not armed.")
