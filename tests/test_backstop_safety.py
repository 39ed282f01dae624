"""The backstop never crashes or hangs a program (#10.1, #10.2), each case in a child
process with a timeout.

- GIL: np.fromstring(..., sep=" ") grows its buffer with the GIL released, while
  another thread runs Python. The handler must take the GIL on the allocating thread's
  own state (before the fix: a segfault, 3 runs out of 3), and judge and report from
  that thread (its line, its guard block).
- Fork: children forked while another thread is inside configure()/enable()/disable()
  or a guard block's bookkeeping must be able to use numguard (before: 2 to 11 of 40
  hung on the inherited lock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from backends import BACKENDS, DEFAULT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, Linux")


def run_child(code: str, *args: str, backend: str = DEFAULT, timeout: float = 120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env["NUMGUARD_BACKSTOP_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], check=False, capture_output=True,
        text=True, timeout=timeout, env=env,
    )


GIL_RELEASED = """
    import json, logging, sys, threading
    import numpy as np, numguard

    mode, where = sys.argv[1], sys.argv[2]
    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append([record.site.rsplit(":", 1)[1], record.threadName, record.action])
    logging.getLogger("numguard").addHandler(Keep())
    logging.getLogger("numguard").setLevel(logging.INFO)  # refusals an error carries are INFO
    threading.Thread(target=lambda: [{} for _ in iter(int, 1)], daemon=True).start()
    text = " ".join(["15"] * 400000)  # 3.2 MB of int64, grown with the GIL released

    def parse():
        outcomes = []
        for _ in range(20):
            try:
                outcomes.append(int(np.fromstring(text, dtype=np.int64, sep=" ").sum()))  # the line
            except MemoryError:
                outcomes.append("refused")
        return outcomes

    def in_a_block():
        with numguard.guard(limit="100KB", mode=mode):
            return parse()

    if where == "process":
        numguard.enable(limit="100KB", mode=mode)
        outcomes = parse()
    else:  # a guard block in a worker thread: judged by that thread's block
        found = []
        worker = threading.Thread(target=lambda: found.append(in_a_block()), name="worker")
        worker.start(); worker.join()
        outcomes = found[0]
    print(json.dumps([outcomes, records]))
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("where", ["process", "block"])
@pytest.mark.parametrize("mode", ["raise", "warn", "log"])
def test_an_allocation_without_the_gil_is_judged_on_its_own_thread(backend, where, mode):
    done = run_child(GIL_RELEASED, mode, where, backend=backend)
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes, records = json.loads(done.stdout.strip().splitlines()[-1])
    thread = "MainThread" if where == "process" else "worker"
    line = next(str(number) for number, text in enumerate(textwrap.dedent(GIL_RELEASED).splitlines(), 1)
                if text.endswith("# the line"))
    # One record per call, however many times np.fromstring grows its buffer (#20.5).
    if mode == "raise":
        assert outcomes == ["refused"] * 20
        assert records == [[line, thread, "refused"]] * 20
    else:
        assert outcomes == [6_000_000] * 20
        assert records == [[line, thread, "allowed"]] * 20


FORKS = """
    import os, sys, threading, time
    import numpy as np, numguard
    from numguard import backstop

    stop = threading.Event()

    def churn():
        while not stop.is_set():
            numguard.configure(limit="1GiB")
            backstop.enable(limit="2GiB")
            with numguard.guard(limit="3GiB"):
                numguard.configure(limit="4GiB")
            backstop.disable()

    workers = [threading.Thread(target=churn) for _ in range(2)]
    for worker in workers:
        worker.start()
    hung = failed = 0
    for _ in range(40):
        time.sleep(0.002)
        pid = os.fork()
        if pid == 0:  # the child: every entry point must work
            try:
                numguard.configure(limit="64MiB")
                backstop.enable(limit="64MiB")
                refused = False
                try:
                    np.empty(2**24 + 1)
                except MemoryError:
                    refused = True
                backstop.disable()
                with numguard.guard(limit="1MiB"):
                    try:
                        np.empty(2**17 + 1)
                    except MemoryError:
                        refused = refused and True
                    else:
                        refused = False
                state = backstop.status()
                if not refused or state["live_blocks"]:
                    print("child:", refused, state, file=sys.stderr)
                os._exit(0 if refused and state["live_blocks"] == 0 else 3)
            except BaseException:
                import traceback; traceback.print_exc()
                os._exit(4)
        deadline = time.monotonic() + 30
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                failed += os.waitstatus_to_exitcode(status) != 0
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9); os.waitpid(pid, 0); hung += 1
                break
            time.sleep(0.005)
    stop.set()
    for worker in workers:
        worker.join()
    print(hung, failed)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_forty_forks_against_threads_inside_configure_enable_and_blocks(backend):
    done = run_child(FORKS, backend=backend, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["0", "0"], done.stderr[-3000:]  # hung, failed
