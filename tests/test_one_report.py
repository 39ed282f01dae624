"""One trip, one report, on every path (#20.5), and reports that never break anything
(#21.5, #21.6, #21.7). Each case runs in a child process: what reaches stderr and the
warnings machinery is the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest


def run(code: str, *flags: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(variables)
    return subprocess.run([sys.executable, *flags, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120, env=env)


def last_json(done: subprocess.CompletedProcess):
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


COUNT = """
    import json, logging, warnings
    import numpy as np, numguard

    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append([record.levelname, record.action])
    logging.getLogger("numguard").addHandler(Keep())
    logging.getLogger("numguard").setLevel(logging.DEBUG)
    warnings.simplefilter("always")
    path, mode = {path!r}, {mode!r}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with numguard.guard(limit="1MiB", mode=mode):
                if path == "plain":
                    np.ones((2000, 1)) * np.ones((1, 1000))
                else:
                    numguard.wrap(np.ones((2000, 1))) * np.ones((1, 1000))
            outcome = "ran"
        except MemoryError as error:
            outcome = type(error).__name__
    print(json.dumps([outcome, len(caught), records]))
"""


@pytest.mark.parametrize("path", ["plain", "wrapped"])
@pytest.mark.parametrize("mode, outcome, warned, records", [
    ("raise", "refused", 0, [["INFO", "refused"]]),
    ("warn", "ran", 1, [["INFO", "allowed"]]),
    ("log", "ran", 0, [["WARNING", "allowed"]]),
])
def test_each_mode_reports_once_and_nothing_reaches_stderr(path, mode, outcome, warned, records):
    done = run(COUNT.format(path=path, mode=mode))
    got, caught, kept = last_json(done)
    assert (got != "ran") == (outcome == "refused")
    assert caught == warned
    assert kept == records
    assert done.stderr == ""  # the warning, the error or the record is the one report


def test_an_armed_process_says_why_numpy_refused_on_stderr_once():
    done = run("""
        import numpy as np
        try:
            np.ones((2000, 1)) * np.ones((1, 1000))
        except MemoryError as error:
            print(type(error).__name__)
    """, NUMGUARD_LIMIT="1MiB")
    assert done.stdout.split() == ["MemoryError"]
    assert done.stderr.count("numguard:") == 1
    assert "15.3 MiB" in done.stderr and "limit=1MiB from NUMGUARD_LIMIT" in done.stderr


@pytest.mark.parametrize("path", ["plain", "wrapped"])
def test_a_logging_handler_that_fails_never_fails_the_operation_on_either_path(path):
    # #21.6: in log mode a raising handler made the wrapped operation fail, while the
    # backstop path swallowed it. Both now run, and say once that the handler failed.
    done = run(f"""
        import json, logging
        import numpy as np, numguard

        class Broken(logging.Handler):
            def emit(self, record):
                raise RuntimeError("this handler is broken")
        logging.getLogger("numguard").addHandler(Broken())
        with numguard.guard(limit="1MiB", mode="log"):
            if {path!r} == "plain":
                result = np.ones((2000, 1)) * np.ones((1, 1000))
            else:
                result = numguard.wrap(np.ones((2000, 1))) * np.ones((1, 1000))
        print(json.dumps(list(result.shape)))
    """)
    assert last_json(done) == [2000, 1000]
    assert done.stderr.count("a handler of logger 'numguard' failed (RuntimeError") == 1


@pytest.mark.parametrize("path", ["plain", "wrapped"])
def test_with_warnings_as_errors_a_warn_trip_raises_the_warning_on_either_path(path):
    # #21.5: with -W error, wrapped operations raised MemoryLimitWarning and plain ones
    # MemoryError. Leaving the block, both are the warning now (chained from NumPy's
    # MemoryError for the plain one); nothing was allocated either way.
    done = run(f"""
        import json
        import numpy as np, numguard
        try:
            with numguard.guard(limit="1MiB", mode="warn"):
                if {path!r} == "plain":
                    np.ones((2000, 1)) * np.ones((1, 1000))
                else:
                    numguard.wrap(np.ones((2000, 1))) * np.ones((1, 1000))
            print(json.dumps("ran"))
        except Warning as warning:
            print(json.dumps([type(warning).__name__, "15.3 MiB" in str(warning)]))
    """, "-W", "error")
    assert last_json(done) == ["MemoryLimitWarning", True]


def test_an_allocation_in_a_thread_without_a_python_frame_is_judged_and_recorded():
    # #21.7: armed with enable(limit="1MiB", mode="log"), a thread started on np.empty
    # itself gave "ValueError: call stack is not deep enough", and no record was written.
    done = run("""
        import _thread, json, logging, time
        import numpy as np, numguard

        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append([record.action, record.site])
        logging.getLogger("numguard").addHandler(Keep())
        numguard.enable(limit="1MiB", mode="log")
        _thread.start_new_thread(np.empty, ((10**6,),))
        deadline = time.monotonic() + 30
        while not records and time.monotonic() < deadline:
            time.sleep(0.01)
        print(json.dumps(records))
    """)
    assert last_json(done) == [["allowed", "<unknown>:0"]]
    assert "call stack is not deep enough" not in done.stderr
