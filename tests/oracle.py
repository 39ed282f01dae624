"""NumPy as the oracle: run a call for real (on small data) and compare the estimate."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np

from numguard.projection import Estimate, estimate

#: Errors NumPy raises from inside the kernel, from the data's values: no pre-flight
#: check can see them, and the guard lets them through unchanged.
KERNEL_TIME_ERRORS = (
    "negative integer powers",
    "substring not found",
    "loop of ufunc does not support argument",
    "has no callable",
    "object has no attribute",
    "unsupported operand type",
    "not supported between instances",
    "can only concatenate",
    "bad operand type",
    "invalid value encountered",
    "divide by zero",
    "overflow encountered",
    "float division",
    "integer division or modulo by zero",
    "integer modulo by zero",
    "math range error",
    "math domain error",
    "must be str, not",
    "argument must be",
    "could not convert",
    "Could not convert",
    "malformed string",
    "can't multiply sequence",
    "too large to convert",
    "too big to convert",
    "too many digits",
    "by zero",
    "must be real number",
    "invalid literal",
)


class KernelTimeError(Exception):
    """NumPy failed inside the kernel: outside what an estimate can project."""


def public_class(exc: BaseException) -> type:
    """The first class in the MRO that its module exposes under its own name.

    NumPy's private error subclasses borrow their base's name for display
    (`_UFuncInputCastingError` shows as UFuncTypeError), so names alone mislead.
    """
    for cls in type(exc).__mro__:
        module = sys.modules.get(cls.__module__)
        if not cls.__name__.startswith("_") and getattr(module, cls.__name__, None) is cls:
            return cls
    return type(exc)


def run_numpy(op: Any, args: tuple, kwargs: dict) -> tuple[Any, BaseException | None]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return op(*args, **kwargs), None
        except Exception as exc:
            text = str(exc)
            if any(marker in text for marker in KERNEL_TIME_ERRORS):
                raise KernelTimeError(text) from exc
            return None, exc


def given_outputs(args: tuple, kwargs: dict, nin: int) -> list:
    out = kwargs.get("out", args[nin:] if len(args) > nin else None)
    if out is None or out is Ellipsis:
        return []
    return list(out) if isinstance(out, tuple) else [out]


def check_agreement(op: Any, args: tuple, kwargs: dict, nin: int | None = None) -> Estimate | None:
    """Assert `estimate(op, ...)` agrees with what NumPy does; return the estimate."""
    result, np_error = run_numpy(op, args, kwargs)
    if os.environ.get("NUMGUARD_ORACLE_TRACE"):
        print(f"estimate {op} {_describe(args, kwargs)}", file=sys.stderr, flush=True)
    try:
        est = estimate(op, *args, **kwargs)
    except Exception as exc:
        if np_error is None:
            raise AssertionError(
                f"estimate raised {type(exc).__name__}: {exc} but NumPy succeeded "
                f"for {op} {_describe(args, kwargs)}"
            ) from exc
        assert public_class(exc) is public_class(np_error), (
            f"estimate raised {type(exc).__name__}({exc}) where NumPy raised "
            f"{type(np_error).__name__}({np_error}) for {op} {_describe(args, kwargs)}"
        )
        return None
    if np_error is not None:
        raise AssertionError(
            f"NumPy raised {type(np_error).__name__}: {np_error} but estimate returned "
            f"{est} for {op} {_describe(args, kwargs)}"
        )
    compare_result(est, result, args, kwargs, nin)
    return est


def compare_result(est: Estimate, result: Any, args: tuple, kwargs: dict, nin: int | None) -> None:
    if est.method == "at":
        assert result is None
        assert est.shapes == () and est.dtypes == () and est.nbytes == 0
        return
    results = result if isinstance(result, tuple) else (result,)
    assert len(est.shapes) == len(results), (est, results)
    if nin is None:
        nin = est.func.nin if est.method in ("__call__", "outer") else 1
    given = given_outputs(args, kwargs, nin) if est.method in ("__call__", "outer") else (
        given_outputs((), kwargs, 0)
    )
    allocated = 0
    allocated_kinds = []
    for shape, dtype, real in zip(est.shapes, est.dtypes, results):
        assert shape == np.shape(real), (est, np.shape(real))
        if isinstance(real, str) and dtype.kind == "T":
            # A 0-d StringDType result comes back as a Python str.
            assert shape == (), est
            allocated += dtype.itemsize
            allocated_kinds.append("T")
            continue
        if isinstance(real, (str, bytes)):
            # A 0-d string result comes back as a scalar trimmed to its value
            # ('ab' from a <U4 array is <U2): NumPy allocated the full item first.
            trimmed = np.asarray(real).dtype
            assert dtype.kind == trimmed.kind and dtype.itemsize >= trimmed.itemsize, est
            allocated += dtype.itemsize
            allocated_kinds.append(dtype.kind)
            continue
        if dtype.kind == "O" and not isinstance(real, np.ndarray):
            # A 0-d object result comes back as the object the loop produced
            # (a Python number, or a NumPy scalar such as np.clongdouble).
            assert shape == (), est
            allocated += dtype.itemsize
            allocated_kinds.append("O")
            continue
        assert dtype == real.dtype, (est, real.dtype)
        if not any(real is o for o in given):
            allocated += real.nbytes
            allocated_kinds.append(dtype.kind)
    # Inexact estimates (object, StringDType) still match NumPy's own nbytes, which
    # counts only the slots: `exact=False` says the real memory is larger.
    assert est.nbytes == allocated, (est, allocated)
    assert est.exact == all(k not in "OT" for k in allocated_kinds), est


def _describe(args: tuple, kwargs: dict) -> str:
    def one(x: Any) -> str:
        if isinstance(x, np.ndarray):
            return f"array{x.shape}:{x.dtype}"
        return repr(x)

    parts = [one(a) for a in args] + [
        f"{k}={tuple(one(v) for v in val) if isinstance(val, tuple) else one(val)}"
        for k, val in kwargs.items()
    ]
    return "(" + ", ".join(parts) + ")"


def owner(a: np.ndarray) -> np.ndarray | None:
    """The array that owns a's data, or None where the data is borrowed from another
    object (np.frombuffer's bytes): NumPy allocated nothing for it."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a if a.base is None else None


def held_bytes(results: list, inputs: list) -> int:
    """Bytes NumPy allocated for `results`: each distinct owning array once (a view of
    a new array holds all of it: np.resize's concatenation, a histogram's padded
    counts), nothing for views of the inputs or borrowed buffers."""
    owners: list = []
    held = 0
    for r in results:
        if isinstance(r, np.ndarray):
            found = owner(r)
            if found is not None and not any(found is o for o in owners) and not any(
                    np.may_share_memory(found, x) for x in inputs):
                owners.append(found)
                held += found.nbytes
        elif isinstance(r, np.generic):
            held += r.itemsize
    return held
