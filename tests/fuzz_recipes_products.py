"""Fuzz recipes: products, np.linalg, statistics, polynomials and fft (see fuzz_recipes)."""

from __future__ import annotations

import numpy as np
from fuzz_corpus import Draw
from fuzz_recipes import R, coefficients, kw, recipe, side

# -- products ------------------------------------------------------------------------------

@recipe(np.outer, "linalg.outer", np.kron)
def _(d: Draw) -> tuple:
    n = d.dim() if d.size == "small" else int(d.dim() ** 0.5 * 30)
    return (d.arr(shape=(n,)), d.arr(shape=(d.dim() if d.size == "small" else n,))), {}


R[np.kron] = lambda d: ((d.arr(high=2), d.arr(high=2, shape=(2, 2))), {})


@recipe(np.dot, np.inner, np.vdot, "linalg.matmul", "linalg.vecdot", np.tensordot,
        "linalg.tensordot")
def _(d: Draw) -> tuple:
    n = side(d)
    a = d.arr(shape=(n, n), dtype=d.pick(["f8", "f4", "i8", "c16", "f2", "g"]))
    b = d.arr(shape=(n, n) if d.chance(0.5) else (n,), dtype=d.pick(["f8", "c16", "i4"]))
    return (a, b), {}


R[np.dot] = (lambda base: lambda d: (lambda r: (r[0], {"out": np.empty(
    np.dot(np.zeros(r[0][0].shape, "f8"), np.zeros(r[0][1].shape, "f8")).shape,
    np.result_type(r[0][0], r[0][1]))} if d.chance(0.2) else ({"out": r[0][0]} if (
        d.chance(0.1) and r[0][0].shape == r[0][1].shape and r[0][0].dtype == np.result_type(
            *r[0]) and r[0][0].flags.c_contiguous) else {})))(base(d)))(R[np.dot])
R[np.vdot] = lambda d: (lambda a: ((a, d.like(a)), {}))(d.arr())


@recipe(np.einsum)
def _(d: Draw) -> tuple:
    n = side(d)
    a, b = d.arr(shape=(n, n)), d.arr(shape=(n, n))
    spec, ops = d.pick([("ij,jk->ik", (a, b)), ("ii->i", (a,)), ("ij->ji", (a,)),
                        ("ij,ij->", (a, b)), ("ij,jk,kl->il", (a, b, a)), ("i...->...", (a,))])
    options = kw(d, optimize=[True, "greedy"], dtype=["f8", None], casting=["unsafe"])
    if spec == "ij,jk->ik" and d.chance(0.15) and a.dtype == np.result_type(a, b):
        options["out"] = a if a.flags.c_contiguous else np.empty((n, n), a.dtype)
    return (spec,) + ops, options


@recipe(np.convolve, np.correlate)
def _(d: Draw) -> tuple:
    return (d.arr("iufc", ndim=1), d.arr("iufc", shape=(d.int(0, 6),))), kw(
        d, mode=["full", "same", "valid"])


# -- np.linalg ---------------------------------------------------------------------------

@recipe(np.linalg.inv, np.linalg.det, np.linalg.slogdet, np.linalg.eigvals, np.linalg.eig,
        np.linalg.eigh, np.linalg.eigvalsh, np.linalg.cholesky)
def _(d: Draw) -> tuple:
    a = d.matrix()
    if a.size and a.dtype.kind in "fc":
        a = a @ np.conj(np.swapaxes(a, -1, -2)) + np.eye(a.shape[-1])  # positive definite
    return (a,), {}


@recipe(np.linalg.svd, np.linalg.svdvals, np.linalg.pinv, np.linalg.matrix_rank,
        np.linalg.qr, np.linalg.cond)
def _(d: Draw) -> tuple:
    a = d.matrix(square=d.chance(0.5))
    return (a,), {}


R[np.linalg.svd] = lambda d: ((d.matrix(square=d.chance(0.5)),), kw(
    d, full_matrices=[False], compute_uv=[False], hermitian=[True]))
R[np.linalg.qr] = lambda d: ((d.matrix(square=d.chance(0.5)),), kw(
    d, mode=["r", "raw", "complete"]))
R[np.linalg.cond] = lambda d: ((d.matrix(),), kw(d, p=[None, 1, "fro", np.inf, -2]))
R[np.linalg.svdvals] = lambda d: ((d.matrix(square=False),), {})


@recipe(np.linalg.solve, np.linalg.lstsq)
def _(d: Draw) -> tuple:
    a = d.matrix(stack=False)
    n = a.shape[-1]
    b = d.arr("iuf", shape=(n,) if d.chance(0.5) else (n, d.pick([1, 3, n])))
    return (a, b), {}


@recipe(np.linalg.matrix_power)
def _(d: Draw) -> tuple:
    return (d.matrix(), d.pick([0, 1, 2, 3, 5, -1])), {}


@recipe(np.linalg.multi_dot)
def _(d: Draw) -> tuple:
    n = side(d)
    return ([d.arr("iuf", shape=(n, n)) for _ in range(d.int(2, 4))],), {}


@recipe(np.linalg.tensorinv)
def _(d: Draw) -> tuple:
    n = d.pick([2, 3]) if d.size == "small" else 20
    return (np.eye(n * 2).reshape(n, 2, n * 2) + 0.0,), {}


@recipe(np.linalg.tensorsolve)
def _(d: Draw) -> tuple:
    n = d.pick([2, 3]) if d.size == "small" else 20
    return (np.eye(n * 2).reshape(n * 2, n, 2), np.ones(n * 2)), {}


@recipe(np.linalg.norm)
def _(d: Draw) -> tuple:
    a = d.arr("iufc", low=1, high=2)
    options = kw(d, axis=[None, 0, -1], keepdims=[True])
    options.update(kw(d, ord=[None, 1, 2, np.inf, -np.inf, 0, 3] if a.ndim == 1 or isinstance(
        options.get("axis"), int) else [None, "fro", 1, np.inf, -1, 2, "nuc"]))
    return (a,), options


@recipe(np.linalg.vector_norm)
def _(d: Draw) -> tuple:
    a = d.arr("iufc")
    return (a,), kw(d, axis=lambda d: d.axes(a), ord=[1, 2, np.inf, 0, 3], keepdims=[True])


@recipe(np.linalg.matrix_norm)
def _(d: Draw) -> tuple:
    return (d.arr("iufc", low=2),), kw(d, ord=["fro", 1, np.inf, "nuc", 2], keepdims=[True])


# -- statistics and polynomials ------------------------------------------------------------

@recipe(np.cov, np.corrcoef)
def _(d: Draw) -> tuple:
    m = d.arr("iuf", low=1, high=2)
    return (m,), kw(d, rowvar=[False], dtype=["f4", None])


R[np.cov] = (lambda base: lambda d: (lambda r: (r[0], {**r[1], **kw(d, bias=[True], ddof=[0, 2],
    fweights=[None], aweights=[None])}))(base(d)))(R[np.cov])


@recipe(np.tril_indices_from, np.triu_indices_from)
def _(d: Draw) -> tuple:
    return (d.arr(ndim=2),), kw(d, k=[-1, 0, 1])


@recipe(np.polyadd, np.polysub, np.polymul, np.polydiv)
def _(d: Draw) -> tuple:
    return (d.arr("iufc", ndim=1, low=1) + 1, coefficients(d, "iuf") + 1), {}


# polydiv loops in Python once per quotient coefficient
R[np.polydiv] = lambda d: ((coefficients(d, "iufc", 300) + 1, coefficients(d, "iuf") + 1), {})


@recipe(np.polyder, np.polyint)
def _(d: Draw) -> tuple:
    return (d.arr("iuf", ndim=1),), kw(d, m=[0, 1, 2])


@recipe(np.poly)
def _(d: Draw) -> tuple:
    return (coefficients(d, "iufc", 200) if d.chance(0.5) else d.matrix(stack=False),), {}


@recipe(np.roots)
def _(d: Draw) -> tuple:
    return (coefficients(d, "iuf", 100) + 1,), {}


@recipe(np.polyfit)
def _(d: Draw) -> tuple:
    x = np.linspace(0, 1, max(d.dim(), 1) * 4)
    return (x, d.arr("f", shape=x.shape), d.pick([0, 1, 3])), kw(d, full=[True], cov=[True])


# -- fft ------------------------------------------------------------------------------

@recipe(np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.ihfft, np.fft.irfft, np.fft.hfft)
def _(d: Draw) -> tuple:
    a = d.arr("iufc", low=1)
    return (a,), kw(d, n=[None, 2, 8, 2 * max(a.shape[-1], 1)], axis=[-1, 0],
                    norm=[None, "ortho"])


@recipe(np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn, np.fft.fft2, np.fft.ifft2,
        np.fft.rfft2, np.fft.irfft2)
def _(d: Draw) -> tuple:
    a = d.arr("iufc", low=2, high=3)
    return (a,), kw(d, s=[(4, 6), (2, 2)], axes=[(0, 1), (-2, -1)], norm=["forward"])


@recipe(np.fft.fftshift, np.fft.ifftshift)
def _(d: Draw) -> tuple:
    return (d.arr(),), {}
