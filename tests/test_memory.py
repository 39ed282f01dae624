"""numguard.memory: every source, the smallest-wins rule, robustness, and the cache policy."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from cgroup_fixtures import V1_NO_LIMIT, FakeSystem, GiB, KiB, MiB
from hypothesis import given
from hypothesis import strategies as st

import numguard.memory.monitor as monitor_module
from numguard.memory import Budget, BudgetMonitor, Source, budget, budget_for, format_bytes
from numguard.memory.files import FileReader
from numguard.memory.sources import ProcessRlimit

INFINITY = resource.RLIM_INFINITY
ON_LINUX = sys.platform.startswith("linux")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSystem:
    """A fake system whose process has no rlimits, whatever the real test process has."""
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (INFINITY, INFINITY))
    return FakeSystem(tmp_path)


def by_name(reading: Budget) -> dict[str, Source]:
    return {source.name: source for source in reading.sources}


# -- format_bytes and the model ------------------------------------------------------------


def test_budget_describe_is_the_one_report() -> None:
    cgroup = Source("cgroup v2 memory.max of /app", GiB, 2 * GiB, GiB, "/sys/fs/cgroup/app/memory.max")
    skipped = Source("RLIMIT_AS", None, origin="getrlimit(RLIMIT_AS)", note="no limit (unlimited)")
    reading = Budget.from_sources((cgroup, skipped), taken_at=0.0)
    assert str(reading) == reading.describe() == "\n".join(
        [
            f"available: 1.0 GiB ({GiB} bytes)",
            "binding:   cgroup v2 memory.max of /app: 2.0 GiB limit, 1.0 GiB in use, 1.0 GiB available",
            "",
            "sources (smallest available wins; * binds):",
            "* cgroup v2 memory.max of /app",
            "    available 1.0 GiB, limit 2.0 GiB, in use 1.0 GiB",
            "    from /sys/fs/cgroup/app/memory.max",
            "  RLIMIT_AS",
            "    no limit (unlimited)",
            "    from getrlimit(RLIMIT_AS)",
        ]
    )


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (17, "17 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (512 * MiB, "512.0 MiB"),
        (2 * GiB, "2.0 GiB"),
        (8 * 1024 * GiB, "8.0 TiB"),
        (1024 * MiB - 1, "1.0 GiB"),  # would round to "1024.0 MiB"
        (-3 * MiB, "-3.0 MiB"),
        (2**63 - 1, "8.0 EiB"),
    ],
)
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


def test_source_describes_itself_as_the_issue_asks() -> None:
    source = Source(
        "cgroup v2 memory.max of /kubepods/pod1/app",
        available=int(0.7 * GiB),
        limit=2 * GiB,
        used=int(1.3 * GiB),
        origin="/sys/fs/cgroup/kubepods/pod1/app/memory.max",
    )
    assert source.describe().startswith(
        "cgroup v2 memory.max of /kubepods/pod1/app: 2.0 GiB limit, 1.3 GiB in use"
    )
    skipped = Source("cgroup v2 memory.max of /", None, origin="x", note="no limit ('max')")
    assert skipped.describe() == "cgroup v2 memory.max of /: no limit ('max')"


source_strategy = st.builds(
    Source,
    name=st.text(min_size=1, max_size=8),
    available=st.none() | st.integers(min_value=0, max_value=2**62),
)


@given(st.lists(source_strategy, max_size=8))
def test_smallest_available_wins(sources: list[Source]) -> None:
    reading = Budget.from_sources(tuple(sources), taken_at=1.0)
    figures = [s.available for s in sources if s.available is not None]
    if figures:
        assert reading.available == min(figures)
        assert any(s is reading.binding_source for s in sources)
        assert reading.binding == reading.binding_source.describe()
    else:
        assert reading.available == 2**63 - 1
        assert reading.binding_source.name == "no source readable"
    assert json.loads(json.dumps(reading.to_dict()))["available"] == reading.available


# -- cgroup v1 ------------------------------------------------------------------------------


def test_cgroup_v1_limit_less_working_set(fake: FakeSystem) -> None:
    mount = fake.mount_v1()
    fake.member(v1="/app")
    fake.v1_cgroup(mount)
    fake.v1_cgroup(mount / "app", limit=2 * GiB, usage=int(1.5 * GiB), inactive=GiB // 2)
    reading = fake.budget()
    assert reading.available == GiB
    assert reading.binding_source.name == "cgroup v1 memory.limit_in_bytes of /app"
    assert reading.binding == "cgroup v1 memory.limit_in_bytes of /app: 2.0 GiB limit, 1.0 GiB in use, 1.0 GiB available"
    assert reading.binding_source.origin == str(mount / "app" / "memory.limit_in_bytes")
    root = by_name(reading)["cgroup v1 memory.limit_in_bytes of /"]
    assert root.available is None and root.note == f"no limit ({V1_NO_LIMIT})"


def test_cgroup_v1_hierarchical_limit_covers_invisible_ancestors(fake: FakeSystem) -> None:
    mount = fake.mount_v1()
    fake.member(v1="/")
    fake.v1_cgroup(mount, usage=300 * MiB, hierarchical=GiB)
    reading = fake.budget()
    assert reading.binding_source.name == "cgroup v1 hierarchical_memory_limit of /"
    assert reading.available == GiB - 300 * MiB


def test_cgroup_v1_path_absent_under_mount_falls_back_to_mount_root(fake: FakeSystem) -> None:
    # /proc/self/cgroup names the host's path; the container only sees its own cgroup.
    mount = fake.mount_v1()
    fake.member(v1="/process_api/e5804f51")
    fake.v1_cgroup(mount, limit=3 * GiB, usage=GiB)
    reading = fake.budget()
    assert reading.available == 2 * GiB
    assert reading.binding_source.origin == str(mount / "memory.limit_in_bytes")
    assert "/process_api/e5804f51 not visible" in reading.binding_source.note


def test_cgroup_v1_mount_root_is_subtracted_from_the_cgroup_path(fake: FakeSystem) -> None:
    # A bind mount whose root is the container's cgroup, without a cgroup namespace.
    mount = fake.mount_v1(root="/docker/abc")
    fake.member(v1="/docker/abc/worker")
    fake.v1_cgroup(mount, limit=4 * GiB, usage=3 * GiB)
    fake.v1_cgroup(mount / "worker", limit=2 * GiB, usage=GiB)
    reading = fake.budget()
    names = list(by_name(reading))
    assert "cgroup v1 memory.limit_in_bytes of /docker/abc/worker" in names
    assert "cgroup v1 memory.limit_in_bytes of /docker/abc" in names
    assert reading.binding_source.name == "cgroup v1 memory.limit_in_bytes of /docker/abc/worker"
    assert reading.available == GiB


# -- cgroup v2 ------------------------------------------------------------------------------


def test_cgroup_v2_limit_less_working_set(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=2 * GiB, current=int(1.5 * GiB), inactive=GiB // 2)
    reading = fake.budget()
    assert reading.binding_source.name == "cgroup v2 memory.max of /app"
    assert reading.available == GiB
    assert reading.binding_source.used == GiB
    assert reading.binding_source.limit == 2 * GiB


def test_nested_cgroup_v2_parent_tighter_than_child_binds(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/kubepods/pod1/app")
    fake.v2_cgroup(mount / "kubepods", max=8 * GiB, current=3 * GiB)
    fake.v2_cgroup(mount / "kubepods" / "pod1", max=int(1.5 * GiB), current=int(1.2 * GiB))
    fake.v2_cgroup(mount / "kubepods" / "pod1" / "app", max=4 * GiB, current=GiB)
    reading = fake.budget()
    assert reading.binding_source.name == "cgroup v2 memory.max of /kubepods/pod1"
    assert reading.available == int(1.5 * GiB) - int(1.2 * GiB)
    child = by_name(reading)["cgroup v2 memory.max of /kubepods/pod1/app"]
    assert child.available == 3 * GiB
    # The real root cgroup has no memory.max: it is listed as missing, not an error.
    assert by_name(reading)["cgroup v2 memory.max of /"].note == "missing"


def test_cgroup_v2_max_means_no_limit(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max="max", high="max")
    reading = fake.budget()
    assert reading.binding_source.name == "host MemAvailable"
    assert reading.available == 12 * GiB
    app = by_name(reading)["cgroup v2 memory.max of /app"]
    assert (app.available, app.note) == (None, "no limit ('max')")


def test_cgroup_v2_memory_high_counts_as_a_limit(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=4 * GiB, high=2 * GiB, current=GiB)
    reading = fake.budget()
    assert reading.binding_source.name == "cgroup v2 memory.high of /app"
    assert reading.available == GiB
    assert by_name(reading)["cgroup v2 memory.max of /app"].available == 3 * GiB


def test_cgroup_v2_namespaced_container_reads_its_mount_root(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/")
    fake.v2_cgroup(mount, max=GiB, current=256 * MiB)
    reading = fake.budget()
    assert reading.binding_source.name == "cgroup v2 memory.max of /"
    assert reading.available == 768 * MiB


def test_no_memory_controller_on_cgroup_v2(fake: FakeSystem) -> None:
    # This machine's layout: memory on v1 elsewhere, a v2 'unified' mount without it.
    fake.mount_v2(mount_point="/sys/fs/cgroup/unified", controllers="hugetlb")
    fake.member(v2="/")
    reading = fake.budget()
    v2 = by_name(reading)["cgroup v2 memory"]
    assert (v2.available, v2.note) == (None, "no memory controller")
    assert reading.binding_source.name == "host MemAvailable"


def test_no_cgroup_mounted_at_all(fake: FakeSystem) -> None:
    reading = fake.budget()
    sources = by_name(reading)
    assert sources["cgroup v1 memory"].note == "not mounted"
    assert sources["cgroup v2 memory"].note == "not mounted"
    assert reading.binding_source.name == "host MemAvailable"
    assert reading.available == 12 * GiB


def test_without_mountinfo_the_conventional_layout_is_used(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=GiB, current=0)
    fake.finish()
    (fake.proc / "self" / "mountinfo").unlink()
    reading = budget(**fake.roots())
    assert reading.binding_source.name == "cgroup v2 memory.max of /app"
    assert reading.available == GiB


# -- robustness: garbage, missing, unreadable ------------------------------------------------


def test_garbage_limit_is_skipped_and_the_next_source_used(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max="abc", high=2 * GiB, current=GiB)
    reading = fake.budget()
    broken = by_name(reading)["cgroup v2 memory.max of /app"]
    assert (broken.available, broken.note) == (None, "malformed: 'abc'")
    assert reading.binding_source.name == "cgroup v2 memory.high of /app"
    assert reading.available == GiB


def test_garbage_meminfo_and_cgroup_files_never_raise(fake: FakeSystem) -> None:
    mount = fake.mount_v1()
    fake.member(v1="/app")
    fake.v1_cgroup(mount / "app", limit=2 * GiB, usage=GiB)
    fake.write(fake.proc / "meminfo", "MemTotal: lots kB\nMemAvailable: \x00\xff kB\n")
    fake.write(mount / "app" / "memory.stat", "\x00garbage without the keys\n")
    reading = fake.budget()
    host = by_name(reading)["host MemAvailable"]
    assert host.available is None and host.note.startswith("malformed: ")
    # memory.stat garbage: the usage is taken whole, which only errs low, and said so.
    binding = reading.binding_source
    assert binding.name == "cgroup v1 memory.limit_in_bytes of /app"
    assert binding.available == GiB
    assert "inactive file cache not subtracted" in binding.note
    assert by_name(reading)["cgroup v1 hierarchical_memory_limit of /app"].note.startswith("malformed")


def test_garbage_membership_and_mountinfo_lines_are_ignored(fake: FakeSystem) -> None:
    fake.mount_lines.append("not a mountinfo line at all")
    fake.mount_lines.append("1 2 3 - cgroup2")
    fake.membership_lines += ["garbage", "::::", "7:memory"]
    reading = fake.budget()
    assert reading.binding_source.name == "host MemAvailable"
    assert reading.available == 12 * GiB


def test_missing_usage_file_leaves_the_limit_without_a_figure(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=GiB)
    (mount / "app" / "memory.current").unlink()
    reading = fake.budget()
    app = by_name(reading)["cgroup v2 memory.max of /app"]
    assert app.available is None
    assert app.limit == GiB
    assert app.note == "memory.current missing"
    assert reading.binding_source.name == "host MemAvailable"


def test_missing_proc_files(fake: FakeSystem) -> None:
    fake.finish()
    (fake.proc / "meminfo").unlink()
    (fake.proc / "self" / "cgroup").unlink()
    reading = budget(**fake.roots())
    sources = by_name(reading)
    assert sources["host MemAvailable"].note == "missing"
    assert sources["cgroup v1 memory"].note.endswith("cgroup missing")
    # Nothing numguard reads itself was readable: psutil steps in.
    assert reading.binding_source.name == "psutil virtual_memory().available"


def test_unreadable_file_is_reported_with_its_error(fake: FakeSystem) -> None:
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", high=GiB, current=0)
    (mount / "app" / "memory.max").unlink()
    (mount / "app" / "memory.max").mkdir()  # reading a directory fails, even as root
    reading = fake.budget()
    broken = by_name(reading)["cgroup v2 memory.max of /app"]
    assert broken.note == "unreadable: IsADirectoryError"
    assert reading.binding_source.name == "cgroup v2 memory.high of /app"


def test_nothing_readable_falls_back_to_psutil(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    class Memory:
        total, available = 8 * GiB, 5 * GiB

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Memory)
    fake.finish()
    (fake.proc / "meminfo").unlink()
    reading = budget(**fake.roots())
    assert reading.binding_source.name == "psutil virtual_memory().available"
    assert reading.available == 5 * GiB


def test_nothing_at_all_readable_assumes_no_limit(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    def broken() -> None:
        raise RuntimeError("no /proc")

    monkeypatch.setattr(psutil, "virtual_memory", broken)
    fake.finish()
    (fake.proc / "meminfo").unlink()
    reading = budget(**fake.roots())
    assert reading.available == 2**63 - 1
    assert reading.binding_source.name == "no source readable"
    assert by_name(reading)["psutil virtual_memory().available"].note == "unreadable: RuntimeError"


def test_off_linux_psutil_is_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    class Memory:
        total, available = 16 * GiB, 9 * GiB

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Memory)
    reading = budget(platform="darwin")
    assert [s.name for s in reading.sources] == ["psutil virtual_memory().available"]
    assert reading.available == 9 * GiB
    assert reading.binding_source.used == 7 * GiB


# -- rlimits -------------------------------------------------------------------------------


def test_rlimit_as_less_vmsize_from_proc_status(fake: FakeSystem) -> None:
    probe = ProcessRlimit(
        "RLIMIT_AS", resource.RLIMIT_AS, b"VmSize:", str(fake.proc), getrlimit=lambda _: (2 * GiB, INFINITY)
    )
    (source,) = probe.read(FileReader())
    assert (source.available, source.limit, source.used) == (2 * GiB - 512 * MiB, 2 * GiB, 512 * MiB)
    assert source.origin.endswith("VmSize in " + str(fake.proc / "self" / "status"))


def test_rlimit_unlimited_and_malformed_status(fake: FakeSystem) -> None:
    unlimited = ProcessRlimit("RLIMIT_AS", resource.RLIMIT_AS, b"VmSize:", str(fake.proc), lambda _: (INFINITY, INFINITY))
    assert unlimited.read(FileReader())[0].note == "no limit (unlimited)"
    fake.write(fake.proc / "self" / "status", "Name:\tpython\nVmSize:\tmany kB\n")
    broken = ProcessRlimit("RLIMIT_AS", resource.RLIMIT_AS, b"VmSize:", str(fake.proc), lambda _: (GiB, INFINITY))
    (source,) = broken.read(FileReader())
    assert (source.available, source.limit, source.note) == (None, GiB, "malformed: 'many'")
    no_field = ProcessRlimit("RLIMIT_DATA", resource.RLIMIT_DATA, b"VmData:", str(fake.proc), lambda _: (GiB, INFINITY))
    assert no_field.read(FileReader())[0].note == "malformed: no 'VmData' line"


def test_rlimit_data_binds_in_a_full_reading(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = {resource.RLIMIT_AS: (INFINITY, INFINITY), resource.RLIMIT_DATA: (GiB, INFINITY)}
    monkeypatch.setattr(resource, "getrlimit", limits.__getitem__)
    reading = fake.budget()
    assert reading.binding_source.name == "RLIMIT_DATA"
    assert reading.available == GiB - 256 * MiB


@pytest.mark.skipif(not ON_LINUX, reason="RLIMIT_AS and /proc/self/status are Linux's")
def test_real_rlimit_as_is_honoured_by_budget_and_kernel() -> None:
    # In a child: cap the address space at its current size + 512 MiB, then compare the
    # budget with the kernel's own verdict. np.empty only reserves address space, so the
    # test never touches more than a few MiB of real memory.
    script = textwrap.dedent(
        """
        import json, resource
        import numpy as np
        from numguard.memory import budget

        def vm_size():
            for line in open("/proc/self/status"):
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

        limit = vm_size() + 512 * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        reading = budget()
        size_after = vm_size()
        try:
            np.empty(reading.available + 64 * 2**20, dtype=np.uint8)
            refused = False
        except MemoryError:
            refused = True
        half = np.empty(reading.available // 2, dtype=np.uint8)
        print(json.dumps({"limit": limit, "size": size_after, "available": reading.available,
                          "binding": reading.binding_source.name, "refused": refused,
                          "half": int(half.nbytes)}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["binding"] == "RLIMIT_AS"
    assert 0 < result["available"] <= result["limit"] - result["size"] + 4 * MiB
    assert result["refused"], "the kernel granted more than the budget said was left"
    assert result["half"] == result["available"] // 2


# -- this machine ------------------------------------------------------------------------------


def meminfo_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * KiB
    raise AssertionError("no MemAvailable")


@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="needs /proc/meminfo")
def test_this_machine_agrees_with_proc_meminfo() -> None:
    before = meminfo_available()
    reading = budget()
    after = meminfo_available()
    tolerance = 64 * MiB
    host = by_name(reading)["host MemAvailable"]
    assert min(before, after) - tolerance <= host.available <= max(before, after) + tolerance
    assert reading.available <= host.available
    other_limits = [s for s in reading.sources if s.available is not None and s is not host]
    if reading.binding_source is host or not other_limits:
        assert min(before, after) - tolerance <= reading.available <= max(before, after) + tolerance


@pytest.mark.skipif(not ON_LINUX, reason="Linux sources")
def test_this_machine_lists_its_cgroup_and_rlimit_sources() -> None:
    names = [s.name for s in budget().sources]
    assert names[0] == "host MemAvailable"
    assert any(name.startswith("cgroup v1") for name in names)
    assert any(name.startswith("cgroup v2") for name in names)
    assert names[-2:] == ["RLIMIT_AS", "RLIMIT_DATA"]


# -- the monitor's policy ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    """Counts calls to an os function while passing them through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.calls = 0
        real = getattr(os, name)

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)


@pytest.fixture
def watched(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A monitor over a fake v2 system with 8 GiB left, a fake clock, and counted preads."""
    mount = fake.mount_v2()
    fake.member(v2="/app")
    fake.v2_cgroup(mount / "app", max=9 * GiB, current=GiB)
    fake.finish()
    clock = Clock()
    monitor = BudgetMonitor(**fake.roots(), clock=clock)
    first = monitor.current(0)
    assert first.available == 8 * GiB
    preads = Counter(monkeypatch, "pread")
    yield monitor, clock, preads, fake
    monitor.close()


def test_monitor_thresholds_follow_the_documented_constants(watched) -> None:  # type: ignore[no-untyped-def]
    monitor = watched[0]
    _, small, large, stale_after = monitor._state
    assert small == monitor_module.SMALL_FLOOR == 1 * MiB
    assert large == 8 * GiB // monitor_module.LARGE_DIVISOR == 2 * GiB
    assert stale_after == 1000.0 + monitor_module.MAX_AGE


def test_small_projection_reads_no_file_even_when_stale(watched) -> None:  # type: ignore[no-untyped-def]
    monitor, clock, preads, _ = watched
    first = monitor.current(0)
    clock.now += 3600
    for nbytes in (0, 8, 1 * MiB - 1):
        assert monitor.current(nbytes) is first
    assert preads.calls == 0


def test_a_stale_reading_is_not_trusted_above_the_floor(watched) -> None:  # type: ignore[no-untyped-def]
    # #21.8: memory can shrink after a reading; 1/64 of an old figure (128 MiB here) is
    # no longer waved through once the reading is older than MAX_AGE.
    monitor, clock, preads, fake = watched
    monitor.current(0)
    fake.write(fake.cgroup / "app" / "memory.current", f"{7 * GiB}\n")
    clock.now += monitor_module.MAX_AGE * 2
    fresh = monitor.current(128 * MiB - 1)
    assert preads.calls > 0
    assert fresh.available == 2 * GiB  # 9 GiB max, 7 GiB in use


def test_medium_projection_refreshes_only_when_stale(watched) -> None:  # type: ignore[no-untyped-def]
    monitor, clock, preads, fake = watched
    first = monitor.current(0)
    fake.write(fake.cgroup / "app" / "memory.current", f"{3 * GiB}\n")
    clock.now += monitor_module.MAX_AGE / 2
    assert monitor.current(GiB) is first
    assert preads.calls == 0
    clock.now += monitor_module.MAX_AGE
    fresh = monitor.current(GiB)
    assert preads.calls > 0
    assert fresh.available == 6 * GiB
    assert fresh.taken_at == clock.now


def test_large_projection_always_refreshes(watched) -> None:  # type: ignore[no-untyped-def]
    monitor, clock, preads, fake = watched
    fake.write(fake.cgroup / "app" / "memory.current", f"{5 * GiB}\n")
    fresh = monitor.current(2 * GiB)  # a quarter of the 8 GiB last seen, clock unchanged
    assert preads.calls > 0
    assert fresh.available == 4 * GiB
    calls = preads.calls
    monitor.current(GiB)  # a quarter of 4 GiB now
    assert preads.calls > calls


def test_refresh_rereads_kept_descriptors_without_reopening(watched, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monitor, _, preads, _ = watched
    opens = Counter(monkeypatch, "open")
    monitor.refresh()
    assert opens.calls == 0
    assert preads.calls >= 4  # meminfo, memory.max, memory.high, memory.current, memory.stat


def test_pid_change_rediscovers_and_reopens(watched, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monitor, _, _, _ = watched
    opens = Counter(monkeypatch, "open")
    real_pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: real_pid + 1)
    monitor.refresh()
    assert opens.calls >= 4
    assert monitor._pid == real_pid + 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_its_own_descriptors(watched) -> None:  # type: ignore[no-untyped-def]
    monitor = watched[0]
    parent_descriptors = set(monitor._reader._descriptors.values())
    assert parent_descriptors
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        ok = False
        try:
            reading = monitor.refresh()
            ok = monitor._pid == os.getpid() and reading.available == 8 * GiB
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert set(monitor._reader._descriptors.values()) == parent_descriptors


def test_no_refresh_path_takes_no_lock(watched) -> None:  # type: ignore[no-untyped-def]
    monitor, _, preads, _ = watched

    class Forbidden:
        def __enter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("lock taken on the no-refresh path")

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            return False

    real_lock, monitor._lock = monitor._lock, Forbidden()
    try:
        assert monitor.current(1024).available == 8 * GiB
        assert monitor.current(GiB).available == 8 * GiB
        assert preads.calls == 0
        with pytest.raises(AssertionError, match="lock taken"):
            monitor.current(4 * GiB)  # large: the refresh path does take it
    finally:
        monitor._lock = real_lock


def test_concurrent_refreshes_are_safe(watched) -> None:  # type: ignore[no-untyped-def]
    monitor, _, _, _ = watched
    descriptors = len(monitor._reader._descriptors)
    results: list[int] = []
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(200):
                results.append(monitor.current(4 * GiB).available)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [8 * GiB] * 1600
    assert len(monitor._reader._descriptors) == descriptors


def test_budget_for_serves_small_projections_from_the_cache() -> None:
    first = budget_for(1 << 40)  # large: a fresh reading
    assert budget_for(0) is first
    assert budget_for(1024) is first
    assert first.available > 0


def own_v1_memory_cgroup() -> Path | None:
    """This process's real v1 memory cgroup directory, when there is one to write into."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            directory = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            return directory if directory.is_dir() and os.access(directory, os.W_OK) else None
    return None


@pytest.mark.skipif(own_v1_memory_cgroup() is None, reason="needs a writable cgroup v1 memory hierarchy")
def test_real_cgroup_v1_limit_binds_in_a_child_cgroup() -> None:
    # A child cgroup with a 256 MiB limit, a python moved into it: the kernel's own files,
    # read through discovery from /proc/self/cgroup and mountinfo, must set the budget.
    child = own_v1_memory_cgroup() / f"numguard-test-{os.getpid()}"  # type: ignore[operator]
    try:
        child.mkdir()
        (child / "memory.limit_in_bytes").write_text(str(256 * MiB))
    except OSError as error:
        pytest.skip(f"cannot create a memory cgroup: {error}")
    try:
        script = (
            f"import os; open({str(child / 'cgroup.procs')!r}, 'w').write(str(os.getpid()));"
            "import json; from numguard.memory import budget; b = budget();"
            "print(json.dumps([b.available, b.binding_source.name, b.binding_source.limit]))"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        available, name, limit = json.loads(done.stdout)
        assert name.startswith("cgroup v1 memory.limit_in_bytes of /")
        assert name.endswith(child.name)
        assert limit == 256 * MiB
        assert 0 < available < 256 * MiB
    finally:
        child.rmdir()
