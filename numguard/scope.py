"""Scoped settings: `guard`, numguard's `np.errstate`, and what runs around each block.

`with numguard.guard(limit="2GiB"):` and `@numguard.guard(mode="warn")` set the
settings for the code inside, in this thread or asyncio task only (a ContextVar, as
errstate). `BlockHooks` lets the allocation backstop follow blocks, so that plain
NumPy allocations inside one are judged by its settings. A MemoryError that leaves a
block is translated into numguard's own error class where a translator recognises it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import Token
from typing import Any, TypeVar

from .settings import (
    BlockHooks,
    Settings,
    _scoped,
    caller_frame,
    get_settings,
    memory_error_translators,
    translating_here,
    validate,
)

F = TypeVar("F", bound=Callable[..., Any])


def _enter_block(settings: Settings) -> tuple[Token, Any]:
    token = _scoped.set(settings)
    enter = BlockHooks.enter
    if enter is not None:
        try:
            handle = enter(settings)
        except BaseException:
            _scoped.reset(token)
            raise
        return (token, handle)
    return (token, None)


def _exit_block(entered: Any) -> None:
    token, handle = entered
    try:
        if handle is not None and BlockHooks.exit is not None:
            BlockHooks.exit(handle)
    finally:
        _scoped.reset(token)

def _raise_translated(error: BaseException | None) -> None:
    """Raise the numguard error a translator makes of `error`, chained; else return."""
    if not isinstance(error, MemoryError) or not memory_error_translators:
        return
    for translate in memory_error_translators:
        replacement = translate(error)
        if replacement is not None:
            raise replacement from error


class translating:
    """Turn a backstop refusal leaving this block into numguard's error; change no setting.

    For code that wraps other people's code without scoping settings of its own (a
    notebook cell, a worker's task): a `configure()` inside still takes effect at once.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = translating_here.set(True)

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        translating_here.reset(self._token)
        _raise_translated(error)


class guard:
    """Scoped settings: `with numguard.guard(limit="2GiB"):` or `@numguard.guard(mode="warn")`.

    Every NumPy data allocation made inside the block, in this thread or asyncio task,
    is judged by the block's settings before memory is touched: GuardedArrays through
    their projections, plain arrays and library code through the allocation backstop.
    Settings not given are those in force when the block is entered; nested blocks
    win. An instance cannot be entered again while it is active (TypeError), as with
    np.errstate; as a decorator it works on every call, in every thread, and scopes
    async and generator functions too.

    Parameters
    ----------
    mode : {"raise", "warn", "log", "off"}, optional
        What a trip does.
    limit : int or str, optional
        A whole byte count, a size ("512MiB", "2 GB") or a share of what the process
        can still allocate ("75%"). An explicit size is a cap: above what the process
        can allocate, that figure binds.
    inflation : float or None, optional
        Trip when a broadcast result has more than this factor times the elements of
        its largest operand; None turns the rule off.
    rank_promotion : {"allow", "warn", "raise"}, optional
        Operands of different ranks broadcast together.

    Raises
    ------
    TypeError
        An unknown setting.
    ValueError
        A bad value, named with the accepted forms.
    """

    __slots__ = ("_changes", "_origin", "_token", "_last")

    def __init__(self, **settings: Any) -> None:
        self._changes = validate(settings)
        self._origin = BlockOrigin(tuple(settings), caller_frame())
        self._token: tuple[Token, Any] | None = None
        self._last: tuple[Settings, Settings] | None = None

    def _scoped_settings(self) -> Settings:
        """The settings in force with this block's changes (cached per outer settings)."""
        base = get_settings()
        last = self._last
        if last is not None and last[0] is base:
            return last[1]
        scoped = _with_origin(base, self._changes, self._origin)
        self._last = (base, scoped)
        return scoped

    def __enter__(self) -> Settings:
        if self._token is not None:
            raise TypeError("Cannot enter `numguard.guard` twice.")
        scoped = self._scoped_settings()
        self._token = _enter_block(scoped)
        return scoped

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        entered, self._token = self._token, None
        _exit_block(entered)
        _raise_translated(error)

    def __call__(self, func: F) -> F:
        scoped = self._scoped_settings
        if inspect.iscoroutinefunction(func):
            return _guarded_coroutine(func, scoped)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return _guarded_generator(func, scoped)  # type: ignore[return-value]

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            entered = _enter_block(scoped())
            try:
                return func(*args, **kwargs)
            except MemoryError as error:
                _raise_translated(error)
                raise
            finally:
                _exit_block(entered)

        return guarded  # type: ignore[return-value]


def _guarded_coroutine(func: Callable[..., Any], scoped: Callable[[], Settings]) -> Callable[..., Any]:
    """`async def` bodies run when awaited: scope the settings around the await."""

    @functools.wraps(func)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        entered = _enter_block(scoped())
        try:
            return await func(*args, **kwargs)
        except MemoryError as error:
            _raise_translated(error)
            raise
        finally:
            _exit_block(entered)

    return guarded


def _guarded_generator(func: Callable[..., Any], scoped: Callable[[], Settings]) -> Callable[..., Any]:
    """A generator body runs on each resume: scope the settings around every step."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        steps = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            entered = _enter_block(scoped())
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




class BlockOrigin:
    """Where a guard was written: formatted only when a report asks (entering stays cheap)."""

    __slots__ = ("names", "where")

    def __init__(self, names: tuple[str, ...], where: tuple[str, int]) -> None:
        self.names = names
        self.where = where

    def __str__(self) -> str:
        filename, lineno = self.where
        arguments = ", ".join(f"{name}=..." for name in self.names)
        return f"guard({arguments}) at {filename}:{lineno}"

    def __reduce__(self) -> tuple:
        return (BlockOrigin, (self.names, self.where))


def _with_origin(base: Settings, changes: dict[str, Any], origin: BlockOrigin) -> Settings:
    """`base` with the block's (already validated) changes, each noted as set at `origin`."""
    if not changes:
        return base
    kept = tuple((k, v) for k, v in base.origins if k not in changes)
    get = changes.get
    return Settings(
        get("mode", base.mode), get("limit", base.limit), get("inflation", base.inflation),
        get("rank_promotion", base.rank_promotion),
        kept + tuple((name, origin) for name in changes),
    )
