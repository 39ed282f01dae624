"""Fake /proc and /sys/fs/cgroup trees for the memory-budget tests.

``FakeSystem`` writes the handful of files numguard.memory reads, in the kernel's formats,
under a temporary directory; ``fake.budget()`` reads them through the public ``budget()``.
"""

from __future__ import annotations

from pathlib import Path

from numguard.memory import Budget, budget

KiB, MiB, GiB = 1024, 1024**2, 1024**3
V1_NO_LIMIT = 9223372036854771712  # what cgroup v1 writes for "unlimited" with 4 KiB pages


class FakeSystem:
    def __init__(self, tmp_path: Path, total: int = 16 * GiB, available: int = 12 * GiB) -> None:
        self.proc = tmp_path / "proc"
        self.cgroup = tmp_path / "sys" / "fs" / "cgroup"
        self.mount_lines = ["22 27 0:21 / /proc rw,relatime - proc proc rw"]
        self.membership_lines: list[str] = []
        self.meminfo(total, available)
        self.status(vm_size=512 * MiB, vm_data=256 * MiB)

    # -- files ---------------------------------------------------------------------------
    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def meminfo(self, total: int, available: int) -> None:
        self.write(
            self.proc / "meminfo",
            f"MemTotal:       {total // KiB} kB\nMemFree:        {available // 2 // KiB} kB\n"
            f"MemAvailable:   {available // KiB} kB\nBuffers:           1024 kB\n",
        )

    def status(self, vm_size: int, vm_data: int) -> None:
        self.write(
            self.proc / "self" / "status",
            f"Name:\tpython\nVmPeak:\t{vm_size // KiB} kB\nVmSize:\t{vm_size // KiB} kB\n"
            f"VmRSS:\t  1000 kB\nVmData:\t{vm_data // KiB} kB\nThreads:\t1\n",
        )

    # -- mounts and membership ------------------------------------------------------------
    def mount(self, fstype: str, mount_point: str, root: str = "/", options: str = "") -> None:
        number = 30 + len(self.mount_lines)
        super_options = f"rw,{options}" if options else "rw"
        self.mount_lines.append(
            f"{number} 25 0:{number} {root} {mount_point} rw,nosuid,nodev - {fstype} {fstype} {super_options}"
        )

    def mount_v1(self, root: str = "/", mount_point: str = "/sys/fs/cgroup/memory") -> Path:
        self.mount("cgroup", mount_point, root, "memory")
        return self.on_disk(mount_point)

    def mount_v2(
        self, root: str = "/", mount_point: str = "/sys/fs/cgroup", controllers: str = "cpuset cpu io memory pids"
    ) -> Path:
        self.mount("cgroup2", mount_point, root)
        self.write(self.on_disk(mount_point) / "cgroup.controllers", controllers + "\n")
        return self.on_disk(mount_point)

    def on_disk(self, mount_point: str) -> Path:
        return self.cgroup / Path(mount_point).relative_to("/sys/fs/cgroup")

    def member(self, v1: str | None = None, v2: str | None = None) -> None:
        if v1 is not None:
            self.membership_lines += ["5:cpu,cpuacct:/", f"4:memory:{v1}"]
        if v2 is not None:
            self.membership_lines.append(f"0::{v2}")

    # -- cgroup contents ------------------------------------------------------------------
    def v1_cgroup(
        self,
        directory: Path,
        limit: int = V1_NO_LIMIT,
        usage: int = 100 * MiB,
        inactive: int = 0,
        hierarchical: int | None = None,
    ) -> Path:
        self.write(directory / "memory.limit_in_bytes", f"{limit}\n")
        self.write(directory / "memory.usage_in_bytes", f"{usage}\n")
        self.write(
            directory / "memory.stat",
            f"cache 0\nrss {usage}\ninactive_file {inactive // 2}\n"
            f"hierarchical_memory_limit {hierarchical if hierarchical is not None else limit}\n"
            f"hierarchical_memsw_limit {V1_NO_LIMIT}\ntotal_cache 0\n"
            f"total_active_file 0\ntotal_inactive_file {inactive}\n",
        )
        return directory

    def v2_cgroup(
        self,
        directory: Path,
        max: str | int = "max",
        high: str | int = "max",
        current: int = 100 * MiB,
        inactive: int = 0,
    ) -> Path:
        self.write(directory / "memory.max", f"{max}\n")
        self.write(directory / "memory.high", f"{high}\n")
        self.write(directory / "memory.current", f"{current}\n")
        self.write(
            directory / "memory.stat",
            f"anon {current}\nfile 0\nactive_anon 0\ninactive_anon 0\n"
            f"active_file 0\ninactive_file {inactive}\nslab 0\n",
        )
        return directory

    # -- reading ---------------------------------------------------------------------------
    def finish(self) -> None:
        self.write(self.proc / "self" / "mountinfo", "\n".join(self.mount_lines) + "\n")
        self.write(self.proc / "self" / "cgroup", "\n".join(self.membership_lines) + "\n")

    def roots(self) -> dict[str, str]:
        return {"proc_root": str(self.proc), "cgroup_root": str(self.cgroup)}

    def budget(self) -> Budget:
        self.finish()
        return budget(**self.roots())
