"""Run every dask task inside a numguard guard, through the worker's executors.

distributed has no public hook around task execution; `Worker.executors` (documented,
and settable through `Worker(executor=...)`) is the nearest surface. The plugin puts a
thin wrapper in front of each task thread pool. The pool, its threads and its
secede/rejoin logic stay distributed's own; the wrapper only wraps each submitted call.

Why the result is rewritten: the worker runs a task through `_run_task`, which
catches the task's exception itself and returns a "task-erred" message (a dict
holding the exception). NumPy's MemoryError therefore never leaves the guard block by
raising. On the way out, the wrapper re-raises that exception inside `numguard.guard()`
(which turns a backstop refusal into numguard's MemoryLimitError) and rebuilds the
message with distributed's own `error_message`. Anything it does not recognise (another
message shape in a future distributed, another error) is returned untouched: the task
then fails with NumPy's own MemoryError, and the refusal is still logged and sent as an
event.

The wrapper's class name contains "ThreadPoolExecutor" on purpose: distributed checks
``"ThreadPoolExecutor" in str(type(executor))`` to decide whether a task runs with the
worker's context variables and thread state (`get_worker()`, `secede()`), as in a
plain pool.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import numguard
from numguard.errors import MemoryLimitError
from numguard.scope import translating_thread

try:
    from distributed.core import error_message
except ImportError:  # a distributed without it: tasks fail with NumPy's own error
    error_message = None  # type: ignore[assignment]

#: Executors a task never runs in: the actor's and the event loop's offload pool.
NOT_FOR_TASKS = ("actor", "offload")


class NumguardThreadPoolExecutor(concurrent.futures.Executor):
    """A task thread pool whose calls run inside `numguard.guard()`; the pool is `inner`."""

    def __init__(self, inner: concurrent.futures.Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
               ) -> concurrent.futures.Future:
        return self.inner.submit(run_guarded, fn, args, kwargs)

    def shutdown(self, wait: bool = True, **kwargs: Any) -> None:
        self.inner.shutdown(wait=wait, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # _max_workers, _threads, ...: whatever else a caller reads is the pool's.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"<NumguardThreadPoolExecutor around {self.inner!r}>"


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    return fn(*args, **kwargs)


#: One decorated call, made once: a guard used as a decorator serves every thread, and
#: it costs less per task than building a guard block each time.
_call_in_guard = numguard.guard()(_call)


def run_guarded(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Call `fn` in a guard block; translate a refused allocation in its failure message.

    distributed runs the task in a context it copied on the event loop's thread, which
    the block's ContextVar does not reach: the task is judged by the worker's (armed)
    process settings, and `translating_thread` tells the backstop that a refusal will
    reach the client as numguard's error, so its record is not echoed to stderr."""
    with translating_thread():
        return translated_outcome(_call_in_guard(fn, args, kwargs))


def translated_outcome(outcome: Any) -> Any:
    """A "task-erred" message whose exception was a backstop refusal, with numguard's error."""
    if error_message is None or not isinstance(outcome, dict):
        return outcome
    error = outcome.get("actual_exception")
    if outcome.get("op") != "task-erred" or not isinstance(error, MemoryError) or isinstance(
            error, MemoryLimitError):
        return outcome
    refusal = refusal_for(error)
    if refusal is None:
        return outcome
    try:
        frames = refusal.__traceback__
        try:
            raise refusal  # error_message reads the exception being handled
        except MemoryLimitError:
            refusal.__traceback__ = frames  # without this function's frame
            message = error_message(refusal)
    except Exception:  # noqa: BLE001 - never worse than NumPy's own error message
        return outcome
    rebuilt = dict(outcome)
    rebuilt.update(message)
    rebuilt["actual_exception"] = refusal
    return rebuilt


def refusal_for(error: MemoryError) -> MemoryLimitError | None:
    """numguard's error for `error` if it was a backstop refusal in this thread, else None."""
    frames = error.__traceback__
    try:
        with numguard.guard():  # leaving a guard block translates a refusal
            raise error
    except MemoryLimitError as refusal:
        refusal.__traceback__ = frames  # the task's frames, not this function's
        return refusal
    except MemoryError:  # the same error back: not a refusal of this thread
        return None
    finally:
        error.__traceback__ = frames


def wrap_task_executors(executors: dict[str, Any]) -> dict[str, Any]:
    """Wrap the task thread pools in `executors` in place; returns the originals by name."""
    originals = {}
    for name, executor in list(executors.items()):
        if name in NOT_FOR_TASKS or isinstance(executor, NumguardThreadPoolExecutor):
            continue
        if "ThreadPoolExecutor" not in str(type(executor)):
            continue  # a process pool: tasks cannot carry the guard there
        originals[name] = executor
        executors[name] = NumguardThreadPoolExecutor(executor)
    return originals


def restore_task_executors(executors: dict[str, Any], originals: dict[str, Any]) -> list[str]:
    """Put the original pools back; returns the names someone else replaced meanwhile."""
    replaced = []
    for name, original in originals.items():
        current = executors.get(name)
        if isinstance(current, NumguardThreadPoolExecutor) and current.inner is original:
            executors[name] = original
        else:
            replaced.append(name)
    return replaced
