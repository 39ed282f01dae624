"""The differential fuzz corpus: random NumPy calls, drawn from a seed.

`draw_call(draw)` picks a target (a ufunc and one of its methods, a projected or
answered array function, or an allocating ndarray method) and arguments for it:
arrays of many dtypes and layouts (C, F, strided, reversed, non-native byte order),
shapes from empty to a few megabytes, and the keywords that change results. Some
calls are invalid on purpose (a wrong axis, shapes that do not match): NumPy's error
is part of what is compared. tests/test_fuzz.py runs and compares them.

Each array function has a recipe in `RECIPES` (function -> draw -> (args, kwargs));
tests/test_fuzz.py checks that every projected function has one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.testing.overrides import get_overridable_numpy_ufuncs

DTYPES = ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "g",
          "c8", "c16", "G"]
#: Weights: the common dtypes most often.
_WEIGHTS = [3, 1, 1, 1, 1, 2, 1, 4, 1, 1, 3, 8, 1, 1, 3, 1]
STRANGERS = ["O", "U3", "S2", "M8[s]", "m8[s]", ">f8", ">i4", "T"]
NUMERIC = "?iufc"


class Call(NamedTuple):
    kind: str  # "ufunc", "function", "method"
    op: Any  # the callable (a ufunc method, a function), or the method name
    args: tuple
    kwargs: dict

    def describe(self) -> str:
        name = self.op if isinstance(self.op, str) else getattr(
            self.op, "__qualname__", getattr(self.op, "__name__", repr(self.op)))
        owner = getattr(self.op, "__self__", None)
        if isinstance(owner, np.ufunc):
            name = f"{owner.__name__}.{self.op.__name__}"
        parts = [_show(a) for a in self.args] + [f"{k}={_show(v)}" for k, v in self.kwargs.items()]
        return f"{name}({', '.join(parts)})"


def _show(x: Any) -> str:
    if isinstance(x, np.ndarray):
        layout = "C" if x.flags.c_contiguous else "F" if x.flags.f_contiguous else "strided"
        return f"array{x.shape}:{x.dtype}:{layout}"
    if isinstance(x, (list, tuple)) and len(x) > 6:
        return f"{type(x).__name__}[{len(x)}]"
    if isinstance(x, (list, tuple)):
        return type(x)(_show(i) for i in x).__repr__() if isinstance(x, list) else (
            "(" + ", ".join(_show(i) for i in x) + ("," if len(x) == 1 else "") + ")")
    return repr(x)


class Draw:
    """The random source of one call: an rng and a size class."""

    def __init__(self, rng: np.random.Generator, size: str) -> None:
        self.rng = rng
        self.size = size  # "small", "medium", "large"

    # -- plain choices -----------------------------------------------------------
    def pick(self, options: list) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def int(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    # -- dtypes, shapes, arrays -------------------------------------------------
    def dtype(self, kinds: str = NUMERIC, strangers: float = 0.05) -> np.dtype:
        kinds = kinds.replace("?", "b")  # "?" in recipes, NumPy's kind is "b"
        if self.chance(strangers):
            found = [d for d in STRANGERS if np.dtype(d).kind in kinds or kinds == "any"]
            if found:
                return np.dtype(self.pick(found))
        names = [d for d in DTYPES if np.dtype(d).kind in kinds or kinds == "any"]
        weights = np.array([_WEIGHTS[DTYPES.index(d)] for d in names], float)
        return np.dtype(names[int(self.rng.choice(len(names), p=weights / weights.sum()))])

    def dim(self) -> int:
        """One axis length for the size class."""
        if self.size == "small":
            return self.pick([0, 1, 1, 2, 2, 3, 3, 4, 5])
        if self.size == "medium":
            return self.int(20, 90)
        return self.int(300, 1100)

    def shape(self, ndim: int | None = None, low: int = 0, high: int = 3) -> tuple:
        ndim = self.int(low, high) if ndim is None else ndim
        if self.size != "small" and ndim:
            # keep the total in range: medium 1e3-6e4 elements, large 1e5-1.2e6
            total = self.int(1_000, 60_000) if self.size == "medium" else self.int(
                100_000, 1_200_000)
            sides = [max(int(round(total ** (1 / ndim))), 1)] * ndim
            return tuple(max(1, s + self.int(-s // 3, s // 3)) for s in sides)
        return tuple(self.dim() for _ in range(ndim))

    def fill(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        """Values that exercise the data-dependent paths: zeros, negatives, some NaN."""
        return np.asarray(self._values(shape, dtype), dtype=dtype)

    def _values(self, shape: tuple, dtype: np.dtype) -> Any:
        kind = dtype.kind
        n = math.prod(shape)
        if kind == "b":
            return (self.rng.random(shape) < self.pick([0.0, 0.3, 0.5, 1.0])).astype(dtype)
        if kind in "iu":
            low = 0 if kind == "u" else -9
            return self.rng.integers(low, 10, shape).astype(dtype)
        if kind in "fc":
            values = self.rng.standard_normal(shape) * self.pick([1.0, 0.5, 10.0])
            if kind == "c":
                values = values + 1j * self.rng.standard_normal(shape) * self.pick([0, 1])
            if n and self.chance(0.15):
                values.reshape(-1)[self.rng.integers(0, n, max(n // 20, 1))] = np.nan
            return values.astype(dtype)
        if kind in "mM":
            return self.rng.integers(0, 1000, shape).astype("i8").astype(dtype)
        if kind == "O":
            return self.rng.integers(-5, 5, shape).astype(float).astype(object)
        if kind in "USTV":
            return np.full(shape, "ab" if kind != "S" else b"ab").astype(dtype)
        return np.zeros(shape, dtype)

    def arr(self, kinds: str = NUMERIC, shape: tuple | None = None, ndim: int | None = None,
            low: int = 0, high: int = 3, dtype: Any = None, layout: bool = True,
            strangers: float = 0.05) -> np.ndarray:
        if self.size == "large" or kinds == "O":
            strangers = 0.0
        dt = np.dtype(dtype) if dtype is not None else self.dtype(kinds, strangers)
        if dt.kind in "OUSTV" and self.size == "large":
            dt = np.dtype("f8")
        shape = self.shape(ndim, low, high) if shape is None else shape
        how = self.pick(["C"] * 6 + ["F", "strided", "reversed"]) if layout and shape else "C"
        if how == "strided" and shape:
            big = self.fill(shape[:-1] + (shape[-1] * 2,), dt)
            return big[..., ::2]
        a = self.fill(shape, dt)
        if how == "F":
            return np.asfortranarray(a)
        if how == "reversed":
            return a[::-1]
        return a

    def axis(self, a: Any, none: bool = True, bad: float = 0.03) -> Any:
        ndim = np.ndim(a)
        if self.chance(bad):
            return ndim + 1
        if none and (ndim == 0 or self.chance(0.3)):
            return None
        return self.int(-ndim, ndim - 1) if ndim else 0

    def axes(self, a: Any) -> Any:
        """None, one axis, or a tuple of distinct axes."""
        ndim = np.ndim(a)
        if ndim == 0 or self.chance(0.3):
            return None
        if ndim > 1 and self.chance(0.3):
            k = self.int(1, ndim)
            return tuple(int(i) for i in self.rng.choice(ndim, k, replace=False))
        return self.axis(a, none=False)

    def like(self, a: np.ndarray, kinds: str = NUMERIC) -> np.ndarray:
        """Another array of a's shape (often a's dtype)."""
        dtype = a.dtype if self.chance(0.6) else None
        return self.arr(kinds, shape=a.shape, dtype=dtype)

    def matrix(self, kinds: str = "iufc", square: bool = True, stack: bool = True) -> np.ndarray:
        n = {"small": self.pick([0, 1, 2, 3, 4]), "medium": self.int(20, 60),
             "large": self.int(300, 420)}[self.size]
        m = n if square else {"small": self.pick([1, 2, 3, 5]), "medium": self.int(10, 90),
                              "large": self.int(150, 700)}[self.size]
        lead = (self.pick([1, 2, 3]),) if stack and self.size == "small" and self.chance(0.3) else ()
        dtype = self.pick(["f8", "f8", "f4", "c16", "c8", "i8"]) if kinds == "iufc" else None
        a = self.arr(kinds, shape=lead + (n, m), dtype=dtype)
        if square and a.size and a.dtype.kind in "fc":
            a = a + np.eye(n, dtype=a.dtype) * 10  # keep it invertible and finite
            a = np.nan_to_num(a)
        return a


def weak_or_array(d: Draw, kinds: str = NUMERIC) -> Any:
    if d.chance(0.3):
        return d.pick([0, 1, 2, -1, 0.5, 2.5, 1j, 300])
    return d.arr(kinds, low=0, high=2)


# -- ufuncs ---------------------------------------------------------------------

UFUNCS = sorted((u for u in get_overridable_numpy_ufuncs()
                 if u.types and not u.__name__.startswith("_")), key=lambda u: u.__name__)


#: Ufuncs whose object loops (a Python int beyond int64 makes them object) run for
#: ever on a huge exponent or shift.
_EXPONENTIAL = frozenset({"power", "float_power", "left_shift", "right_shift", "ldexp"})


def _ufunc_operand(d: Draw, ufunc: np.ufunc, position: int, shape: tuple) -> Any:
    chars = sorted({t.split("->")[0][position] for t in ufunc.types if "->" in t})
    names = [c for c in chars if c in "?bBhHiIlLqQefdgFDGO"]
    if d.chance(0.1) or not names:
        dtype = d.dtype(strangers=0.2)
    else:
        dtype = np.dtype(d.pick(names))
    if dtype.kind == "O" and d.size != "small":
        dtype = np.dtype("f8")
    if not shape and d.chance(0.3):
        if ufunc.__name__ in _EXPONENTIAL:  # x ** 2**70 in Python ints never ends
            return d.pick([0, 1, 2, -1, 0.5, 1j, True])
        return d.pick([0, 1, 2, -1, 0.5, 1e300, 1j, True, 2**70])
    return d.arr(shape=shape, dtype=dtype)


def _broadcastable(d: Draw, n: int) -> list:
    base = d.shape()
    shapes = []
    for _ in range(n):
        s = list(base[d.int(0, len(base)):]) if base else []
        s = [1 if d.chance(0.2) else x for x in s]
        if d.chance(0.03):
            s = [x + 1 for x in s]  # probably incompatible
        shapes.append(tuple(s))
    return shapes


def ufunc_call(d: Draw) -> Call:
    ufunc = d.pick(UFUNCS)
    methods = ["__call__"] * 6
    if ufunc.nin == 2 and ufunc.nout == 1 and ufunc.signature is None:
        methods += ["reduce", "reduce", "accumulate", "reduceat", "outer", "at"]
    elif ufunc.nin == 1 and ufunc.nout == 1 and ufunc.signature is None:
        methods += ["at"]
    method = d.pick(methods)
    kwargs: dict = {}
    if method == "__call__":
        if ufunc.signature is not None:
            n = d.dim() or 1
            core = {"matmul": [(n, n), (n, n)], "vecdot": [(n,), (n,)],
                    "matvec": [(n, n), (n,)], "vecmat": [(n,), (n, n)]}[ufunc.__name__]
            if d.size != "small":
                k = int(d.dim() ** 0.5) + 1
                core = [tuple(k if x else x for x in c) for c in core]
            lead = (d.pick([1, 2]),) if d.chance(0.3) else ()
            args = [d.arr(shape=lead + c, dtype=d.pick(["f8", "f4", "i8", "c16", "g", "f2"]))
                    for c in core]
        else:
            shapes = _broadcastable(d, ufunc.nin)
            args = [_ufunc_operand(d, ufunc, i, s) for i, s in enumerate(shapes)]
        if d.chance(0.15):
            kwargs["dtype"] = d.pick(["f8", "f4", "i8", "c16", "?", "O"])
        if d.chance(0.15):
            kwargs["casting"] = d.pick(["unsafe", "same_kind", "safe", "no"])
        if ufunc.signature is None and d.chance(0.1):
            kwargs["where"] = d.rng.random(np.broadcast_shapes(*[np.shape(a) for a in args])
                                           if _compatible(args) else ()) < 0.5
        if d.chance(0.15) and _compatible(args):
            kwargs["out"] = _out_for(d, ufunc, args)
        return Call("ufunc", ufunc, tuple(args), kwargs)
    if method in ("reduce", "accumulate", "reduceat"):
        a = _ufunc_operand(d, ufunc, 0, d.shape(low=1))
        if not isinstance(a, np.ndarray):
            a = np.asarray(a)
        kwargs["axis"] = d.axis(a) if method == "reduce" else d.axis(a, none=a.ndim == 1)
        if method == "reduce" and a.ndim > 1 and d.chance(0.2):
            kwargs["axis"] = d.axes(a)
        if d.chance(0.2):
            kwargs["dtype"] = d.pick(["f8", "i8", "f4", "c16", "?"])
        if method == "reduce":
            if d.chance(0.3):
                kwargs["keepdims"] = True
            if d.chance(0.2):
                kwargs["initial"] = d.pick([0, 1, 2.5])
        args = (a,)
        if method == "reduceat":
            ax = kwargs["axis"] if isinstance(kwargs["axis"], int) and -a.ndim <= kwargs[
                "axis"] < a.ndim else 0
            length = a.shape[ax]
            args = (a, sorted(d.int(0, max(length - 1, 0)) for _ in range(d.int(0, 4))))
        if method == "accumulate" and d.chance(0.2) and kwargs.get("axis") is not None:
            try:
                kwargs["out"] = a[::-1] if d.chance(0.5) else np.empty(a.shape, "f8")
            except Exception:  # noqa: BLE001
                pass
        return Call("ufunc", getattr(ufunc, method), args, kwargs)
    if method == "outer":
        a = _ufunc_operand(d, ufunc, 0, d.shape(high=2))
        b = _ufunc_operand(d, ufunc, 1, d.shape(high=2))
        return Call("ufunc", ufunc.outer, (a, b), kwargs)
    a = d.arr(shape=(d.dim() + 1,), dtype=d.pick(["f8", "i8", "f4"]), layout=False)
    index = d.pick([slice(None), [0, 0, 1], 0, np.array([0, -1])])
    args = (a, index) + ((_ufunc_operand(d, ufunc, 1, ()),) if ufunc.nin == 2 else ())
    return Call("ufunc", ufunc.at, args, kwargs)


def _compatible(args: list) -> bool:
    try:
        np.broadcast_shapes(*[np.shape(a) for a in args])
        return True
    except ValueError:
        return False


def _out_for(d: Draw, ufunc: np.ufunc, args: list) -> Any:
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    arrays = [a for a in args if isinstance(a, np.ndarray) and a.shape == shape
              and a.flags.writeable]
    outs = []
    for _ in range(ufunc.nout):
        if arrays and d.chance(0.4):
            outs.append(d.pick(arrays))  # an output that is an input: overlap
        else:
            outs.append(np.empty(shape, d.pick(["f8", "i8", "f4", "c16", "?"])))
    return tuple(outs) if ufunc.nout > 1 else outs[0]


# -- array functions and ndarray methods: recipes in fuzz_recipes --------------------

Recipe = Callable[[Draw], tuple]


def draw_call(rng: np.random.Generator, recipes: dict, methods: dict) -> Call:
    """One random call: a ufunc (40%), an array function (45%), an ndarray method."""
    size = "small" if rng.random() < 0.8 else "medium" if rng.random() < 0.7 else "large"
    d = Draw(rng, size)
    which = rng.random()
    if which < 0.4:
        return ufunc_call(d)
    if which < 0.85:
        funcs = list(recipes)
        func = funcs[int(rng.integers(len(funcs)))]
        args, kwargs = recipes[func](d)
        return Call("function", func, tuple(args), dict(kwargs))
    names = sorted(methods)
    name = names[int(rng.integers(len(names)))]
    a, args, kwargs = methods[name](d)
    return Call("method", name, (a,) + tuple(args), dict(kwargs))
