"""Arming that costs nothing: a process armed at start-up imports only what judges.

`NUMGUARD_MODE=raise python -c "import numpy"` arms numguard inside NumPy's import
(numguard-backstop.pth, _startup.py). What it loads is paid by every armed process,
most of which never trip: the settings, the limits, the budget and its monitor, the
handler and the judge. The projection layer, the report formatter, the diagnosis,
growth, the guarded classes, `ast`, `executing` and pytest load on first use: the
package's public names through PEP 562 (`numguard.__getattr__`), the report where a
request trips.

Each child starts with `python -S` and runs site's own `addsitedir` on a folder holding
this tree's .pth file (as tests/test_backstop_startup.py does), so what is measured is
this source tree, whatever version is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from backends import HANDLER

import numguard

TREE = Path(numguard.__file__).parent
NUMPY_SITE = str(Path(np.__file__).parent.parent)  # pytest, executing... are there too

#: What an armed `import numpy` may load: what judges a request (by module prefix).
JUDGING = frozenset({
    "numguard", "numguard.backstop", "numguard.environment", "numguard.forksafe",
    "numguard.limits", "numguard.memory", "numguard.policy", "numguard.settings",
})
#: What must stay lazy: loaded on first use, never by arming (by module prefix). A
#: numguard module belongs to exactly one of JUDGING and MUST_STAY_LAZY (see
#: test_every_numguard_module_is_classified), the longest prefix deciding.
MUST_STAY_LAZY = frozenset({
    # numguard's own: what projects, reports, diagnoses and wraps
    "numguard.__main__", "numguard.backstop._report", "numguard.dask", "numguard.diagnosis",
    "numguard.errors", "numguard.growth", "numguard.guarded", "numguard.ipython",
    "numguard.projection", "numguard.pytest_plugin", "numguard.report", "numguard.scope",
    # what those bring: the source reader, the test runner, the notebook
    "executing", "pytest", "_pytest", "IPython", "dask",
    # the standard library's heavier parts, when NumPy itself does not load them
    "ast", "dis", "inspect", "linecache", "logging", "tokenize",
})


def bucket(module: str) -> str | None:
    """The longest prefix of `module` named in JUDGING or MUST_STAY_LAZY, else None."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in JUDGING or prefix in MUST_STAY_LAZY:
            return prefix
    return None


def start(code: str, site_dir: Path, cwd: Path | None = None, **variables: str):
    """A fresh interpreter whose start-up reads this tree's .pth (from `site_dir`)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUMGUARD_", "PYTHONPATH"))}
    env["PYTHONPATH"] = str(TREE.parent)
    env.update(variables)
    prologue = (f"import sys, site\nsys.path.append({NUMPY_SITE!r})\n"
                f"site.addsitedir({str(site_dir)!r})\n")
    return subprocess.run(
        [sys.executable, "-S", "-c", prologue + textwrap.dedent(code)], check=False,
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd or site_dir,
    )


LOADED = """
import json, sys
before = set(sys.modules)
import numpy as np
handler = np._core.multiarray.get_handler_name()
print(json.dumps([handler, sorted(set(sys.modules) - before)]))
"""


def loaded_by_import_numpy(site_dir: Path, **variables: str) -> tuple[str, set[str]]:
    done = start(LOADED, site_dir, **variables)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    handler, modules = json.loads(done.stdout.splitlines()[-1])
    return handler, set(modules)


@pytest.mark.parametrize("backend", [{}, {"NUMGUARD_NO_C": "1"}], ids=["c", "ctypes"])
def test_armed_import_numpy_loads_only_what_judges(site_dir, backend):
    _, unarmed = loaded_by_import_numpy(site_dir, **backend)
    handler, armed = loaded_by_import_numpy(site_dir, NUMGUARD_MODE="raise", **backend)
    assert handler.startswith("numguard_backstop")  # armed indeed
    assert "numguard.backstop._judge" in armed
    added = armed - unarmed  # what arming loaded: NumPy's own imports are not numguard's
    lazy = sorted(name for name in added if bucket(name) in MUST_STAY_LAZY)
    assert lazy == [], f"arming loaded what must stay lazy: {lazy}"
    unclassified = sorted(name for name in added
                          if name.startswith("numguard") and bucket(name) is None)
    assert unclassified == []


NUMGUARD_FIRST = """
import json, sys
import numguard
import numpy as np
print(json.dumps([np._core.multiarray.get_handler_name(), sorted(sys.modules)]))
"""


def test_importing_numguard_before_numpy_arms_without_a_word(site_dir):
    """`import numguard` first: NumPy's import (where the hook arms) comes before the
    backstop's own, so the hook finds numguard.backstop whole, not half-imported."""
    done = start(NUMGUARD_FIRST, site_dir, NUMGUARD_MODE="raise")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    handler, modules = json.loads(done.stdout.splitlines()[-1])
    assert handler == HANDLER
    assert [name for name in modules if name.startswith("numguard")
            and bucket(name) in MUST_STAY_LAZY] == []


def test_every_numguard_module_is_classified():
    """The registries are complete: a new module says whether arming may load it."""
    modules = set()
    for path in TREE.rglob("*.py"):
        parts = path.relative_to(TREE.parent).with_suffix("").parts
        modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    unclassified = sorted(name for name in modules if bucket(name) is None)
    assert unclassified == []
    for name in (JUDGING | MUST_STAY_LAZY):
        if name.startswith("numguard"):
            assert any(m == name or m.startswith(name + ".") for m in modules), name


PUBLIC = """
import json, sys
import numpy as np
import numguard
before = sorted(name for name in sys.modules if name.startswith("numguard."))
names = {name: type(getattr(numguard, name)).__name__ for name in numguard.__all__}
from numguard import GuardedArray, estimate, guard, scaling, wrap, unwrap, NumguardError
namespace = {}
exec("from numguard import *", namespace)
same = all(namespace[name] is getattr(numguard, name) for name in numguard.__all__)
import numguard.guarded, numguard.projection, numguard.scope, numguard.growth, numguard.errors
home = [numguard.GuardedArray is numguard.guarded.GuardedArray,
        numguard.estimate is numguard.projection.estimate,
        numguard.guard is numguard.scope.guard, numguard.scaling is numguard.growth.scaling,
        numguard.NumguardError is numguard.errors.NumguardError]
print(json.dumps([before, names, same, home, sorted(set(numguard.__all__) - set(dir(numguard))),
                  hasattr(numguard, "no_such_name")]))
"""


def test_every_public_name_still_resolves_in_an_armed_process(site_dir):
    done = start(PUBLIC, site_dir, NUMGUARD_MODE="raise")
    assert done.returncode == 0, done.stderr
    before, names, same, home, missing_from_dir, has_nonsense = json.loads(
        done.stdout.splitlines()[-1])
    assert not any(bucket(name) in MUST_STAY_LAZY for name in before)  # lazy until asked
    assert set(names) == set(numguard.__all__)
    assert names["GuardedArray"] == "type" and names["estimate"] == "function"
    assert same and all(home)
    assert missing_from_dir == []
    assert has_nonsense is False


def test_lazy_registry_is_complete():
    """Every public name is either loaded by `import numguard` or named in numguard._LAZY,
    and each lazy name lives where the registry says."""
    import importlib

    eager = {name for name in numguard.__all__ if name in vars(numguard)} - set(numguard._LAZY)
    assert set(numguard._LAZY) <= set(numguard.__all__)
    for name in numguard.__all__:
        assert name in eager or name in numguard._LAZY, name
    for name, module in numguard._LAZY.items():
        assert getattr(importlib.import_module(module), name) is getattr(numguard, name)
    for name in numguard._SUBMODULES:
        assert getattr(numguard, name) is importlib.import_module(f"numguard.{name}")
    with pytest.raises(AttributeError, match="no_such_name"):
        numguard.no_such_name  # noqa: B018
    assert set(numguard.__all__) <= set(dir(numguard))


INCIDENT = """\
import sys
import numpy as np

a = np.ones((200000, 1))
b = np.ones((1, 5000000))
lazy = sorted(name for name in sys.modules
              if name.startswith(("numguard.report", "numguard.diagnosis", "numguard.projection")))
print("loaded before the refusal:", lazy, flush=True)
try:
    c = a + b
except MemoryError as error:
    print("refused:", type(error).__name__, flush=True)
"""


def test_a_refusal_in_an_armed_process_still_diagnoses_fully(site_dir, tmp_path):
    """The report and the diagnosis load on the first refusal, and say all they said."""
    script = tmp_path / "incident.py"
    script.write_text(INCIDENT)
    done = start(f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'))",
                 site_dir, NUMGUARD_MODE="raise")
    assert done.returncode == 0, done.stderr
    assert "loaded before the refusal: []" in done.stdout
    assert "refused: MemoryError" in done.stdout
    message = done.stderr
    for line in ("numguard: `+` (np.add) would allocate 7.3 TiB for a (200000, 5000000) "
                 "float64 result.",
                 "expression: a + b",
                 "operand 0: a: (200000, 1) float64",
                 "operand 1: b: (1, 5000000) float64",
                 "broadcast: operand 0 stretched along axis 1, 1 -> 5,000,000",
                 f"at {script}:10: c = a + b",
                 "to proceed: operands were repeated to fit each other"):
        assert line in message, message
