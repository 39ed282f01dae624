"""What a budget reading is made of: one Source per figure considered, and the Budget they set."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .units import format_bytes

#: ``Budget.available`` when no source at all could be read: numguard cannot measure, so it
#: does not pretend there is a limit (a guard with an explicit limit still applies that one).
UNKNOWN_AVAILABLE = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Source:
    """One figure considered for the budget: a limit, what is used against it, what is left.

    ``available`` is None when the source could not be read or imposes no limit; ``note``
    then says why ("missing", "unreadable: PermissionError", "malformed: 'abc'", "no limit").
    """

    name: str
    available: int | None
    limit: int | None = None
    used: int | None = None
    origin: str = ""
    note: str = ""

    def describe(self) -> str:
        """One line for a person, e.g. 'cgroup v2 memory.max of /app: 2.0 GiB limit, 1.3 GiB in use'."""
        if self.available is None:
            figures = [f"{format_bytes(self.limit)} limit"] if self.limit is not None else []
            return f"{self.name}: " + ", ".join(figures + [self.note or "no figure"])
        figures = []
        if self.limit is not None:
            figures.append(f"{format_bytes(self.limit)} limit")
        if self.used is not None:
            figures.append(f"{format_bytes(self.used)} in use")
        figures.append(f"{format_bytes(self.available)} available")
        text = f"{self.name}: " + ", ".join(figures)
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True, slots=True)
class Budget:
    """How many bytes this process can still allocate before the first limit bites."""

    available: int
    sources: tuple[Source, ...]
    binding: str
    binding_source: Source
    taken_at: float

    @property
    def ceiling(self) -> int | None:
        """The most this process could have available under its sources' limits, however
        little it used (the smallest limit: MemTotal, a cgroup's max, an rlimit); None
        when no source has a limit. A request over a share of it is over the limit
        whatever the current usage: no fresh reading can change that verdict."""
        limits = [source.limit for source in self.sources
                  if source.limit is not None and source.available is not None]
        return min(limits) if limits else None

    @classmethod
    def from_sources(cls, sources: tuple[Source, ...], taken_at: float) -> Budget:
        """The smallest available figure wins; ties go to the source listed first."""
        readable = [source for source in sources if source.available is not None]
        if readable:
            binding = min(readable, key=lambda source: source.available)
            available = binding.available
        else:
            binding = Source(
                "no source readable",
                None,
                note="no memory figure could be read; no limit assumed",
            )
            available = UNKNOWN_AVAILABLE
        return cls(available, sources, binding.describe(), binding, taken_at)

    def describe(self) -> str:
        """The one budget report (``python -m numguard info`` prints it): the figure, what
        binds, then every source considered with its figures, note and origin."""
        lines = [
            f"available: {format_bytes(self.available)} ({self.available} bytes)",
            f"binding:   {self.binding}",
            "",
            "sources (smallest available wins; * binds):",
        ]
        for source in self.sources:
            lines.extend(_source_lines(source, source is self.binding_source))
        return "\n".join(lines)

    __str__ = describe

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: every source, with a flag on the binding one."""
        return {
            "available": self.available,
            "available_human": format_bytes(self.available),
            "binding": self.binding,
            "binding_source": self.binding_source.name,
            "taken_at": self.taken_at,
            "sources": [
                {**asdict(source), "binding": source is self.binding_source}
                for source in self.sources
            ],
        }


def _source_lines(source: Source, binds: bool) -> list[str]:
    """A source in the report: its name (starred if it binds), its figures, where it was read."""
    figures = [
        f"{label} {format_bytes(value)}"
        for label, value in (("available", source.available), ("limit", source.limit), ("in use", source.used))
        if value is not None
    ]
    detail = ", ".join(figures + ([source.note] if source.note else []))
    lines = [f"{'*' if binds else ' '} {source.name}", f"    {detail}"]
    if source.origin:
        lines.append(f"    from {source.origin}")
    return lines
