"""The per-allocation limit of a dask worker, derived from its memory_limit.

The rule: the lowest of dask's own pause and terminate thresholds, minus what the
worker process already uses, shared equally among its task threads::

    limit = (min(pause, terminate) * memory_limit - in_use) / nthreads

Why: dask watches the process's memory every ~100 ms and pauses (at 80% by default)
or kills (95%) the worker; one NumPy allocation can jump past both between two polls.
numguard refuses the allocation itself, so the limit is set where dask would step in:
an idle worker whose threads all allocate up to the limit at once still reaches at most
the pause threshold, and so never the terminate one. Data the worker holds between
tasks is dask's own business (it spills from 60-70%); the interpreter and libraries
(`in_use`, read once at setup) are not. When the worker already uses more than the
threshold, each thread still gets FLOOR_SHARE of memory_limit, so small tasks run.

A limit given by the user is a cap on this rule, never a raise: bytes ("2GiB", an int),
or a share of memory_limit ("25%"). A worker without a memory_limit has no dask
threshold to stay under: numguard's own share of available memory applies, shared the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from dask.utils import format_bytes

#: The share of memory_limit a worker's threads get together when the worker is
#: already past its threshold at setup (then dask pauses it anyway).
FLOOR_SHARE = 0.05

#: Without a memory_limit: numguard's default share of available memory, for all threads.
UNLIMITED_WORKER_SHARE = 0.8


@dataclass(frozen=True)
class WorkerLimit:
    """The limit to arm numguard with in one worker, and how it was derived."""

    limit: int | str
    """What `numguard.enable(limit=...)` gets: bytes, or a share of available memory."""
    rule: str
    """One line a human can check: the figures and the arithmetic."""


@dataclass(frozen=True)
class Requested:
    """The plugin's `limit` parameter: a byte cap, a share of memory_limit, or nothing."""

    nbytes: int | None = None
    fraction: float | None = None


def worker_limit(
    memory_limit: int | None,
    nthreads: int,
    in_use: int,
    pause: float | bool,
    terminate: float | bool,
    requested: Requested = Requested(),
) -> WorkerLimit:
    """The per-allocation limit for a worker with these figures (see the module docstring)."""
    nthreads = max(1, int(nthreads))
    threads = "1 thread" if nthreads == 1 else f"{nthreads} threads"
    if not memory_limit:
        return _without_memory_limit(nthreads, threads, requested)
    thresholds = [f for f in (pause, terminate) if f is not False and f is not None]
    fraction = min(thresholds) if thresholds else 1.0
    name = ("pause" if fraction == pause else "terminate") if thresholds else "memory_limit"
    ceiling = int(fraction * memory_limit)
    headroom = max(ceiling - in_use, int(FLOOR_SHARE * memory_limit))
    derived = max(1, headroom // nthreads)
    rule = (f"({name} {fraction:.0%} of memory_limit {format_bytes(memory_limit)} - "
            f"{format_bytes(in_use)} in use) / {threads} = {format_bytes(derived)}")
    if ceiling - in_use < FLOOR_SHARE * memory_limit:
        rule += f" (floor: {FLOOR_SHARE:.0%} of memory_limit)"
    cap = requested.nbytes
    if requested.fraction is not None:
        cap = max(1, int(requested.fraction * memory_limit))
    if cap is not None and cap < derived:
        shown = (f"{requested.fraction:.0%} of memory_limit" if requested.fraction is not None
                 else "limit")
        return WorkerLimit(cap, f"{shown} = {format_bytes(cap)}, under {rule}")
    return WorkerLimit(derived, rule)


def _without_memory_limit(nthreads: int, threads: str, requested: Requested) -> WorkerLimit:
    share = UNLIMITED_WORKER_SHARE / nthreads
    rule = (f"no memory_limit: {UNLIMITED_WORKER_SHARE:.0%} of available memory / {threads}"
            f" = {share:.3%} of available memory")
    if requested.nbytes is not None:
        return WorkerLimit(requested.nbytes, f"limit = {format_bytes(requested.nbytes)} "
                                             "(no memory_limit to derive one from)")
    if requested.fraction is not None and requested.fraction < share:
        share = requested.fraction
        rule = f"no memory_limit: limit = {share:.3%} of available memory"
    return WorkerLimit(f"{share * 100:.6g}%", rule)
