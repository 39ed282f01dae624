"""The peak of live NumPy memory projected to production, as the sum of its parts.

A run's peak is a sum of arrays alive at once, each growing its own way (a product of
users and items beside a vector of users), so no single power law fits it: at toy sizes
the small terms bend the curve. The parts are projected instead, from the largest toy
run (the one nearest production): what each line held at its peak.

- A line whose largest allocation grows (its fit in the per-line table) holds that
  array, or one like it, at the peak: it grows the same way. The line's other live
  arrays (the reduction of a product, alive with it) grow as they did between the two
  largest runs along each size.
- A line whose largest allocation does not grow can still hold more arrays as the
  sizes grow (a list of fixed-size chunks): its whole share grows as it did between
  the two largest runs along each size.
- A line whose own fit fails (no clear power law, a constant dominating) leaves the
  peak unprojected too, unless it holds less than 1% of it.

Why the largest runs: at small sizes a run's peak can fall at another moment, or NumPy
can behave differently (a temporary under 256 KiB is not reused in place), so the
smallest runs say least about production. The sum is at least the largest line's
projection.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .design import Design
from .fit import CONSTANT, UNSTABLE, PowerLaw
from .observe import Held, RunRecord, Site
from .report import NEGLIGIBLE_EXPONENT, PeakGrowth, PeakPart, SiteGrowth, describe_growth, terms

#: A share that cannot be projected is counted as it is if it holds less of the peak.
NEGLIGIBLE_SHARE = 0.01

Measure = Callable[[Held], int]


def project_peak(design: Design, records: list[RunRecord],
                 sites: list[SiteGrowth]) -> PeakGrowth | None:
    """The runs' peaks, and the largest run's projected (see the module docstring)."""
    measured = [(run, r) for run, r in zip(design.runs, records) if r.peak_site is not None]
    if not measured:
        return None
    held_by_run = {run: record.held for run, record in measured}
    largest_run, last = measured[-1]
    lines = {(s.filename, s.lineno): s for s in sites}
    parts = [_part(design, held_by_run, largest_run, last.peak, site, held, lines.get(site))
             for site, held in last.held.items()]
    parts.sort(key=lambda p: (-(p.projected if p.projected is not None else p.held),
                              p.filename, p.lineno))
    unprojected = [p for p in parts if p.projected is None]
    if unprojected:
        law = PowerLaw(None, None, problem=f"{unprojected[0].where} holds part of it and "
                                           f"{unprojected[0].growth}")
    else:
        single = max((s.projected for s in sites if s.projected is not None), default=0)
        total = max(single, sum(p.projected or 0 for p in parts))  # none is None here
        law = PowerLaw(None, total, total, total)
    assert last.peak_site is not None  # measured keeps the runs that have one
    return PeakGrowth(design.names, tuple(held_by_run), tuple(r.peak for _, r in measured),
                      last.peak_site, tuple(parts), law)


def _part(design: Design, held_by_run: dict[tuple[int, ...], dict[Site, Held]],
          largest_run: tuple[int, ...], peak: int, site: Site, held: Held,
          line: SiteGrowth | None) -> PeakPart:
    def top(measure: Measure, nbytes: int) -> tuple[int | None, str]:
        return _top_growth(design, held_by_run, largest_run, peak, site, measure, nbytes)

    if (line is not None and line.law.problem in (UNSTABLE, CONSTANT)
            and held.total >= NEGLIGIBLE_SHARE * peak):
        return PeakPart(site[0], site[1], held.total, None, f"has {line.law.problem}")
    if line is not None and line.projected is not None and _grows(line, largest_run):
        ratio = line.projected / line.nbytes[line.runs.index(largest_run)]
        scaled = round(held.largest * ratio)
        projected: int | None = scaled
        growth = terms(line)
        if held.total > held.largest:
            others, how = top(lambda h: h.total - h.largest, held.total - held.largest)
            projected = None if others is None else scaled + others
            growth = f"{growth}; its other arrays: {how}"
    else:
        projected, growth = top(lambda h: h.total, held.total)
    return PeakPart(site[0], site[1], held.total, projected, growth)


def _grows(line: SiteGrowth | None, largest_run: tuple[int, ...]) -> bool:
    return (line is not None and line.projected is not None and largest_run in line.runs
            and line.exponents is not None
            and any(abs(a) >= NEGLIGIBLE_EXPONENT for a in line.exponents.values()))


def _top_growth(design: Design, held_by_run: dict[tuple[int, ...], dict[Site, Held]],
                largest_run: tuple[int, ...], peak: int, site: Site, measure: Measure,
                nbytes: int) -> tuple[int | None, str]:
    """`nbytes` (held in the largest run) grown along each size as the share grew
    between that size's two largest toy values (the others at their smallest)."""
    exponents = []
    base = tuple(values[0] for values in design.levels)
    for axis, values in enumerate(design.levels):
        lower, upper = (base[:axis] + (v,) + base[axis + 1:] for v in values[-2:])
        below, above = (measure(held_by_run[run][site])
                        if site in held_by_run.get(run, {}) else 0 for run in (lower, upper))
        if below <= 0 or above <= 0:
            if nbytes < NEGLIGIBLE_SHARE * peak:
                return nbytes, "too small to fit: counted as it is"
            return None, "is not held at the peak of every run, so cannot be projected"
        exponents.append(max(0.0, math.log(above / below) / math.log(values[-1] / values[-2])))
    log_projected = math.log(nbytes) + sum(
        a * math.log(at / size) for a, at, size in zip(exponents, design.at, largest_run))
    projected = round(math.exp(min(log_projected, math.log(2**64 - 1))))
    return projected, describe_growth(design.names, tuple(exponents))
