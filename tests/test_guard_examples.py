"""Each example runs in a few seconds, exits 0, and shows what it is there to show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    return subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=EXAMPLES.parent)


@pytest.mark.parametrize("name, expected", [
    ("pipeline_wrapped.py", [
        "1. safe size (2,000 profiles), correct weights (2000, 1):",
        "scores (2000,), GuardedArray",
        "with guard(inflation=2) the toy run is caught:",
        "numguard stopped the production run before allocating:",
        "stretched along axis 1, 1 -> 200,000",
        "stretched along axis 0, 1 -> 5,000,000",
        "pipeline_wrapped.py:",
    ]),
    ("hot_section.py", [
        "settings in force: limit=256MiB, mode=raise",
        "nearest_centroid: labels (200000,)",
        "naive_distances refused:",
        "after the block: limit=80%",
        "nightly_features on 1,000 rows: (1000, 64)",
        "nightly_features on 200,000 rows refused:",
        "inner settings: limit=256MiB, mode=log",
    ]),
    ("production_switch.py", [
        "numguard armed itself when numpy was imported (handler: numguard_backstop)",
        "healthy step: (1, 20000) 160,000 bytes, fine",
        "exit status 1: refused before allocating, not OOM-killed",
    ]),
    ("environment_switch.py", [
        "$ (no NUMGUARD_ variables) python environment_switch.py --job",
        "step ran: result (2000, 500)",
        "$ NUMGUARD_LIMIT=1MiB python environment_switch.py --job",
        "step refused: numguard: `*` (np.multiply)",
        "stderr: MemoryLimitWarning:",
        "wrap() gave GuardedArray (mode off)",
        "stderr: numguard: NUMGUARD_LIMIT='lots' is not valid",
    ]),
])
def test_example_runs_and_shows_its_point(name, expected):
    proc = run_example(name)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in expected:
        assert line in proc.stdout, f"{line!r} missing from the output of {name}:\n{proc.stdout}"
