"""Differential fuzzing (issue 22 item 5): random calls of ufuncs and their methods,
array functions and ndarray methods, compared with NumPy on errors, result count,
shapes, dtypes and bytes, and the projected peak compared with tracemalloc.

A seed is drawn per run (shared by the xdist workers of one run) and shown in the
test ids and in every failure; give one with NUMGUARD_FUZZ_SEED, more calls with
NUMGUARD_FUZZ_CALLS (CI: 2400 in 8 chunks, with one fixed seed that .ci/run sets, so that
CI is reproducible; what a fresh seed finds goes into FOUND, as found, with its fix). The
figures for any seed:

    python tests/test_fuzz.py --seed 123 --calls 5000

Peaks are compared as NumPy's allocator holds them (`Estimate.allocator_peak`), with
NumPy's casting buffers made small (np.setbufsize) so they do not blur the figures.
A disagreement is fixed in the projection; what is not fixed yet sits in KNOWN_GAPS
(results) or PEAK_GAPS (peaks), each with its reason and a reproducer that runs as a
strict xfail, so an entry cannot outlive its gap.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fuzz_corpus import Call, draw_call  # noqa: E402
from fuzz_recipes import load  # noqa: E402
from oracle import KERNEL_TIME_ERRORS, public_class  # noqa: E402

import numguard  # noqa: E402
from numguard.projection import ndarray_methods, registry  # noqa: E402

#: NumPy errors that depend on the data (a singular matrix, all-NaN slices): no
#: projection can foresee them, and the guard lets them through unchanged.
DATA_ERRORS = KERNEL_TIME_ERRORS + (
    "Singular matrix", "not positive definite", "did not converge", "All-NaN",
    "Weights sum to zero", "Weights included NaN", "SVD did not converge",
    "Array must not contain infs or NaNs", "contains NaN", "cannot convert float NaN",
    "Eigenvalues did not converge", "must be finite", "out of bounds",
    "index -1 is out of bounds", "not enough values", "cannot reshape",
    "Integers to negative integer powers", "Cannot compute", "array must not contain infs",
    "invalid entry", "data type <class 'numpy.object_'> not inexact",
    "was too short",  # datetime64 to a string too short for its values (NaT would fit)
)

KILOBYTES_16, MEGABYTE = 16 * 1024, 1 << 20
BUFSIZE = 32
#: Calls projected above this are not run, and the run is fenced by numguard.guard.
RUN_LIMIT = 256 << 20


class Gap(NamedTuple):
    """A known disagreement, excluded from the fuzz checks, kept honest by its
    reproducer (a strict xfail)."""

    reason: str
    matches: Callable[[Call], bool]
    reproducer: Call


def _named(call: Call, *names: str) -> bool:
    return _name(call) in names


#: Result disagreements not fixed yet.
KNOWN_GAPS: list[Gap] = []

#: Peak disagreements (calls measuring 1 MiB or more) not fixed yet.
PEAK_GAPS: list[Gap] = [
    Gap("kron with a non-C-contiguous operand: projected 2.0x (a copy NumPy does not "
        "make; high, so a false refusal at worst; found at the deadline of issue 22)",
        lambda call: _named(call, "kron") and any(
            isinstance(a, np.ndarray) and a.ndim > 1 and not a.flags.c_contiguous
            for a in call.args),
        Call("function", np.kron, (np.ones(403345, "i1"), np.ones((2, 2), "i4", order="F")),
             {})),
    Gap("histogram with range=: non-C-contiguous weights are raveled (a copy, 0.82x) and "
        "values outside range are dropped first (2.12x at seed 7007 call 1122); neither "
        "modelled yet (found at the deadline of issue 22)",
        lambda call: _named(call, "histogram") and call.kwargs.get("range") is not None,
        Call("function", np.histogram, (np.asfortranarray(np.linspace(0, 3, 283 * 320)
                                                          .reshape(283, 320)),),
             {"range": (0, 4), "density": True,
              "weights": np.asfortranarray(np.ones((283, 320)))})),
]

#: Functions whose peak is a documented bound: only a projection below 0.9x is wrong.
PEAK_BOUNDS: dict[str, str] = {
    "unique": "the number of distinct values decides the result (projected: all)",
    "unique_all": "the number of distinct values decides the result",
    "unique_counts": "the number of distinct values decides the result",
    "unique_inverse": "the number of distinct values decides the result",
    "unique_values": "the number of distinct values decides the result",
    "setdiff1d": "set sizes depend on the data", "setxor1d": "set sizes depend on the data",
    "union1d": "set sizes depend on the data", "intersect1d": "set sizes depend on the data",
    "i0": "each branch's share of the data decides the series' temporaries",
    "nanmedian": "NaN positions: counted at most (every element)",
    "nanpercentile": "NaN positions: counted at most", "nanquantile": "NaN positions",
    "linalg.eig": "real or complex results: the data decides (complex projected)",
    "linalg.eigvals": "real or complex results: the data decides",
    "linalg.lstsq": "residuals exist only at full rank", "roots": "leading zeros are trimmed",
    "scimath": "complex data: whether NumPy converts it depends on its values",
    "isin": "how many elements are in range, or distinct, decides the temporaries",
    "polydiv": "the remainder's leading zeros are trimmed",
    "poly": "a real or complex result, the data decides",
    "ndarray.dumps": "pickle's output buffer grows by reallocation inside CPython's pickle "
                     "module: projected at its most (every byte above 127 takes two)",
}


# -- running one call ----------------------------------------------------------------

class Outcome(NamedTuple):
    call: Call  # dropped (see `settled`) once compared: runs keep thousands of outcomes
    status: str  # agree, skip, error-mismatch, result-mismatch, exact-violated, bound-violated
    message: str = ""
    measured: int | None = None
    projected: int | None = None
    exact: bool | None = None
    objects: bool = False
    name: str = ""
    described: str = ""
    gap: bool = False  # matches a KNOWN_GAPS entry
    peak_gap: bool = False  # matches a PEAK_GAPS entry


def settled(outcome: Outcome) -> Outcome:
    """The outcome without its call's arrays, with what the reports need of it."""
    call = outcome.call
    return outcome._replace(
        call=None, name=_name(call), described=call.describe(),
        gap=any(g.matches(call) for g in KNOWN_GAPS),
        peak_gap=any(g.matches(call) for g in PEAK_GAPS))


def _name(call: Call) -> str:
    """"add", "add.reduce", "ndarray.copy", "sort", "linalg.svd", "scimath.sqrt"."""
    if call.kind == "recipe":
        return "recipe"
    if call.kind == "method":
        return f"ndarray.{call.op}"
    owner = getattr(call.op, "__self__", None)
    if isinstance(owner, np.ufunc):
        return f"{owner.__name__}.{call.op.__name__}"
    if isinstance(call.op, np.ufunc):
        return call.op.__name__
    module = (getattr(call.op, "__module__", None) or "numpy").split(".")
    known = [part for part in module[1:] if part in ("linalg", "fft", "scimath")]
    name = getattr(call.op, "__name__", repr(call.op))
    return ".".join(known[-1:] + [name])


def _estimate(call: Call) -> Any:
    if call.kind == "method":
        a, *args = call.args
        found = ndarray_methods.project(call.op, a, *args, **call.kwargs)
        refine = ndarray_methods.METHODS[call.op].refine if call.op in ndarray_methods.METHODS \
            else None
        if found is not None and refine is not None:
            # the guard answers with a bound (nonzero: every element) and counts before
            # it refuses: compare the count, which decides refusals and claims exact=True
            return refine(a, *args, **call.kwargs)
        if found is None and call.op == "round" and a.dtype.kind in "fc" and not call.kwargs.get(
                "out") and not args:  # delegated to np.rint, which __array_ufunc__ checks
            return numguard.estimate(np.rint, a)
        return found
    return numguard.estimate(call.op, *call.args, **call.kwargs)


def _run(call: Call) -> Any:
    if call.kind == "method":
        a, *args = call.args
        if call.op == "imag":
            return a.imag
        return getattr(a, call.op)(*args, **call.kwargs)
    return call.op(*call.args, **call.kwargs)


def _arrays_in(value: Any, found: list) -> list:
    if isinstance(value, np.ndarray):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _arrays_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _arrays_in(item, found)
    return found


def _results(value: Any) -> list:
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        return [r for item in value for r in _results(item)]
    return [value]


def _owner(a: np.ndarray) -> np.ndarray | None:
    """The array that owns a's data, or None where the data is borrowed from another
    object (np.frombuffer's bytes): NumPy allocated nothing for it."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a if a.base is None else None


def measure(call: Call) -> tuple[Any, BaseException | None, int]:
    """NumPy's result (or error) and its peak under tracemalloc, buffers made small."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    old = np.getbufsize()
    np.setbufsize(BUFSIZE)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            try:
                with numguard.guard(limit=RUN_LIMIT, mode="raise"):  # a fence, should the
                    result = _run(call)  # projection be wrong (tests stay under ~1 GiB)
                error = None
            except Exception as exc:  # noqa: BLE001 - NumPy's error is compared
                result, error = None, exc
            peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        np.setbufsize(old)
        if started:
            tracemalloc.stop()
    return result, error, peak


_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def crashes_numpy(call: Call) -> bool:
    """NumPy 2.4.6 segfaults on a comparison of a Python int with an integer array
    given where= (np.equal(-1, np.array([5], "u8"), where=False) kills the process,
    numguard absent): such calls are not run (a NumPy bug, not a projection's)."""
    return (call.kind == "ufunc" and isinstance(call.op, np.ufunc)
            and call.op.__name__ in _COMPARISONS and "where" in call.kwargs
            and any(type(a) is int for a in call.args))


def check(call: Call, again: Callable[[], Call] | None = None) -> Outcome:
    """Project, run, compare. `again` draws the same call afresh (for a second
    measurement)."""
    if crashes_numpy(call):
        return Outcome(call, "skip", "NumPy crashes on this call (see crashes_numpy)")
    inputs = _arrays_in((call.args, call.kwargs), [])
    objects = any(a.dtype.kind in "OTUSV" for a in inputs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numguard never warns on its own behalf
            est, est_error = _estimate(call), None
    except Exception as exc:  # noqa: BLE001
        est, est_error = None, exc
    if est is not None and est.peak > RUN_LIMIT:
        return Outcome(call, "skip", f"projected {est.peak} bytes: too big to run here")
    result, error, peak = measure(call)
    if error is None and peak >= KILOBYTES_16 and again is not None:
        # a first call may import modules or fill caches (traced too): run the same
        # call, drawn again from its seed, and keep the lower peak
        peak = min(peak, measure(again())[2])
    if isinstance(error, MemoryError):
        return Outcome(call, "skip", f"refused by the run's fence: {str(error)[:80]}")
    if error is not None:
        text = str(error)
        if any(marker in text for marker in DATA_ERRORS) or isinstance(error, np.linalg.LinAlgError):
            return Outcome(call, "skip", f"data-dependent NumPy error: {text[:80]}")
        if est_error is None and objects_loop(call, est):
            # an object loop calls each element's own methods (0.0 ** -1, a longdouble
            # without __trunc__): the elements' errors, which no projection foresees
            return Outcome(call, "skip", f"an object element's error: {text[:80]}")
        if est_error is None:
            return Outcome(call, "error-mismatch", f"NumPy raised {type(error).__name__}: "
                           f"{text[:120]}; estimate returned {est}")
        if public_class(est_error) is not public_class(error):
            return Outcome(call, "error-mismatch", f"NumPy raised {type(error).__name__}: "
                           f"{text[:100]}; estimate raised {type(est_error).__name__}: "
                           f"{str(est_error)[:100]}")
        return Outcome(call, "agree")
    if est_error is not None:
        return Outcome(call, "error-mismatch", f"estimate raised {type(est_error).__name__}: "
                       f"{str(est_error)[:150]} where NumPy ran")
    return _compare(call, est, result, inputs, peak, objects)


def _result_dtype(r: Any, projected: np.dtype | None) -> np.dtype:
    """The dtype NumPy gave a result: a 0-d object result is handed back as the object
    it holds (any type), a string scalar has its own length's dtype (the array it
    came from had the projected one)."""
    if isinstance(r, np.ndarray) or projected is None:
        return np.asarray(r).dtype
    if projected.kind == "O":
        return projected
    if isinstance(r, (np.str_, np.bytes_)) and np.asarray(r).dtype.kind == projected.kind:
        return projected
    if isinstance(r, np.generic) and r.dtype == projected.newbyteorder("="):
        return projected  # a 0-d result handed back as a scalar, which is native-endian
    return np.asarray(r).dtype


def objects_loop(call: Call, est: Any) -> bool:
    """The call runs a loop over Python objects: object operands, or an object result."""
    operands = _arrays_in((call.args, call.kwargs), [])
    return (any(a.dtype.kind == "O" for a in operands) or call.kwargs.get("dtype") in ("O", object)
            or (est is not None and any(d.kind == "O" for d in est.dtypes)))


def _compare(call: Call, est: Any, result: Any, inputs: list, peak: int,
             objects: bool) -> Outcome:
    if call.kind == "function" and registry.ANSWERS.get(call.op) is not None and (
            registry.ANSWERS[call.op].function.__name__ == "nothing"):
        return Outcome(call, "agree")  # shape queries, strings, in-place writes
    if est is None:  # a method that makes no new array: a view of `a`, or `a` itself
        reals = [r for r in _results(result) if isinstance(r, np.ndarray) and r.size]
        if any(not np.may_share_memory(r, call.args[0]) for r in reals):
            return Outcome(call, "exact-violated", "projected no new array, NumPy made one")
        return Outcome(call, "agree", measured=peak, projected=0, exact=True, objects=objects)
    if result is None and call.kind in ("ufunc", "method") and est.shapes:
        # an object scalar (a ufunc on Python scalars), or a method that works in place
        return Outcome(call, "agree", measured=peak, projected=est.allocator_peak,
                       exact=est.exact, objects=True)
    reals = [] if result is None else _results(result)
    held, owners = 0, []
    shapes, dtypes, textual = [], [], False
    for index, r in enumerate(reals):
        if isinstance(r, (bytes, str)) and not isinstance(r, np.generic):
            held += len(r)
            textual = True
            continue
        if isinstance(r, np.ndarray):
            owner = _owner(r)
            if owner is not None and not any(owner is o for o in owners) and not any(
                    np.may_share_memory(owner, x) for x in inputs):
                owners.append(owner)
                held += owner.nbytes
        elif isinstance(r, np.generic):
            held += r.itemsize
        shapes.append(np.shape(r))
        dtypes.append(_result_dtype(r, est.dtypes[index] if index < len(est.dtypes) else None))
    objects = objects or any(d.kind in "OT" for d in est.dtypes)
    base = dict(measured=peak, projected=est.allocator_peak, exact=est.exact, objects=objects)
    if textual:  # bytes and str: exact, or a lower bound whose peak covers the worst case
        wrong = est.nbytes != held if est.exact else est.peak < held
        return Outcome(call, "exact-violated" if wrong and est.exact else
                       "bound-violated" if wrong else "agree",
                       f"bytes {est.nbytes} vs {held}", **base)
    if len(est.shapes) != len(shapes):
        return Outcome(call, "result-mismatch", f"{len(est.shapes)} results projected, NumPy "
                       f"gave {len(shapes)}: {est.shapes} vs {shapes}", **base)
    if est.exact:
        if tuple(shapes) != est.shapes or tuple(dtypes) != est.dtypes:
            return Outcome(call, "exact-violated", f"exact=True: {est.shapes} {est.dtypes} vs "
                           f"NumPy {tuple(shapes)} {tuple(dtypes)}", **base)
        if est.nbytes != held and not all(np.ndim(r) == 0 for r in reals):
            return Outcome(call, "exact-violated", f"exact=True: {est.nbytes} bytes vs NumPy "
                           f"{held}", **base)
        return Outcome(call, "agree", **base)
    for shape, dtype, real_shape, real_dtype in zip(est.shapes, est.dtypes, shapes, dtypes):
        if len(shape) != len(real_shape) or np.prod(shape) < np.prod(real_shape):
            return Outcome(call, "bound-violated", f"bound {est.shapes} vs {shapes}", **base)
        if dtype != real_dtype and dtype.itemsize < real_dtype.itemsize:
            return Outcome(call, "bound-violated", f"bound {est.dtypes} vs {dtypes}", **base)
    if est.nbytes < held and not any(d.kind in "OT" for d in est.dtypes):
        return Outcome(call, "bound-violated", f"bound {est.nbytes} bytes < NumPy {held}",
                       **base)
    return Outcome(call, "agree", **base)


# -- runs --------------------------------------------------------------------------------

def _resolve(recipes: dict) -> dict:
    resolved = {}
    for key, make in recipes.items():
        if isinstance(key, str):
            found = registry.resolve(key, {}, "")
            if not found:
                continue
            key = found[0]
        resolved[key] = make
    return resolved


R, METHODS = load()
RECIPES = _resolve(R)


def run(seed: int, start: int, stop: int) -> list[Outcome]:
    outcomes = []
    for index in range(start, stop):
        rng = np.random.default_rng([seed, index])
        try:
            call = draw_call(rng, RECIPES, METHODS)
        except Exception as exc:  # noqa: BLE001 - a recipe that cannot draw: a corpus bug
            outcomes.append(settled(Outcome(Call("recipe", None, (), {}), "recipe-error",
                                            f"[seed {seed} call {index}] {exc!r}")))
            continue
        outcome = check(call, lambda index=index: draw_call(np.random.default_rng([seed, index]), RECIPES,
                                                 METHODS))
        outcomes.append(settled(outcome._replace(
            message=f"[seed {seed} call {index}] " + outcome.message)))
    return outcomes


def failures(outcomes: list[Outcome]) -> list[str]:
    """What the CI run refuses: any disagreement not in KNOWN_GAPS, and peaks of 1 MiB
    or more outside [0.9, 1.5] (below 0.9 only, for PEAK_BOUNDS) not in PEAK_GAPS."""
    found = []
    for o in outcomes:
        if o.status not in ("agree", "skip"):
            if not o.gap:
                found.append(f"{o.status}: {o.described} {o.message}")
            continue
        if o.status == "agree" and o.measured and o.measured >= MEGABYTE and not o.objects:
            ratio = o.projected / o.measured
            bounded = any(o.name == k or o.name.startswith(k + ".") for k in PEAK_BOUNDS)
            low, high = 0.9, (float("inf") if bounded else 1.5)
            if not low <= ratio <= high and not o.peak_gap:
                found.append(f"peak {ratio:.2f}x ({o.projected} projected, {o.measured} "
                             f"measured): {o.described} {o.message}")
    return found


def summary(outcomes: list[Outcome]) -> str:
    total = len(outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    compared = total - counts.get("skip", 0)
    lines = [f"calls: {total}, compared: {compared}, " + ", ".join(
        f"{k}: {v}" for k, v in sorted(counts.items()))]
    agree = counts.get("agree", 0)
    lines.append(f"agreement: {agree / max(compared, 1):.4f}")
    exact = [o for o in outcomes if o.exact]
    violated = sum(o.status == "exact-violated" for o in outcomes)
    lines.append(f"exact=True claims: {len(exact) + violated}, violated: {violated}")
    for floor, label in ((KILOBYTES_16, ">= 16 KiB"), (MEGABYTE, ">= 1 MiB")):
        ratios = sorted(o.projected / o.measured for o in outcomes if o.status == "agree"
                        and o.measured and o.measured >= floor and not o.objects)
        if ratios:
            under = sum(r < 0.9 for r in ratios) / len(ratios)
            over = sum(r > 1.5 for r in ratios) / len(ratios)
            lines.append(f"peaks {label}: {len(ratios)} calls, median ratio "
                         f"{ratios[len(ratios) // 2]:.3f}, under 0.9x: {under:.1%}, "
                         f"over 1.5x: {over:.1%}")
    return "\n".join(lines)


def _run_seed() -> int:
    given = os.environ.get("NUMGUARD_FUZZ_SEED")
    if given:
        return int(given)
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # one per run, in every worker
    if run_id:
        return int(hashlib.sha256(run_id.encode()).hexdigest(), 16) % 2**32
    return random.SystemRandom().randrange(2**32)


SEED = _run_seed()
CALLS = int(os.environ.get("NUMGUARD_FUZZ_CALLS", "2400"))
CHUNKS = 8


@pytest.mark.parametrize("chunk", range(CHUNKS), ids=[f"seed={SEED}-chunk{c}"
                                                       for c in range(CHUNKS)])
def test_fuzz_calls_agree_with_numpy(chunk: int) -> None:
    size = -(-CALLS // CHUNKS)
    outcomes = run(SEED, chunk * size, min((chunk + 1) * size, CALLS))
    print(f"NUMGUARD_FUZZ_SEED={SEED} chunk {chunk}\n{summary(outcomes)}")
    found = failures(outcomes)
    assert not found, (f"NUMGUARD_FUZZ_SEED={SEED}: {len(found)} disagreements\n"
                       + "\n".join(found[:25]))


def test_peak_bounds_are_documented_in_the_projection() -> None:
    """Every bound the suite accepts is listed in numguard.projection's docstring."""
    documented = numguard.projection.__doc__.split("Peaks known only as bounds")[1]
    missing = [name for name in PEAK_BOUNDS if name not in documented]
    assert not missing, missing


def test_every_projected_function_has_a_recipe() -> None:
    projected = set(numguard.projection.registered_functions()) | set(registry.ANSWERS)
    public = {f for f in projected if not f.__name__.startswith("_")
              and not f.__name__.endswith("_with_like")
              and not (f.__module__ == "numpy" and getattr(np, f.__name__, f) is not f)}
    # (the last: np.ones' own like= dispatcher, `_ones_with_like`, is named "ones")
    missing = sorted(f.__name__ for f in public - set(RECIPES))
    assert not missing, missing
    assert set(METHODS) <= set(ndarray_methods.METHODS)


#: Disagreements the fuzz found and the projections now model: each call as it was found.
FOUND: dict[str, Call] = {
    # seed 424242 (10,000 calls): NumPy moves a 2-d q's axes "from axis + i" with the
    # merged axis at -1, so its last dimension comes first (projected (2, 1, 1, 5, 1))
    "nanpercentile, 2-d q, several axes, keepdims": Call(
        "function", np.nanpercentile,
        (np.arange(15, dtype="u1").reshape(1, 5, 3), np.full((2, 1), 50.0)),
        {"axis": (2, 0), "keepdims": True}),
    # the merged branches' CI run (seed 712756960 call 431): a 1-d strided lane is
    # buffered whole for axis=None (its ravel is a view), projected 0.50x
    "argsort of a strided 1-d array, axis=None": Call(
        "method", "argsort", (np.ones(2 * 839083)[::2],), {"axis": None}),
    # seed 1361493436 call 620: the singular values' LAPACK workspace is outside NumPy's
    # allocator (svd said so; norm dropped it), projected 2.07x
    "matrix_norm nuc of uint16": Call(
        "function", np.linalg.matrix_norm, (np.ones((1137, 1170), "u2", order="F"),),
        {"ord": "nuc"}),
    # seed 981029005 call 190: an out= of another dtype than the loop's is written
    # through a result buffer in the loop's dtype, projected 0.50x (reduceat alike)
    "accumulate into an out= of another dtype": Call(
        "ufunc", np.subtract.accumulate, (np.ones((102, 126, 81), np.clongdouble),),
        {"axis": 2, "dtype": "f4", "out": np.empty((102, 126, 81))}),
    "reduceat into an out= of another dtype": Call(
        "ufunc", np.add.reduceat, (np.ones((50, 60, 70), np.clongdouble), np.arange(0, 70, 3)),
        {"axis": 2, "out": np.empty((50, 60, 24), "c16")}),
}


@pytest.mark.parametrize("name", list(FOUND))
def test_what_the_fuzz_found_agrees_now(name: str) -> None:
    outcome = settled(check(FOUND[name]))
    assert outcome.status == "agree", outcome.message
    assert not failures([outcome]), outcome.message


@pytest.mark.parametrize("gap", KNOWN_GAPS + PEAK_GAPS, ids=[g.reason[:60] for g in
                                                            KNOWN_GAPS + PEAK_GAPS])
@pytest.mark.xfail(strict=True, reason="a known gap: its reproducer must still disagree")
def test_known_gap_still_disagrees(gap: Gap) -> None:
    outcome = check(gap.reproducer)
    assert outcome.status == "agree", outcome.message
    assert not failures([settled(outcome)._replace(gap=False, peak_gap=False)])


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--show", type=int, default=40, help="disagreements to print")
    options = parser.parse_args(argv)
    seed = SEED if options.seed is None else options.seed
    outcomes = run(seed, 0, options.calls)
    print(f"NUMGUARD_FUZZ_SEED={seed}")
    print(summary(outcomes))
    found = failures(outcomes)
    print(f"failures: {len(found)}")
    for line in found[: options.show]:
        print("  " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
