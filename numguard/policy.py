"""The verdict: does a projected operation trip a rule under the settings in force?

Three rules, judged in this order:

- memory: the projected bytes against the limit. A share limit ("80%") resolves against
  what the process can still allocate; an explicit byte limit is a cap, never a promise:
  above what the process can allocate, that figure binds instead (and the report says so).
- inflation: the result has more elements than `inflation` times its largest operand;
- rank promotion: operands of different ranks were broadcast together.

The last two speak of element-wise broadcasting, so they apply only where the Estimate
says operands were broadcast against each other (`Estimate.broadcast`): products,
joins, gathers and reductions grow or shrink by design and face the memory rule alone.

"Too small to matter" is one rule, here, for every entry point: see `small_bound`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from .memory import Budget, budget_for, recent_budget
from .projection.record import Estimate
from .report import Trip, act
from .settings import Settings, get_settings

#: Below this, a result cannot trip a limit given as a share of available memory, nor
#: the cap of an explicit limit (the process would already be failing for lack of
#: 64 KiB); such operations read no budget at all. Fixed byte limits still apply
#: exactly, however small.
NEGLIGIBLE_NBYTES = 64 * 1024

#: Bytes an entry point may assume per element of a result it has not projected, on
#: top of the operands' own itemsizes: covers the widest promotion of two operands
#: (to complex128 or a 16-byte type) so that `size * (itemsizes + SLACK)` bounds it.
ELEMENT_SLACK = 32

#: Bytes an allowance adds to the projected peak: NumPy's casting and iteration buffers
#: (np.getbufsize() elements per operand) are not part of any projection.
ALLOWANCE_SLACK = 64 * 1024


#: What the judged operation NumPy is running in this context may still allocate, in
#: bytes, or None outside judged operations: the allowance.
#:
#: An entry point that has projected and judged an operation runs NumPy's kernel with
#: `allowance(peak)` here: the projected peak plus ALLOWANCE_SLACK. The allocation
#: backstop debits the operation's own allocations from it (those made while
#: numguard's frame called NumPy, NumPy's own frames aside; it sets the var to what is
#: left, and the entry point's reset restores what was there before): within it they
#: pass without a second verdict, so one operation gets one report; beyond it they are
#: judged like any other. So a projection that is too low costs at most an extra
#: report, never an unjudged allocation, and a wrapped array is never less protected
#: than a plain one. User code NumPy calls back meanwhile (object loops, np.frompyfunc,
#: __array_finalize__) allocates against the block's rules, not the allowance. A plain
#: int: setting it costs what setting a flag costs.
JUDGED: ContextVar[int | None] = ContextVar("numguard_judged", default=None)


def allowance(peak: int) -> int:
    """The allowance of an operation judged on `peak` bytes (see JUDGED)."""
    return peak + ALLOWANCE_SLACK


def run_judged(peak: int, kernel: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`kernel(*args, **kwargs)` with the allowance of `peak` bytes (see JUDGED)."""
    token = JUDGED.set(peak + ALLOWANCE_SLACK)
    try:
        return kernel(*args, **kwargs)
    finally:
        JUDGED.reset(token)


_SEVERITY = {"off": 0, "allow": 0, "log": 1, "warn": 2, "raise": 3}
_BY_SEVERITY = {0: "off", 1: "log", 2: "warn", 3: "raise"}


def small_bound(settings: Settings) -> int:
    """Results up to this many bytes cannot trip the memory rule under `settings`.

    Entry points skip projecting a result whose size they can bound below this (and
    that broadcasts nothing, so inflation and rank promotion cannot trip either).
    """
    limit = settings.limit.nbytes
    return NEGLIGIBLE_NBYTES if limit is None else min(limit, NEGLIGIBLE_NBYTES)


def cannot_trip(bound_nbytes: int, settings: Settings) -> bool:
    """True when an operation that broadcasts nothing, and whose peak (results and
    temporaries) is at most `bound_nbytes`, can trip no rule under `settings`.

    The shortcut every entry point takes instead of projecting: inflation and rank
    promotion need broadcasting, so only the memory rule is left, judged here on the
    bound (a bound that passes lets the exact peak pass too). Below `small_bound` no
    budget is read; above it `judge_bytes` reads the cached budget, as judging the
    projection would. A bound that trips proves nothing: the caller projects.
    """
    if bound_nbytes <= NEGLIGIBLE_NBYTES:  # small_bound(settings), inlined: a hot path
        limit = settings.limit.nbytes
        if limit is None or bound_nbytes <= limit:
            return True
    return judge_bytes(bound_nbytes, settings) is None


def judge(estimate: Estimate, settings: Settings) -> Trip | None:
    """The first rule the estimate trips (memory, inflation, rank promotion), or None.

    The memory rule judges the peak (results and the temporaries NumPy holds beside
    them): that is what gets a process killed.
    """
    trip = judge_bytes(estimate.peak, settings)
    if trip is not None:
        return trip
    return judge_shapes(estimate, settings)


def uses_shape_rules(settings: Settings) -> bool:
    """Whether inflation or rank promotion can trip under `settings`."""
    return settings.inflation is not None or settings.rank_promotion != "allow"


def judge_shapes(estimate: Estimate, settings: Settings) -> Trip | None:
    """Inflation, then rank promotion: the rules that read the operands' shapes."""
    if not estimate.broadcast:
        return None
    if settings.inflation is not None:
        largest = estimate.largest_operand_size
        if largest and estimate.result_size > settings.inflation * largest:
            return Trip("inflation", factor=settings.inflation,
                        origin=settings.origin("inflation"))
    if settings.rank_promotion != "allow" and _promotes_rank(estimate):
        return Trip("rank_promotion", origin=settings.origin("rank_promotion"))
    return None


def judge_bytes(nbytes: int, settings: Settings, budget: Budget | None = None) -> Trip | None:
    """The memory rule alone, for `nbytes` about to be allocated (the backstop's verdict)."""
    limit = settings.limit
    if limit.nbytes is not None and nbytes > limit.nbytes:
        return Trip("memory", limit.nbytes, limit.text, budget,
                    origin=settings.origin("limit"), fixed=True)
    if nbytes <= NEGLIGIBLE_NBYTES:
        return None
    if budget is None:
        budget = _over_any_budget(nbytes, limit)
        if budget is not None:  # refused whatever the usage: a reading cannot change it
            return (Trip("memory", budget.available, limit.text, budget,
                         origin=settings.origin("limit"), capped=True, fixed=True)
                    if limit.nbytes is not None else
                    Trip("memory", limit.resolve(budget.available), limit.text, budget,
                         origin=settings.origin("limit")))
    budget = budget or budget_for(nbytes)
    if limit.nbytes is not None:
        if nbytes > budget.available:
            return Trip("memory", budget.available, limit.text, budget,
                        origin=settings.origin("limit"), capped=True, fixed=True)
        return None
    allowed = limit.resolve(budget.available)
    if nbytes > allowed:
        return Trip("memory", allowed, limit.text, budget, origin=settings.origin("limit"))
    return None


#: How old a reading may be for its ceiling to decide a refusal (see _over_any_budget).
CEILING_AGE = 1.0


def _over_any_budget(nbytes: int, limit: Any) -> Budget | None:
    """A recent reading whose ceiling (its sources' smallest limit) makes `nbytes` over
    the limit whatever the usage now, else None. A refusal of a request far beyond the
    machine (the 7.3 TiB incident) then reads no file: only a limit raised within the
    last CEILING_AGE could change the verdict, not memory freed meanwhile."""
    recent = recent_budget(CEILING_AGE)
    ceiling = recent.ceiling if recent is not None else None
    if ceiling is None:
        return None
    bound = ceiling if limit.nbytes is not None else limit.resolve(ceiling)
    return recent if nbytes > bound else None


def mode_for(trip: Trip, settings: Settings) -> str:
    """How to act: the mode, except that rank promotion acts at most as its own setting."""
    if trip.rule != "rank_promotion":
        return settings.mode
    return _BY_SEVERITY[min(_SEVERITY[settings.mode], _SEVERITY[settings.rank_promotion])]


def _promotes_rank(estimate: Estimate) -> bool:
    """Operands of different ranks (scalars and 0-d aside), as JAX means it."""
    ranks = {len(shape) for shape in estimate.operand_shapes if shape}
    return len(ranks) > 1


def enforce(estimate: Estimate, settings: Settings | None = None) -> int:
    """Judge `estimate` under the settings in force and act (raise, warn or log).

    Returns, when the operation may run, the peak it was allowed: the caller then runs
    NumPy's kernel through `run_judged(peak, ...)`, so that the backstop does not judge
    the same operation again (see JUDGED).
    """
    settings = settings or get_settings()
    if settings.mode != "off":
        trip = judge(estimate, settings)
        if trip is not None:
            mode = mode_for(trip, settings)
            if mode != "off":
                act(mode, estimate, trip)
    return estimate.peak


__all__ = ["judge_shapes", "uses_shape_rules", "ALLOWANCE_SLACK", "ELEMENT_SLACK", "JUDGED", "NEGLIGIBLE_NBYTES", "allowance",
           "cannot_trip", "enforce", "judge", "judge_bytes", "mode_for", "run_judged",
           "small_bound"]
