"""Result shapes of generalized ufuncs (matmul, vecdot, matvec, vecmat).

Mirrors the order and the rules of NumPy's `PyUFunc_GeneralizedFunctionInternal`:
keepdims/axis support, missing `?` dimensions, `axes=`/`axis=` remapping, core
sizes that must match exactly, then broadcasting of the loop dimensions.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from .broadcast import Shape, broadcast_shapes, stretches
from .record import Stretch
from .signature import CoreSignature, parse

_AxisError = np.exceptions.AxisError


_CACHE_LIMIT = 1024
_cache: dict[tuple, tuple[tuple[Shape, ...], tuple[Stretch, ...]]] = {}


def gufunc_shapes(
    ufunc: np.ufunc,
    shapes: list[Shape | None],
    axes: Any = None,
    axis: Any = None,
    keepdims: Any = None,
) -> tuple[tuple[Shape, ...], tuple[Stretch, ...]]:
    """Every output's shape (given outputs included), and the loop-dimension stretches.

    `shapes` has one entry per operand, inputs then outputs; None for outputs NumPy
    will allocate. A pure function of its arguments, so repeated calls (a matmul in
    a loop) are served from a bounded cache; calls with `axes=` (a list) are not.
    """
    if axes is not None:
        return _gufunc_shapes(ufunc, shapes, axes, axis, keepdims)
    key = (ufunc, tuple(shapes), axis, keepdims)
    try:
        return _cache[key]
    except (KeyError, TypeError):
        pass
    result = _gufunc_shapes(ufunc, shapes, axes, axis, keepdims)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    try:
        _cache[key] = result
    except TypeError:  # an unhashable axis or keepdims: NumPy will say what is wrong
        pass
    return result


def _gufunc_shapes(
    ufunc: np.ufunc,
    shapes: list[Shape | None],
    axes: Any,
    axis: Any,
    keepdims: Any,
) -> tuple[tuple[Shape, ...], tuple[Stretch, ...]]:
    sig = parse(ufunc.signature)
    name = ufunc.__name__
    nin, nop = ufunc.nin, ufunc.nargs
    if axes is not None and axis is not None:
        raise TypeError("cannot specify both 'axis' and 'axes'")
    static_core = [len(dims) for dims in sig.operands]
    if keepdims is not None:
        _check_keepdims_support(name, sig, static_core, nin)
    if axis is not None and len(sig.names) != 1:
        raise TypeError(
            f"{name}: axis can only be used with a single shared core dimension, "
            f"not with the {len(sig.names)} distinct ones implied by signature {sig.text}."
        )
    keep = bool(keepdims)
    core = list(static_core)
    if keep:
        core[nin:] = [core[0]] * (nop - nin)
    missing = _missing_dims(name, sig, shapes, core, nin)
    broadcast_ndim = max(
        (len(s) - c for s, c in zip(shapes, core) if s is not None), default=0
    )
    if axes is not None:
        remap = _remap_from_axes(name, sig, shapes, core, axes, broadcast_ndim, nin)
    elif axis is not None:
        remap = _remap_from_axis(shapes, core, axis, broadcast_ndim)
    else:
        remap = [None] * nop
    sizes = _core_sizes(name, sig, shapes, core, missing, remap, nin)
    if keep:
        _check_kept_dims(shapes, core, remap, nin)

    loop_shapes: list[Shape | None] = [
        None
        if shape is None
        else tuple(shape[_at(order, d)] for d in range(len(shape) - ncore))
        for shape, ncore, order in zip(shapes, core, remap)
    ]
    loop = broadcast_shapes([s for s in loop_shapes if s is not None])
    for i in range(nin, nop):
        if loop_shapes[i] is not None and not _output_holds(loop_shapes[i], loop):  # type: ignore[arg-type]
            raise ValueError(
                f"{name}: output operand {i - nin} with loop shape {loop_shapes[i]} "
                f"cannot hold the broadcast loop shape {loop}"
            )
    outputs = []
    for i in range(nin, nop):
        if shapes[i] is not None:
            outputs.append(shapes[i])
            continue
        if keep:
            core_part = (1,) * core[i]
        else:
            core_part = tuple(sizes[n] for n in sig.operands[i] if n not in missing)
        default = loop + core_part
        order = remap[i]
        if order is None:
            outputs.append(default)
        else:
            actual = [0] * len(default)
            for d, size in enumerate(default):
                actual[order[d]] = size
            outputs.append(tuple(actual))
    return tuple(outputs), stretches(loop_shapes[:nin], loop)  # type: ignore[arg-type]


def _output_holds(out_loop: Shape, loop: Shape) -> bool:
    """A given output must span every loop axis, except that it may lack size-1 ones."""
    missing = len(loop) - len(out_loop)
    if missing < 0 or any(size != 1 for size in loop[:missing]):
        return False
    return out_loop == loop[missing:]


def _check_kept_dims(shapes: list, core: list[int], remap: list, nin: int) -> None:
    """With keepdims, a given output's kept core axes must have length 1."""
    for i in range(nin, len(shapes)):
        shape = shapes[i]
        if shape is None:
            continue
        kept = [shape[_at(remap[i], d)] for d in range(len(shape) - core[i], len(shape))]
        if any(size != 1 for size in kept):
            raise ValueError(
                f"output operand {i - nin} has kept core dimensions {tuple(kept)}, "
                f"but keepdims requires them to be of length 1"
            )


def _at(order: list[int] | None, d: int) -> int:
    return d if order is None else order[d]


def _check_keepdims_support(name: str, sig: CoreSignature, core: list[int], nin: int) -> None:
    for i in range(1, len(core)):
        wanted = core[0] if i < nin else 0
        if core[i] != wanted:
            kind, index = ("input", i) if i < nin else ("output", i - nin)
            raise TypeError(
                f"{name} does not support keepdims: its signature {sig.text} requires "
                f"{kind} {index} to have {core[i]} core dimensions, but keepdims can only "
                "be used when all inputs have the same number of core dimensions and "
                "all outputs have no core dimensions."
            )


def _missing_dims(
    name: str, sig: CoreSignature, shapes: list, core: list[int], nin: int
) -> set[str]:
    """Drop optional (`?`) dimensions where an operand has too few axes, as NumPy does."""
    missing: set[str] = set()
    for i, shape in enumerate(shapes):
        if shape is None or len(shape) >= core[i]:
            continue
        ndim = len(shape)
        for dim in sig.operands[i]:
            if dim in sig.optional and dim not in missing:
                missing.add(dim)
                for k, dims in enumerate(sig.operands):
                    core[k] -= dims.count(dim)
                if ndim == core[i]:
                    break
        if ndim < core[i]:
            kind, index = ("Input", i) if i < nin else ("Output", i - nin)
            raise ValueError(
                f"{name}: {kind} operand {index} does not have enough dimensions "
                f"(has {ndim}, gufunc core with signature {sig.text} requires {core[i]})"
            )
    return missing


def _remap_from_axes(
    name: str,
    sig: CoreSignature,
    shapes: list,
    core: list[int],
    axes: Any,
    broadcast_ndim: int,
    nin: int,
) -> list[list[int] | None]:
    nop = len(shapes)
    if not isinstance(axes, list):
        raise TypeError("axes should be a list.")
    if len(axes) != nop:
        has_output_core = any(len(d) for d in sig.operands[nin:])
        if len(axes) != nin or has_output_core:
            raise ValueError(
                f"axes should be a list with an entry for all {nop} inputs and outputs; "
                "entries for outputs can only be omitted if none of them has core axes."
            )
    remap: list[list[int] | None] = [None] * nop
    for i, item in enumerate(axes):
        ncore = core[i]
        ndim = len(shapes[i]) if shapes[i] is not None else broadcast_ndim + ncore
        nbroadcast = ndim - ncore
        if isinstance(item, tuple):
            if len(item) != ncore:
                raise _AxisError(
                    f"{name}: operand {i} has {ncore} core dimensions, "
                    f"but {len(item)} dimensions are specified by axes tuple."
                )
            entries = item
        elif ncore == 1:
            entries = (item,)
        else:
            if not hasattr(item, "__index__"):
                raise TypeError(f"{name}: axes item {i} should be a tuple.")
            raise _AxisError(
                f"{name}: operand {i} has {ncore} core dimensions, "
                "but the axes item is a single integer."
            )
        order = [0] * ndim
        seen = set()
        for d, entry in zip(range(nbroadcast, ndim), entries):
            actual = normalize_axis_index(entry, ndim)
            if actual in seen:
                raise ValueError(f"axes item {i} has value {actual} repeated")
            seen.add(actual)
            order[d] = actual
        free = (a for a in range(ndim) if a not in seen)
        for d in range(nbroadcast):
            order[d] = next(free)
        remap[i] = None if order == list(range(ndim)) else order
    return remap


def _remap_from_axis(
    shapes: list, core: list[int], axis: Any, broadcast_ndim: int
) -> list[list[int] | None]:
    value = operator.index(axis)
    remap: list[list[int] | None] = []
    for shape, ncore in zip(shapes, core):
        if ncore == 0:
            remap.append(None)
            continue
        ndim = len(shape) if shape is not None else broadcast_ndim + 1
        actual = normalize_axis_index(value, ndim)
        if actual == ndim - 1:
            remap.append(None)
            continue
        order = [a for a in range(ndim) if a != actual] + [actual]
        remap.append(order)
    return remap


def _core_sizes(
    name: str,
    sig: CoreSignature,
    shapes: list,
    core: list[int],
    missing: set[str],
    remap: list,
    nin: int,
) -> dict[str, int]:
    sizes: dict[str, int] = dict(sig.fixed)
    for i, shape in enumerate(shapes):
        if shape is None:
            continue
        start = len(shape) - core[i]
        delta = 0
        for idim, dim in enumerate(sig.operands[i]):
            if dim in missing:
                size = 1
                delta += 1
            else:
                size = shape[_at(remap[i], start + idim - delta)]
            known = sizes.get(dim)
            if known is None:
                sizes[dim] = size
            elif size != known:
                kind, index = ("Input", i) if i < nin else ("Output", i - nin)
                raise ValueError(
                    f"{name}: {kind} operand {index} has a mismatch in its core dimension "
                    f"{idim - delta}, with gufunc signature {sig.text} "
                    f"(size {size} is different from {known})"
                )
    for i in range(nin, len(shapes)):
        for idim, dim in enumerate(sig.operands[i]):
            if dim not in sizes:
                raise ValueError(
                    f"{name}: Output operand {i - nin} has core dimension {idim} "
                    f"unspecified, with gufunc signature {sig.text}"
                )
    return sizes
