"""What the guard does, scoped the way `np.errstate` is scoped.

Settings live in a ContextVar: a `guard(...)` block (numguard.scope) sees its own
settings, nested blocks win over outer ones, and threads and asyncio tasks do not see
each other's. Outside every block the process defaults apply: those come from
`configure(...)` and, at import, from the NUMGUARD_* environment variables. As with
errstate, a new thread starts with the process defaults (before Python 3.14 a thread
does not inherit its creator's context).

Every Settings remembers where each value came from ("NUMGUARD_LIMIT",
"guard(limit=...) at job.py:12", "default"), so a refusal can say why that limit holds.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .limits import InvalidValue, Limit, parse_limit

MODES = ("raise", "warn", "log", "off")
RANK_PROMOTION = ("allow", "warn", "raise")

#: The default limit: 80% of the memory this process can still allocate. A result
#: larger than that leaves under a fifth of what is left for everything else the
#: program holds next to it (its inputs' temporaries, NumPy's casting buffers, the
#: interpreter), and past 100% the kernel's OOM killer is certain; below it,
#: legitimate large results still pass.
DEFAULT_LIMIT = "80%"

#: The default inflation rule: off. Any factor above 1 means operands were stretched
#: against each other, but so do legitimate idioms (pairwise distances, x[:, None]
#: * y[None, :]); raising on them by default would get the guard switched off. The
#: byte limit already stops the incident at production size. Turn it on where toy
#: data must reveal the bug: `inflation=2` (or NUMGUARD_INFLATION=2) in a test suite.
DEFAULT_INFLATION: float | None = None


def _check_mode(value: Any) -> str:
    if not isinstance(value, str) or value not in MODES:
        raise InvalidValue(f"invalid mode {value!r}: expected one of {', '.join(map(repr, MODES))}")
    return value


def _check_inflation(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        raise InvalidValue(
            f"invalid inflation {value!r}: expected None (rule off) or a factor of at least 1"
        )
    if not math.isfinite(value):
        raise InvalidValue(f"invalid inflation {value!r}: the factor must be finite; "
                           f"expected None (rule off) or a factor of at least 1",
                           "the factor must be finite")
    return float(value)


def _check_rank_promotion(value: Any) -> str:
    if not isinstance(value, str) or value not in RANK_PROMOTION:
        raise InvalidValue(
            f"invalid rank_promotion {value!r}: expected one of "
            f"{', '.join(map(repr, RANK_PROMOTION))}"
        )
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "mode": _check_mode,
    "limit": parse_limit,
    "inflation": _check_inflation,
    "rank_promotion": _check_rank_promotion,
}

DEFAULT_ORIGIN = "default"


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force: mode, limit, inflation, rank_promotion (docs/guides/guard.md, "Settings")."""

    mode: str = "raise"
    limit: Limit = parse_limit(DEFAULT_LIMIT)
    inflation: float | None = DEFAULT_INFLATION
    rank_promotion: str = "allow"
    origins: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    """(setting, where it was set) pairs; a setting not listed has its default."""

    def __post_init__(self) -> None:
        # Public: `Settings(limit="1MiB")` must mean what `configure(limit="1MiB")` means,
        # and `Settings(mode="bogus")` must fail here, not later inside an operation.
        for name, check in _CHECKS.items():
            value = getattr(self, name)
            checked = check(value)
            if checked is not value:
                object.__setattr__(self, name, checked)
        if not isinstance(self.origins, tuple):
            raise TypeError(f"Settings origins must be a tuple of (setting, origin) pairs, "
                            f"not {type(self.origins).__name__}")

    def updated(self, origin: str | None = None, /, **changes: Any) -> Settings:
        """A copy with `changes` applied, each validated, noted as set at `origin`."""
        checked = validate(changes)
        if origin is not None and checked:
            kept = tuple((k, v) for k, v in self.origins if k not in checked)
            checked["origins"] = kept + tuple((name, origin) for name in checked)
        return replace(self, **checked)

    def origin(self, name: str) -> str:
        """Where setting `name` was set: "NUMGUARD_LIMIT", "configure() at job.py:3", ..."""
        if name not in _CHECKS:
            raise ValueError(f"unknown setting {name!r}: expected {', '.join(_CHECKS)}")
        for key, where in self.origins:
            if key == name:
                return str(where)
        return DEFAULT_ORIGIN


def validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validated settings; a clear error names an unknown setting or a bad value."""
    checked = {}
    for name, value in changes.items():
        check = _CHECKS.get(name)
        if check is None:
            raise TypeError(f"unknown setting {name!r}: expected {', '.join(_CHECKS)}")
        checked[name] = check(value)
    return checked


_process = Settings()


class Scope:
    """One entry of a `guard` block: its settings, and the backstop's registration for them.

    The two travel together in one ContextVar (`_scoped`), so whatever context holds the
    settings also holds what makes the allocation backstop judge that context: a copied
    context (an asyncio task created in the block and awaited after it, a generator's
    caller) is judged by the settings it sees, plain and wrapped arrays alike. The
    registration is released when the last context holding the scope lets it go (its
    `__del__`), not when the block's code ends. So code that reads `_scoped` must not
    keep the Scope in a local variable of a frame an exception can carry (a traceback
    kept by a test runner would keep the registration, and the handler installed):
    it reads the Settings and lets the Scope go. `parent` is the scope in force when this
    one was entered; `exited` is set when its block ends (an interleaved generator may
    leave its block while a later block is still active over it).
    """

    __slots__ = ("settings", "parent", "exited", "_handle")

    def __init__(self, settings: Settings, parent: Scope | None) -> None:
        self.settings = settings
        self.parent = parent
        self.exited = False
        self._handle: Any = None
        enter = BlockHooks.enter
        if enter is not None:
            self._handle = enter(settings)

    def __del__(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            release = BlockHooks.release
            if release is not None:
                release(handle)
        except BaseException:  # noqa: BLE001, S110 - a finaliser must never raise
            pass


_scoped: ContextVar[Scope | None] = ContextVar("numguard_settings", default=None)
#: True inside `scope.translating()`: a MemoryError leaving it becomes numguard's error
#: with the whole message, so the backstop need not echo its record to stderr.
translating_here: ContextVar[bool] = ContextVar("numguard_translating", default=False)
#: The same promise made for a whole thread's call (`translating_thread`): a dask task
#: runs in a context copied elsewhere, which a ContextVar set around the call never reaches.
translating_threads: set[int] = set()


def get_settings() -> Settings:
    """The settings in force here: the innermost guard's, else the process defaults.

    Returns
    -------
    Settings
        mode, limit, inflation, rank_promotion; `.origin(name)` says where each was set.
    """
    scope = _scoped.get()
    return _process if scope is None else scope.settings


def process_settings() -> Settings:
    """The process defaults: what applies outside every `guard` block, in every thread."""
    return _process


def in_block() -> bool:
    """Whether this context is inside a `guard` block (whatever its settings)."""
    return _scoped.get() is not None


#: Called with the new process defaults after each `configure()` (the allocation
#: backstop re-reads its thresholds there).
configure_listeners: list[Callable[[Settings], None]] = []

_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_frame(depth: int = 2) -> tuple[str, int]:
    """(file name, line) of the first caller outside numguard (a few frames at most)."""
    frame = _frame(depth)
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_DIR):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0)
    return (os.path.basename(frame.f_code.co_filename), frame.f_lineno or 0)


def _frame(depth: int) -> Any:
    """sys._getframe(depth), or the outermost frame when the stack is not that deep (a
    thread started on a C function has no Python frame of its own)."""
    try:
        frame = sys._getframe(2)  # the caller of the function that asks
    except ValueError:
        return None
    for _ in range(depth - 1):
        if frame.f_back is None:
            break
        frame = frame.f_back
    return frame


def configure(settings: Settings | None = None, /, **changes: Any) -> Settings:
    """Set the process defaults (what applies outside every `guard` block).

    Parameters
    ----------
    settings : Settings, optional
        Settings to restore as a whole, typically what an earlier call returned.
    **changes
        mode : {"raise", "warn", "log", "off"}
        limit : int or str, a whole byte count, '512MiB', '2 GB' or '75%'
        inflation : float or None, a factor of at least 1, or None (rule off)
        rank_promotion : {"allow", "warn", "raise"}

    Returns
    -------
    Settings
        The previous process defaults, as `np.seterr` returns the old state, so a test
        can restore them in one call: ``old = configure(limit="1GiB"); ...;
        configure(old)``.
    """
    filename, lineno = caller_frame()
    return _configure(settings, changes, f"configure() at {filename}:{lineno}")


def _configure(settings: Settings | None, changes: Mapping[str, Any], origin: str) -> Settings:
    """configure() for numguard's own callers (enable(), the environment) with their origin."""
    global _process
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"configure() takes a Settings as its only positional argument, "
                        f"not {type(settings).__name__}")
    previous = _process
    base = previous if settings is None else settings
    _process = base.updated(origin, **changes)
    for listener in list(configure_listeners):
        listener(_process)
    return previous


class BlockHooks:
    """What runs when a `guard` block's Scope is made and when it is let go.

    `enter(settings)` runs when a block (or a guarded call, or a generator step) is
    entered and returns a handle; `release(handle)` runs when the last context holding
    that Scope lets it go (see Scope), from any thread, at any moment (a finaliser), so
    it must be safe to call anywhere. The allocation backstop installs itself here
    (numguard.backstop), so that plain NumPy allocations inside a block are judged
    against the block's settings; settings.py itself imports nothing of it.
    """

    enter: Callable[[Settings], Any] | None = None
    release: Callable[[Any], None] | None = None


#: Functions that may turn a MemoryError raised inside a guard block into a numguard
#: error (the allocation backstop registers one): each returns the exception to raise
#: from the original, or None.
memory_error_translators: list[Callable[[MemoryError], BaseException | None]] = []


def settings_fields() -> tuple[str, ...]:
    """The names of the settings, in order."""
    return tuple(f.name for f in fields(Settings) if f.name != "origins")
