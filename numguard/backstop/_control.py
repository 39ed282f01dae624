"""The backstop's state: whether the handler is installed, for whom, and its fast bound.

The handler sits in NumPy's default capsule while something needs it: the armed process
(`enable()`, the NUMGUARD_* start-up hook) or at least one live `guard` block (or
guarded call, or generator step). The last one out puts NumPy's own handler back, so
outside every block an unarmed process allocates exactly as without numguard.

The C fast path has one bound: the smallest fast threshold of any live block and of the
armed process (`_judge.thresholds`). A request at or under it costs one compare; above
it, Python judges it against the allocating context's own settings (`Judge.decide`), so
other threads and asyncio tasks are judged by theirs (usually: allowed).

Bookkeeping is one lock around a dict of live blocks (token -> threshold, thread) and a
count per threshold. A block's registration ends when its Scope is let go by the last
context holding it (settings.Scope): that is a finaliser, which may run in any thread
at any moment, even in the middle of this bookkeeping in the same thread (the cyclic
garbage collector runs where memory is allocated). So `release` never mutates while
another mutation is under way: it queues the token, and the queue is drained by
whoever holds the lock next, or at once when the lock is free. Fork safety: the child
gets a new lock (a thread of the parent may have held it at the fork) and keeps only
the blocks of the thread that forked, the only one that exists there.
"""

from __future__ import annotations

import collections
import contextvars
import itertools
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

from .. import forksafe
from ..memory.monitor import SMALL_DIVISOR, SMALL_FLOOR
from ..settings import Settings, _configure, _scoped, caller_frame, process_settings
from . import _capsule
from ._judge import UNLIMITED, Judge, fresh_until, thresholds

#: Set to "ctypes" to skip the C helper (tests and benchmarks use it to measure the fallback).
BACKEND_VARIABLE = "NUMGUARD_BACKSTOP_BACKEND"


def load_backend() -> tuple[Any, str]:
    """The handler module: the C helper, else (or if asked) the ctypes fallback.

    NUMGUARD_NO_C (any value but empty or "0") runs numguard's Python code alone, the
    backstop's ctypes handler included; NUMGUARD_BACKSTOP_BACKEND=c then is an error."""
    wanted = os.environ.get(BACKEND_VARIABLE, "").strip().lower()
    if wanted not in ("", "c", "ctypes"):
        raise ValueError(f"{BACKEND_VARIABLE}={wanted!r} is not valid: expected c | ctypes")
    if os.environ.get("NUMGUARD_NO_C", "").strip() not in ("", "0"):
        if wanted == "c":
            raise ValueError(f"{BACKEND_VARIABLE}=c and NUMGUARD_NO_C are both set: "
                             f"unset one of them")
        wanted = "ctypes"
    if wanted != "ctypes":
        try:
            from . import _handler  # type: ignore[attr-defined]

            return _handler, "c"
        except ImportError:
            if wanted == "c":
                raise
    from . import _ctypes_handler

    return _ctypes_handler, "ctypes"


class Backstop:
    """One per process (`controller`): the handler's installation, bounds and judge."""

    def __init__(self) -> None:
        self.lock = forksafe.lock(self, "lock", reentrant=True)
        self.judge = Judge(self._budget_read)
        self.backend: Any = None
        self.backend_name: str | None = None
        self.armed = False
        self.installed = False
        self._verified = False  # the empty-context self-test passed once
        self._capsule: object | None = None
        self._process_bounds = (UNLIMITED, UNLIMITED, UNLIMITED)  # (floor, fast, hard) while armed
        #: From the last budget a decision read: no fast bound above what that reading
        #: allows (memory may have shrunk since a block registered), and until when C may
        #: rely on it without asking.
        self._cap = UNLIMITED
        self._fresh_until = 0.0
        self._replaced: Settings | None = None  # the process settings enable() replaced
        self._live: dict[int, tuple[int, int]] = {}  # token -> (fast, thread ident)
        self._counts: dict[int, int] = {}  # fast threshold -> live blocks with it
        self._tokens = itertools.count(1)
        self._released: collections.deque[int] = collections.deque()
        self._mutating = False
        self._pushed: tuple[int, int, float, int] | None = None
        self._hook_failed = False
        self._last_threshold: tuple[Any, str, int] | None = None

    # -- the process: enable() / disable() -------------------------------------------

    def arm(self, changes: dict[str, Any], origin: str | Mapping[str, str] | None = None
            ) -> Settings:
        """enable(): `changes` become the process defaults, noted as set at `origin` (one
        text, or one per setting; default "enable() at <the caller's file:line>")."""
        try:
            with self.lock:
                return self._arm(changes, origin)
        finally:
            if self._released:
                self._drain()

    def _arm(self, changes: dict[str, Any], origin: str | Mapping[str, str] | None) -> Settings:
        before = process_settings()
        if origin is None:
            filename, lineno = caller_frame(3)
            origin = f"enable() at {filename}:{lineno}"
        if isinstance(origin, str):
            _configure(None, changes, origin)
        else:
            updated = before
            for name, value in changes.items():
                updated = updated.updated(origin.get(name, "enable()"), **{name: value})
            _configure(updated, {}, "enable()")
        current = process_settings()
        if current.mode == "off":
            self._disarm()
            self._replaced = None  # the caller asked for these settings
            return current
        self.load()
        if not self.armed:
            self._replaced = before
        self.armed = self.judge.armed = True
        self._process_bounds = thresholds(current)
        try:
            self._install()
        except BaseException:
            self.disarm()
            raise
        self._push(force=True)  # a fresh judge.decide, even if the bounds are the same
        return current

    def disarm(self) -> None:
        try:
            with self.lock:
                replaced, self._replaced = self._replaced, None
                self._disarm()
                if replaced is not None:
                    _configure(replaced, {}, "disable()")  # the settings and their origins, as they were
        finally:
            if self._released:
                self._drain()

    def _disarm(self) -> None:
        if not self.armed:
            return
        self.armed = self.judge.armed = False
        self._process_bounds = (UNLIMITED, UNLIMITED, UNLIMITED)
        self._push()
        self._uninstall_if_unused()

    def follow(self, settings: Settings) -> None:
        """configure() changed the process settings: an armed backstop's bounds follow."""
        with self.lock:
            if self.armed:
                self._process_bounds = thresholds(settings)
                self._push()

    def _budget_read(self, settings: Settings, budget: Any, scoped: bool) -> None:
        """A decision read the budget: the fast bound follows it (never above what it
        allows) and stays trusted for MAX_AGE. From a decision: never wait for the lock
        there (another thread may hold it); a missed update only costs a Python call."""
        if not self.lock.acquire(blocking=False):
            return
        try:
            if self._mutating:
                return
            self._cap = max(SMALL_FLOOR, budget.available // SMALL_DIVISOR)
            self._fresh_until = fresh_until(budget)
            if self.armed and not scoped and settings is process_settings():
                self._process_bounds = thresholds(settings, budget)
            self._push()
        finally:
            self.lock.release()

    # -- guard blocks: settings.BlockHooks ------------------------------------------

    def enter_block(self, settings: Settings) -> int | None:
        """Register a block's fast threshold; returns its token (None: nothing to judge)."""
        try:
            fast = self._block_threshold(settings)
            if fast >= UNLIMITED and settings.mode == "off":
                return None
            return self.register(fast)
        except Exception as error:  # noqa: BLE001 - a block must run even if this fails
            self._report_hook_failure(error)
            return None

    def register(self, fast: int) -> int:
        """Have C ask Python about every request over `fast` bytes until `unregister`."""
        with self.lock:
            self._mutating = True
            try:
                token = next(self._tokens)
                self._live[token] = (fast, threading.get_ident())
                counts = self._counts
                counts[fast] = counts.get(fast, 0) + 1
                if not self.installed:
                    self._install()  # pushes the bounds first
                else:
                    self._push()  # (pushes only if the bounds changed)
            finally:
                self._mutating = False
        if self._released:
            self._drain()
        return token

    def _block_threshold(self, settings: Settings) -> int:
        # A guard instance or decorator hands the same Limit object on every entry: a
        # fixed limit's threshold is remembered (a share's follows the budget).
        limit, mode = settings.limit, settings.mode
        cached = self._last_threshold
        if cached is not None and cached[0] is limit and cached[1] == mode:
            return cached[2]
        fast = thresholds(settings)[1]
        if limit.nbytes is not None:
            self._last_threshold = (limit, mode, fast)
        return fast

    def release(self, token: int) -> None:
        """A Scope's registration ends (settings.BlockHooks.release): from a finaliser,
        in any thread, at any moment; never raises, never waits."""
        try:
            self._released.append(token)
            self._drain()
        except BaseException as error:  # noqa: BLE001 - a finaliser must never fail
            self._report_hook_failure(error)

    def _drain(self) -> None:
        """Unregister the released tokens, unless a mutation is under way (it drains them
        when it ends) or another thread holds the lock (it drains them before it lets go)."""
        while self._released and not self._mutating:
            if not self.lock.acquire(blocking=False):
                return
            try:
                if self._mutating:
                    return  # this thread, reentered in the middle of its own bookkeeping
                while self._released:
                    self._forget(self._released.popleft())
            finally:
                self.lock.release()

    def unregister(self, token: int) -> None:
        """Undo `register`: the bounds relax, and the handler leaves when nothing is live."""
        self._forget(token)
        if self._released:
            self._drain()

    def _forget(self, token: int) -> None:
        with self.lock:
            self._mutating = True
            try:
                entry = self._live.pop(token, None)
                if entry is None:
                    return
                counts = self._counts
                fast = entry[0]
                left = counts[fast] - 1
                if left:
                    counts[fast] = left
                    return
                del counts[fast]
                if not self._live and not self.armed:
                    self._uninstall()  # the next install pushes the bounds afresh
                else:
                    self._push()
            finally:
                self._mutating = False

    def _report_hook_failure(self, error: BaseException) -> None:
        if self._hook_failed:
            return
        self._hook_failed = True
        message = (f"numguard: the allocation backstop could not follow a guard block "
                   f"({type(error).__name__}: {error}); plain NumPy allocations inside "
                   f"guard blocks are not judged")
        try:
            from ..report import logger, shown  # logging, the formatter: only to report

            logger.error(message)
            if not shown(logger):
                sys.stderr.write(message + "\n")
        except Exception:  # noqa: BLE001, S110
            pass

    # -- the handler ------------------------------------------------------------------

    def load(self) -> None:
        """Import the handler module and find NumPy's capsule (at numguard's import:
        a fork while another thread imports would leave the child waiting on that
        import's lock forever)."""
        if self.backend is None:
            self.backend, self.backend_name = load_backend()
        if self._capsule is None:
            self._capsule = _capsule.default_handler_capsule()

    def _bounds(self) -> tuple[int, int, float, int]:
        """(floor, fast, fresh until, hard) for C: the tightest of the armed process and
        every live block, the fast bound capped by the last budget reading."""
        floor, fast, hard = self._process_bounds
        if self._counts:
            fast = min(fast, min(self._counts))
        fast = min(fast, max(self._cap, floor))
        floor = min(floor, fast, SMALL_FLOOR)
        return floor, fast, self._fresh_until, hard

    def _push(self, force: bool = False) -> None:
        if self.backend is None:
            return
        bounds = self._bounds()
        if force or bounds != self._pushed:
            floor, fast, fresh, hard = bounds
            self.backend.configure(floor, fast, fresh, hard, self.judge.decide, _scoped,
                                   self.armed and process_settings().mode == "raise")
            self._pushed = bounds

    def _install(self) -> None:
        if self.installed:
            return
        self.load()
        self._push(force=self._pushed is None)
        self.backend.install(self._capsule)
        self.installed = True
        if not self._verified:
            if not _is_guarding_everywhere(self.backend):
                self._uninstall()
                raise RuntimeError(
                    "numguard's backstop could not take over NumPy's default memory handler"
                )
            self._verified = True

    def _uninstall_if_unused(self) -> None:
        if not self.armed and not self._live:
            self._uninstall()

    def _uninstall(self) -> None:
        if self.installed:
            self.backend.uninstall()
            self.installed = False

    def detach(self) -> None:
        """No more Python decisions (interpreter exit): C judges by its hard bound alone."""
        with self.lock:
            if self.installed and self.backend is not None:
                floor, fast, fresh, hard = self._bounds()
                self.backend.configure(floor, fast, fresh, hard, None, _scoped, False)
                self._pushed = None

    def after_fork_in_child(self) -> None:
        """Only the forking thread's blocks (the others' threads are gone); the lock is
        already new (numguard.forksafe runs first).

        A thread of the parent may have been half-way through the bookkeeping: the
        counts are rebuilt from the blocks kept, and the bound is pushed afresh.
        """
        self._mutating = False
        self._released.clear()
        me = threading.get_ident()
        self._live = {token: entry for token, entry in list(self._live.items())
                      if entry[1] == me}
        counts: dict[int, int] = {}
        for fast, _ in self._live.values():
            counts[fast] = counts.get(fast, 0) + 1
        self._counts = counts
        try:
            if self.backend is not None:  # the flag may lag the capsule by one statement
                self.installed = bool(self.backend.state()["installed"])
            self._push(force=True)
            self._uninstall_if_unused()
        except Exception:  # noqa: BLE001, S110 - a lower bound only costs Python calls
            pass

    def status(self) -> dict[str, Any]:
        state: dict[str, Any] = {"armed": self.armed, "installed": self.installed,
                                 "backend": self.backend_name, "live_blocks": len(self._live)}
        if self.backend is not None:
            backend_state = self.backend.state()
            backend_state.pop("decide", None)
            backend_state.pop("installed", None)
            state.update(backend_state)
        return state


def _is_guarding_everywhere(backend: Any) -> bool:
    """A self-test: an empty context (what a new thread starts with: NumPy's default
    handler) must see the backstop.

    Run in a fresh contextvars.Context rather than a new thread: the same lookup of
    NumPy's handler variable with nothing set, without starting a thread (0.2 to 5 ms
    of an armed process's start-up on a busy machine, against about 10 us).
    """
    # Looked up here: the start-up hook arms inside NumPy's import.
    get_handler_name = _capsule.multiarray_module().get_handler_name
    return contextvars.Context().run(get_handler_name) == backend.NAME


#: The process's backstop.
controller = Backstop()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=controller.after_fork_in_child)
