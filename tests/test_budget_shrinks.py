"""#21.8: memory that shrinks after arming is followed by the backstop's fast bound.

enable() used to set the C fast bound from the budget at that moment (364 MiB here);
after RLIMIT_AS was lowered to leave 200 MiB, requests of 180-300 MiB were never judged.
Now no reading older than the monitor's MAX_AGE is trusted above the 1 MiB floor.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import numguard
from numguard import backstop
from numguard.memory import monitor as monitor_module

from cgroup_fixtures import GiB, MiB, FakeSystem

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux budgets")


@pytest.mark.parametrize("where", ["armed", "block"])
@pytest.mark.parametrize("backend", ["c", "ctypes"])
def test_a_request_after_rlimit_as_is_lowered_is_judged_by_the_new_budget(where, backend):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env["NUMGUARD_BACKSTOP_BACKEND"] = backend
    code = textwrap.dedent("""
        import json, resource, sys, time
        import numpy as np, numguard
        from numguard import backstop

        where = sys.argv[1]
        if where == "armed":
            numguard.enable()
        block = numguard.guard() if where == "block" else None
        if block is not None:
            block.__enter__()
        np.empty(400 * 2**20, dtype=np.uint8)  # a decision on the full budget: the bound rises
        def vm_size():
            for line in open("/proc/self/status"):
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm_size() + 200 * 2**20, resource.RLIM_INFINITY))
        time.sleep(0.15)  # older than MAX_AGE: the reading is not trusted any more
        before = backstop.status()["refusals"]
        try:
            np.empty(180 * 2**20, dtype=np.uint8)  # under RLIMIT_AS, over 80% of what is left
            outcome = "allowed"
        except MemoryError:
            outcome = "refused"
        print(json.dumps([outcome, backstop.status()["refusals"] - before]))
    """)
    done = subprocess.run([sys.executable, "-c", code, where], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == ["refused", 1]  # numguard's, not malloc's


@pytest.fixture
def shrinking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The process's budget read from a fake cgroup v2 (24 GiB, 1 GiB in use) whose usage
    the test can raise, with the real clock: what the C fast path compares with."""
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (-1, -1))
    fake = FakeSystem(tmp_path, total=64 * GiB, available=60 * GiB)
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=24 * GiB, current=1 * GiB)
    fake.finish()
    watched = monitor_module.BudgetMonitor(**fake.roots())
    monkeypatch.setattr(monitor_module, "default_monitor", watched)
    yield fake, mount / "app" / "memory.current"
    watched.close()


def test_a_cgroup_that_fills_up_after_arming_lowers_the_fast_bound(shrinking):
    fake, usage = shrinking
    numguard.enable()
    try:
        np.empty(400 * MiB, dtype=np.uint8)  # judged on 23 GiB available: allowed
        assert backstop.status()["fast_max"] >= 300 * MiB
        fake.write(usage, f"{24 * GiB - 200 * MiB}\n")  # 200 MiB left
        time.sleep(monitor_module.MAX_AGE * 1.5)
        with pytest.raises(MemoryError):
            np.empty(180 * MiB, dtype=np.uint8)  # 80% of 200 MiB is 160 MiB
        assert backstop.status()["fast_max"] < 180 * MiB
        assert np.ones(1000).sum() == 1000.0  # small requests still pass in C
    finally:
        numguard.disable()


def test_a_request_over_any_budget_is_refused_without_reading_again(shrinking, monkeypatch):
    # #24.5: refusing the 7.3 TiB incident re-read every source (27 us of its 60 us); a
    # request over a share of the smallest limit (here the cgroup's 24 GiB) is refused
    # whatever the usage, so a recent reading decides it.
    from numguard.memory import monitor
    from numguard.policy import judge_bytes
    from numguard.settings import Settings

    monitor.default_monitor.refresh()
    reads = []
    real = monitor.default_monitor._read
    monkeypatch.setattr(monitor.default_monitor, "_read", lambda: reads.append(1) or real())
    trip = judge_bytes(8 * 10**12, Settings())
    assert trip is not None and trip.rule == "memory" and reads == []
    # 10 GiB is under 80% of the 24 GiB ceiling: the usage decides, so it is read afresh
    assert judge_bytes(10 * GiB, Settings()) is None
    assert reads == [1]
