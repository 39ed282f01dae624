"""Recipes of the fuzz corpus: how to draw arguments for each array function and each
allocating ndarray method (see tests/fuzz_corpus.py for `Draw`). This module holds
the registry and the reductions, element-wise, creation and joining recipes;
fuzz_recipes_selection, fuzz_recipes_products and fuzz_recipes_methods hold the rest
(`load()` imports them all).

A recipe takes a Draw and returns (args, kwargs) (a method recipe: (array, args,
kwargs)). Keywords appear at random, with the values that change results.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from fuzz_corpus import Draw, weak_or_array

R: dict = {}


def recipe(*funcs: Any) -> Any:
    def register(make: Any) -> Any:
        for f in funcs:
            R[f] = make
        return make
    return register


def kw(d: Draw, **options: Any) -> dict:
    """Each keyword with probability 0.35, its value drawn from the options."""
    return {k: (v(d) if callable(v) else d.pick(v)) for k, v in options.items()
            if d.chance(0.35)}

def coefficients(d: Draw, kinds: str, most: int = 12) -> np.ndarray:
    """A short 1-d polynomial: the polynomial functions are quadratic in its length
    (convolutions, companion matrices, Python loops)."""
    return d.arr(kinds, shape=(d.int(1, most),))


def side(d: Draw) -> int:
    """One side of a product's operand: a cube of it stays a few hundred million
    multiply-adds (long doubles have no BLAS)."""
    return d.dim() if d.size == "small" else int(d.dim() ** 0.6) + 5


# -- reductions ------------------------------------------------------------------------

@recipe(np.sum, np.prod, np.nansum, np.nanprod)
def _(d: Draw) -> tuple:
    a = d.arr()
    return (a,), kw(d, axis=lambda d: d.axes(a), dtype=[None, "f8", "i8", "f4", "c16"],
                    keepdims=[True, False], initial=[0, 1])


@recipe(np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin)
def _(d: Draw) -> tuple:
    a = d.arr("?iuf")
    return (a,), kw(d, axis=lambda d: d.axes(a), keepdims=[True], initial=[0, -1])


@recipe(np.any, np.all, np.ptp, np.count_nonzero)
def _(d: Draw) -> tuple:
    a = d.arr()
    return (a,), kw(d, axis=lambda d: d.axes(a), keepdims=[True, False])


@recipe(np.mean, np.nanmean)
def _(d: Draw) -> tuple:
    a = d.arr("?iufc")
    return (a,), kw(d, axis=lambda d: d.axes(a), dtype=[None, "f8", "f4"], keepdims=[True])


@recipe(np.std, np.var, np.nanstd, np.nanvar)
def _(d: Draw) -> tuple:
    a = d.arr("?iufc")
    return (a,), kw(d, axis=lambda d: d.axes(a), dtype=[None, "f8", "f4"], ddof=[0, 1],
                    keepdims=[True])


@recipe(np.average)
def _(d: Draw) -> tuple:
    a = d.arr("iuf", low=1)
    options = kw(d, axis=lambda d: d.axis(a), returned=[True, False], keepdims=[True])
    if d.chance(0.4):
        options["weights"] = np.abs(d.like(a, "iuf")) + 1
    return (a,), options


@recipe(np.argmax, np.argmin, np.nanargmax, np.nanargmin)
def _(d: Draw) -> tuple:
    a = d.arr("?iuf")
    return (a,), kw(d, axis=lambda d: d.axis(a), keepdims=[True])


@recipe(np.median, np.nanmedian)
def _(d: Draw) -> tuple:
    a = d.arr("iuf")
    return (a,), kw(d, axis=lambda d: d.axes(a), keepdims=[True], overwrite_input=[True])


def _quantiles(scale: float) -> Any:
    def make(d: Draw) -> tuple:
        a = d.arr("iuf")
        q = np.multiply(d.pick([0.5, [0.1, 0.9], np.array([[0.2], [0.7]])]), scale)
        return (a, q), kw(d, axis=lambda d: d.axes(a), keepdims=[True],
                          method=["linear", "lower", "nearest", "median_unbiased"])
    return make


R.update({np.percentile: _quantiles(100), np.nanpercentile: _quantiles(100),
          np.quantile: _quantiles(1), np.nanquantile: _quantiles(1)})


@recipe(np.cumsum, np.cumprod, np.nancumsum, np.nancumprod)
def _(d: Draw) -> tuple:
    a = d.arr()
    return (a,), kw(d, axis=lambda d: d.axis(a), dtype=[None, "f8", "i8"])


@recipe("cumulative_sum", "cumulative_prod")
def _(d: Draw) -> tuple:
    a = d.arr(low=1, high=2)
    return (a,), kw(d, axis=lambda d: d.axis(a, none=a.ndim == 1), dtype=[None, "f8"],
                    include_initial=[True])


@recipe(np.trace)
def _(d: Draw) -> tuple:
    a = d.arr(low=2)
    return (a,), kw(d, offset=[-1, 0, 1], dtype=[None, "f8"])


@recipe("linalg.trace")
def _(d: Draw) -> tuple:
    return (d.arr(low=2),), kw(d, offset=[0, 1])


@recipe(np.diff)
def _(d: Draw) -> tuple:
    a = d.arr(low=1)
    return (a,), kw(d, n=[0, 1, 2, 3], axis=[-1, 0], prepend=[0, 1.5], append=[2])


# -- element-wise in Python -----------------------------------------------------------

@recipe(np.around, np.round)
def _(d: Draw) -> tuple:
    return (d.arr("iufc"),), kw(d, decimals=[0, 1, -1, 3])


@recipe(np.clip)
def _(d: Draw) -> tuple:
    a = d.arr("iuf")
    return (a, d.pick([0, None, -1.5]), d.pick([5, 2.5, None, d.arr("iuf", shape=a.shape[-1:])])), {}


@recipe(np.fix, np.isneginf, np.isposinf, np.isreal, np.iscomplex, np.sinc, np.i0,
        np.real, np.imag, np.real_if_close, np.angle, np.nan_to_num, np.sort_complex)
def _(d: Draw) -> tuple:
    return (d.arr("iufc"),), {}


@recipe(np.unwrap)
def _(d: Draw) -> tuple:
    a = d.arr("f", low=1)
    return (a,), kw(d, axis=[-1, 0])


@recipe(np.isclose, np.allclose)
def _(d: Draw) -> tuple:
    a = d.arr("iufc")
    return (a, d.like(a, "iufc")), kw(d, equal_nan=[True])


@recipe(*[getattr(np.lib.scimath, n) for n in ("sqrt", "log", "log10", "log2", "arccos",
                                              "arcsin", "arctanh")])
def _(d: Draw) -> tuple:
    return (weak_or_array(d, "iufc"),), {}


@recipe(np.lib.scimath.logn, np.lib.scimath.power)
def _(d: Draw) -> tuple:
    return (weak_or_array(d, "iufc"), weak_or_array(d, "iuf")), {}


@recipe(np.polyval)
def _(d: Draw) -> tuple:
    # Horner's rule runs once per coefficient over all of x: few coefficients
    return (coefficients(d, "iuf"), d.arr("iuf")), {}


@recipe(np.gradient)
def _(d: Draw) -> tuple:
    a = d.arr("iuf", low=1)
    if min(a.shape) < 2:
        a = np.ones((3,) * a.ndim)
    return (a,), kw(d, edge_order=[1, 2])


@recipe(np.trapezoid)
def _(d: Draw) -> tuple:
    a = d.arr("iuf", low=1)
    return (a,), kw(d, dx=[0.5], axis=[-1, 0])


# -- creation -----------------------------------------------------------------------

def _shape_arg(d: Draw) -> Any:
    return d.pick([d.shape(), d.dim(), d.shape(low=1)])


@recipe(np.empty, np.zeros, np.ones)
def _(d: Draw) -> tuple:
    return (_shape_arg(d),), kw(d, dtype=["f8", "i4", "c16", "?", "U2"], like=[np.ones(1)])


@recipe(np.full)
def _(d: Draw) -> tuple:
    return (_shape_arg(d), d.pick([1, 2.5, 1j, True])), kw(d, dtype=["f4", None])


@recipe(np.identity, np.eye, np.tri)
def _(d: Draw) -> tuple:
    return (d.dim(),), kw(d, dtype=["f8", "i4"])


@recipe(np.empty_like, np.zeros_like, np.ones_like)
def _(d: Draw) -> tuple:
    return (d.arr("any"),), kw(d, dtype=["f4", None], shape=lambda d: d.shape())


@recipe(np.full_like)
def _(d: Draw) -> tuple:
    return (d.arr(), d.pick([1, 2.5])), kw(d, dtype=["f4", None])


@recipe(np.arange)
def _(d: Draw) -> tuple:
    n = d.dim() * d.dim()
    return d.pick([(n,), (1, n, 2), (0.5, n / 2, 0.25)]), kw(d, dtype=["f8", "i8", None])


@recipe(np.linspace, np.logspace, np.geomspace)
def _(d: Draw) -> tuple:
    start = d.pick([1, 2.5, np.array([1.0, 2.0])])
    options = kw(d, endpoint=[False], dtype=["f4", "i8", None], axis=[0, -1])
    return (start, 10, d.dim() * d.dim()), options


R[np.linspace] = (lambda base: lambda d: (lambda r: (r[0], {**r[1], **kw(d, retstep=[True])}))(
    base(d)))(R[np.linspace])


@recipe(np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray,
        np.require)
def _(d: Draw) -> tuple:
    a = d.arr("any")
    return (a if d.chance(0.8) else a.tolist(),), kw(d, dtype=[None, "f4", "f8"])


@recipe(np.copy)
def _(d: Draw) -> tuple:
    return (d.arr("any"),), kw(d, order=["K", "C", "F"])


@recipe(np.astype)
def _(d: Draw) -> tuple:
    return (d.arr(), d.pick(["f8", "f4", "i8", "c16", "?"])), kw(d, copy=[False])


@recipe(np.roll)
def _(d: Draw) -> tuple:
    a = d.arr("any")
    return (a, d.pick([1, -2, (1, 1)])), kw(d, axis=lambda d: d.axis(a))


R[np.roll] = (lambda base: lambda d: (lambda r: r if not isinstance(r[0][1], tuple) else (
    (r[0][0], r[0][1]), {"axis": (0, -1)} if r[0][0].ndim >= 1 else {}))(base(d)))(R[np.roll])


@recipe(np.tril, np.triu)
def _(d: Draw) -> tuple:
    return (d.arr("any", low=1),), kw(d, k=[-1, 0, 2])


@recipe(np.packbits)
def _(d: Draw) -> tuple:
    a = d.arr("?", low=1)
    return (a,), kw(d, axis=lambda d: d.axis(a))


@recipe(np.unpackbits)
def _(d: Draw) -> tuple:
    a = d.arr("u", dtype="u1", low=1)
    return (a,), kw(d, axis=lambda d: d.axis(a), count=[3, -2])


@recipe(np.frombuffer)
def _(d: Draw) -> tuple:
    return (d.arr(layout=False).tobytes() + b"\0" * 16,), kw(d, dtype=["u1", "i2"],
                                                             count=[0, 2])


@recipe(np.fromiter)
def _(d: Draw) -> tuple:
    n = d.dim()
    return (list(range(n)), d.pick(["f8", "i4"])), kw(d, count=[n])


@recipe(np.fromfile)
def _(d: Draw) -> tuple:
    return (io.BytesIO(b"\0" * 64),), {}  # not a real file: NumPy and numguard refuse


# -- joining, repeating, padding --------------------------------------------------------

def _arrays(d: Draw, n: int | None = None, same: bool = True) -> list:
    first = d.arr(low=0, high=3)
    n = d.int(1, 3) if n is None else n
    return [first] + [d.arr(shape=first.shape if same or d.chance(0.7) else d.shape())
                      for _ in range(n - 1)]


@recipe(np.concatenate)
def _(d: Draw) -> tuple:
    return (_arrays(d, same=False),), kw(d, axis=[0, -1, None], dtype=["f8", None])


@recipe(np.stack)
def _(d: Draw) -> tuple:
    return (_arrays(d),), kw(d, axis=[0, -1, 1])


@recipe(np.hstack, np.vstack, np.dstack, np.column_stack, np.block)
def _(d: Draw) -> tuple:
    return (_arrays(d),), {}


@recipe(np.append)
def _(d: Draw) -> tuple:
    a, b = _arrays(d, 2, same=False)
    return (a, b), kw(d, axis=[0, None])


@recipe(np.tile)
def _(d: Draw) -> tuple:
    return (d.arr("any", high=2), d.pick([2, (2, 1), (1, 3, 2), 0])), {}


@recipe(np.repeat)
def _(d: Draw) -> tuple:
    a = d.arr("any")
    reps = d.pick([2, 0, 3, np.arange(a.shape[0]) % 3 if a.ndim else 1])
    return (a, reps), ({"axis": 0} if a.ndim and not np.ndim(reps) == 0 else kw(d, axis=[0]))


@recipe(np.pad)
def _(d: Draw) -> tuple:
    return (d.arr(), d.pick([1, (1, 2), 0])), kw(d, mode=["constant", "edge", "reflect"])


@recipe(np.resize)
def _(d: Draw) -> tuple:
    return (d.arr("any"), d.shape()), {}


@recipe(np.meshgrid)
def _(d: Draw) -> tuple:
    return tuple(d.arr(ndim=1) for _ in range(d.int(1, 3))), kw(
        d, indexing=["ij", "xy"], sparse=[True], copy=[False])


@recipe(np.vander)
def _(d: Draw) -> tuple:
    return (d.arr("iuf", ndim=1),), kw(d, N=[3, 0], increasing=[True])


@recipe(np.diag, np.diagflat)
def _(d: Draw) -> tuple:
    return (d.arr(low=1, high=2),), kw(d, k=[-1, 0, 2])


@recipe(np.delete)
def _(d: Draw) -> tuple:
    a = d.arr(low=1)
    return (a, d.pick([0, [0, 1], slice(0, 3, 2)])), kw(d, axis=[0, -1])


@recipe(np.insert)
def _(d: Draw) -> tuple:
    a = d.arr(low=1)
    obj = d.pick([0, [0, 1], slice(0, 3, 2)])
    return (a, obj, d.pick([5, [1, 2]])), kw(d, axis=[0, -1])


def load() -> tuple[dict, dict]:
    """Every recipe: (array functions -> recipe, ndarray method names -> recipe)."""
    import fuzz_recipes_methods
    import fuzz_recipes_products  # noqa: F401 - registers its recipes
    import fuzz_recipes_selection  # noqa: F401 - registers its recipes

    return R, fuzz_recipes_methods.METHODS
