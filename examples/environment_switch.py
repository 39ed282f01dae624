"""NUMGUARD_* environment variables set the defaults: no code change between runs.

The script below never mentions a mode or a limit. This example re-runs it in child
processes with different environment variables and prints what each run did:

    (no variables)                         -> runs (the default limit is 80% of memory)
    NUMGUARD_LIMIT=1MiB                    -> BroadcastMemoryError before allocating
    NUMGUARD_MODE=warn NUMGUARD_LIMIT=1MiB -> MemoryLimitWarning, then the step runs
    NUMGUARD_MODE=off                      -> the same GuardedArray, nothing is checked
    NUMGUARD_LIMIT=lots                    -> one line naming the variable; the default
                                              limit (80%) protects the run instead

Run: python examples/environment_switch.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

RUNS = [
    {},
    {"NUMGUARD_LIMIT": "1MiB"},
    {"NUMGUARD_MODE": "warn", "NUMGUARD_LIMIT": "1MiB"},
    {"NUMGUARD_MODE": "off"},
    {"NUMGUARD_LIMIT": "lots"},
]


def job() -> None:
    """The unchanged program: a (2000, 1) x (1, 500) step, 7.6 MiB."""
    import numpy as np

    import numguard

    profiles = numguard.wrap(np.ones((2_000, 1)))
    print(f"  wrap() gave {type(profiles).__name__} (mode {numguard.get_settings().mode})")
    try:
        result = profiles * np.ones((1, 500))
        print(f"  step ran: result {result.shape}")
    except numguard.BroadcastMemoryError as error:
        print("  step refused: " + str(error).splitlines()[0])
        print("  " + str(error).splitlines()[1].strip())


def main() -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    for variables in RUNS:
        shown = " ".join(f"{k}={v}" for k, v in variables.items()) or "(no NUMGUARD_ variables)"
        print(f"$ {shown} python {os.path.basename(__file__)} --job")
        proc = subprocess.run([sys.executable, __file__, "--job"], env={**clean, **variables},
                              capture_output=True, text=True, timeout=60)
        print(proc.stdout, end="")
        for line in proc.stderr.splitlines():
            found = re.search(r"\w+(Warning|Error): .*|^numguard: .*", line)
            if found:
                print("  stderr: " + found.group(0)[:150])
        print(f"  exit status {proc.returncode}")
    return 0


if __name__ == "__main__":
    if "--job" in sys.argv:
        job()
    else:
        raise SystemExit(main())
