"""Run the benchmark suite and print the README's tables (Markdown).

    python benchmarks/report.py            # full run, a few minutes
    python benchmarks/report.py --quick    # fewer rounds, for a look

Three parts: timings (medians, and ratios to plain NumPy and to the pass-through
subclass, all from one run), peak memory of the pipeline guarded and unguarded (in
subprocesses), and the time to refuse a projected 8 TB result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import timeit

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["plain", "passthrough", "handcheck", "numguard", "quantity"]


def timings(quick: bool) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.json")
        command = [
            sys.executable, "-m", "pytest", os.path.join(HERE, "bench_suite.py"),
            "--benchmark-only", f"--benchmark-json={path}", "-q", "-p", "no:cacheprovider",
        ]
        if quick:
            command += ["--benchmark-max-time=0.1", "--benchmark-min-rounds=3"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=HERE)
        with open(path) as handle:
            data = json.load(handle)
    groups: dict[str, dict[str, float]] = {}
    for bench in data["benchmarks"]:
        kind = bench["params"].get("kind", "numguard.estimate") if bench.get("params") else "numguard.estimate"
        groups.setdefault(bench["group"], {})[kind] = bench["stats"]["median"]
    lines = [
        "| case | variant | median | vs plain | vs pass-through |",
        "|---|---|---|---|---|",
    ]
    for group, medians in groups.items():
        plain, passthrough = medians.get("plain"), medians.get("passthrough")
        for kind in sorted(medians, key=lambda k: ORDER.index(k) if k in ORDER else 99):
            median = medians[kind]
            lines.append(
                f"| {group} | {kind} | {_time(median)} | {_ratio(median, plain)} "
                f"| {_ratio(median, passthrough)} |"
            )
    return "\n".join(lines)


def _time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e3:.2f} ms"


def _ratio(value: float, base: float | None) -> str:
    return "" if base is None else f"{value / base:.2f}"


PEAK = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    import numpy as np, numguard, pipeline
    points, centroids = pipeline.inputs({n})
    if sys.argv[1] == "numguard":
        points, centroids = numguard.wrap(points), numguard.wrap(centroids)
    pipeline.run(points, centroids)
    with open("/proc/self/status") as status:
        print(next(l.split()[1] for l in status if l.startswith("VmHWM")))
    """
)


def peak_memory(n: int = 300_000) -> str:
    code = PEAK.format(here=HERE, n=n)
    peaks = {}
    for kind in ("plain", "numguard"):
        done = subprocess.run([sys.executable, "-c", code, kind], capture_output=True,
                              text=True, check=True)
        peaks[kind] = int(done.stdout.strip()) * 1024
    ratio = peaks["numguard"] / peaks["plain"]
    return (
        f"Peak RSS (VmHWM) of the pipeline with {n:,} points (its largest temporary is "
        f"{n * 16 * 8 * 8 / 2**20:.0f} MiB): plain {peaks['plain'] / 2**20:.1f} MiB, "
        f"numguard {peaks['numguard'] / 2**20:.1f} MiB, ratio {ratio:.4f}."
    )


def time_to_refuse() -> str:
    import numguard

    column, row = np.ones((1_000_000, 1)), np.ones((1, 1_000_000))  # 8 TB result
    guarded = numguard.wrap(column), numguard.wrap(row)

    def refused_by_numguard():
        try:
            guarded[0] + guarded[1]
        except numguard.BroadcastMemoryError:
            return
        raise AssertionError("numguard did not refuse")

    def refused_by_numpy():
        try:
            column + row
        except MemoryError:
            return
        raise AssertionError("NumPy allocated 8 TB")

    ours = min(timeit.repeat(refused_by_numguard, number=20, repeat=5)) / 20
    theirs = min(timeit.repeat(refused_by_numpy, number=20, repeat=5)) / 20
    return (
        f"Refusing a projected 8 TB result ((1e6, 1) + (1, 1e6) float64): numguard raises "
        f"BroadcastMemoryError in {_time(ours)}; NumPy's own MemoryError, for a request "
        f"the kernel refuses outright, takes {_time(theirs)}. Below RAM size NumPy does not "
        f"fail at all under overcommit: the OOM killer ends the process later."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    sys.path.insert(0, HERE)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}."
    )
    print()
    print(timings(args.quick))
    print()
    print(peak_memory())
    print()
    print(time_to_refuse())


if __name__ == "__main__":
    main()
