"""Finding this process's memory cgroup directories: its own and every visible ancestor.

The process's cgroup comes from /proc/self/cgroup ("4:memory:/a/b" for v1, "0::/a/b" for
v2) and the filesystems from /proc/self/mountinfo, whose fourth field says which cgroup a
mount shows at its root. The own directory is the mount point plus the cgroup path relative
to that root. When that directory is absent, as inside a container whose cgroupfs is its
own cgroup while /proc/self/cgroup names the host's path, the mount point itself stands in
for it, as container runtimes do. Ancestors are walked up to the mount point: the cgroups
above it are invisible from here (cgroup v1's hierarchical_memory_limit still reports them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .files import FileReader, Unreadable

DEFAULT_PROC_ROOT = "/proc"
DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup"
_OCTAL_ESCAPE = re.compile(r"\\([0-3][0-7]{2})")


@dataclass(frozen=True, slots=True)
class CgroupMount:
    version: int  # 1 or 2
    mount_point: str  # where it is on disk (re-rooted under cgroup_root)
    root: str  # the cgroup this mount shows at its mount point


@dataclass(frozen=True, slots=True)
class CgroupLevel:
    """One cgroup directory to read: the process's own, or an ancestor."""

    directory: str
    cgroup_path: str  # as the kernel names it, for the report
    note: str = ""  # set when the directory is a stand-in


@dataclass(frozen=True, slots=True)
class MemoryHierarchy:
    """The memory controller's place in one cgroup version, or why there is none."""

    version: int
    levels: tuple[CgroupLevel, ...]  # own cgroup first, then ancestors
    origin: str
    note: str = ""


def find_memory_hierarchies(
    proc_root: str = DEFAULT_PROC_ROOT,
    cgroup_root: str = DEFAULT_CGROUP_ROOT,
    reader: FileReader | None = None,
) -> tuple[MemoryHierarchy, MemoryHierarchy]:
    """The v1 and v2 memory hierarchies of this process (levels empty when absent, with a note)."""
    reader = reader or FileReader()
    membership_path = os.path.join(proc_root, "self", "cgroup")
    try:
        membership = parse_proc_cgroup(reader.read(membership_path).decode("utf-8", "replace"))
    except Unreadable as error:
        note = f"{membership_path} {error.note}"
        return MemoryHierarchy(1, (), membership_path, note), MemoryHierarchy(2, (), membership_path, note)
    mounts_path = os.path.join(proc_root, "self", "mountinfo")
    try:
        text = reader.read(mounts_path).decode("utf-8", "replace")
        mounts = parse_mountinfo(text, cgroup_root)
    except Unreadable:
        mounts = conventional_mounts(cgroup_root)
    return tuple(  # type: ignore[return-value]
        _hierarchy(version, mounts.get(version), membership.get(version), reader)
        for version in (1, 2)
    )


def parse_proc_cgroup(text: str) -> dict[int, str]:
    """{1: path of the v1 memory cgroup, 2: path of the v2 cgroup}, where present."""
    found: dict[int, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy_id, controllers, path = parts
        if hierarchy_id == "0" and controllers == "":
            found[2] = path
        elif "memory" in controllers.split(","):
            found[1] = path
    return found


def parse_mountinfo(text: str, cgroup_root: str = DEFAULT_CGROUP_ROOT) -> dict[int, CgroupMount]:
    """The first v1 mount carrying the memory controller and the first cgroup2 mount."""
    found: dict[int, CgroupMount] = {}
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        separator = fields.index("-")
        if separator < 5 or len(fields) < separator + 4:
            continue
        fstype, super_options = fields[separator + 1], fields[separator + 3]
        if fstype == "cgroup2":
            version = 2
        elif fstype == "cgroup" and "memory" in super_options.split(","):
            version = 1
        else:
            continue
        mount_point = _reroot(_unescape(fields[4]), cgroup_root)
        found.setdefault(version, CgroupMount(version, mount_point, _unescape(fields[3])))
    return found


def conventional_mounts(cgroup_root: str = DEFAULT_CGROUP_ROOT) -> dict[int, CgroupMount]:
    """Where cgroups usually are, for when mountinfo cannot be read."""
    found: dict[int, CgroupMount] = {}
    if os.path.exists(os.path.join(cgroup_root, "cgroup.controllers")):
        found[2] = CgroupMount(2, cgroup_root, "/")
    elif os.path.exists(os.path.join(cgroup_root, "unified", "cgroup.controllers")):
        found[2] = CgroupMount(2, os.path.join(cgroup_root, "unified"), "/")
    if os.path.exists(os.path.join(cgroup_root, "memory", "memory.limit_in_bytes")):
        found[1] = CgroupMount(1, os.path.join(cgroup_root, "memory"), "/")
    return found


def _hierarchy(
    version: int, mount: CgroupMount | None, cgroup_path: str | None, reader: FileReader
) -> MemoryHierarchy:
    if mount is None:
        return MemoryHierarchy(version, (), "", "not mounted")
    if cgroup_path is None:
        return MemoryHierarchy(version, (), mount.mount_point, "this process is in no such cgroup")
    if version == 2 and not _has_memory_controller(mount.mount_point, reader):
        where = os.path.join(mount.mount_point, "cgroup.controllers")
        return MemoryHierarchy(version, (), where, "no memory controller")
    return MemoryHierarchy(version, tuple(_levels(mount, cgroup_path)), mount.mount_point)


def _has_memory_controller(mount_point: str, reader: FileReader) -> bool:
    try:
        controllers = reader.read(os.path.join(mount_point, "cgroup.controllers"))
    except Unreadable:
        return True  # cannot tell: look for the memory files themselves
    return b"memory" in controllers.split()


def _levels(mount: CgroupMount, cgroup_path: str) -> list[CgroupLevel]:
    relative = _relative(cgroup_path, mount.root)
    own = os.path.join(mount.mount_point, relative) if relative is not None else None
    if own is None or not os.path.isdir(own):
        note = f"{cgroup_path} not visible under {mount.mount_point}; using the mount root"
        return [CgroupLevel(mount.mount_point, mount.root, note)]
    levels = []
    directory, path = os.path.normpath(own), os.path.normpath(cgroup_path)
    top = os.path.normpath(mount.mount_point)
    while True:
        levels.append(CgroupLevel(directory, path))
        if directory == top or len(directory) <= len(top):
            return levels
        directory, path = os.path.dirname(directory), os.path.dirname(path)


def _relative(cgroup_path: str, mount_root: str) -> str | None:
    """cgroup_path relative to the cgroup shown at the mount point, or None if outside it."""
    path, root = os.path.normpath(cgroup_path), os.path.normpath(mount_root)
    if root == "/":
        return path.lstrip("/")
    if path == root:
        return ""
    if path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return None


def _reroot(mount_point: str, cgroup_root: str) -> str:
    """Mount points under /sys/fs/cgroup move under cgroup_root, so tests can use a fixture tree."""
    if cgroup_root == DEFAULT_CGROUP_ROOT:
        return mount_point
    if mount_point == DEFAULT_CGROUP_ROOT:
        return cgroup_root
    if mount_point.startswith(DEFAULT_CGROUP_ROOT + "/"):
        return os.path.join(cgroup_root, mount_point[len(DEFAULT_CGROUP_ROOT) + 1 :])
    return mount_point


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes ('\\040');
    only those are decoded, so a stray backslash cannot make the line fail."""
    if "\\" not in field:
        return field
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)
