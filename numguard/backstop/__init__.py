"""The allocation backstop: judge NumPy's data allocations before any memory is touched.

GuardedArray checks what wrapped arrays do; the backstop protects plain NumPy code. It
hooks NumPy's data-memory handler (NEP 49): NumPy asks the handler for every array's
data, so a request over the limit is refused before any memory is touched, and NumPy
raises its own MemoryError with the shape and dtype. numguard logs a record on the
"numguard" logger (requested bytes, limit, budget, binding source, call site); when
that MemoryError leaves a `numguard.guard(...)` block it becomes numguard's error,
chained from NumPy's (inside the block, `except MemoryError` catches NumPy's).

Who is judged, by what:

- Inside `with numguard.guard(...)` (and functions decorated with it), every NumPy
  allocation of that thread or asyncio task is judged by the block's settings, the
  innermost block winning. Entering a block installs the handler if needed; the last
  block out removes it again unless the process is armed.
- Outside every block, allocations are judged by the process settings only while the
  process is armed: `enable()`, `python -m numguard run`, or any NUMGUARD_* variable at
  start-up (numguard-backstop.pth, _startup.py). Unarmed, they are not judged.

How, and why (see docs/guides/production.md for the figures):

- NumPy looks its handler up in a ContextVar whose default is one capsule,
  PyDataMem_DefaultHandler; a new thread (before Python 3.14), a new asyncio task
  started from a fresh context, and every context that never set a handler use it.
  The backstop re-points that default capsule at a handler named "numguard_backstop"
  that wraps NumPy's own functions, so every thread is covered; a context that set its
  own handler keeps it (that library's allocations are not checked).
- Memory is always released by the allocator that made it: the wrapper's free *is*
  the wrapped free, and arrays keep a reference to the capsule, not to the wrapper.
- The fast path is C (_handler.c): one compare with the smallest threshold of any live
  block and the armed process, then NumPy's own function. Only larger requests call
  back into Python (_judge.py), with the GIL taken properly when NumPy released it. If
  the C helper was not built, a ctypes handler with the same design takes over, at a
  cost of microseconds per allocation; status()["backend"] says which runs.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from contextvars import Token
from typing import Any

from ..environment import configure_from_environment
from ..settings import (
    BlockHooks,
    Settings,
    configure_listeners,
    memory_error_translators,
    process_settings,
)
from ._control import BACKEND_VARIABLE, controller
from ._judge import WATCHERS

__all__ = ["BACKEND_VARIABLE", "disable", "enable", "enable_from_environment", "is_enabled",
           "status", "watch"]


class watch:
    """Observe NumPy's data allocations: `with watch(callback, floor=1): ...`.

    `callback(nbytes)` runs, in the allocating thread with the GIL held, for every
    NumPy data allocation of at least `floor` bytes made in this thread or asyncio task
    while the block runs (numguard's own bookkeeping excluded), once it is allowed;
    `refused(nbytes)`, if given, for each request the backstop refused instead (of any
    size). It
    observes only: it cannot refuse, and an exception it raises is ignored.
    `numguard.scaling` and the pytest plugin's reports are built on it.
    """

    __slots__ = ("_callback", "_floor", "_refused", "_registered", "_token")

    def __init__(self, callback: Callable[[int], Any], floor: int = 1,
                 refused: Callable[[int], Any] | None = None) -> None:
        if not callable(callback) or (refused is not None and not callable(refused)):
            raise TypeError(f"watch() needs callables, not {type(callback).__name__}")
        if isinstance(floor, bool) or not isinstance(floor, int) or floor < 1:
            raise ValueError(f"invalid floor {floor!r}: expected a whole number of bytes >= 1")
        self._callback, self._floor, self._refused = callback, floor, refused
        self._registered: int | None = None
        self._token: Token | None = None

    def __enter__(self) -> watch:
        if self._token is not None:
            raise TypeError("Cannot enter the same numguard.backstop.watch twice.")
        self._registered = controller.register(self._floor - 1)
        self._token = WATCHERS.set(
            WATCHERS.get() + ((self._callback, self._floor, self._refused),))
        return self

    def __exit__(self, *exc_info: Any) -> None:
        token, self._token = self._token, None
        registered, self._registered = self._registered, None
        if token is not None:
            WATCHERS.reset(token)
        if registered is not None:
            controller.unregister(registered)


def enable(**settings: Any) -> Settings:
    """Arm the process: judge every NumPy allocation outside guard blocks, everywhere.

    `settings` (mode, limit, inflation, rank_promotion) become the process defaults,
    as with `numguard.configure`; `disable()` puts back the ones they replaced. Calling
    it again while armed applies more settings (disable() still restores those from
    before the first call). With mode "off" the process is set to mode "off" and left
    unarmed. Returns the settings in force; safe from any thread.
    """
    return controller.arm(settings)


def disable() -> None:
    """Disarm the process and restore the process settings that `enable()` replaced.

    Guard blocks keep judging their own allocations. Safe to call when not armed.
    """
    controller.disarm()


def is_enabled() -> bool:
    """Whether the process is armed (allocations outside guard blocks are judged)."""
    return controller.armed


def status() -> dict[str, Any]:
    """What runs: armed, installed, backend ("c" or "ctypes"), thresholds and counters."""
    state = controller.status()
    settings = process_settings()
    state.update(mode=settings.mode, limit=settings.limit.text)
    return state


def enable_from_environment() -> Settings:
    """Arm with the NUMGUARD_* variables, mode "raise" unless NUMGUARD_MODE says otherwise
    (each setting keeps its variable as its origin; a bad value leaves its setting at the
    default, and `numguard.environment.problems` lists it)."""
    configure_from_environment()
    return controller.arm({}, origin="NUMGUARD_*")


def enable_as(origin: str | dict[str, str], **settings: Any) -> Settings:
    """enable() for numguard's own front ends, whose settings come from their own words
    (origin: one text, or one per setting: "numguard run --limit", "NumguardPlugin:
    ...") rather than from the line that called enable()."""
    return controller.arm(settings, origin=origin)


def _at_exit() -> None:
    # Interpreter shutdown: no more calls into Python from the handler; the C verdict
    # (the hard bound) still refuses oversize requests made by atexit handlers.
    controller.detach()


# Wired once, at import: settings.py knows nothing of the backstop.
try:
    controller.load()
except Exception:  # noqa: BLE001, S110 - enable() and guard blocks report it when used
    pass
BlockHooks.enter = controller.enter_block
BlockHooks.release = controller.release
configure_listeners.append(controller.follow)
memory_error_translators.append(controller.judge.translate)
atexit.register(_at_exit)
