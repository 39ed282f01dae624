"""Memory limits: a fixed byte count, or a share of the memory the process can still use.

Parsing is strict on purpose: a limit that silently means something else (``"1.5"`` read
as one byte, ``"٣"`` as three) would refuse everything or protect nothing.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4, "p": 1000**5, "pb": 1000**5,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4, "pib": 1024**5,
}
# ASCII digits only: str.isdigit() and re's \d accept other scripts' digits.
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([a-zA-Z]*)\s*$",
                   re.ASCII)
_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%\s*$", re.ASCII)

LIMIT_FORMS = (
    "a whole byte count (536870912), a size with a unit ('512MiB', '2 GB', '1.5GiB'; "
    "units B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB), "
    "or a share of available memory ('75%', above 0% and at most 100%)"
)


@dataclass(frozen=True, slots=True)
class Limit:
    """The most one operation may allocate: fixed bytes, or a share of available memory.

    Build one with `parse_limit`; the constructor checks its fields too, so a Limit can
    never hold a value that refuses everything (NaN, 0, a negative share).
    """

    nbytes: int | None
    fraction: float | None
    text: str

    def __post_init__(self) -> None:
        fixed = isinstance(self.nbytes, int) and not isinstance(self.nbytes, bool)
        if (self.nbytes is None) == (self.fraction is None):
            raise ValueError(
                "invalid Limit: give exactly one of nbytes (a whole byte count) and "
                f"fraction (a share in (0, 1]), not nbytes={self.nbytes!r}, "
                f"fraction={self.fraction!r}"
            )
        if self.nbytes is not None and (not fixed or self.nbytes < 1):
            raise ValueError(f"invalid Limit: nbytes must be a whole number >= 1, "
                             f"not {self.nbytes!r}")
        if self.fraction is not None and not (
            isinstance(self.fraction, float) and 0 < self.fraction <= 1
        ):
            raise ValueError(f"invalid Limit: fraction must be a float in (0, 1], "
                             f"not {self.fraction!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"invalid Limit: text must be a str, not {self.text!r}")

    def resolve(self, available: int) -> int:
        """The limit in bytes, given what the process can still allocate."""
        if self.nbytes is not None:
            return self.nbytes
        return int(available * self.fraction)  # type: ignore[operator]

    def __str__(self) -> str:
        return self.text


class InvalidValue(ValueError):
    """A setting's value that is not accepted. `.reason` says what is wrong with it, in
    words that neither quote the value nor list the accepted forms (the message does),
    so that other messages (an environment variable's, a command line's) can reuse it."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


def _invalid(value: Any, reason: str) -> ValueError:
    return InvalidValue(f"invalid limit {value!r}: {reason}; expected {LIMIT_FORMS}", reason)


def plural_bytes(n: int) -> str:
    """'1 byte', '2 bytes'."""
    return "1 byte" if n == 1 else f"{n} bytes"


_BINARY = (("PiB", 1024**5), ("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2),
           ("KiB", 1024))


def size_text(n: int) -> str:
    """A byte count as people read sizes: '64 MiB', '205.5 MiB', '16 bytes' (a limit's
    text is shown in every report: never a raw count such as '215517184 bytes')."""
    for name, unit in _BINARY:
        if n >= unit:
            return f"{n // unit} {name}" if n % unit == 0 else f"{n / unit:.1f} {name}"
    return plural_bytes(n)


def parse_limit(value: Any) -> Limit:
    """A Limit from a whole number of bytes, a Limit, or a string ('512MiB', '2 GB', '75%').

    ValueError names the value, what is wrong with it and the accepted forms.
    """
    if isinstance(value, Limit):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 1 or value != int(value):  # type: ignore[call-overload]
            raise _invalid(value, "a byte count must be a positive whole number")
        return Limit(int(value), None, size_text(int(value)))  # type: ignore[call-overload]
    if not isinstance(value, str):
        raise _invalid(value, f"a limit cannot be a {type(value).__name__}")
    return _parse_text(value)


@functools.lru_cache(maxsize=64)
def _parse_text(value: str) -> Limit:
    """Limit strings repeat (one per guard block written): parse each once."""
    percent = _PERCENT.match(value)
    if percent:
        share = float(percent.group(1))
        if not 0 < share <= 100:
            raise _invalid(value, "a share must be above 0% and at most 100%")
        return Limit(None, share / 100, f"{share:g}%")
    size = _SIZE.match(value)
    unit = _UNITS.get(size.group(3).lower()) if size else None
    if not size or unit is None:
        raise _invalid(value, "not a number with an optional unit or a percentage")
    try:
        number = float(size.group(1)) * 10.0 ** int(size.group(2) or 0) * unit
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 1:
        raise _invalid(value, "it must be a finite size of at least one byte")
    if unit == 1 and number != int(number):
        raise _invalid(value, "a size in bytes must be a whole number of bytes")
    return Limit(int(number), None, value.strip())
