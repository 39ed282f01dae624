"""The readers behind each Source, and ``budget()``: one fresh reading of all of them.

Each probe is built once by discovery (which files, which cgroups) and then read on every
refresh; a file that fails becomes a Source with available=None and a note. Limits are read
first and the usage files only when there is a limit, so a refresh on an unconstrained
machine reads little more than /proc/meminfo.

Nothing here may break the operation being judged: ``measure`` records any exception a
probe raises (a MemoryError under pressure, a bug) as that probe's failed Source, and a
failed discovery as failed cgroup Sources, so the other sources decide.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from .cgroups import (
    DEFAULT_CGROUP_ROOT,
    DEFAULT_PROC_ROOT,
    CgroupLevel,
    MemoryHierarchy,
    find_memory_hierarchies,
)
from .files import FileReader, Unreadable, keyed_int, keyed_kib, parse_int
from .model import Budget, Source

#: Kernels write "no limit" as the largest page-aligned 64-bit count (9223372036854771712
#: with 4 KiB pages, other values with larger pages); anything from 2**60 (1 EiB) is no limit.
NO_LIMIT_FROM = 2**60


class Probe(Protocol):
    name: str  # what a failure of the whole probe is reported as

    def read(self, reader: FileReader) -> tuple[Source, ...]: ...


class Fixed:
    """A source whose state discovery already settled, such as 'no memory controller'."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        return (self.source,)


class HostMemAvailable:
    """The host's MemAvailable: what the kernel can hand out without swapping."""

    name = "host MemAvailable"

    def __init__(self, proc_root: str = DEFAULT_PROC_ROOT) -> None:
        self.path = os.path.join(proc_root, "meminfo")

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        try:
            data = reader.read(self.path)
            total = keyed_kib(data, b"MemTotal:")
            available = keyed_kib(data, b"MemAvailable:")
        except Unreadable as error:
            return (Source(self.name, None, origin=self.path, note=error.note),)
        if available > total:
            return (Source(self.name, None, total, origin=self.path, note="malformed: MemAvailable above MemTotal"),)
        return (Source(self.name, available, total, total - available, self.path),)


class CgroupV2Level:
    """memory.max and memory.high of one v2 cgroup, against its working set."""

    limit_files = ("memory.max", "memory.high")

    def __init__(self, level: CgroupLevel) -> None:
        self.level = level
        self.name = f"cgroup v2 memory of {level.cgroup_path}"
        # Names and paths are fixed at discovery: a refresh only reads and compares.
        self.limits = tuple(
            (f"cgroup v2 {filename} of {level.cgroup_path}", os.path.join(level.directory, filename))
            for filename in self.limit_files
        )
        self.usage_path = os.path.join(level.directory, "memory.current")
        self.stat_path = os.path.join(level.directory, "memory.stat")

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        found: list[tuple[str, str, int | str]] = []
        for name, path in self.limits:
            try:
                data = reader.read(path)
                found.append((name, path, "no limit ('max')" if data.strip() == b"max" else parse_int(data)))
            except Unreadable as error:
                found.append((name, path, error.note))
        return _sources(found, reader, self.usage_path, self.stat_path, b"inactive_file ", self.level.note)


class CgroupV1Level:
    """memory.limit_in_bytes of one v1 cgroup (and, for the own cgroup, the
    hierarchical_memory_limit that covers ancestors invisible from here)."""

    def __init__(self, level: CgroupLevel, with_hierarchical_limit: bool) -> None:
        self.level = level
        self.name = f"cgroup v1 memory of {level.cgroup_path}"
        self.stat_path = os.path.join(level.directory, "memory.stat")
        self.usage_path = os.path.join(level.directory, "memory.usage_in_bytes")
        limit_path = os.path.join(level.directory, "memory.limit_in_bytes")
        # (name, file, key in that file or None for a one-number file), fixed at discovery.
        self.limits: tuple[tuple[str, str, bytes | None], ...] = (
            (f"cgroup v1 memory.limit_in_bytes of {level.cgroup_path}", limit_path, None),
        )
        if with_hierarchical_limit:
            self.limits += (
                (
                    f"cgroup v1 hierarchical_memory_limit of {level.cgroup_path}",
                    self.stat_path,
                    b"hierarchical_memory_limit ",
                ),
            )

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        found: list[tuple[str, str, int | str]] = []
        for name, path, key in self.limits:
            try:
                data = reader.read(path)
                value = parse_int(data) if key is None else keyed_int(data, key)
                found.append((name, path, value if value < NO_LIMIT_FROM else f"no limit ({value})"))
            except Unreadable as error:
                found.append((name, path, error.note))
        return _sources(found, reader, self.usage_path, self.stat_path, b"total_inactive_file ", self.level.note)


class ProcessRlimit:
    """A setrlimit limit the kernel enforces at allocation time, against the process's size."""

    def __init__(
        self,
        name: str,
        limit_id: int,
        status_key: bytes,
        proc_root: str = DEFAULT_PROC_ROOT,
        getrlimit: Callable[[int], tuple[int, int]] | None = None,
    ) -> None:
        self.name = name
        self.limit_id = limit_id
        self.status_key = status_key
        self.status_path = os.path.join(proc_root, "self", "status")
        self.getrlimit = getrlimit  # None: resource.getrlimit, looked up at each read

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        origin = f"getrlimit({self.name})"
        try:
            soft, _hard = (self.getrlimit or resource.getrlimit)(self.limit_id)
        except Exception as error:  # OSError, ValueError, or whatever a platform raises
            return (Source(self.name, None, origin=origin, note=f"unreadable: {type(error).__name__}"),)
        if not isinstance(soft, int):
            return (Source(self.name, None, origin=origin, note=f"malformed: {soft!r}"),)
        if soft == resource.RLIM_INFINITY or soft < 0:
            return (Source(self.name, None, origin=origin, note="no limit (unlimited)"),)
        origin = f"{origin} - {self.status_key.decode().rstrip(':')} in {self.status_path}"
        try:
            used = keyed_kib(reader.read(self.status_path), self.status_key)
        except Unreadable as error:
            return (Source(self.name, None, soft, origin=origin, note=error.note),)
        return (Source(self.name, max(soft - used, 0), soft, used, origin),)


class PsutilVirtualMemory:
    """psutil's figure: the host only, not cgroup-aware; the fallback off Linux."""

    name = "psutil virtual_memory().available"

    def read(self, reader: FileReader) -> tuple[Source, ...]:
        origin = "psutil.virtual_memory()"
        try:
            import psutil

            memory = psutil.virtual_memory()
        except Exception as error:  # psutil raises its own types on odd platforms
            return (Source(self.name, None, origin=origin, note=f"unreadable: {type(error).__name__}"),)
        return (Source(self.name, memory.available, memory.total, memory.total - memory.available, origin),)


def working_set(
    reader: FileReader, usage_path: str, stat_path: str, inactive_key: bytes
) -> tuple[int | None, str]:
    """Usage less the inactive file cache (which the kernel reclaims before it OOM-kills),
    as Kubernetes counts it; usage alone when memory.stat fails, which only errs low."""
    try:
        usage = parse_int(reader.read(usage_path))
    except Unreadable as error:
        return None, f"{os.path.basename(usage_path)} {error.note}"
    try:
        inactive = keyed_int(reader.read(stat_path), inactive_key)
    except Unreadable as error:
        return usage, f"inactive file cache not subtracted: memory.stat {error.note}"
    return max(usage - inactive, 0), ""


def _sources(
    found: list[tuple[str, str, int | str]],
    reader: FileReader,
    usage_path: str,
    stat_path: str,
    inactive_key: bytes,
    level_note: str,
) -> tuple[Source, ...]:
    """Sources for one cgroup's limits: (name, file, limit or why none) each. The usage is
    read once, and only if some limit was found."""
    if not any(isinstance(value, int) for _, _, value in found):
        return tuple(Source(name, None, origin=path, note=str(value)) for name, path, value in found)
    used, usage_note = working_set(reader, usage_path, stat_path, inactive_key)
    note = "; ".join(n for n in (level_note, usage_note) if n)
    return tuple(
        Source(name, None, origin=path, note=value)
        if isinstance(value, str)
        else Source(name, None if used is None else max(value - used, 0), value, used, path, note)
        for name, path, value in found
    )


def discover_probes(
    proc_root: str = DEFAULT_PROC_ROOT,
    cgroup_root: str = DEFAULT_CGROUP_ROOT,
    platform: str = sys.platform,
) -> tuple[Probe, ...]:
    """Every source worth reading on this system, in report order."""
    if not platform.startswith("linux"):
        return (PsutilVirtualMemory(),)
    return (
        HostMemAvailable(proc_root),
        *_discover_cgroup_probes(proc_root, cgroup_root),
        ProcessRlimit("RLIMIT_AS", resource.RLIMIT_AS, b"VmSize:", proc_root),
        ProcessRlimit("RLIMIT_DATA", resource.RLIMIT_DATA, b"VmData:", proc_root),
    )


def _discover_cgroup_probes(proc_root: str, cgroup_root: str) -> list[Probe]:
    """The cgroup probes, v2 then v1; a discovery that fails is reported, not raised."""
    try:
        v1, v2 = find_memory_hierarchies(proc_root, cgroup_root)
        return [*_cgroup_probes(v2, lambda level, own: CgroupV2Level(level)), *_cgroup_probes(v1, CgroupV1Level)]
    except Exception as error:  # noqa: BLE001 - any failure is that source's, not the user's
        note = f"discovery failed: {_error_text(error)}"
        origin = os.path.join(proc_root, "self", "cgroup")
        return [Fixed(Source(f"cgroup v{version} memory", None, origin=origin, note=note)) for version in (2, 1)]


def _cgroup_probes(
    hierarchy: MemoryHierarchy, probe_for: Callable[[CgroupLevel, bool], Probe]
) -> list[Probe]:
    if not hierarchy.levels:
        name = f"cgroup v{hierarchy.version} memory"
        return [Fixed(Source(name, None, origin=hierarchy.origin, note=hierarchy.note))]
    probes: list[Probe] = []
    for index, level in enumerate(hierarchy.levels):
        if hierarchy.version == 2 and not os.path.exists(os.path.join(level.directory, "memory.max")):
            # The root cgroup never has these files: settle it once, not on every refresh.
            probes.extend(
                Fixed(Source(name, None, origin=path, note="missing"))
                for name, path in CgroupV2Level(level).limits
            )
        else:
            probes.append(probe_for(level, index == 0))
    return probes


def measure(
    probes: Sequence[Probe],
    reader: FileReader,
    clock: Callable[[], float] = time.monotonic,
) -> Budget:
    """Read every probe; psutil steps in when not one figure could be read."""
    sources = tuple(source for probe in probes for source in _read_safely(probe, reader))
    nothing_read = all(source.available is None for source in sources)
    if nothing_read and not any(isinstance(probe, PsutilVirtualMemory) for probe in probes):
        sources += _read_safely(PsutilVirtualMemory(), reader)
    return Budget.from_sources(sources, clock())


def _read_safely(probe: Probe, reader: FileReader) -> tuple[Source, ...]:
    """The probe's Sources, or one failed Source: a probe's failure is never the user's."""
    try:
        sources = probe.read(reader)
        for source in sources:
            if not _plausible(source):
                break
        else:
            return sources
        note = "failed: malformed figures"
    except Exception as error:  # noqa: BLE001 - MemoryError, RuntimeError, TypeError alike
        note = f"failed: {_error_text(error)}"
    return (Source(getattr(probe, "name", type(probe).__name__), None, note=note),)


def _plausible(source: Source) -> bool:
    """Figures that are whole, non-negative byte counts (or absent): anything else is not trusted."""
    if type(source) is not Source:
        return False
    for value in (source.available, source.limit, source.used):
        if value is not None and (type(value) is not int or value < 0):
            return False
    return True


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def budget(
    *,
    proc_root: str = DEFAULT_PROC_ROOT,
    cgroup_root: str = DEFAULT_CGROUP_ROOT,
    platform: str = sys.platform,
) -> Budget:
    """What this process can still allocate: a fresh reading of every source.

    Discovery included, no cache, no descriptor kept (the guard itself uses the cached
    `budget_for`). The smallest figure wins; `.binding` names it, `.sources` lists all.

    Parameters
    ----------
    proc_root, cgroup_root : str, optional
        Where /proc and the cgroup mounts are (tests point them at fixtures).
    platform : str, optional
        `sys.platform`; off Linux, psutil answers.

    Returns
    -------
    Budget
    """
    reader = FileReader(keep_open=False)
    return measure(discover_probes(proc_root, cgroup_root, platform), reader)
