"""NumguardPlugin: arm numguard in every dask worker, with a limit dask's own thresholds allow.

`client.register_plugin(NumguardPlugin())` runs `setup` in every worker, present and
future. Each worker then:

- arms numguard's allocation backstop for the whole process (`numguard.enable`): tasks
  run in copied contexts, so only process-level settings reach them all;
- judges each NumPy allocation against the limit of `worker_limit` (the rule and why);
- runs each task inside `numguard.guard()` (numguard.dask.executor), so a refused task
  fails with numguard's MemoryLimitError, not NumPy's bare "Unable to allocate"; the
  worker itself is never killed, as nothing was allocated;
- sends every over-limit record of logger "numguard" as an event on topic "numguard"
  (`client.get_events("numguard")`), with primitive fields. A refused task's error
  carries the message to the client, and distributed logs it in the worker's log
  ("Compute Failed"), so numguard's record of it is an INFO record, not echoed.

`teardown` (unregistering the plugin, or closing the worker) restores the worker: the
executors back, the event sender removed, the backstop disarmed and the process
settings as they were (re-armed if they were armed before, e.g. by NUMGUARD_MODE).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import dask
import psutil
from distributed import Worker, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

import numguard
from numguard import backstop, forksafe
from numguard.limits import parse_limit

from .executor import restore_task_executors, wrap_task_executors
from .worker_limit import Requested, WorkerLimit, worker_limit

#: The event topic of refusals (and of each worker's "armed" notice).
TOPIC = "numguard"

#: The fields of numguard's log record copied into each event (primitive values only).
RECORD_FIELDS = ("numguard_rule", "action", "nbytes", "limit", "limit_text", "mode",
                 "available", "binding", "site", "allocator")

#: Environment variables `dask_setup` (the --preload entry point) reads.
ENVIRONMENT = {"NUMGUARD_MODE": "mode", "NUMGUARD_LIMIT": "limit",
               "NUMGUARD_INFLATION": "inflation"}

log = logging.getLogger("numguard")
_PRIMITIVE = (str, int, float, bool, type(None))


class NumguardPlugin(WorkerPlugin):
    """Arms numguard in each worker: see the module docstring.

    mode: "raise" (refuse), "warn" or "log" (report, let it run), "off" (do nothing).
    limit: None to derive it from the worker's memory_limit (numguard.dask.worker_limit),
    or a cap on that: bytes (an int, "2GiB") or a share of memory_limit ("25%").
    inflation: numguard's inflation factor for GuardedArrays in tasks; None leaves the
    worker's own setting.
    """

    idempotent = True
    name = "numguard"

    def __init__(self, mode: str = "raise", limit: int | str | None = None,
                 inflation: float | None = None) -> None:
        try:
            numguard.Settings().updated(mode=mode)
        except ValueError:
            raise ValueError(f"NumguardPlugin(mode={mode!r}) is not valid: expected one of "
                             f"'raise', 'warn', 'log', 'off'") from None
        self.mode = mode
        self.limit = limit
        self.requested = _requested(limit)
        if inflation is not None:
            numguard.Settings().updated(inflation=inflation)  # its own clear ValueError
        self.inflation = inflation
        self._workers: dict[int, tuple[dict[str, Any], EventSender]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"mode": self.mode, "limit": self.limit, "inflation": self.inflation}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def setup(self, worker: Worker) -> None:
        if self.mode == "off":
            log.info("numguard: NumguardPlugin(mode='off') leaves worker %s unarmed",
                     worker.address)
            return
        derived = self.limit_for(worker)
        sender = EventSender(worker, derived)
        _process.add(worker, derived, self)
        originals = wrap_task_executors(worker.executors)
        logging.getLogger("numguard").addFilter(sender)
        self._workers[id(worker)] = (originals, sender)
        armed = {"action": "armed", "worker": worker.address, "mode": self.mode,
                 "limit": derived.limit, "rule": derived.rule,
                 "guarded_executors": sorted(originals)}
        log.info("numguard: worker %s armed, limit %s per allocation: %s",
                 worker.address, derived.limit, derived.rule)
        _send_when_running(worker, armed)

    def teardown(self, worker: Worker) -> None:
        entry = self._workers.pop(id(worker), None)
        if entry is None:
            return
        originals, sender = entry
        logging.getLogger("numguard").removeFilter(sender)
        replaced = restore_task_executors(worker.executors, originals)
        if replaced:
            log.warning("numguard: worker %s executors %s were replaced after numguard "
                        "wrapped them; left as they are", worker.address, replaced)
        _process.remove(worker)

    def limit_for(self, worker: Worker) -> WorkerLimit:
        """This worker's limit: numguard.dask.worker_limit's rule with its own figures."""
        memory = worker.memory_manager
        return worker_limit(
            memory_limit=memory.memory_limit,
            nthreads=worker.state.nthreads,
            in_use=psutil.Process().memory_info().rss,
            pause=memory.memory_pause_fraction,
            terminate=dask.config.get("distributed.worker.memory.terminate", default=False),
            requested=self.requested,
        )

    def __repr__(self) -> str:
        return f"NumguardPlugin(mode={self.mode!r}, limit={self.limit!r}, " \
               f"inflation={self.inflation!r})"


def _requested(limit: int | str | None) -> Requested:
    if limit is None:
        return Requested()
    try:
        parsed = parse_limit(limit)
    except (TypeError, ValueError):
        raise ValueError(f"NumguardPlugin(limit={limit!r}) is not valid: expected None "
                         f"(derived from the worker's memory_limit), bytes (an int, '2GiB') "
                         f"or a share of memory_limit ('25%')") from None
    return Requested(parsed.nbytes, parsed.fraction)


class EventSender(logging.Filter):
    """Sends each over-limit record of logger "numguard" as a worker event.

    A filter on the logger, not a handler: numguard writes its record to stderr when no
    handler would show it, and a handler here would silence that line in the worker's
    log. It lets every record through unchanged.
    """

    def __init__(self, worker: Worker, derived: WorkerLimit) -> None:
        super().__init__()
        self.worker = worker
        self.rule = derived.rule

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "numguard_rule", None) is not None and self._is_mine():
            try:
                _send(self.worker, self.event(record))
            except Exception:  # noqa: BLE001 - an event must never fail an allocation
                pass
        return True

    def event(self, record: logging.LogRecord) -> dict[str, Any]:
        fields = {name: getattr(record, name, None) for name in RECORD_FIELDS}
        event = {name: value for name, value in fields.items() if isinstance(value, _PRIMITIVE)}
        event.update(worker=self.worker.address, key=_current_key(), thread=record.threadName,
                     rule=self.rule, message=record.getMessage())
        return event

    def _is_mine(self) -> bool:
        """The allocation ran in one of this worker's tasks (or outside any, in its process)."""
        try:
            return get_worker() is self.worker
        except ValueError:  # not in a task: the process's first worker reports it
            return _process.first() is self.worker


def _current_key() -> str | None:
    try:
        from distributed.worker import thread_state
    except ImportError:
        return None
    key = getattr(thread_state, "key", None)
    return None if key is None else str(key)


def _send(worker: Worker, event: dict[str, Any]) -> None:
    try:
        worker.log_event(TOPIC, event)
    except Exception as error:  # noqa: BLE001 - a closing worker: the log still has it
        log.debug("numguard: could not send an event from %s: %r", worker.address, error)


_pending: set[asyncio.Task] = set()


def _send_when_running(worker: Worker, event: dict[str, Any]) -> None:
    """Send now, or once the worker has joined its scheduler (a --preload runs before;
    distributed silently drops what a worker sends while it is not connected)."""
    if _is_running(worker):
        _send(worker, event)
        return

    async def when_running() -> None:
        for _ in range(1200):  # up to a minute: a worker that never joins sends nothing
            await asyncio.sleep(0.05)
            if _is_running(worker):
                _send(worker, event)
                return

    try:
        task = asyncio.get_running_loop().create_task(when_running())
    except RuntimeError:  # setup outside the worker's event loop: nothing to wait with
        return
    _pending.add(task)
    task.add_done_callback(_pending.discard)


def _is_running(worker: Worker) -> bool:
    return getattr(worker.status, "name", "") == "running"


class ProcessArming:
    """Workers armed in this process: usually one; several with in-process workers.

    numguard's switch is process-wide, so with several workers in one process the
    tightest limit applies, and the process is restored when the last one leaves.
    """

    def __init__(self) -> None:
        self._lock = forksafe.lock(self, "_lock")
        self._workers: dict[int, tuple[Worker, WorkerLimit, NumguardPlugin]] = {}
        self._before: numguard.Settings | None = None
        self._was_armed = False
        self._level = logging.NOTSET

    def add(self, worker: Worker, derived: WorkerLimit, plugin: NumguardPlugin) -> None:
        with self._lock:
            if not self._workers:
                self._before = numguard.get_settings()
                self._was_armed = _is_armed()
                # A refusal the task's error carries is an INFO record (numguard.report):
                # the events are sent from the records, so the logger must let INFO by.
                self._level = log.level
                if log.getEffectiveLevel() > logging.INFO:
                    log.setLevel(logging.INFO)
            self._workers[id(worker)] = (worker, derived, plugin)
            self._arm()

    def remove(self, worker: Worker) -> None:
        with self._lock:
            if self._workers.pop(id(worker), None) is None:
                return
            if self._workers:
                self._arm()
                return
            numguard.disable()
            log.setLevel(self._level)
            if self._before is not None:
                numguard.configure(self._before)
            if self._was_armed:
                numguard.enable()

    def first(self) -> Worker | None:
        entries = list(self._workers.values())
        return entries[0][0] if entries else None

    def _arm(self) -> None:
        entries = list(self._workers.values())
        _, derived, plugin = min(entries, key=lambda entry: _sort_key(entry[1].limit))
        settings: dict[str, Any] = {"mode": plugin.mode, "limit": derived.limit}
        if plugin.inflation is not None:
            settings["inflation"] = plugin.inflation
        # Each setting named in the user's words: "limit=205.5 MiB from NumguardPlugin:
        # (pause 80% of memory_limit 600 MiB - 68.9 MiB in use) / 2 threads = 205.5 MiB".
        origins = {"mode": f"NumguardPlugin(mode={plugin.mode!r})",
                   "limit": f"NumguardPlugin: {derived.rule}",
                   "inflation": f"NumguardPlugin(inflation={plugin.inflation!r})"}
        backstop.enable_as(origins, **settings)


def _sort_key(limit: int | str) -> float:
    """Bytes before shares of available memory, each in increasing order."""
    return float(limit) if isinstance(limit, int) else 2.0**64 + float(limit.rstrip("%"))


def _is_armed() -> bool:
    """Whether numguard's backstop is armed (NUMGUARD_MODE, enable()) before the plugin."""
    is_enabled = getattr(getattr(numguard, "backstop", None), "is_enabled", None)
    return bool(is_enabled()) if callable(is_enabled) else False


_process = ProcessArming()


async def dask_setup(worker: Worker) -> None:
    """`dask worker --preload numguard.dask`: register NumguardPlugin in this worker.

    Its parameters come from NUMGUARD_MODE, NUMGUARD_LIMIT (a share is of the worker's
    memory_limit) and NUMGUARD_INFLATION, when set.
    """
    if not isinstance(worker, Worker):
        raise TypeError(f"numguard.dask is a worker preload (dask worker --preload "
                        f"numguard.dask), not for a {type(worker).__name__}")
    plugin = NumguardPlugin(**plugin_options(os.environ))
    await worker.plugin_add(plugin, name=plugin.name, catch_errors=False)


def plugin_options(environ: Any) -> dict[str, Any]:
    """NumguardPlugin's parameters from NUMGUARD_* variables; a bad one is named."""
    options: dict[str, Any] = {}
    for variable, name in ENVIRONMENT.items():
        raw = environ.get(variable, "").strip()
        if not raw:
            continue
        value: Any = raw.lower() if name == "mode" else raw
        if name == "limit" and raw.isascii() and raw.isdigit():
            value = int(raw)
        if name == "inflation":
            try:
                value = None if raw.lower() in ("none", "off") else float(raw)
            except ValueError:
                value = raw
        options[name] = value
    try:
        NumguardPlugin(**options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"numguard.dask preload: {error} (from the NUMGUARD_* variables "
                         f"{', '.join(v for v in ENVIRONMENT if environ.get(v))})") from None
    return options
