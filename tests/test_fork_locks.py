"""#21.2: every lock numguard owns is renewed in a forked child, each case in a child
process with a timeout (a hang would otherwise hang the suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, Linux")


def run(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_twin_classes_made_in_a_thread_while_forking_never_hang_the_child():
    # The reproducer: a thread loops creating twin classes while the main thread
    # forks; the child's first wrap of a masked array used to hang in 27 of 40 children.
    done = run("""
        import os, threading, time
        import numpy as np, numguard

        stop = threading.Event()
        def churn():
            i = 0
            while not stop.is_set():
                numguard.wrap(np.ones(3).view(type(f"S{i}", (np.ndarray,), {})))
                i += 1
        threading.Thread(target=churn, daemon=True).start()
        hung = 0
        for _ in range(40):
            time.sleep(0.002)
            pid = os.fork()
            if pid == 0:
                numguard.wrap(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))
                os._exit(0)
            deadline = time.monotonic() + 10
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9); os.waitpid(pid, 0); hung += 1
                    break
                time.sleep(0.005)
        stop.set()
        print("hung", hung)
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["hung", "0"]


def test_a_child_forked_while_every_registered_lock_is_held_can_take_each_one():
    done = run("""
        import json, os, threading, time
        import numpy as np, numguard
        from numguard import forksafe
        # every module that owns a lock, loaded (numguard loads most on first use)
        import numguard.backstop, numguard.guarded.array, numguard.memory.monitor
        try:
            from numguard.dask.plugin import _process  # ProcessArming owns one
        except ImportError:  # without the dask extra
            pass

        locks = forksafe.registered()
        held, release = threading.Event(), threading.Event()
        def hold():
            taken = [getattr(owner, name) for owner, name in locks]
            for each in taken:
                each.acquire()
            held.set(); release.wait()
            for each in taken:
                each.release()
        threading.Thread(target=hold, daemon=True).start()
        held.wait()
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            ok = [getattr(owner, name).acquire(timeout=5) for owner, name in forksafe.registered()]
            os.write(writer, json.dumps(ok).encode()); os._exit(0)
        os.waitpid(pid, 0)
        release.set()
        print(json.dumps([len(locks), json.loads(os.read(reader, 65536))]))
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    count, taken = json.loads(done.stdout.splitlines()[-1])
    assert count >= 3  # the backstop's, the budget monitor's, the twins' (and the dask plugin's)
    assert taken == [True] * count
