"""A budget source that fails or lies is that source's failure, never the user's operation's.

Issue #10 item 5: any exception from a reader (a MemoryError while reading /proc under
pressure, a RuntimeError, a TypeError) is recorded on that source and the others decide;
malformed figures (negative, without their unit, not plain ASCII digits) are rejected.
Failures are injected the ways the code allows: fake /proc and cgroup trees holding
garbage or directories, and numguard's OWN readers patched to raise (that failure is the
subject under test, not a stand-in for a real component).
"""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest
from cgroup_fixtures import FakeSystem, GiB, KiB

import numguard
import numguard.memory.files as files_module
import numguard.memory.monitor as monitor_module
import numguard.memory.sources as sources_module
from numguard.memory import Budget, BudgetMonitor, Source, budget
from numguard.memory.cgroups import parse_mountinfo

INFINITY = resource.RLIM_INFINITY
FAILURES = [MemoryError(), RuntimeError("reader bug"), TypeError("unsupported operand")]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSystem:
    """A fake system with a 2 GiB cgroup v2 limit (1 GiB in use) and no rlimits."""
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (INFINITY, INFINITY))
    system = FakeSystem(tmp_path)
    mount = system.mount_v2()
    system.member(v2="/app")
    system.v2_cgroup(mount / "app", max=2 * GiB, current=GiB)
    return system


def by_name(reading: Budget) -> dict[str, Source]:
    return {source.name: source for source in reading.sources}


def raising(error: BaseException):  # type: ignore[no-untyped-def]
    def read(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise error

    return read


# -- malformed figures are rejected, not trusted ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("MemAvailable:   -5000000 kB", "malformed: '-5000000'"),
        ("MemAvailable:   12582912", "malformed: MemAvailable '12582912' has no kB unit"),
        ("MemAvailable:   12_582_912 kB", "malformed: '12_582_912'"),
        ("MemAvailable:   \u0663\u0663 kB", "malformed: '\u0663\u0663'"),
        ("MemAvailable:   1.5 kB", "malformed: '1.5'"),
        ("MemAvailable:   99999999999 kB", "malformed: MemAvailable above MemTotal"),
    ],
)
def test_malformed_mem_available_is_rejected_and_the_cgroup_decides(
    fake: FakeSystem, line: str, note: str
) -> None:
    fake.write(fake.proc / "meminfo", f"MemTotal:       {16 * GiB // KiB} kB\n{line}\n")
    reading = fake.budget()
    host = by_name(reading)["host MemAvailable"]
    assert (host.available, host.note) == (None, note)
    assert reading.binding_source.name == "cgroup v2 memory.max of /app"
    assert reading.available == GiB  # never "-4.8 GiB available", never 1024 times too much


@pytest.mark.parametrize("value", ["-1", "+2147483648", "2_147_483_648", "\u0662\u0660", "2e9", "0x80000000"])
def test_malformed_cgroup_limit_is_rejected(fake: FakeSystem, value: str) -> None:
    fake.write(fake.cgroup / "app" / "memory.max", value + "\n")
    reading = fake.budget()
    broken = by_name(reading)["cgroup v2 memory.max of /app"]
    assert broken.available is None and broken.note.startswith("malformed: ")
    assert reading.binding_source.name == "host MemAvailable"
    assert reading.available == 12 * GiB


def test_negative_usage_is_rejected_not_added_to_the_limit(fake: FakeSystem) -> None:
    fake.write(fake.cgroup / "app" / "memory.current", "-1073741824\n")
    app = by_name(fake.budget())["cgroup v2 memory.max of /app"]
    assert app.available is None and app.note == "memory.current malformed: '-1073741824'"


def test_status_without_its_unit_is_rejected(fake: FakeSystem) -> None:
    fake.write(fake.proc / "self" / "status", "Name:\tpython\nVmSize:\t524288\n")
    probe = sources_module.ProcessRlimit(
        "RLIMIT_AS", resource.RLIMIT_AS, b"VmSize:", str(fake.proc), getrlimit=lambda _: (GiB, INFINITY)
    )
    (source,) = probe.read(files_module.FileReader())
    assert (source.available, source.note) == (None, "malformed: VmSize '524288' has no kB unit")


def test_stray_backslashes_in_mountinfo_do_not_break_discovery() -> None:
    line = r"99 25 0:99 / /mnt/odd\x\9\040dir rw - cgroup2 cgroup2 rw"
    (mount,) = parse_mountinfo(line).values()
    assert mount.mount_point == "/mnt/odd\\x\\9 dir"  # only the octal escape is decoded


# -- readers that raise ---------------------------------------------------------------------------


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_a_probe_that_raises_is_that_source_failure(
    fake: FakeSystem, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    monkeypatch.setattr(sources_module.HostMemAvailable, "read", raising(error))
    reading = fake.budget()
    host = by_name(reading)["host MemAvailable"]
    assert host.available is None
    assert host.note.startswith(f"failed: {type(error).__name__}")
    assert reading.binding_source.name == "cgroup v2 memory.max of /app"
    assert reading.available == GiB


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_a_file_read_that_raises_is_unreadable(
    fake: FakeSystem, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    fake.finish()
    real = files_module._read_from
    meminfo = files_module.os.path.join(str(fake.proc), "meminfo")

    def read_from(descriptor: int) -> bytes:
        if files_module.os.readlink(f"/proc/self/fd/{descriptor}") == meminfo:
            raise error
        return real(descriptor)

    monkeypatch.setattr(files_module, "_read_from", read_from)
    reading = budget(**fake.roots())
    assert by_name(reading)["host MemAvailable"].note == f"unreadable: {type(error).__name__}"
    assert reading.available == GiB


def test_a_failed_cgroup_discovery_leaves_the_host_to_decide(
    fake: FakeSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources_module, "find_memory_hierarchies", raising(RuntimeError("odd mountinfo")))
    reading = fake.budget()
    sources = by_name(reading)
    for version in (1, 2):
        assert sources[f"cgroup v{version} memory"].note == "discovery failed: RuntimeError: odd mountinfo"
    assert reading.binding_source.name == "host MemAvailable"


def test_a_probe_returning_nonsense_is_not_trusted(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sources_module.HostMemAvailable, "read", lambda self, reader: (Source(self.name, -5 * GiB),)
    )
    reading = fake.budget()
    assert by_name(reading)["host MemAvailable"].note == "failed: malformed figures"
    assert reading.available == GiB


def test_every_source_failing_assumes_no_limit(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    for probe in (sources_module.HostMemAvailable, sources_module.CgroupV2Level, sources_module.PsutilVirtualMemory):
        monkeypatch.setattr(probe, "read", raising(MemoryError()))
    reading = fake.budget()
    assert reading.binding_source.name == "no source readable"
    assert reading.available == 2**63 - 1


# -- the monitor and the guarded operation ----------------------------------------------------------


def test_monitor_keeps_its_last_reading_when_a_refresh_fails(
    fake: FakeSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.finish()
    monitor = BudgetMonitor(**fake.roots())
    first = monitor.refresh()
    assert first.available == GiB
    monkeypatch.setattr(monitor_module, "measure", raising(MemoryError()))
    assert monitor.current(4 * GiB) is first  # a large projection: a refresh was attempted
    monkeypatch.undo()
    assert monitor.current(4 * GiB).available == GiB  # and the next one reads again
    monitor.close()


def test_monitor_without_a_reading_yet_assumes_no_limit(fake: FakeSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.finish()
    monitor = BudgetMonitor(**fake.roots())
    monkeypatch.setattr(monitor_module, "discover_probes", raising(RuntimeError("boom")))
    reading = monitor.current(4 * GiB)
    assert reading.binding_source.name == "no source readable"
    assert by_name(reading)["budget reading"].note == "failed: RuntimeError"
    monkeypatch.undo()
    assert monitor.current(4 * GiB).available == GiB  # nothing failed was cached
    monitor.close()


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_wrapped_operation_runs_when_readers_fail(
    fake: FakeSystem, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    # The meminfo file is a directory, the cgroup file garbage, and a reader raises: the
    # operation is judged on what is left (the 2 GiB cgroup's memory.high), and runs.
    fake.v2_cgroup(fake.cgroup / "app", max="garbage", high=2 * GiB, current=GiB)
    (fake.proc / "meminfo").unlink()
    (fake.proc / "meminfo").mkdir()
    monkeypatch.setattr(sources_module.ProcessRlimit, "read", raising(error))
    fake.finish()
    monkeypatch.setattr(monitor_module, "default_monitor", BudgetMonitor(**fake.roots()))
    plain = np.arange(100_000.0)  # 800 kB: large enough to read the budget (not negligible)
    with numguard.guard(mode="raise", limit="50%"):
        result = numguard.wrap(plain) + 1
    np.testing.assert_array_equal(numguard.unwrap(result), plain + 1)
    reading = monitor_module.default_monitor.current(0)
    assert reading.binding_source.name == "cgroup v2 memory.high of /app"
    assert by_name(reading)["RLIMIT_AS"].note.startswith(f"failed: {type(error).__name__}")
    monitor_module.default_monitor.close()
