"""Ctrl-C never lands inside the ctypes fallback's callbacks, and is never lost.

The ctypes handler's malloc, calloc and realloc are Python functions that NumPy's C
code calls. Python runs signal handlers at the start of every Python function, so a
Ctrl-C pending when NumPy allocates would raise KeyboardInterrupt at the callback's
first line, before any `try`: ctypes then reports it as unraisable and hands NumPy an
uninitialised pointer (measured: spurious "Unable to allocate 8 bytes" errors and
segmentation faults on 3d9c283). The C handler has no such entry point.

So, while the ctypes handler is installed, SIGINT's handler is wrapped (`hook`): a
signal handled while one of numguard's callbacks is on the stack is kept pending
instead of raised, and a helper thread (started on the first deferral, a daemon that
lives as long as the process) raises it again a moment later
(`_thread.interrupt_main`); when it lands outside the callbacks, the program's own
handler (KeyboardInterrupt by default) runs, as without numguard. A KeyboardInterrupt
the judge catches while deciding is passed on the same way (`soon`). Only the main
thread can set a signal handler: arming from another thread leaves SIGINT as it is.
"""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_CALLBACKS = _HERE + "_ctypes_handler.py"

#: A SIGINT is waiting to be raised again outside numguard's callbacks.
pending = False
_deliverer: threading.Thread | None = None
_original: Any = None
_hooked = False


def _inside_callback(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename == _CALLBACKS:
            return True
        frame = frame.f_back
    return False


def _handler(signum: int, frame: FrameType | None) -> Any:
    """SIGINT while the ctypes handler is installed: defer it out of the callbacks."""
    if _inside_callback(frame):
        soon()
        return None
    original = _original
    if callable(original):
        return original(signum, frame)
    if original == signal.SIG_IGN:
        return None
    raise KeyboardInterrupt  # SIG_DFL, or a handler installed from C: Python's default


def hook() -> None:
    """Wrap SIGINT's handler (main thread only; a no-op elsewhere or when hooked)."""
    global _original, _hooked
    if _hooked or threading.current_thread() is not threading.main_thread():
        return
    try:
        _original = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, _handler)
        _hooked = True
    except (ValueError, OSError, TypeError):  # no signals here (an embedded interpreter)
        _original = None


def unhook() -> None:
    """Put SIGINT's handler back, unless the program replaced ours meanwhile."""
    global _original, _hooked
    if not _hooked or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGINT) is _handler:
            signal.signal(signal.SIGINT, _original)
    except (ValueError, OSError, TypeError):
        pass
    _hooked, _original = False, None


def soon() -> None:
    """Raise SIGINT again in a moment, from a helper thread (one store: no interrupt
    can split it; the helper is started here or by the next callback)."""
    global pending
    pending = True
    ensure_deliverer()


def ensure_deliverer() -> None:
    global _deliverer
    if _deliverer is None or not _deliverer.is_alive():
        _deliverer = threading.Thread(target=_deliver, daemon=True, name="numguard-interrupt")
        _deliverer.start()


def _deliver() -> None:
    """The helper thread: re-raises a pending interrupt. It never ends (a thread that
    ended after some quiet could miss an interrupt deferred while it was ending: its
    `is_alive()` was still true); once quiet it looks 20 times a second."""
    global pending
    quiet = 0
    while True:
        if pending:
            pending = False
            time.sleep(0.001)
            _thread.interrupt_main()
            quiet = 0
        else:
            quiet += 1
        time.sleep(0.001 if quiet < 1000 else 0.05)
