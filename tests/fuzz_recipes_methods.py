"""Fuzz recipes: views, queries and in-place writes (answers only), and the allocating
ndarray methods (`METHODS`: name -> draw -> (array, args, kwargs))."""

from __future__ import annotations

import numpy as np
from fuzz_corpus import NUMERIC, Draw
from fuzz_recipes import R, kw, recipe, side

# -- views, queries, in-place writes (answers only) ----------------------------------------

@recipe(np.transpose, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.flip,
        np.ravel, np.matrix_transpose, np.linalg.matrix_transpose, np.fliplr, np.flipud,
        np.rot90, np.trim_zeros)
def _(d: Draw) -> tuple:
    return (d.arr("any", low=2 if d.chance(0.8) else 0),), {}


R[np.trim_zeros] = lambda d: ((d.arr("iuf", ndim=1),), {})


@recipe(np.swapaxes, np.moveaxis, np.rollaxis)
def _(d: Draw) -> tuple:
    return (d.arr(low=2), 0, -1), {}


@recipe(np.expand_dims)
def _(d: Draw) -> tuple:
    return (d.arr(), 0), {}


@recipe(np.reshape)
def _(d: Draw) -> tuple:
    a = d.arr("any")
    return (a, d.pick([-1, (a.size, 1), (1, -1)])), kw(d, order=["C", "F"])


@recipe(np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.unstack)
def _(d: Draw) -> tuple:
    a = d.arr(ndim=3, layout=False)
    return (a, 1), {}


R[np.unstack] = lambda d: ((d.arr(low=1),), {})


@recipe(np.lib.stride_tricks.sliding_window_view)
def _(d: Draw) -> tuple:
    a = d.arr(ndim=1, low=1)
    return (a, min(a.shape[0], 2) or 1), {}


@recipe(np.shape, np.ndim, np.size, np.iscomplexobj, np.isrealobj, np.min_scalar_type,
        np.common_type, np.array2string, np.array_repr, np.array_str)
def _(d: Draw) -> tuple:
    return (d.arr("iufc"),), {}


@recipe(np.result_type, np.can_cast, np.shares_memory, np.may_share_memory)
def _(d: Draw) -> tuple:
    a = d.arr(low=1)
    return (a, a[::-1]), {}


R[np.can_cast] = lambda d: ((d.arr(), "f8"), {})


@recipe(np.ix_)
def _(d: Draw) -> tuple:
    return tuple(d.arr("?i", ndim=1, layout=False) for _ in range(d.int(1, 3))), {}


@recipe(np.diag_indices_from)
def _(d: Draw) -> tuple:
    n = d.dim()
    return (np.zeros((n, n)),), {}


@recipe(np.einsum_path)
def _(d: Draw) -> tuple:
    a = d.arr(ndim=2)
    return ("ij,jk->ik", a, a.T), {}


@recipe(np.copyto, np.place, np.put, np.putmask, np.put_along_axis, np.fill_diagonal)
def _(d: Draw) -> tuple:
    a = d.arr(ndim=2, layout=False)
    return (a, 0), {}


R[np.place] = lambda d: (lambda a: ((a, a > 0, [1]), {}))(d.arr("iuf", layout=False))
R[np.put] = lambda d: (lambda a: ((a, [0], [1]), {}))(d.arr("iuf", layout=False, low=1))
R[np.putmask] = lambda d: (lambda a: ((a, a > 0, 1), {}))(d.arr("iuf", layout=False))
R[np.put_along_axis] = lambda d: (lambda a: ((a, np.zeros(a.shape, np.intp), 1, -1), {}))(
    d.arr("iuf", low=1, layout=False))


@recipe(np.busday_count, np.busday_offset, np.is_busday)
def _(d: Draw) -> tuple:
    dates = np.datetime64("2024-01-01") + np.arange(d.dim() * 3)
    return (dates, dates[::-1] if d.chance(0.5) else 3), {}


R[np.busday_offset] = lambda d: ((np.datetime64("2024-01-01") + np.arange(d.dim() * 3), 2), {
    "roll": "forward"})
R[np.is_busday] = lambda d: ((np.datetime64("2024-01-01") + np.arange(d.dim() * 3),), {})


# -- ndarray methods -------------------------------------------------------------------------

def _m(d: Draw, kinds: str = "any", low: int = 0) -> np.ndarray:
    return d.arr(kinds, low=low)


METHODS: dict = {
    "copy": lambda d: (_m(d), (), kw(d, order=["C", "F", "K"])),
    "__copy__": lambda d: (_m(d), (), {}),
    "__deepcopy__": lambda d: (_m(d), ({},), {}),
    "astype": lambda d: (_m(d), (d.pick(["f8", "f4", "i8", "c16", "U5", "O"]),),
                         kw(d, copy=[False], order=["C", "F"])),
    "flatten": lambda d: (_m(d), (), kw(d, order=["C", "F"])),
    "ravel": lambda d: (_m(d), (), kw(d, order=["C", "F", "K"])),
    "reshape": lambda d: (lambda a: (a, (-1,), kw(d, order=["C", "F"])))(_m(d)),
    "resize": lambda d: (np.array(_m(d), copy=True), (d.shape(),), {"refcheck": False}),
    "byteswap": lambda d: (_m(d, NUMERIC), (), {}),
    "round": lambda d: (_m(d, "iufc"), (), kw(d, decimals=[0, 1, -1])),
    "tobytes": lambda d: (_m(d, NUMERIC), (), {}),
    "dumps": lambda d: (_m(d, NUMERIC), (), {}),
    "__getitem__": lambda d: (lambda a: (a, (d.pick([a > 0, np.array([0, 0]) if a.ndim and len(
        a) else np.zeros(0, np.intp), (Ellipsis, [0])]) if a.ndim and a.shape[-1] and a.shape[
        0] else Ellipsis,), {}))(_m(d, "iuf")),
    "take": lambda d: (lambda a: (a, (np.zeros(d.shape(high=2), np.intp),), kw(
        d, axis=[None, 0], mode=["clip"]) if a.ndim and a.shape[0] else {}))(_m(d, low=1)),
    "compress": lambda d: (lambda a: (a, (d.arr("?", shape=(a.shape[0],)),), {"axis": 0}))(
        _m(d, low=1)),
    "repeat": lambda d: (_m(d), (d.pick([2, 0, 3]),), {}),
    "choose": lambda d: (d.rng.integers(0, 2, d.shape()), ([d.arr(high=1), 5],), {}),
    "searchsorted": lambda d: (np.sort(d.arr("iuf", ndim=1)), (d.arr("iuf"),), {}),
    "nonzero": lambda d: (_m(d, "?iuf", low=1), (), {}),
    "argsort": lambda d: (_m(d, "?iuf"), (), kw(d, axis=[None, 0])),
    "argpartition": lambda d: (_m(d, "?iuf", low=1), (0,), {}),
    "argmax": lambda d: (_m(d, "?iuf", low=1), (), kw(d, axis=[0, None], keepdims=[True])),
    "argmin": lambda d: (_m(d, "?iuf", low=1), (), kw(d, axis=[0, None])),
    "dot": lambda d: (lambda a: (a, (d.arr(shape=a.shape[::-1]),), {}))(
        d.arr(shape=d.pick([(), (side(d),), (side(d), side(d))]))),
    "imag": lambda d: (_m(d, NUMERIC), (), {}),
}
