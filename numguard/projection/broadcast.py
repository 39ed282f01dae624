"""Broadcasting, as NumPy does it, in a few hundred nanoseconds.

`np.broadcast_shapes` builds arrays and costs ~2 µs; this is plain tuple work.
The stretch finder explains a result afterwards: which operand was repeated along
which axis, the signature of an outer product in disguise.
"""

from __future__ import annotations

from collections.abc import Sequence

from .record import Stretch

Shape = tuple[int, ...]


def broadcast_shapes(shapes: Sequence[Shape]) -> Shape:
    """The common shape, or NumPy's ValueError naming every shape."""
    if len(shapes) == 2:
        first, second = shapes
        if first == second:
            return first
    ndim = max(map(len, shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for i, size in enumerate(shape, offset):
            current = result[i]
            if size != current:
                if current == 1:
                    result[i] = size
                elif size != 1:
                    raise ValueError(
                        "operands could not be broadcast together with shapes "
                        + " ".join(format_shape(s) for s in shapes)
                    )
    return tuple(result)


def check_fits(shape: Shape, target: Shape, what: str = "output operand") -> None:
    """NumPy's error when an output cannot hold the broadcast result unstretched."""
    if broadcast_shapes((shape, target)) != target:
        raise ValueError(
            f"non-broadcastable {what} with shape {format_shape(target)} "
            f"doesn't match the broadcast shape {format_shape(shape)}"
        )


def stretches(operand_shapes: Sequence[Shape], result: Shape) -> tuple[Stretch, ...]:
    """Every (axis, operand) where an operand of ndim >= 1 was repeated to fill `result`.

    Scalars and 0-d operands are left out: repeating a constant is what they are for.
    """
    found = []
    ndim = len(result)
    for index, shape in enumerate(operand_shapes):
        if not shape:
            continue
        offset = ndim - len(shape)
        for axis, size in enumerate(result):
            if size <= 1:
                continue
            if axis < offset:
                found.append(Stretch(axis, size, index, None))
            elif shape[axis - offset] == 1:
                found.append(Stretch(axis, size, index, 1))
    return tuple(found)


def format_shape(shape: Shape) -> str:
    """NumPy's compact shape text: (2,3) and (3,)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(map(str, shape)) + ")"
