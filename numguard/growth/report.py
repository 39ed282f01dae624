"""What a scaling analysis found, per call site and for the peak, and how it reads."""

from __future__ import annotations

import linecache
from dataclasses import dataclass

from ..memory import format_bytes
from .design import Design
from .fit import CONSTANT, TOO_FEW, PowerLaw, fit_power_law
from .observe import Site, short_path

#: Exponents closer to zero than this are left out of "grows as ...".
NEGLIGIBLE_EXPONENT = 0.05
#: Lines listed within the limit before "... and N smaller call sites".
SHOWN = 8
#: Lines listed as held at the peak.
SHOWN_HELD = 3


@dataclass(frozen=True)
class SiteGrowth:
    """One line's bytes over the toy runs, its growth and its projection. For a call
    site the bytes are its largest single allocation per run; for the peak, the live
    NumPy memory at the run's peak, and the line is where the largest run reached it."""

    filename: str
    lineno: int
    names: tuple[str, ...]
    runs: tuple[tuple[int, ...], ...]
    """The sizes of each run in which the line allocated (in the order of `names`)."""
    nbytes: tuple[int, ...]
    """The bytes seen in each of `runs`."""
    law: PowerLaw
    total_runs: int
    """How many runs the analysis made (the line may have allocated in fewer)."""

    @property
    def exponents(self) -> dict[str, float] | None:
        """Bytes grow as the product of size**exponent (None: not fitted)."""
        if self.law.exponents is None:
            return None
        return dict(zip(self.names, self.law.exponents))

    @property
    def projected(self) -> int | None:
        """Bytes projected at the production sizes (None: no stable fit)."""
        return self.law.projected

    @property
    def code(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    @property
    def where(self) -> str:
        return f"{short_path(self.filename)}:{self.lineno}"

    @property
    def seen(self) -> str:
        return describe_seen(self.names, self.nbytes)

    @property
    def growth(self) -> str:
        """'grows as users^1.0 x items^1.0: <bytes seen>', or why there is no growth."""
        exponents = self.exponents
        if exponents is None:
            if len(self.names) == 1:
                sizes = ", ".join(f"{run[0]:,}" for run in self.runs)
                return f"seen at {self.names[0]} = {sizes} only: {self.seen}"
            return (f"seen in {len(self.runs)} of {self.total_runs} runs only: "
                    f"{self.seen}")
        if self.law.problem == CONSTANT:
            return (f"a constant part of about {format_bytes(self.law.constant or 0)} "
                    f"dominates: {self.seen}")
        if self.law.problem is not None:
            return f"{self.law.problem}: {self.seen}"
        growth = terms(self)
        return (f"grows as {growth}: {self.seen}" if growth != "constant"
                else f"does not grow: {self.seen}")


def terms(site: SiteGrowth) -> str:
    """'users^1.0 x items^1.0', 'constant', or why there is no growth."""
    if site.law.exponents is None:
        return TOO_FEW
    if site.law.problem is not None:
        return site.law.problem
    return describe_growth(site.names, site.law.exponents)


def describe_seen(names: tuple[str, ...], nbytes: tuple[int, ...]) -> str:
    """The bytes seen: each size's for one size, the range over the runs for several."""
    if len(names) == 1:
        return ", ".join(format_bytes(b) for b in nbytes)
    return f"{format_bytes(min(nbytes))} to {format_bytes(max(nbytes))} in {len(nbytes)} runs"


def describe_growth(names: tuple[str, ...], exponents: tuple[float, ...]) -> str:
    """'users^1.0 x items^1.0' ('constant' when every exponent is negligible)."""
    return " x ".join(f"{name}^{a:.1f}" for name, a in zip(names, exponents)
                      if abs(a) >= NEGLIGIBLE_EXPONENT) or "constant"


@dataclass(frozen=True)
class PeakPart:
    """What one line held at the largest run's peak, and that share projected."""

    filename: str
    lineno: int
    held: int
    projected: int | None
    growth: str
    """How the share was projected ('users^1.0 x items^1.0'), or why it was not."""

    @property
    def where(self) -> str:
        return f"{short_path(self.filename)}:{self.lineno}"


@dataclass(frozen=True)
class PeakGrowth:
    """The runs' peaks of live NumPy memory, and the peak projected to production: the
    sum of what each line held at the largest run's peak, each share projected."""

    names: tuple[str, ...]
    runs: tuple[tuple[int, ...], ...]
    nbytes: tuple[int, ...]
    """The peak of each of `runs`."""
    reached_at: tuple[str, int]
    """The line whose allocation reached the peak, in the largest run."""
    parts: tuple[PeakPart, ...]
    """What each line held at the largest run's peak; largest projection first."""
    law: PowerLaw
    """The projection (exponents None: a sum has none), or why there is none."""

    @property
    def projected(self) -> int | None:
        return self.law.projected

    @property
    def where(self) -> str:
        return f"{short_path(self.reached_at[0])}:{self.reached_at[1]}"

    @property
    def code(self) -> str:
        return linecache.getline(*self.reached_at).strip()

    @property
    def seen(self) -> str:
        return describe_seen(self.names, self.nbytes)


@dataclass(frozen=True)
class ScalingReport:
    """What `scaling` found: the peak of live NumPy memory and each call site's largest
    allocation, their growth with the sizes, and their projections against the limit."""

    design: Design
    limit: int
    limit_text: str
    peak: PeakGrowth | None
    """The runs' peaks of live NumPy memory (None: nothing allocated, or not measured)."""
    sites: tuple[SiteGrowth, ...]
    """Largest projection first."""

    @property
    def at(self) -> dict[str, int]:
        """The production sizes, by name."""
        return dict(zip(self.design.names, self.design.at))

    @property
    def runs(self) -> tuple[dict[str, int], ...]:
        """The toy runs made, each as its sizes by name."""
        return tuple(dict(zip(self.design.names, run)) for run in self.design.runs)

    @property
    def over_limit(self) -> tuple[SiteGrowth, ...]:
        """The call sites whose projected allocation exceeds the limit."""
        return tuple(s for s in self.sites if s.projected is not None and s.projected > self.limit)

    @property
    def peak_over_limit(self) -> bool:
        """Whether the projected peak of live NumPy memory exceeds the limit."""
        return bool(self.peak and self.peak.projected is not None
                    and self.peak.projected > self.limit)

    @property
    def unprojected(self) -> tuple[SiteGrowth, ...]:
        """The call sites with no stable fit: said, not projected, not judged."""
        return tuple(s for s in self.sites if s.projected is None)

    @property
    def ok(self) -> bool:
        """Neither the peak nor any line is projected over the limit."""
        return not self.over_limit and not self.peak_over_limit

    def projection(self, growth: SiteGrowth | PeakGrowth) -> str:
        """'; projected at users = 5,000,000, ...: 7.3 TiB (over the limit)', or the
        range the subsets of runs gave when the fit is not stable."""
        law = growth.law
        if law.low is None or law.high is None:
            return f"; not projected: {law.problem}" if law.problem else ""
        if law.problem == CONSTANT:
            return (f"; projected at {self.design.describe_at()}, anywhere from "
                    f"{format_bytes(law.low)} to {format_bytes(law.high)} with or without "
                    f"it: not judged")
        if law.projected is None:
            return (f"; projections at {self.design.describe_at()} range from "
                    f"{format_bytes(law.low)} to {format_bytes(law.high)} with the runs "
                    f"used: not judged")
        verdict = " (over the limit)" if law.projected > self.limit else ""
        return (f"; projected at {self.design.describe_at()}: "
                f"{format_bytes(law.projected)}{verdict}")

    def describe(self, site: SiteGrowth) -> str:
        """Two lines on one site: where and what it says, then growth and projection."""
        code = site.code
        return (f"  {site.where}" + (f": {code}" if code else "")
                + f"\n    {site.growth}{self.projection(site)}")

    def describe_peak(self) -> list[str]:
        """The peak, where the largest run reached it, and what the lines held then."""
        peak = self.peak
        if peak is None:
            return []
        code = peak.code
        lines = [f"peak of live NumPy memory: {peak.seen}{self.projection(peak)}",
                 f"  reached at {peak.where}" + (f": {code}" if code else ""),
                 "  held then, in the largest run -> at production:"]
        for part in peak.parts[:SHOWN_HELD]:
            projected = (f" -> {format_bytes(part.projected)}" if part.projected is not None
                         else "")
            lines.append(f"    {part.where}: {format_bytes(part.held)}{projected} "
                         f"({part.growth})")
        if len(peak.parts) > SHOWN_HELD:
            lines.append(f"    ... and {len(peak.parts) - SHOWN_HELD} more lines")
        return lines

    def __str__(self) -> str:
        design = self.design
        head = (f"numguard scaling: {len(design.runs)} toy runs ({design.describe_levels()}) "
                f"projected to {design.describe_at()}; limit {format_bytes(self.limit)} "
                f"({self.limit_text})")
        lines = [head, *self.describe_peak()]
        over, unprojected = self.over_limit, self.unprojected
        if over:
            lines.append(f"{len(over)} call site(s) would allocate more than the limit:")
            lines += [self.describe(s) for s in over]
        rest = [s for s in self.sites if s not in over and s not in unprojected]
        if rest:
            lines.append("within the limit (largest projection first):" if over
                         else "every call site stays within the limit:")
            lines += [self.describe(s) for s in rest[:SHOWN]]
            if len(rest) > SHOWN:
                lines.append(f"  ... and {len(rest) - SHOWN} smaller call sites")
        if unprojected:
            lines.append(f"{len(unprojected)} call site(s) not projected (too few runs, or "
                         f"no clear power law: a constant part may dominate the toy sizes, "
                         f"larger ones may tell):")
            lines += [self.describe(s) for s in unprojected]
        if not self.sites:
            lines.append("no NumPy allocation was seen")
        return "\n".join(lines)


def ranked(growths: list[SiteGrowth]) -> list[SiteGrowth]:
    """Largest projection first (the largest bytes seen where there is none)."""
    return sorted(growths, key=lambda s: (
        -(s.projected if s.projected is not None else max(s.nbytes)), s.filename, s.lineno))


def site_growth(design: Design, site: Site,
                points: list[tuple[tuple[int, ...], int]]) -> SiteGrowth:
    """A site's bytes over the runs (run sizes, bytes), fitted and projected."""
    runs = tuple(run for run, _ in points)
    nbytes = tuple(b for _, b in points)
    law = fit_power_law(runs, nbytes, design.at)
    return SiteGrowth(site[0], site[1], design.names, runs, nbytes, law, len(design.runs))
