"""Generalized-ufunc signatures, parsed the way NumPy's C code reads them.

NumPy's Python-level `_parse_gufunc_signature` rejects the `?` flag that matmul
uses, so numguard keeps its own small parser: "(n?,k),(k,m?)->(n?,m?)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_DIM = r"\s*\w+\??\s*"
_ARG = rf"\(\s*(?:{_DIM}(?:,{_DIM})*)?,?\s*\)"
_ARGLIST = rf"{_ARG}(?:\s*,\s*{_ARG})*"
_SIGNATURE = re.compile(rf"^\s*({_ARGLIST})\s*->\s*({_ARGLIST})\s*$")


@dataclass(frozen=True)
class CoreSignature:
    """Core dimension names per operand (inputs, then outputs), with their flags."""

    text: str
    operands: tuple[tuple[str, ...], ...]
    nin: int
    optional: frozenset[str]
    fixed: tuple[tuple[str, int], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Distinct core dimension names, in order of first appearance."""
        return tuple(dict.fromkeys(n for op in self.operands for n in op))


@cache
def parse(text: str) -> CoreSignature:
    """Parse a gufunc signature; ValueError names what is malformed."""
    match = _SIGNATURE.match(text)
    if match is None:
        raise ValueError(f"not a valid gufunc signature: {text!r}")
    inputs = _arguments(match.group(1))
    outputs = _arguments(match.group(2))
    operands, optional, fixed = [], set(), {}
    for dims in inputs + outputs:
        names = []
        for dim in dims:
            name = dim.rstrip("?")
            if dim.endswith("?"):
                optional.add(name)
            if name.isdigit():
                fixed[name] = int(name)
            names.append(name)
        operands.append(tuple(names))
    return CoreSignature(
        text, tuple(operands), len(inputs), frozenset(optional), tuple(fixed.items())
    )


def _arguments(text: str) -> list[list[str]]:
    return [
        [d.strip() for d in group.split(",") if d.strip()]
        for group in re.findall(r"\(([^)]*)\)", text)
    ]
