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
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .settings import (
    Scope,
    Settings,
    _scoped,
    caller_frame,
    get_settings,
    memory_error_translators,
    translating_here,
    translating_threads,
    validate,
)

F = TypeVar("F", bound=Callable[..., Any])


def enter_scope(settings: Settings) -> Scope:
    """Make `settings` the ones in force in this context, with the backstop's
    registration (see settings.Scope); `exit_scope` ends it."""
    scope = Scope(settings, _scoped.get())
    _scoped.set(scope)
    return scope


def exit_scope(scope: Scope) -> None:
    """End `scope`'s block in this context.

    Blocks usually nest, and the scope in force is `scope` itself: the innermost scope
    still active below it takes over. An interleaved generator can end its block while
    a block entered after it is still active (`g1 = gen(); next(g1); g2 = gen();
    next(g2)`, then g1 finishes first): the later block stays in force, and when it
    ends, the scopes already ended below it are skipped. A ContextVar's `reset(token)`
    would restore whatever was there when each block began, and leave the caller inside
    a block that is over.
    """
    scope.exited = True
    if _scoped.get() is scope:
        parent = scope.parent
        while parent is not None and parent.exited:
            parent = parent.parent
        _scoped.set(parent)


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


class translating_thread:
    """`translating` for code that runs its own copied context inside the call (a dask
    worker's task): the promise is made for this thread while the block runs."""

    __slots__ = ("_ident", "_added")

    def __enter__(self) -> None:
        self._ident = threading.get_ident()
        self._added = self._ident not in translating_threads
        translating_threads.add(self._ident)

    def __exit__(self, *exc_info: Any) -> None:
        if self._added:
            translating_threads.discard(self._ident)


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

    __slots__ = ("_changes", "_origin", "_active", "_last")

    def __init__(self, **settings: Any) -> None:
        self._changes = validate(settings)
        self._origin: BlockOrigin | str = BlockOrigin(tuple(settings), caller_frame())
        #: {"scope": the Scope of the active entry}: one entry at a time, claimed with
        #: dict.setdefault, which is atomic, so that threads sharing an instance get the
        #: documented TypeError and nothing else.
        self._active: dict[str, Any] = {}
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
        claim = object()
        if self._active.setdefault("scope", claim) is not claim:
            raise TypeError("Cannot enter `numguard.guard` twice.")
        try:
            scoped = self._scoped_settings()
            self._active["scope"] = enter_scope(scoped)
        except BaseException:
            self._active.pop("scope", None)
            raise
        return scoped

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        scope = self._active.pop("scope", None)
        if isinstance(scope, Scope):
            exit_scope(scope)
        del scope  # the registration ends with the last reference (see settings.Scope)
        _raise_translated(error)

    def __call__(self, func: F) -> F:
        scoped = self._scoped_settings
        if inspect.isasyncgenfunction(func):
            return _guarded_async_generator(func, scoped)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):
            return _guarded_coroutine(func, scoped)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return _guarded_generator(func, scoped)  # type: ignore[return-value]

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            scope = enter_scope(scoped())
            try:
                return func(*args, **kwargs)
            except MemoryError as error:
                _raise_translated(error)
                raise
            finally:
                exit_scope(scope)
                del scope  # a traceback keeping this frame must not keep the registration

        return guarded  # type: ignore[return-value]


def _guarded_coroutine(func: Callable[..., Any], scoped: Callable[[], Settings]) -> Callable[..., Any]:
    """`async def` bodies run when awaited: scope the settings around the await."""

    @functools.wraps(func)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        scope = enter_scope(scoped())
        try:
            return await func(*args, **kwargs)
        except MemoryError as error:
            _raise_translated(error)
            raise
        finally:
            exit_scope(scope)
            del scope

    return guarded


def _guarded_generator(func: Callable[..., Any], scoped: Callable[[], Settings]) -> Callable[..., Any]:
    """A generator body runs on each resume: scope the settings around every step."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        steps = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            scope = enter_scope(scoped())
            try:
                item = steps.throw(thrown) if thrown is not None else steps.send(sent)
            except StopIteration as stop:
                return stop.value
            except MemoryError as error:
                _raise_translated(error)
                raise
            finally:
                exit_scope(scope)
                del scope
            try:
                sent, thrown = (yield item), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as error:  # noqa: BLE001 - forwarded into the generator
                sent, thrown = None, error

    return guarded


def _guarded_async_generator(func: Callable[..., Any],
                             scoped: Callable[[], Settings]) -> Callable[..., Any]:
    """An async generator's body runs on each `asend`/`athrow`: scope every step."""

    @functools.wraps(func)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        steps = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            scope = enter_scope(scoped())
            try:
                if thrown is not None:
                    item = await steps.athrow(thrown)
                else:
                    item = await steps.asend(sent)
            except StopAsyncIteration:
                return
            except MemoryError as error:
                _raise_translated(error)
                raise
            finally:
                exit_scope(scope)
                del scope
            try:
                sent, thrown = (yield item), None
            except GeneratorExit:
                await steps.aclose()
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


def _with_origin(base: Settings, changes: dict[str, Any], origin: BlockOrigin | str) -> Settings:
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
