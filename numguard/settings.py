"""What the guard does, scoped the way `np.errstate` is scoped.

Settings live in a ContextVar: a `guard(...)` block (or decorated function) sees its
own settings, nested blocks win over outer ones, and threads and asyncio tasks do
not see each other's. Outside every block, the process defaults apply: those come
from `configure(...)` and, at import, from the NUMGUARD_* environment variables.
As with errstate, a new thread starts with the process defaults (before Python
3.14 a thread does not inherit its creator's context).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

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

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4, "p": 1000**5, "pb": 1000**5,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4, "pib": 1024**5,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([a-zA-Z]*)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")

LIMIT_FORMS = (
    "a byte count (536870912), a size with a unit ('512MiB', '2 GB', '1.5GiB'; "
    "units B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB), "
    "or a share of available memory ('75%', from 0 to 100%)"
)


@dataclass(frozen=True, slots=True)
class Limit:
    """The most one operation may allocate: fixed bytes, or a share of available memory."""

    nbytes: int | None
    fraction: float | None
    text: str

    def resolve(self, available: int) -> int:
        """The limit in bytes, given what the process can still allocate."""
        if self.nbytes is not None:
            return self.nbytes
        return int(available * self.fraction)

    def __str__(self) -> str:
        return self.text


def parse_limit(value: Any) -> Limit:
    """A Limit from an int, a Limit, or a string such as '512MiB', '2 GB', '75%'."""
    if isinstance(value, Limit):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 1 or value != int(value):
            raise ValueError(
                f"invalid limit {value!r}: a byte count must be a positive whole number; "
                f"expected {LIMIT_FORMS}"
            )
        return Limit(int(value), None, f"{int(value)} bytes")
    if not isinstance(value, str):
        raise ValueError(f"invalid limit {value!r}: expected {LIMIT_FORMS}")
    percent = _PERCENT.match(value)
    if percent:
        share = float(percent.group(1))
        if not 0 < share <= 100:
            raise ValueError(f"invalid limit {value!r}: a share must be above 0% and at most 100%")
        return Limit(None, share / 100, f"{share:g}%")
    size = _SIZE.match(value)
    unit = size and _UNITS.get(size.group(3).lower())
    if not size or unit is None:
        raise ValueError(f"invalid limit {value!r}: expected {LIMIT_FORMS}")
    try:
        number = float(size.group(1)) * 10.0 ** int(size.group(2) or 0) * unit
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 1:
        raise ValueError(
            f"invalid limit {value!r}: it must be a finite size of at least one byte"
        )
    return Limit(int(number), None, value.strip())


def _check_mode(value: Any) -> str:
    if value not in MODES:
        raise ValueError(f"invalid mode {value!r}: expected one of {', '.join(map(repr, MODES))}")
    return value


def _check_inflation(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        raise ValueError(
            f"invalid inflation {value!r}: expected None (rule off) or a factor of at least 1"
        )
    return float(value)


def _check_rank_promotion(value: Any) -> str:
    if value not in RANK_PROMOTION:
        raise ValueError(
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


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force: see README "Settings" for each one."""

    mode: str = "raise"
    limit: Limit = parse_limit(DEFAULT_LIMIT)
    inflation: float | None = DEFAULT_INFLATION
    rank_promotion: str = "allow"

    def updated(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, each validated."""
        return replace(self, **validate(changes))


def validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validated settings; a clear error names an unknown setting or a bad value."""
    checked = {}
    for name, value in changes.items():
        check = _CHECKS.get(name)
        if check is None:
            raise TypeError(
                f"unknown setting {name!r}: expected {', '.join(f.name for f in fields(Settings))}"
            )
        checked[name] = check(value)
    return checked


_process = Settings()
_scoped: ContextVar[Settings | None] = ContextVar("numguard_settings", default=None)


def get_settings() -> Settings:
    """The settings in force here: the innermost guard's, else the process defaults."""
    scoped = _scoped.get()
    return _process if scoped is None else scoped


def process_settings() -> Settings:
    """The process defaults: what applies outside every `guard` block, in every thread."""
    return _process


#: Called with the new process defaults after each `configure()` (the allocation
#: backstop re-reads its thresholds there).
configure_listeners: list[Callable[[Settings], None]] = []


def configure(**settings: Any) -> Settings:
    """Set the process defaults (what applies outside every `guard` block); returns them."""
    global _process
    _process = _process.updated(**settings)
    for listener in list(configure_listeners):
        listener(_process)
    return _process


F = TypeVar("F", bound=Callable[..., Any])


class BlockHooks:
    """What runs when a `guard` block (or a guarded call) starts and ends.

    `enter(settings)` runs after the block's settings are set and returns a handle;
    `exit(handle)` runs before they are reset. The allocation backstop installs itself
    here (numguard.backstop), so that plain NumPy allocations inside a block are judged
    against the block's settings; settings.py itself imports nothing of it.
    """

    enter: Callable[[Settings], Any] | None = None
    exit: Callable[[Any], None] | None = None


def _enter_block(settings: Settings) -> Token:
    token = _scoped.set(settings)
    enter = BlockHooks.enter
    if enter is not None:
        try:
            handle = enter(settings)
        except BaseException:
            _scoped.reset(token)
            raise
        return (token, handle)  # type: ignore[return-value]
    return (token, None)  # type: ignore[return-value]


def _exit_block(entered: Any) -> None:
    token, handle = entered
    try:
        if handle is not None and BlockHooks.exit is not None:
            BlockHooks.exit(handle)
    finally:
        _scoped.reset(token)

#: Functions that may turn a MemoryError raised inside a guard block into a numguard
#: error (the allocation backstop registers one): each returns the exception to raise
#: from the original, or None.
memory_error_translators: list[Callable[[MemoryError], BaseException | None]] = []


def _raise_translated(error: BaseException | None) -> None:
    """Raise the numguard error a translator makes of `error`, chained; else return."""
    if not isinstance(error, MemoryError) or not memory_error_translators:
        return
    for translate in memory_error_translators:
        replacement = translate(error)
        if replacement is not None:
            raise replacement from error


class guard:
    """Scoped settings: `with numguard.guard(limit="2GiB"):` or `@numguard.guard(mode="warn")`.

    Settings not given are those in force when the block is entered. An instance
    cannot be entered again while it is active (TypeError), as with np.errstate; as a
    decorator it works on every call, in every thread.
    """

    __slots__ = ("_changes", "_token")

    def __init__(self, **settings: Any) -> None:
        self._changes = validate(settings)
        self._token: Token | None = None

    def __enter__(self) -> Settings:
        if self._token is not None:
            raise TypeError("Cannot enter `numguard.guard` twice.")
        scoped = replace(get_settings(), **self._changes)
        self._token = _enter_block(scoped)
        return scoped

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        entered, self._token = self._token, None
        _exit_block(entered)
        _raise_translated(error)

    def __call__(self, func: F) -> F:
        changes = self._changes
        if inspect.iscoroutinefunction(func):
            return _guarded_coroutine(func, changes)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return _guarded_generator(func, changes)  # type: ignore[return-value]

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            entered = _enter_block(replace(get_settings(), **changes))
            try:
                return func(*args, **kwargs)
            except MemoryError as error:
                _raise_translated(error)
                raise
            finally:
                _exit_block(entered)

        return guarded  # type: ignore[return-value]


def _guarded_coroutine(func: Callable[..., Any], changes: dict) -> Callable[..., Any]:
    """`async def` bodies run when awaited: scope the settings around the await."""

    @functools.wraps(func)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        entered = _enter_block(replace(get_settings(), **changes))
        try:
            return await func(*args, **kwargs)
        except MemoryError as error:
            _raise_translated(error)
            raise
        finally:
            _exit_block(entered)

    return guarded


def _guarded_generator(func: Callable[..., Any], changes: dict) -> Callable[..., Any]:
    """A generator body runs on each resume: scope the settings around every step."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        steps = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            entered = _enter_block(replace(get_settings(), **changes))
            try:
                item = steps.throw(thrown) if thrown is not None else steps.send(sent)
            except StopIteration as stop:
                return stop.value
            finally:
                _exit_block(entered)
            try:
                sent, thrown = (yield item), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as error:  # noqa: BLE001 - forwarded into the generator
                sent, thrown = None, error

    return guarded


#: Environment variables read at import, and the setting each one sets.
ENVIRONMENT = {
    "NUMGUARD_MODE": "mode",
    "NUMGUARD_LIMIT": "limit",
    "NUMGUARD_INFLATION": "inflation",
    "NUMGUARD_RANK_PROMOTION": "rank_promotion",
}
_ACCEPTED = {
    "mode": " | ".join(MODES),
    "limit": LIMIT_FORMS,
    "inflation": "a factor of at least 1 (e.g. 2, 1000), or 'none' to turn the rule off",
    "rank_promotion": " | ".join(RANK_PROMOTION),
}


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the NUMGUARD_* variables ask for, validated.

    ValueError names the variable, its value and the accepted forms.
    """
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for variable, name in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is None or raw.strip() == "":
            continue
        try:
            found[name] = _CHECKS[name](_from_text(name, raw.strip()))
        except (TypeError, ValueError):
            raise ValueError(
                f"{variable}={raw!r} is not valid: expected {_ACCEPTED[name]}"
            ) from None
    return found


def _from_text(name: str, raw: str) -> Any:
    if name == "inflation":
        return None if raw.lower() in ("none", "off") else float(raw)
    if name == "limit" and raw.isdigit():
        return int(raw)
    if name in ("mode", "rank_promotion"):
        return raw.lower()
    return raw
