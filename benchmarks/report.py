"""Run the benchmark suite and print the README's tables (Markdown).

    python benchmarks/report.py            # full run, a few minutes
    python benchmarks/report.py --quick    # fewer rounds, for a look

Four parts: timings (medians, and ratios to plain NumPy and to the pass-through
subclass, all from one run), a plot of the overhead as arrays grow (benchmarks/costs.png,
with matplotlib from the bench extra), peak memory of the pipeline guarded and
unguarded (in subprocesses), and the time to refuse a projected 8 TB result.
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


def timings(quick: bool) -> tuple[str, dict[str, dict[str, float]]]:
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
    return "\n".join(lines), groups


SIZES = [(1, "a + b, 1 element(s)"), (1e3, "a + b, 1e3 element(s)"),
         (1e6, "a + b, 1e6 element(s)"), (1e7, "a + b, 1e7 element(s)")]

ARMED = textwrap.dedent("""
    import json, sys, timeit
    import numpy as np
    out = {}
    for n in (1, 1_000, 1_000_000, 10_000_000):
        a, b = np.ones(n), np.ones(n)
        number = max(1, 200_000 // n)
        out[n] = min(timeit.repeat(lambda: a + b, number=number, repeat=7)) / number
    print(json.dumps(out))
""")


def backstop_ratios() -> dict[float, float]:
    """`a + b` on plain arrays in a process armed by NUMGUARD_MODE against an unarmed one
    (child processes, run alternately twice; the smaller of each pair's times)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "armed": []}
    for _ in range(2):
        for kind, env in (("plain", base), ("armed", {**base, "NUMGUARD_MODE": "raise"})):
            done = subprocess.run([sys.executable, "-c", ARMED], capture_output=True,
                                  text=True, check=True, env=env)
            runs[kind].append(json.loads(done.stdout))
    best = {kind: {n: min(r[n] for r in results) for n in results[0]}
            for kind, results in runs.items()}
    return {float(n): best["armed"][n] / best["plain"][n] for n in best["plain"]}


def plot(groups: dict[str, dict[str, float]], armed: dict[float, float], path: str) -> str:
    """Overhead against plain NumPy as the array grows, one line per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    labels = {"plain": "plain ndarray", "passthrough": "pass-through subclass",
              "handcheck": "hand-written check", "numguard": "numguard GuardedArray",
              "quantity": "astropy Quantity"}
    for kind in ORDER:
        points = [(n, groups[g][kind] / groups[g]["plain"]) for n, g in SIZES
                  if g in groups and kind in groups[g]]
        if points:
            axes.plot(*zip(*points), marker="o", label=labels[kind])
    axes.plot(list(armed), list(armed.values()), marker="s", linestyle="--",
              label="plain arrays, backstop armed (NUMGUARD_MODE)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("elements in a + b (float64)")
    axes.set_ylabel("time relative to plain NumPy")
    axes.set_title("What guarding costs as arrays grow (median, one run)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


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
        except numguard.MemoryLimitError:
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
        f"BroadcastMemoryError in {_time(ours)} ({ours / theirs:.0f}x); NumPy's own MemoryError, for a request "
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
    table, groups = timings(args.quick)
    print(table)
    print()
    armed = backstop_ratios()
    print("Backstop armed, plain a + b, vs unarmed: " + ", ".join(
        f"{n:g} elements x{r:.2f}" for n, r in armed.items()))
    print(f"Plot: {plot(groups, armed, os.path.join(HERE, 'costs.png'))}")
    print()
    print(peak_memory())
    print()
    print(time_to_refuse())


if __name__ == "__main__":
    main()
