"""Fuzz recipes: selection and ordering, sets, uniques and histograms (see fuzz_recipes)."""

from __future__ import annotations

import numpy as np
from fuzz_corpus import Draw, weak_or_array
from fuzz_recipes import R, kw, recipe

# -- selection and ordering ---------------------------------------------------------------

@recipe(np.sort, np.argsort)
def _(d: Draw) -> tuple:
    a = d.arr("?iuf")
    return (a,), kw(d, axis=[None, -1, 0], kind=["stable", "quicksort"])


@recipe(np.partition, np.argpartition)
def _(d: Draw) -> tuple:
    a = d.arr("?iuf", low=1)
    return (a, 0), kw(d, axis=[None, -1])


@recipe(np.lexsort)
def _(d: Draw) -> tuple:
    a = d.arr("iuf", low=1, high=2)
    return ([a, d.like(a)],), {}


@recipe(np.take)
def _(d: Draw) -> tuple:
    a = d.arr("any", low=1)
    n = max(a.shape[0] if a.shape else 1, 1)
    index = d.rng.integers(0, n, d.shape(high=2))
    options = kw(d, axis=[0, None], mode=["clip", "wrap", "raise"])
    if d.chance(0.1) and "axis" not in options:
        options["out"] = a.reshape(-1)[: index.size].reshape(index.shape) if (
            a.flags.c_contiguous and a.size >= index.size) else None
        if options["out"] is None:
            del options["out"]
    return (a, index), options


@recipe(np.take_along_axis)
def _(d: Draw) -> tuple:
    a = d.arr(low=1)
    return (a, np.zeros(a.shape, np.intp)), kw(d, axis=[-1, 0])


@recipe(np.diagonal, "linalg.diagonal")
def _(d: Draw) -> tuple:
    return (d.arr("any", low=2),), {}


@recipe(np.searchsorted, np.digitize)
def _(d: Draw) -> tuple:
    return (np.sort(d.arr("iuf", ndim=1)), d.arr("iuf")), {}


R[np.digitize] = lambda d: ((d.arr("iuf"), np.sort(d.arr("iuf", ndim=1, layout=False))), {})


@recipe(np.interp)
def _(d: Draw) -> tuple:
    xp = np.sort(d.arr("f", ndim=1, low=1))
    return (d.arr("iuf"), xp, d.arr("fc", shape=xp.shape)), {}


@recipe(np.isin)
def _(d: Draw) -> tuple:
    return (d.arr("iuf"), d.arr("iuf")), kw(d, invert=[True], kind=[None, "sort"])


@recipe(np.array_equal, np.array_equiv)
def _(d: Draw) -> tuple:
    a = d.arr()
    return (a, d.like(a) if d.chance(0.8) else d.arr()), {}


@recipe(np.unravel_index)
def _(d: Draw) -> tuple:
    return (d.rng.integers(0, 6, d.shape()), (2, 3)), {}


@recipe(np.ravel_multi_index)
def _(d: Draw) -> tuple:
    s = d.shape()
    return ((d.rng.integers(0, 2, s), d.rng.integers(0, 3, s)), (2, 3)), {}


@recipe(np.ediff1d)
def _(d: Draw) -> tuple:
    return (d.arr("iuf"),), kw(d, to_end=[[1, 2]], to_begin=[0])


@recipe(np.bincount)
def _(d: Draw) -> tuple:
    x = d.rng.integers(0, d.pick([5, 100]), d.shape(ndim=1))
    return (x,), kw(d, minlength=[0, 7], weights=[np.ones(x.shape)])


@recipe(np.nonzero, np.argwhere, np.flatnonzero)
def _(d: Draw) -> tuple:
    return (d.arr("?iuf"),), {}


@recipe(np.where)
def _(d: Draw) -> tuple:
    c = d.arr("?", high=2)
    if d.chance(0.3):
        return (c,), {}
    return (c, weak_or_array(d), weak_or_array(d)), {}


@recipe(np.extract, np.compress)
def _(d: Draw) -> tuple:
    a = d.arr("any", low=1)
    return (d.arr("?", shape=(a.shape[0],) if d.chance(0.5) else a.shape), a), {}


R[np.compress] = lambda d: (lambda a: ((d.arr("?", shape=(a.shape[0],)), a), kw(
    d, axis=[0]) if a.ndim else {}))(d.arr("any", low=1))


@recipe(np.choose)
def _(d: Draw) -> tuple:
    a = d.rng.integers(0, 2, d.shape())
    return (a, [d.arr(shape=a.shape), weak_or_array(d)]), kw(d, mode=["clip", "wrap"])


@recipe(np.select)
def _(d: Draw) -> tuple:
    s = d.shape()
    return ([d.arr("?", shape=s), d.arr("?", shape=s)], [d.arr(shape=s), d.arr(shape=s)]), kw(
        d, default=[0, 1.5])


@recipe(np.broadcast_to)
def _(d: Draw) -> tuple:
    a = d.arr("any", high=2)
    return (a, (d.dim(),) + a.shape), {}


@recipe(np.broadcast_arrays)
def _(d: Draw) -> tuple:
    return tuple(d.arr(shape=s) for s in [(1, 3), (2, 1), (3,)][: d.int(1, 3)]), {}


@recipe(np.cross, "linalg.cross")
def _(d: Draw) -> tuple:
    k = d.pick([3, 3, 2])
    lead = (d.dim(),) if d.size == "small" else (d.int(1000, 300_000),)
    return (d.arr("iuf", shape=lead + (k,)), d.arr("iuf", shape=lead + (3,))), {}


# -- sets, uniques, histograms ------------------------------------------------------------

@recipe(np.unique)
def _(d: Draw) -> tuple:
    a = d.arr("iuf")
    return (a,), kw(d, return_index=[True], return_inverse=[True], return_counts=[True],
                    axis=[None, 0])


@recipe(np.unique_all, np.unique_counts, np.unique_inverse, np.unique_values)
def _(d: Draw) -> tuple:
    return (d.arr("iuf"),), {}


@recipe(np.setdiff1d, np.setxor1d, np.union1d, np.intersect1d)
def _(d: Draw) -> tuple:
    return (d.arr("iu"), d.arr("iu")), {}


@recipe(np.histogram, np.histogram_bin_edges)
def _(d: Draw) -> tuple:
    a = d.arr("iuf")
    a = np.nan_to_num(a)
    return (a,), kw(d, bins=[10, 3, np.array([0.0, 1.0, 5.0])], range=[(0, 4)],
                    density=[True], weights=[np.ones(a.shape)])


R[np.histogram_bin_edges] = lambda d: ((np.nan_to_num(d.arr("iuf")),), kw(d, bins=[10, 3]))


@recipe(np.histogram2d)
def _(d: Draw) -> tuple:
    x = np.nan_to_num(d.arr("f", ndim=1))
    return (x, np.nan_to_num(d.arr("f", shape=x.shape))), kw(d, bins=[5, (2, 3)], density=[True])


@recipe(np.histogramdd)
def _(d: Draw) -> tuple:
    n = d.dim()
    return (np.nan_to_num(d.arr("f", shape=(n * 4 if d.size == "small" else n * 50, 2))),), kw(
        d, bins=[4, (2, 3)])
