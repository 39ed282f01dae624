"""The verdict: does a projected operation trip a rule under the settings in force?

Pure but for the budget read, which happens only for a limit given as a share of
available memory, and which the budget monitor serves from its cache unless the
projection is large enough to matter.
"""

from __future__ import annotations

import numpy as np

from .projection.record import Estimate
from .memory import budget_for
from .report import Trip, act
from .settings import Settings, get_settings

#: Below this, a result cannot trip a limit given as a share of available memory
#: (the process would already be failing for lack of 64 KiB); such operations read
#: no budget at all. Fixed byte limits still apply exactly, however small.
NEGLIGIBLE_NBYTES = 64 * 1024

_SEVERITY = {"off": 0, "allow": 0, "log": 1, "warn": 2, "raise": 3}
_BY_SEVERITY = {0: "off", 1: "log", 2: "warn", 3: "raise"}


def judge(estimate: Estimate, settings: Settings) -> Trip | None:
    """The first rule the estimate trips (memory, inflation, rank promotion), or None."""
    nbytes = estimate.nbytes
    limit = settings.limit
    if limit.nbytes is not None:
        if nbytes > limit.nbytes:
            return Trip("memory", limit.nbytes, limit.text)
    elif nbytes > NEGLIGIBLE_NBYTES:
        budget = budget_for(nbytes)
        allowed = limit.resolve(budget.available)
        if nbytes > allowed:
            return Trip("memory", allowed, limit.text, budget)
    if settings.inflation is not None and estimate.method != "outer":
        largest = estimate.largest_operand_size
        if largest and estimate.result_size > settings.inflation * largest:
            return Trip("inflation", factor=settings.inflation)
    if settings.rank_promotion != "allow" and _promotes_rank(estimate):
        return Trip("rank_promotion")
    return None


def mode_for(trip: Trip, settings: Settings) -> str:
    """How to act: the mode, except that rank promotion acts at most as its own setting."""
    if trip.rule != "rank_promotion":
        return settings.mode
    return _BY_SEVERITY[min(_SEVERITY[settings.mode], _SEVERITY[settings.rank_promotion])]


def _promotes_rank(estimate: Estimate) -> bool:
    """Elementwise operands of different ranks (scalars and 0-d aside), as JAX means it.

    For ufuncs only plain elementwise calls count (a gufunc's core dimensions and
    reductions differ in rank by design); array functions are judged with this rule
    only where they broadcast elementwise (numguard.functions relaxes the others).
    """
    func = estimate.func
    if isinstance(func, np.ufunc) and (estimate.method != "__call__" or func.signature):
        return False
    ranks = {len(shape) for shape in estimate.operand_shapes if shape}
    return len(ranks) > 1


def enforce(estimate: Estimate, settings: Settings | None = None) -> None:
    """Judge `estimate` under the settings in force and act (raise, warn or log).

    Returns when the operation may run. Entry points that build their own estimates
    (ndarray methods, array functions) call this; mode "off" returns at once.
    """
    settings = settings or get_settings()
    if settings.mode == "off":
        return
    trip = judge(estimate, settings)
    if trip is not None:
        act(mode_for(trip, settings), estimate, trip)
