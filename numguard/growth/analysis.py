"""`scaling`: run a function at toy sizes and project what it allocates to production."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..limits import parse_limit
from ..memory import budget
from ..settings import get_settings
from .design import Design, design_runs
from .observe import RunRecord, Site, recording
from .peak import project_peak
from .report import ScalingReport, SiteGrowth, ranked, site_growth


def scaling(
    func: Callable[..., Any],
    n: Sequence[int] | Mapping[str, Sequence[int]],
    at: int | Mapping[str, int],
    limit: int | str | None = None,
    *,
    arg: str | None = None,
    peak: bool = True,
) -> ScalingReport:
    """Run `func` at toy sizes and project each line's allocations, and the peak of live
    NumPy memory, to the production sizes `at`.

    Each run's result is discarded and its exceptions propagate. The runs are listed in
    `report.runs` (numguard.growth.design says why these).

    Parameters
    ----------
    func : callable
        Takes the size as its only argument (or as the keyword `arg`); with named sizes,
        takes each size as a keyword argument of that name.
    n : sequence of int, or mapping of str to sequence of int
        The toy sizes, at least three different ones: `[1_000, 2_000, 4_000]`, or per
        named size `{"users": [200, 400, 800], "items": [20, 40, 80]}`.
    at : int, or mapping of str to int
        The production size, or each named size's production value.
    limit : int or str, optional
        What the function may hold in NumPy memory at once in production (its peak,
        and so any single allocation): a byte count, '16GiB', or a share of the memory
        available here, '80%'. Default: the limit in force.
    arg : str, optional
        With a single size: the keyword that receives it.
    peak : bool, optional
        Measure each run's peak of live NumPy memory (through tracemalloc, which slows
        the runs). Default True.

    Returns
    -------
    ScalingReport
        The peak and each call site: the line, the bytes seen, the growth with each size
        and the projected bytes; `.ok`, `.over_limit`, `.peak_over_limit`, and a
        readable `str`.

    Raises
    ------
    ValueError
        Before anything runs, when `n`, `at`, `arg` or `limit` is not valid (fewer than
        three different toy values for a size, a production size missing...).
    """
    design = design_runs(n, at, arg)
    chosen = get_settings().limit if limit is None else parse_limit(limit)
    allowed = chosen.resolve(budget().available)
    records = []
    for run in design.runs:
        args, kwargs = design.arguments(run)
        with recording(RunRecord(peak)) as record:
            func(*args, **kwargs)
        records.append(record)
    sites = _site_growths(design, records)
    return ScalingReport(design, allowed, chosen.text,
                         project_peak(design, records, sites) if peak else None, tuple(sites))


def _site_growths(design: Design, records: list[RunRecord]) -> list[SiteGrowth]:
    seen: dict[Site, list[tuple[tuple[int, ...], int]]] = {}
    for run, record in zip(design.runs, records):
        for site, nbytes in record.largest.items():
            seen.setdefault(site, []).append((run, nbytes))
    return ranked([site_growth(design, site, points) for site, points in seen.items()])
