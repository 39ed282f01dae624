"""A product of powers fitted to toy runs, checked before it is extrapolated.

bytes = c x size_1^a_1 x ... x size_k^a_k is a plane on a log scale: least squares on
(log sizes, log bytes) gives the exponents, and the plane at the production point the
projection. Extrapolating from sizes in the hundreds to sizes in the millions
multiplies any error in an exponent by the distance, so a fit is projected only when
it is determined and stable:

- determined: the runs that saw the bytes separate every size (full rank), with at
  least one run to spare, else nothing checks the fit;
- stable: refitted without each run in turn, the projection moves by at most
  `SPREAD` (a factor of 2). Bytes that follow a power law give the same projection
  from any subset of the runs; a curve (a sum of terms, sizes that interact, bytes
  that depend on the data) does not, and its range of projections is reported
  instead of one number;
- not dominated by a constant: a constant overhead (a fixed buffer beside n floats)
  flattens the toy bytes into what looks like slow growth, steadily, so the subsets
  agree. Along each size varied alone, constant + c x size^p is solved from three
  runs; when its p projects more than `SPREAD` away from the power law's, the
  constant is reported, not a projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Largest ratio between projections from subsets of the runs that still counts as a fit.
SPREAD = 2.0
#: Projections are capped here (2**64 - 1 bytes: no machine has more).
UNLIMITED = 2**64 - 1


@dataclass(frozen=True)
class PowerLaw:
    """A fitted product of powers, projected to the production point."""

    exponents: tuple[float, ...] | None
    """One per size (None: not fitted)."""
    projected: int | None
    """Bytes at the production point (None: not fitted, or the fit is not stable)."""
    low: int | None = None
    high: int | None = None
    """The range of projections from subsets of the runs (None: not fitted)."""
    problem: str | None = None
    """Why there is no projection: UNSTABLE, CONSTANT or TOO_FEW (None: projected)."""
    constant: int | None = None
    """With CONSTANT: the constant part that dominates the toy sizes."""


UNSTABLE = "no clear power law"
CONSTANT = "a constant part dominates the toy sizes"
TOO_FEW = "too few runs"
#: The steepest growth the constant check considers (bytes ~ size**8).
_HIGHEST_EXPONENT = 8.0
#: A power law through the runs with less squared log error than this is exact: no
#: constant part to look for.
_EXACT = 1e-20


def fit_power_law(runs: Sequence[Sequence[int]], nbytes: Sequence[int],
                  at: Sequence[int]) -> PowerLaw:
    """Fit bytes = c x prod(size^a) through `runs` (sizes per run) and project to `at`."""
    points = [(tuple(run), b) for run, b in zip(runs, nbytes) if b > 0]
    sizes = len(at)
    if len(points) < sizes + 2 or not _separates(points, sizes):
        return PowerLaw(None, None, problem=TOO_FEW)
    exponents, log_projected, error = _least_squares(points, at)
    projections = [log_projected]
    for left_out in range(len(points)):
        rest = points[:left_out] + points[left_out + 1:]
        if _separates(rest, sizes):
            projections.append(_least_squares(rest, at)[1])
    low, high = _bytes(min(projections)), _bytes(max(projections))
    if max(projections) - min(projections) > math.log(SPREAD):
        return PowerLaw(exponents, None, low, high, UNSTABLE)
    constant = (None if error < _EXACT
                else _dominating_constant(points, at, exponents, log_projected))
    if constant is not None:
        offset, log_with_constant = constant
        low = _bytes(min(log_projected, log_with_constant))
        high = _bytes(max(log_projected, log_with_constant))
        return PowerLaw(exponents, None, low, high, CONSTANT, offset)
    return PowerLaw(exponents, _bytes(log_projected), low, high)


def _dominating_constant(points: Sequence[tuple[tuple[int, ...], int]], at: Sequence[int],
                         exponents: tuple[float, ...],
                         log_projected: float) -> tuple[int, float] | None:
    """(constant, log of the projection with it) when the runs along one size (the
    others fixed) follow constant + c x size^p, and that projects more than SPREAD away
    from the fitted power law. Differences cancel the constant: p solves
    (b3 - b2) / (b2 - b1) = (x3^p - x2^p) / (x2^p - x1^p) for the three smallest
    sizes of the arm, then c and the constant follow. Increments under a byte are
    rounding, not growth."""
    found = None
    for axis, fixed, arm in _arms(points):
        (x1, b1), (x2, b2), (x3, b3) = arm[:3]
        if not (b2 - b1 >= 1 and b3 - b2 >= 1):
            continue
        power = _increment_exponent(x1, x2, x3, (b3 - b2) / (b2 - b1))
        if power is None:
            continue
        scale = (b2 - b1) / (x2**power - x1**power)
        constant = b1 - scale * x1**power
        if constant < 1:
            continue
        others = [j for j in range(len(at)) if j != axis]
        growing = math.log(b1 - constant) + power * math.log(at[axis] / x1) + sum(
            exponents[j] * math.log(at[j] / size) for j, size in zip(others, fixed))
        log_with = math.log(constant + math.exp(min(growing, math.log(UNLIMITED))))
        shift = abs(log_with - log_projected)
        if shift > math.log(SPREAD) and (found is None or shift > found[0]):
            found = (shift, round(constant), log_with)
    return None if found is None else found[1:]


def _arms(points: Sequence[tuple[tuple[int, ...], int]]
          ) -> list[tuple[int, tuple[int, ...], list[tuple[int, int]]]]:
    """Three or more runs along one size, the others fixed: (axis, the others' sizes,
    [(size, bytes)] by size)."""
    arms = []
    for axis in range(len(points[0][0])):
        groups: dict[tuple[int, ...], dict[int, int]] = {}
        for run, b in points:
            groups.setdefault(run[:axis] + run[axis + 1:], {})[run[axis]] = b
        arms += [(axis, fixed, sorted(group.items())) for fixed, group in groups.items()
                 if len(group) >= 3]
    return arms


def _increment_exponent(x1: int, x2: int, x3: int, ratio: float) -> float | None:
    """p > 0 with (x3^p - x2^p) / (x2^p - x1^p) = ratio (it grows with p), by bisection."""
    def increments(p: float) -> float:
        return (x3**p - x2**p) / (x2**p - x1**p)

    low, high = 1e-6, _HIGHEST_EXPONENT
    if not increments(low) < ratio < increments(high):
        return None
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if increments(middle) < ratio else (low, middle)
    return (low + high) / 2


def _matrix(points: Sequence[tuple[tuple[int, ...], float]]) -> np.ndarray:
    return np.array([[1.0, *(math.log(s) for s in run)] for run, _ in points])


def _separates(points: Sequence[tuple[tuple[int, ...], int]], sizes: int) -> bool:
    """Whether the runs tell every size's effect apart (and from the constant)."""
    return len(points) > sizes and np.linalg.matrix_rank(_matrix(points)) == sizes + 1


def _least_squares(points: Sequence[tuple[tuple[int, ...], float]],
                   at: Sequence[int]) -> tuple[tuple[float, ...], float, float]:
    """(exponents, log of the bytes projected at `at`, sum of squared log errors)."""
    logs = np.array([math.log(b) for _, b in points])
    matrix = _matrix(points)
    solution = np.linalg.lstsq(matrix, logs, rcond=None)[0]
    log_projected = float(solution[0] + sum(
        a * math.log(s) for a, s in zip(solution[1:], at)))
    error = float(np.sum((matrix @ solution - logs) ** 2))
    return tuple(float(a) for a in solution[1:]), log_projected, error


def _bytes(log_value: float) -> int:
    return UNLIMITED if log_value >= math.log(UNLIMITED) else round(math.exp(log_value))
