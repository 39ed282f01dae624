"""Production size from toy data: how each line's allocations grow with n, projected.

`scaling(func, n=[1_000, 2_000, 4_000], at=5_000_000, limit="16GiB")` runs `func`
once per toy size, records every NumPy data allocation at its call site (the first
frame outside NumPy and numguard, so an allocation inside np.linalg counts at the
user's line that called it), fits each site's largest allocation against n on a
log-log scale and extrapolates to n = `at`. A toy run takes kilobytes; the projection
says what the same line will ask for in production, before production runs it.

`watch_allocations` is the one place allocations are observed (the pytest plugin's
guarded runs use it too).
"""

from __future__ import annotations

import linecache
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np

from . import backstop
from .limits import parse_limit
from .memory import budget, format_bytes
from .settings import get_settings

__all__ = ["ScalingReport", "SiteGrowth", "allocation_site", "scaling", "watch_allocations"]

UNLIMITED = 2**64 - 1

_SKIPPED_DIRS = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
    os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
)


# -- observing allocations --------------------------------------------------------


@contextmanager
def watch_allocations(callback: Callable[[int], None], floor: int = 1) -> Iterator[bool]:
    """Call `callback(nbytes)` for NumPy data allocations of at least `floor` bytes this
    thread or task makes in the block (`numguard.backstop.watch`). Yields True: the
    allocations are observed, armed process or not."""
    with backstop.watch(callback, max(1, floor)):
        yield True


def allocation_site(frame: FrameType | None) -> tuple[str, int]:
    """(file, line) of the first frame outside NumPy and numguard, from `frame` outwards."""
    while frame is not None and frame.f_code.co_filename.startswith(_SKIPPED_DIRS):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0)
    return (frame.f_code.co_filename, frame.f_lineno or 0)


class LargestPerSite:
    """An allocation callback: the largest single allocation seen at each call site."""

    def __init__(self) -> None:
        self.largest: dict[tuple[str, int], int] = {}

    def __call__(self, nbytes: int) -> None:
        site = allocation_site(sys._getframe(1))
        if nbytes > self.largest.get(site, -1):
            self.largest[site] = nbytes


# -- the analysis -----------------------------------------------------------------


@dataclass(frozen=True)
class SiteGrowth:
    """One call site: its largest allocation at each toy size, the growth, the projection."""

    filename: str
    lineno: int
    sizes: tuple[int, ...]
    """The toy sizes at which this site allocated."""
    nbytes: tuple[int, ...]
    """The largest single allocation at each of `sizes`."""
    exponent: float | None
    """Bytes grow as n**exponent (None: seen at one size only, nothing to fit)."""
    projected: int | None
    """Bytes projected at the production size (None when no growth could be fitted)."""

    @property
    def code(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    @property
    def where(self) -> str:
        return f"{short_path(self.filename)}:{self.lineno}"

    @property
    def growth(self) -> str:
        seen = ", ".join(format_bytes(b) for b in self.nbytes)
        if self.exponent is None:
            return f"seen at n = {self.sizes[0]:,} only: {seen}"
        return f"grows as n^{self.exponent:.1f}: {seen}"


@dataclass(frozen=True)
class ScalingReport:
    """What `scaling` found: per call site the sizes seen, the growth and the projection."""

    sizes: tuple[int, ...]
    at: int
    limit: int
    limit_text: str
    sites: tuple[SiteGrowth, ...]
    """Largest projection first."""

    @property
    def over_limit(self) -> tuple[SiteGrowth, ...]:
        """The sites whose projected allocation exceeds the limit."""
        return tuple(s for s in self.sites if s.projected is not None and s.projected > self.limit)

    @property
    def ok(self) -> bool:
        return not self.over_limit

    def describe(self, site: SiteGrowth) -> str:
        """Two lines on one site: where and what it says, then growth and projection."""
        code = site.code
        lines = [f"  {site.where}" + (f": {code}" if code else "")]
        if site.projected is None:
            lines.append(f"    {site.growth}")
        else:
            verdict = " (over the limit)" if site.projected > self.limit else ""
            lines.append(f"    {site.growth}; projected at n = {self.at:,}: "
                         f"{format_bytes(site.projected)}{verdict}")
        return "\n".join(lines)

    def __str__(self) -> str:
        toy = ", ".join(f"{n:,}" for n in self.sizes)
        head = (f"numguard scaling: n = {toy} projected to n = {self.at:,}; "
                f"limit {format_bytes(self.limit)} ({self.limit_text})")
        over = self.over_limit
        lines = [head]
        if over:
            lines.append(f"{len(over)} call site(s) would allocate more than the limit:")
            lines += [self.describe(s) for s in over]
        rest = [s for s in self.sites if s not in over]
        if rest:
            lines.append("within the limit (largest projection first):" if over
                         else "every call site stays within the limit:")
            lines += [self.describe(s) for s in rest[:_SHOWN]]
            if len(rest) > _SHOWN:
                lines.append(f"  ... and {len(rest) - _SHOWN} smaller call sites")
        if not self.sites:
            lines.append("no NumPy allocation was seen")
        return "\n".join(lines)


_SHOWN = 8


def scaling(
    func: Callable[..., Any],
    n: Sequence[int],
    at: int,
    limit: int | str | None = None,
    *,
    arg: str | None = None,
) -> ScalingReport:
    """Run `func` at each toy size in `n`, and project each call site's bytes to n = `at`.

    Each run's result is discarded and its exceptions propagate.

    Parameters
    ----------
    func : callable
        Takes the size as its only argument (or as the keyword `arg`).
    n : sequence of int
        The toy sizes, at least two (three or more fit better).
    at : int
        The production size to project to.
    limit : int or str, optional
        What one allocation may take in production: a byte count, '16GiB', or a share
        of the memory available here, '80%'. Default: the limit in force.
    arg : str, optional
        The keyword that receives the size.

    Returns
    -------
    ScalingReport
        Per call site: the line, the sizes seen, the growth and the projected bytes;
        `.ok`, `.over_limit`, and a readable `str`.
    """
    sizes = _check_sizes(n)
    at = _check_at(at)
    chosen = get_settings().limit if limit is None else parse_limit(limit)
    allowed = chosen.resolve(budget().available)
    seen: dict[tuple[str, int], dict[int, int]] = {}
    for size in sizes:
        log = LargestPerSite()
        with watch_allocations(log) as observed:
            if not observed:
                raise RuntimeError(
                    "numguard.scaling cannot observe allocations here: the allocation "
                    "backstop is armed (enable() or NUMGUARD_*), its C helper is not built, "
                    "or this numguard lacks numguard.backstop.watch()"
                )
            func(**{arg: size}) if arg else func(size)
        for site, nbytes in log.largest.items():
            seen.setdefault(site, {})[size] = nbytes
    sites = [_fitted(site, by_size, at) for site, by_size in seen.items()]
    sites.sort(key=lambda s: (-(s.projected if s.projected is not None else max(s.nbytes)),
                              s.filename, s.lineno))
    return ScalingReport(tuple(sizes), at, allowed, chosen.text, tuple(sites))


def _fitted(site: tuple[str, int], by_size: dict[int, int], at: int) -> SiteGrowth:
    sizes = tuple(sorted(by_size))
    nbytes = tuple(by_size[s] for s in sizes)
    points = [(math.log(s), math.log(b)) for s, b in zip(sizes, nbytes) if b > 0]
    if len(points) < 2:
        return SiteGrowth(site[0], site[1], sizes, nbytes, None, None)
    exponent, intercept = _least_squares(points)
    log_projected = intercept + exponent * math.log(at)
    projected = UNLIMITED if log_projected >= math.log(UNLIMITED) else round(math.exp(log_projected))
    return SiteGrowth(site[0], site[1], sizes, nbytes, exponent, projected)


def _least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through `points`."""
    count = len(points)
    mean_x = sum(x for x, _ in points) / count
    mean_y = sum(y for _, y in points) / count
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


def _check_sizes(n: Any) -> list[int]:
    try:
        sizes = sorted(set(n))
    except TypeError:
        sizes = None
    if not sizes or len(sizes) < 2 or not all(_is_size(s) for s in sizes):
        raise ValueError(f"invalid n={n!r}: expected at least two different positive whole "
                         f"toy sizes, e.g. n=[1_000, 2_000, 4_000]")
    return [int(s) for s in sizes]


def _check_at(at: Any) -> int:
    if not _is_size(at):
        raise ValueError(f"invalid at={at!r}: expected the production size, a positive "
                         f"whole number such as at=5_000_000")
    return int(at)


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def short_path(filename: str) -> str:
    """`filename` relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative
