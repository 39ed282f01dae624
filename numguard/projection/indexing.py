"""`a[key]`: the shape of an advanced-indexing result, from shapes, as NumPy's
prepare_index and mapiter compute it; basic keys are views and project to None."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .broadcast import broadcast_shapes, stretches
from .operands import gather_exact
from .record import Estimate, Stretch, build

_ndarray = np.ndarray
_BOOL = np.dtype(bool)


#: Index element types that make basic indexing (a view): the GuardedArray fast path.
BASIC_INDEX_TYPES = frozenset(
    {int, slice, type(None), type(Ellipsis)}
    | {t for t in np.sctypeDict.values() if issubclass(t, np.integer)}
)


def getitem(a: np.ndarray, key: Any, /) -> Estimate | None:
    """Advanced (integer-array and boolean) indexing; None for a view or a scalar.

    Computed from shapes, as NumPy's prepare_index and mapiter do. A zero-itemsize
    stand-in would give the shape too, but NumPy iterates it over every element of
    the result but the innermost run (seconds for a[:, idx] at 10**12 elements).
    Index bounds are data: `getitem_rejects` checks them, only when a call is refused.
    """
    if isinstance(key, _ndarray) and key.ndim:
        # The common a[idx] and a[mask], without the general walk.
        kind = key.dtype.kind
        if kind in "iu" and a.ndim:
            return build(_ndarray.__getitem__, (key.shape + a.shape[1:],), (a.dtype,),
                           (a, key), exact=gather_exact(a.dtype))
        if kind == "b" and key.ndim <= a.ndim:
            if any(m and m != n for m, n in zip(key.shape, a.shape)):
                raise IndexError("boolean index did not match indexed array")
            shape = (int(np.count_nonzero(key)),) + a.shape[key.ndim :]
            return build(_ndarray.__getitem__, (shape,), (a.dtype,), (a, key),
                           exact=gather_exact(a.dtype))
    parsed, consumed, fancy, copies = _parse_index(a.shape, key)
    if not fancy and not copies:
        return None  # basic indexing: a view
    shape = a.shape
    if not fancy and len(parsed) == len(shape) and all(kind == "int" for kind, _ in parsed):
        return None  # integers only, 0-d arrays among them: a scalar
    pieces, positions, advanced_shapes, operands = _walk(shape, parsed, consumed, fancy)
    if not fancy:
        return build(_ndarray.__getitem__, (tuple(pieces),), (a.dtype,), (a,),
                       exact=gather_exact(a.dtype))
    block = broadcast_shapes(advanced_shapes)
    # Advanced indices next to each other in the key (nothing between them, not even
    # an Ellipsis spanning no dimension) put the block in their place; else in front.
    members = [i for i, (kind, _) in enumerate(parsed) if kind in ("int", "array", "bool")]
    adjacent = members[-1] - members[0] == len(members) - 1
    where = positions[0] if adjacent else 0
    result = tuple(pieces[:where]) + block + tuple(pieces[where:])
    # Explain the broadcast: which index array was stretched along which result axis.
    array_shapes = [s for s, (kind, _) in zip(advanced_shapes, _advanced(parsed)) if kind != "int"]
    found = tuple(
        Stretch(s.axis + where, s.size, s.operand + 1, s.operand_size)
        for s in stretches(array_shapes, block)
    )
    return build(_ndarray.__getitem__, (result,), (a.dtype,), (a,) + tuple(operands),
                   exact=gather_exact(a.dtype), stretched=found)


def _parse_index(shape: tuple[int, ...], key: Any) -> tuple[list, int, bool, bool]:
    """The key's items classified as NumPy's prepare_index does: the items, the number
    of array dimensions they consume, whether any is an index array or a boolean
    (then integers are advanced too), whether a 0-d integer array forces a copy."""
    items = key if type(key) is tuple else (key,)
    parsed: list[tuple[str, Any]] = []
    consumed = 0
    ellipses = 0
    fancy = False
    copies = False
    for item in items:
        kind = type(item)
        if kind in BASIC_INDEX_TYPES and kind is not slice and item is not None:
            if item is Ellipsis:
                ellipses += 1
                parsed.append(("ellipsis", None))
            else:
                parsed.append(("int", operator.index(item)))
                consumed += 1
        elif item is None:
            parsed.append(("new", None))
        elif kind is slice:
            parsed.append(("slice", item))
            consumed += 1
        elif isinstance(item, (bool, np.bool_)):
            parsed.append(("bool", np.asarray(item)))
            fancy = True
        else:
            array = np.asarray(item)
            if array.dtype == _BOOL:
                parsed.append(("bool", array))
                consumed += array.ndim
                fancy = True
            elif array.dtype.kind in "iu" or (array.size == 0 and not isinstance(item, _ndarray)):
                if array.ndim == 0:
                    parsed.append(("int", int(array)))
                    copies = True
                else:
                    parsed.append(("array", array))
                    fancy = True
                consumed += 1
            else:
                raise IndexError("only integers, slices, ellipsis, None and integer or "
                                 "boolean arrays are valid indices")
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError("too many indices for array")
    return parsed, consumed, fancy, copies


def getitem_rejects(a: np.ndarray, key: Any, /) -> bool:
    """An index out of bounds: NumPy's IndexError, not a refusal (NumPy checks the
    indices it uses: none when the selection is empty)."""
    selected = getitem(a, key)
    if selected is None or 0 in selected.shape:
        return False
    parsed, consumed, _, _ = _parse_index(a.shape, key)
    shape = a.shape
    dim = 0
    for kind, value in parsed:
        if kind == "ellipsis":
            dim += len(shape) - consumed
        elif kind == "slice":
            dim += 1
        elif kind == "int":
            if not -shape[dim] <= value < shape[dim]:
                return True
            dim += 1
        elif kind == "array":
            if out_of_bounds(value, shape[dim]):
                return True
            dim += 1
        elif kind == "bool":
            dim += value.ndim
    return False


def _walk(shape: tuple[int, ...], parsed: list, consumed: int, fancy: bool) -> tuple:
    """Result dims outside the advanced block, where the block's members sit, their
    shapes (booleans: the nonzero count) and the index arrays."""
    dim = 0
    pieces: list[int] = []
    positions: list[int] = []
    advanced_shapes: list[tuple[int, ...]] = []
    operands: list[np.ndarray] = []
    for kind, value in parsed:
        if kind == "new":
            pieces.append(1)
        elif kind == "ellipsis":
            span = len(shape) - consumed
            pieces.extend(shape[dim : dim + span])
            dim += span
        elif kind == "slice":
            pieces.append(len(range(*value.indices(shape[dim]))))
            dim += 1
        elif kind == "int":
            if fancy:
                positions.append(len(pieces))
                advanced_shapes.append(())
            dim += 1
        elif kind == "array":
            positions.append(len(pieces))
            advanced_shapes.append(value.shape)
            operands.append(value)
            dim += 1
        else:  # bool
            covered = shape[dim : dim + value.ndim]
            # NumPy checks the boolean's dimensions of nonzero length only.
            if any(m and m != n for m, n in zip(value.shape, covered)):
                raise IndexError("boolean index did not match indexed array")
            positions.append(len(pieces))
            advanced_shapes.append((int(np.count_nonzero(value)),))
            operands.append(value)
            dim += value.ndim
    pieces.extend(shape[dim:])
    return pieces, positions, advanced_shapes, operands


def _advanced(parsed: list) -> list:
    return [p for p in parsed if p[0] in ("int", "array", "bool")]


def out_of_bounds(index: np.ndarray, length: int, negative: bool = True) -> bool:
    """Whether an index array holds an index outside [-length, length) (or [0, length)
    without `negative`): data NumPy checks, read only when a call is refused."""
    if index.size == 0 or index.dtype.kind not in "iub":
        return False
    low = -length if negative else 0
    return int(index.min()) < low or int(index.max()) >= length
