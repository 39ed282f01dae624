"""The allocation backstop: refuse any NumPy data allocation over the limit, process-wide.

GuardedArray checks what wrapped arrays do; the backstop protects plain NumPy code
that never imports numguard. It hooks NumPy's data-memory handler (NEP 49): NumPy
asks the handler for every array's data, so a request over the limit is refused
before any memory is touched, and NumPy raises its own MemoryError with the shape and
dtype. numguard logs a record on the "numguard" logger (requested bytes, limit, budget,
binding source, call site); inside `numguard.guard(...)` the refusal reaches the user
as BroadcastMemoryError, chained from NumPy's error.

How it is armed, and why (see README "Production switch" for the figures):

- NumPy looks its handler up in a ContextVar whose default is one capsule,
  PyDataMem_DefaultHandler; a new thread (before Python 3.14), a new asyncio task
  started from a fresh context, and every context that never set a handler use it.
  Instead of setting a handler in the current context (which new threads would not
  see), the backstop re-points that default capsule at a handler that wraps NumPy's
  own functions. Every thread is covered, started before or after arming, by
  threading, concurrent.futures or C code; a context that set its own handler keeps
  it (that library's allocations are not checked).
- Memory is always released by the allocator that made it: the wrapper's free *is*
  the wrapped free, and arrays keep a reference to the capsule, not to the wrapper.
  Disarming points the capsule back; arrays made while armed are freed by NumPy's own
  function, which made them.
- The fast path is C (_handler.c): a compare with a byte threshold, then NumPy's own
  function. Only larger requests call back into Python (_judge.py). If the C helper
  was not built, a ctypes handler with the same design takes over, at a cost of
  microseconds per allocation (README); status()["backend"] says which runs.

`enable(**settings)` sets the process defaults (as `configure` does) and arms;
`disable()` disarms. Setting NUMGUARD_MODE arms every Python process at start-up
(numguard-backstop.pth, _startup.py), and `python -m numguard run` arms one program.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from .. import settings as _settings
from ..settings import (
    Settings,
    configure,
    configure_listeners,
    memory_error_translators,
    settings_from_environment,
)
from . import _capsule
from ._judge import Judge

__all__ = ["disable", "enable", "is_enabled", "status"]

#: Set to "ctypes" to skip the C helper (tests and benchmarks use it to measure the fallback).
BACKEND_VARIABLE = "NUMGUARD_BACKSTOP_BACKEND"

_lock = threading.RLock()
_backend: Any = None
_backend_name: str | None = None
_active_judge: Judge | None = None
_armed = False
_atexit_registered = False


def _load_backend() -> tuple[Any, str]:
    global _backend, _backend_name
    if _backend is None:
        wanted = os.environ.get(BACKEND_VARIABLE, "").strip().lower()
        if wanted not in ("", "c", "ctypes"):
            raise ValueError(f"{BACKEND_VARIABLE}={wanted!r} is not valid: expected c | ctypes")
        module = None
        if wanted != "ctypes":
            try:
                from . import _handler as module  # type: ignore[no-redef]
            except ImportError:
                if wanted == "c":
                    raise
                module = None
        if module is None:
            from . import _ctypes_handler as module  # type: ignore[no-redef]
        _backend = module
        _backend_name = "c" if module.__name__.endswith("._handler") else "ctypes"
    return _backend, _backend_name  # type: ignore[return-value]


def enable(**settings: Any) -> Settings:
    """Set the process defaults to `settings` (as `numguard.configure`) and arm the backstop.

    Returns the settings in force. With mode "off" the backstop is disarmed instead.
    Calling it again re-applies the settings; it is safe from any thread.
    """
    global _active_judge, _armed, _atexit_registered
    with _lock:
        configure(**settings)
        current = _settings.process_settings()
        if current.mode == "off":
            disable()
            return current
        backend, _ = _load_backend()
        if _active_judge is None:
            _active_judge = Judge(backend.configure)
            memory_error_translators.append(_active_judge.translate)
            configure_listeners.append(_on_configure)
        _active_judge.apply(current)
        if not _armed:
            capsule = _capsule.default_handler_capsule()
            backend.install(capsule)
            _armed = True
            if not _is_guarding_everywhere(backend):
                disable()
                raise RuntimeError(
                    "numguard's backstop could not take over NumPy's default memory handler"
                )
        if not _atexit_registered:
            atexit.register(_at_exit)
            _atexit_registered = True
        return current


def disable() -> None:
    """Disarm: NumPy allocates through its own handler again. Safe to call when disarmed."""
    global _armed
    with _lock:
        if _armed:
            _backend.uninstall()
            _armed = False


def is_enabled() -> bool:
    """Whether the backstop is armed."""
    return _armed


def status() -> dict[str, Any]:
    """What runs: armed or not, the backend ("c" or "ctypes"), thresholds and counters."""
    state: dict[str, Any] = {"armed": _armed, "backend": _backend_name}
    if _backend is not None:
        state.update(_backend.state())
        state.pop("decide", None)
        state.pop("installed", None)
    settings = _settings.process_settings()
    state.update(mode=settings.mode, limit=settings.limit.text)
    return state


def enable_from_environment() -> Settings:
    """Arm with the NUMGUARD_* variables (the start-up hook and `run` call this)."""
    return enable(**settings_from_environment())


def _is_guarding_everywhere(backend: Any) -> bool:
    """A self-test: a new thread (NumPy's default handler) must see the backstop."""
    name = backend.NAME
    seen: list[str | None] = []
    # Looked up here: the start-up hook arms inside NumPy's import, and the thread must
    # not import anything (it would wait on that import's lock while we wait on it).
    get_handler_name = _capsule.multiarray_module().get_handler_name
    thread = threading.Thread(target=lambda: seen.append(get_handler_name()))
    thread.start()
    thread.join()
    return seen == [name]


def _on_configure(settings: Settings) -> None:
    """configure() changed the process defaults: the C thresholds follow at once."""
    with _lock:
        if _armed and _active_judge is not None:
            _active_judge.apply(settings)


def _at_exit() -> None:
    # Interpreter shutdown: no more calls into Python from the handler; the C verdict
    # (hard_max) still refuses oversize requests made by atexit handlers and finalizers.
    with _lock:
        if _armed and _active_judge is not None:
            _active_judge.detach()
