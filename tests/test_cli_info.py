"""`python -m numguard info`, run as a user would: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

ON_LINUX = sys.platform.startswith("linux")


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "numguard", *arguments], capture_output=True, text=True, timeout=60
    )


def test_cli_info_prints_versions_budget_sources_and_binding() -> None:
    import numpy

    import numguard

    done = run_cli("info")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"numguard {numguard.__version__}, numpy {numpy.__version__}, Python " in out
    assert "available: " in out and "binding:   " in out
    starred = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(starred) == 1
    binding_line = next(line for line in out.splitlines() if line.startswith("binding:"))
    assert binding_line.removeprefix("binding:   ").startswith(starred[0][2:])
    if ON_LINUX:
        assert "host MemAvailable" in out and "from /proc/meminfo" in out


def test_cli_info_json_is_consistent() -> None:
    done = run_cli("info", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["versions"]) == {"numguard", "numpy", "python", "platform"}
    reading = report["budget"]
    figures = [s["available"] for s in reading["sources"] if s["available"] is not None]
    assert reading["available"] == min(figures)
    (binding,) = [s for s in reading["sources"] if s["binding"]]
    assert binding["name"] == reading["binding_source"]
    assert binding["available"] == reading["available"]


def test_cli_without_a_command_shows_usage() -> None:
    done = run_cli()
    assert done.returncode == 2
    assert "info" in done.stderr
