"""GuardedArray's C fast path next to plain NumPy, a pass-through subclass and the Python
path alone, on the calls it exists for.

Run: python -m pytest benchmarks/bench_fastpath.py --benchmark-only --benchmark-min-rounds=40
     python benchmarks/bench_fastpath.py [--rounds 40] [--only "w + w"]   (interleaved:
     each round times every variant once, in turn; prints the minimum per call and the
     ratios)

Variants: plain ndarray; PassThrough (benchmarks/variants.py: unwrap, call, rewrap);
numguard (GuardedArray, C entries in); numguard-python (the same with the C entries taken
out by numguard.guarded.ufuncs.use_c(False): the Python path alone).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import timeit

import numpy as np
import pytest
from variants import as_kind

from numguard.guarded import ufuncs

VARIANTS = ["plain", "passthrough", "numguard", "numguard-python"]
#: case -> (the statement, on `w`; the number of elements)
CASES = {
    "w + w, 1 element": ("w + w", 1),
    "w + w, 1e3 elements": ("w + w", 1_000),
    "w + w, 1e6 elements": ("w + w", 1_000_000),
    "w * 2.5, 1 element": ("w * 2.5", 1),
    "w * 2.5, 1e3 elements": ("w * 2.5", 1_000),
    "np.sqrt(w), 1 element": ("np.sqrt(w)", 1),
    "np.sqrt(w), 1e3 elements": ("np.sqrt(w)", 1_000),
}


def operand(variant: str, size: int):
    return as_kind(np.ones(size), "numguard" if variant.startswith("numguard") else variant)


@contextlib.contextmanager
def path_of(variant: str):
    """The Python path alone for "numguard-python"; the classes as they are otherwise."""
    was = ufuncs.use_c(variant != "numguard-python")
    try:
        yield
    finally:
        ufuncs.use_c(was)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", list(CASES))
def test_fastpath(benchmark, case, variant):
    if variant == "numguard" and ufuncs.FASTPATH is None:
        pytest.skip("the C fast path is not built or NUMGUARD_NO_C is set")
    benchmark.group = case
    statement, size = CASES[case]
    run = eval(f"lambda w: {statement}", {"np": np})  # noqa: S307 - our own statements
    with path_of(variant):
        benchmark(run, operand(variant, size))


def interleaved(rounds: int, only: str = "") -> dict[str, dict[str, float]]:
    """{case: {variant: the fastest call, seconds}}: each round times every variant once,
    the statement itself (no function call around it). `only`: cases containing it."""
    best: dict[str, dict[str, float]] = {}
    for case, (statement, size) in CASES.items():
        if only not in case:
            continue
        timers = {}
        for variant in VARIANTS:
            timer = timeit.Timer(statement, globals={"np": np, "w": operand(variant, size)})
            with path_of(variant):
                number = max(1, timer.autorange()[0] // 4)
            timers[variant] = (timer, number)
        best[case] = {variant: float("inf") for variant in VARIANTS}
        for _ in range(rounds):
            for variant, (timer, number) in timers.items():
                with path_of(variant):
                    per_call = timer.timeit(number) / number
                best[case][variant] = min(best[case][variant], per_call)
    return best


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--only", default="", help="the cases whose name contains this")
    options = parser.parse_args()
    rounds = options.rounds
    if ufuncs.FASTPATH is None:
        sys.exit("the C fast path is not built or NUMGUARD_NO_C is set")
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}; minimum of {rounds} "
          f"interleaved rounds per variant")
    print("| case | variant | per call | vs plain | vs pass-through |")
    print("|---|---|---|---|---|")
    for case, times in interleaved(rounds, options.only).items():
        for variant, seconds in times.items():
            print(f"| {case} | {variant} | {_time(seconds)} | {seconds / times['plain']:.2f} "
                  f"| {seconds / times['passthrough']:.2f} |")


if __name__ == "__main__":
    main()
