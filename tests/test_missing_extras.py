"""An optional integration imported without its extra names the extra to install.

Each case runs in a subprocess whose import system refuses the integration's packages
(a meta-path finder that raises ModuleNotFoundError for them), started outside the
source tree so that it imports numguard as installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BLOCKED_IMPORT = textwrap.dedent(
    """
    import sys

    class Missing:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Missing())
    try:
        import {module}
    except ImportError as error:
        print(type(error).__name__, error, sep=": ")
        print("cause:", type(error.__cause__).__name__)
    else:
        print("imported")
    """
)


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("numguard.ipython", ("IPython",), "pip install 'numguard[jupyter]'"),
        ("numguard.dask", ("dask", "distributed"), "pip install 'numguard[dask]'"),
    ],
)
def test_missing_extra_names_it(tmp_path, module, blocked, extra):
    code = BLOCKED_IMPORT.format(blocked=set(blocked), module=module)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"ImportError: {module} needs "), done.stdout
    assert extra in lines[0]
    assert lines[0].split("(")[1].split(" is missing")[0] in blocked
    assert lines[1] == "cause: ModuleNotFoundError"


def test_numguard_imports_without_the_extras(tmp_path):
    """`import numguard` itself needs neither IPython nor dask."""
    code = BLOCKED_IMPORT.format(blocked={"IPython", "dask", "distributed"},
                                 module="numguard")
    done = subprocess.run([sys.executable, "-c", code + "print(sorted(m for m in sys.modules"
                           " if m.split('.')[0] in {'IPython', 'dask', 'distributed'}))"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["imported", "[]"]
