"""End to end: a real ipykernel, driven by jupyter_client, survives a refused cell.

The kernel is its own process (started and always shut down here, every wait with a
timeout). Its allocations stay small: the limit is 1 MiB and the refused result 8 MB.
"""

import os
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

import numguard  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "numguard" if hasattr(numguard, "load_ipython_extension") else "numguard.ipython"
TIMEOUT = 60


@pytest.fixture
def kernel(tmp_path):
    manager = jupyter_client.KernelManager(kernel_name="python3")
    environment = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path),
                   "IPYTHONDIR": str(tmp_path / "ipython"),
                   "PYTHONPATH": os.pathsep.join(
                       [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for variable in [name for name in environment if name.startswith("NUMGUARD_")]:
        del environment[variable]
    manager.start_kernel(env=environment)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code):
    """(the execute reply's content, the execute_result's text/plain or None)."""
    results = []

    def keep(message):
        if message["msg_type"] == "execute_result":
            results.append(message["content"]["data"]["text/plain"])

    reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=keep)
    return reply["content"], (results[0] if results else None)


def test_a_refused_cell_is_an_error_reply_with_numguards_message_and_the_kernel_lives(kernel):
    reply, _ = execute(kernel, f"%load_ext {EXTENSION}")
    assert reply["status"] == "ok", reply
    reply, shown = execute(kernel, "import numguard\n"
                                   "numguard.get_settings().limit.text, numguard.backstop.is_enabled()")
    assert shown == "('80%', True)"  # the default: 80% of what the kernel can allocate
    reply, _ = execute(kernel, "%numguard limit=1MiB\nimport numpy as np\nkept = 41")
    assert reply["status"] == "ok", reply

    reply, _ = execute(kernel, "refused = np.ones(1_000_000)")
    assert reply["status"] == "error"
    assert reply["ename"] == "MemoryLimitError"  # not a broadcast: a plain allocation
    assert "np.ones would allocate 7.6 MiB for a (1000000,) float64 result" in reply["evalue"]
    assert "expression: np.ones(1_000_000)" in reply["evalue"]  # read from the cell
    assert "limit: 1.0 MiB (limit=1MiB from %numguard in In[" in reply["evalue"]
    traceback = "\n".join(reply["traceback"])
    assert traceback == f"MemoryLimitError: {reply['evalue']}"  # no pages of frames
    assert "refused = np.ones(1_000_000)" in traceback

    reply, shown = execute(kernel, "numguard.get_settings().origin('limit')")
    assert shown == "'%numguard in In[3]'"  # ipykernel counts the cell early: still In[3]

    reply, shown = execute(kernel, "1 + 1")
    assert reply["status"] == "ok" and shown == "2"
    reply, shown = execute(kernel, "kept, 'refused' in globals()")
    assert shown == "(41, False)"
