"""What numguard costs where users run it: whole test suites of real projects, three ways.

    python benchmarks/suite_cost.py                          # the three suites below
    python benchmarks/suite_cost.py --suite sklearn.metrics  # one of them

Each suite (pytest --pyargs, run from an empty directory) runs unarmed, armed from the
environment (NUMGUARD_MODE=raise: every NumPy allocation goes through the backstop) and
under `pytest --numguard` (a guard block around every test), in the order
U A P P A U, so that drift in the machine's speed falls on every variant alike. Printed:
each run's wall time, the median per variant, the ratios to unarmed, and the outcome
line of each run (the counts must agree: numguard never changes a result).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

SUITES = ["sklearn.preprocessing", "sklearn.metrics", "numpy.lib"]
VARIANTS = {
    "unarmed": ({}, []),
    "NUMGUARD_MODE=raise": ({"NUMGUARD_MODE": "raise"}, []),
    "pytest --numguard": ({}, ["--numguard"]),
}
ORDER = ["unarmed", "NUMGUARD_MODE=raise", "pytest --numguard",
         "pytest --numguard", "NUMGUARD_MODE=raise", "unarmed"]


def run(suite: str, variant: str, where: str) -> tuple[float, str]:
    extra_env, options = VARIANTS[variant]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(extra_env)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--pyargs", suite, *options]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    outcome = next((line for line in reversed(done.stdout.splitlines())
                    if re.search(r"\d+ passed", line)), f"exit {done.returncode}")
    return elapsed, re.sub(r" in [\d.]+s.*", "", outcome.strip("= "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", help="a package to test (repeatable)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as where:
        for suite in options.suite or SUITES:
            times: dict[str, list[float]] = {v: [] for v in VARIANTS}
            for variant in ORDER:
                elapsed, outcome = run(suite, variant, where)
                times[variant].append(elapsed)
                print(f"{suite:22} {variant:20} {elapsed:7.1f} s  {outcome}", flush=True)
            base = statistics.median(times["unarmed"])
            for variant, values in times.items():
                median = statistics.median(values)
                print(f"{suite:22} {variant:20} median {median:7.1f} s  "
                      f"{median / base:.3f}x unarmed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
