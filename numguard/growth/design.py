"""The toy sizes a scaling analysis runs at: which sizes, checked, and the design of runs.

One size (`n=[1_000, 2_000, 4_000]`) runs once per toy size. Several named sizes
(`n={"users": [200, 400, 800], "items": [20, 40, 80]}`) run a star with a check:

- the base run has every size at its smallest toy value;
- one-at-a-time: each size then takes each of its other toy values, the others
  staying at the base (a size's exponent is read along its own axis);
- the corner run has every size at its largest toy value. A product of powers fitted
  to the star predicts it; when the sizes interact (a sum of terms such as
  users * items + users**2, or a size that matters only when another is large) the
  corner disagrees and the fit says so.

That is 1 + sum(len(values) - 1) + 1 runs: 6 for two sizes of three values, 8 for
three, where the full grid would take 9 and 27. The grid's extra runs inside the toy
range add little: what decides a projection is whether the power law holds along each
axis and where the sizes grow together, which the star and its corner both test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Fewer toy values than this for a size cannot tell a power law from a curve.
MIN_TOY_SIZES = 3


@dataclass(frozen=True)
class Design:
    """The sizes, their toy values, the production point and the runs to make."""

    names: tuple[str, ...]
    """The sizes' names, as given (a single size is named by `arg`, else "n")."""
    levels: tuple[tuple[int, ...], ...]
    """Each size's toy values, ascending."""
    at: tuple[int, ...]
    """Each size's production value."""
    runs: tuple[tuple[int, ...], ...]
    """Each run's sizes, in the order of `names`."""
    positional: bool
    """Whether the size is passed positionally (one size, no `arg`); else each size is
    passed as the keyword argument of its name."""

    def arguments(self, run: tuple[int, ...]) -> tuple[tuple[Any, ...], dict[str, int]]:
        """(args, kwargs) that call the function at `run`."""
        if self.positional:
            return (run[0],), {}
        return (), dict(zip(self.names, run))

    def describe_at(self, sizes: Sequence[int] | None = None) -> str:
        """'users = 5,000,000, items = 200,000' (the production point by default)."""
        values = self.at if sizes is None else sizes
        return ", ".join(f"{name} = {value:,}" for name, value in zip(self.names, values))

    def describe_levels(self) -> str:
        """'users = 200, 400, 800; items = 20, 40, 80'."""
        return "; ".join(f"{name} = {', '.join(f'{v:,}' for v in values)}"
                         for name, values in zip(self.names, self.levels))


def design_runs(n: Any, at: Any, arg: str | None = None) -> Design:
    """Check `n`, `at` and `arg` and lay out the runs; ValueError names what is wrong."""
    if isinstance(n, Mapping):
        if arg is not None:
            raise ValueError(f"invalid arg={arg!r} with named sizes: each size is passed "
                             f"by its name in n ({', '.join(map(repr, n))})")
        if not n:
            raise ValueError("invalid n={}: name at least one size, e.g. "
                             "n={'users': [200, 400, 800], 'items': [20, 40, 80]}")
        names = tuple(n)
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"invalid size name {name!r} in n: sizes are passed as "
                                 f"keyword arguments, so each name must be an identifier")
        levels = tuple(_toy_values(n[name], f"n[{name!r}]={n[name]!r}", name) for name in names)
        at_values = _named_at(at, names)
        positional = False
    else:
        if arg is not None and (not isinstance(arg, str) or not arg.isidentifier()):
            raise ValueError(f"invalid arg={arg!r}: expected the name of the keyword "
                             f"argument that receives the size")
        names = (arg or "n",)
        levels = (_toy_values(n, f"n={n!r}", None),)
        if isinstance(at, Mapping) or not _is_size(at):
            raise ValueError(f"invalid at={at!r}: expected the production size, a positive "
                             f"whole number such as at=5_000_000")
        at_values = (int(at),)
        positional = arg is None
    return Design(names, levels, at_values, _star_with_corner(levels), positional)


def _star_with_corner(levels: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
    base = tuple(values[0] for values in levels)
    runs = [base]
    for axis, values in enumerate(levels):
        for value in values[1:]:
            runs.append(base[:axis] + (value,) + base[axis + 1:])
    if len(levels) > 1:
        runs.append(tuple(values[-1] for values in levels))
    return tuple(runs)


def _toy_values(values: Any, given: str, name: str | None) -> tuple[int, ...]:
    example = "[1_000, 2_000, 4_000]" if name is None else "[200, 400, 800]"
    what = "toy sizes" if name is None else f"toy sizes for {name}"
    try:
        distinct = sorted(set(values)) if not isinstance(values, (str, bytes)) else None
    except TypeError:
        distinct = None
    if (distinct is None or len(distinct) < MIN_TOY_SIZES
            or not all(_is_size(v) for v in distinct)):
        raise ValueError(f"invalid {given}: expected at least {MIN_TOY_SIZES} different "
                         f"positive whole {what}, e.g. {example}: fewer cannot tell a "
                         f"power law from a curve")
    return tuple(int(v) for v in distinct)


def _named_at(at: Any, names: tuple[str, ...]) -> tuple[int, ...]:
    expected = ", ".join(names)
    if not isinstance(at, Mapping):
        raise ValueError(f"invalid at={at!r}: with named sizes, expected the production "
                         f"value of each of them, e.g. at={{{', '.join(f'{k!r}: ...' for k in names)}}}")
    missing = [name for name in names if name not in at]
    unknown = [name for name in at if name not in names]
    if missing or unknown:
        detail = "; ".join(part for part in (
            f"missing {', '.join(map(str, missing))}" if missing else "",
            f"not in n: {', '.join(map(str, unknown))}" if unknown else "") if part)
        raise ValueError(f"invalid at={dict(at)!r}: expected a production size for each of "
                         f"{expected} ({detail}); a size the toy runs do not vary cannot "
                         f"be projected")
    for name in names:
        if not _is_size(at[name]):
            raise ValueError(f"invalid at[{name!r}]={at[name]!r}: expected the production "
                             f"size, a positive whole number")
    return tuple(int(at[name]) for name in names)


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value > 0)
