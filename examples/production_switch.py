"""The production switch: protect a pipeline that never imports numguard.

    python examples/production_switch.py

This script re-runs itself in a child process with the variables a container spec
would set, NUMGUARD_MODE=raise and NUMGUARD_LIMIT=1GiB. The child runs `pipeline()`,
plain NumPy code with no numguard import. numguard's start-up hook (installed with
the package) arms the allocation backstop as soon as the child imports NumPy. The
incident's line, a (100000, 1) column times a (1, 20000) row, asks for 16 GB. It is
refused before any memory is touched: NumPy raises its own MemoryError, numguard
prints a record to stderr (no logging is configured here), and the job fails cleanly
instead of being OOM-killed.

In production you would usually keep the default limit (80% of the memory the
container can still use); the example fixes 1 GiB so that it behaves the same on any
machine.
"""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = "--child"
SETTINGS = {"NUMGUARD_MODE": "raise", "NUMGUARD_LIMIT": "1GiB"}


def pipeline() -> float:
    """An unmodified pipeline: plain NumPy, written the way the incident's code was."""
    import numpy as np

    rng = np.random.default_rng(0)
    weights = rng.random((1, 20_000))
    healthy = rng.random(20_000) * weights          # (1, 20000): 160 KB, as intended
    print(f"  healthy step: {healthy.shape} {healthy.nbytes:,} bytes, fine")
    profiles = rng.random((100_000, 1))             # a column where a flat vector was meant
    scores = profiles * weights                     # (100000, 20000): 16 GB
    return float(scores.sum())


def child() -> int:
    import resource

    import numpy as np

    if "numguard" not in sys.modules:  # the hook did not arm: never run the 16 GB step
        print("  numguard is not armed (is the package installed?); stopping here.")
        return 2
    print(f"  numguard armed itself when numpy was imported "
          f"(handler: {np._core.multiarray.get_handler_name()})")
    try:
        pipeline()
    except MemoryError as error:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  MemoryError: {error}")
        print(f"  the job fails cleanly; its peak RSS was {peak:.0f} MiB")
        return 1
    return 0


def main() -> int:
    command = [sys.executable, os.path.abspath(__file__), CHILD]
    shown = " ".join(f"{k}={v}" for k, v in SETTINGS.items())
    print(f"$ {shown} python {os.path.basename(__file__)}   # the pipeline never imports numguard")
    sys.stdout.flush()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}, **SETTINGS}
    done = subprocess.run(command, env=env, check=False)
    print(f"exit status {done.returncode}: {OUTCOMES.get(done.returncode, _signal(done.returncode))}")
    return 0 if done.returncode == 1 else 1


#: What the child's exit status means, said as it is.
OUTCOMES = {
    0: "the 16 GB step ran (numguard did not refuse it)",
    1: "refused before allocating, not OOM-killed",
    2: "numguard was not armed; the 16 GB step was not run",
}


def _signal(returncode: int) -> str:
    if returncode < 0:
        return f"killed by signal {-returncode} (an OOM kill looks like this: SIGKILL is 9)"
    return "the child failed for another reason (see its output above)"


if __name__ == "__main__":
    sys.exit(child() if CHILD in sys.argv[1:] else main())
