"""What one toy run allocates: each call site's largest allocation, and the peak.

Allocations are observed through `numguard.backstop.watch` (a callback per NumPy data
allocation of this thread or task, before NumPy gets the memory). A call site is the
first frame outside NumPy and numguard, so an allocation inside np.linalg counts at
the user's line that called it.

The peak of live NumPy memory needs the frees too, which the allocation callback does
not see. tracemalloc does: NumPy reports each data allocation and free in its own
domain (`np.lib.tracemalloc_domain`). A run's peak is reached just after some
allocation, so at each allocation that could set a new peak the recorder sums the
live traces of NumPy's domain (those made before this allocation) and adds the
request; at a new peak it also keeps what each call site holds then (a trace's frames
name its site), so the peak can be projected as the sum of its parts. An allocation
is skipped when even the sum at the last reading plus every allocation since (frees
only lower it) cannot beat the peak so far.

The peak is exact and counts only NumPy's data (Python objects are traced too, and
ignored), and only what the run allocated: tracing starts with the run, so older
arrays have no trace. Its costs and limits: tracing slows every Python allocation of
the run, and each reading walks the live traces (about 3 ms more per run for the
README's incident, 25 ms for a scikit-learn test; benchmarks/bench_scaling.py); NumPy
memory other threads allocate during the run counts in the sums; when tracemalloc was
already tracing, its frame depth is kept and each reading walks every live trace.
"""

from __future__ import annotations

import functools
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NamedTuple

import numpy as np

from .. import backstop
from ..report import is_library_frame, user_frame

NUMPY_DOMAIN = np.lib.tracemalloc_domain
#: Frames tracemalloc keeps per trace: enough to reach the user's line from inside NumPy.
TRACED_FRAMES = 12
UNKNOWN_SITE = ("<unknown>", 0)

Site = tuple[str, int]


@contextmanager
def watch_allocations(callback: Callable[[int], None], floor: int = 1,
                      refused: Callable[[int], None] | None = None) -> Iterator[bool]:
    """Call `callback(nbytes)` for NumPy data allocations of at least `floor` bytes this
    thread or task makes in the block, and `refused(nbytes)` for those the backstop
    refused (`numguard.backstop.watch`). Yields True: the allocations are observed,
    armed process or not."""
    with backstop.watch(callback, max(1, floor), refused):
        yield True


def allocation_site(frame: FrameType | None) -> Site:
    """(file, line) of the first frame outside NumPy and numguard, from `frame` outwards."""
    frame = user_frame(frame)  # NumPy's own test files count as the user's
    if frame is None:
        return UNKNOWN_SITE
    return (frame.f_code.co_filename, frame.f_lineno or 0)


def short_path(filename: str) -> str:
    """`filename` relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


class RunRecord:
    """An allocation callback for one toy run: each site's largest allocation and, when
    `peak` is asked for, the peak of live NumPy memory, what each site held then, and
    the site whose allocation reached it."""

    def __init__(self, peak: bool = True) -> None:
        self.largest: dict[Site, int] = {}
        self.tracks_peak = peak
        self.peak = 0
        self.peak_site: Site | None = None
        self.held: dict[Site, Held] = {}
        """What each site held at the peak (the allocation reaching it included)."""
        self.readings = 0
        self._live = 0  # NumPy bytes live at the last reading, this run's own
        self._since = 0  # bytes allocated since that reading (frees unseen)
        self._before: dict[Site, int] = {}  # traced before the run (tracing already on)
        self._before_total = 0

    def start(self) -> None:
        if self.tracks_peak and tracemalloc.is_tracing():
            self._before = {site: held.total for site, held in
                            held_by_site(numpy_traces()).items()}
            self._before_total = sum(self._before.values())

    def __call__(self, nbytes: int) -> None:
        site = allocation_site(sys._getframe(1))
        if nbytes > self.largest.get(site, -1):
            self.largest[site] = nbytes
        if self.tracks_peak and self._live + self._since + nbytes > self.peak:
            self._read(site, nbytes)
        self._since += nbytes

    def _read(self, site: Site, nbytes: int) -> None:
        """Sum the live NumPy traces (this allocation is not traced yet); a new peak
        keeps what each site holds."""
        self.readings += 1
        traces = numpy_traces()
        self._live = sum(trace[1] for trace in traces) - self._before_total
        self._since = 0
        if self._live + nbytes > self.peak:
            held = held_by_site(traces)
            for each, before in self._before.items():
                if each in held:
                    total = held[each].total - before
                    held[each] = Held(total, min(held[each].largest, total))
            mine = held.get(site, Held(0, 0))
            held[site] = Held(mine.total + nbytes, max(mine.largest, nbytes))
            self.held = {each: h for each, h in held.items() if h.total > 0}
            self.peak, self.peak_site = self._live + nbytes, site


def numpy_traces() -> list[tuple]:
    """tracemalloc's live traces of NumPy's data: (domain, size, frames, ...).

    `tracemalloc._get_traces()` is what `tracemalloc.take_snapshot()` is built on; the
    public path would make a Trace object per trace, every Python object included.
    """
    return [trace for trace in tracemalloc._get_traces()  # type: ignore[attr-defined]
            if trace[0] == NUMPY_DOMAIN]


class Held(NamedTuple):
    """What one site holds: all its live bytes, and its largest live array's."""

    total: int
    largest: int


def held_by_site(traces: list[tuple]) -> dict[Site, Held]:
    """What each call site holds (a trace's site: its first frame outside NumPy and
    numguard)."""
    held: dict[Site, Held] = {}
    for trace in traces:
        site, nbytes = _trace_site(trace[2]), trace[1]
        mine = held.get(site)
        held[site] = (Held(mine.total + nbytes, max(mine.largest, nbytes)) if mine
                      else Held(nbytes, nbytes))
    return held


@functools.lru_cache(maxsize=4096)
def _trace_site(frames: tuple[tuple[str, int], ...]) -> Site:
    """tracemalloc lists frames innermost first; beyond TRACED_FRAMES the site is unknown."""
    for filename, lineno in frames:
        if not is_library_frame(filename):
            return (filename, lineno)
    return UNKNOWN_SITE


@contextmanager
def recording(record: RunRecord) -> Iterator[RunRecord]:
    """Observe one run into `record`: tracemalloc traces it if the peak is asked for
    (started here and stopped after, unless it was already tracing)."""
    started = record.tracks_peak and not tracemalloc.is_tracing()
    if started:
        tracemalloc.start(TRACED_FRAMES)
    try:
        record.start()
        with watch_allocations(record):
            yield record
    finally:
        if started:
            tracemalloc.stop()
