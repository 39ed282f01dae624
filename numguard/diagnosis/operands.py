"""Operands for the projection: evaluated, checked, and named.

- `operand`: a node's value (or a stand-in, see `standins`) and source text.
- `checked`: only values NumPy handles without calling user code reach a projection:
  plain arrays, Python and NumPy scalars, dtypes, strings, None, slices of ints, and
  short tuples and lists of those.
- `texts_for`: the source text of each operand of an Estimate, in its order.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..projection.record import Estimate
from .plain import MAX_ITEMS, NotEvaluated, describe_type, plain_array
from .standins import is_stand_in

#: (value, source text) pairs, in the order the operation reads them.
OperandTexts = Sequence[tuple[Any, str]]

_ndarray = np.ndarray
_PYTHON_SCALARS = frozenset({int, float, complex, bool})
_NUMPY_SCALARS = frozenset(t for t in np.sctypeDict.values() if t.__module__ == "numpy")
_DTYPE_TYPES = _NUMPY_SCALARS | {int, float, complex, bool, object, str, bytes}
_INDEX_PARTS = frozenset({int, type(None)}) | frozenset(
    t for t in _NUMPY_SCALARS if issubclass(t, np.integer))


def operand(node: ast.AST, evaluator: Any, depth: int) -> tuple[Any, str]:
    """(value, source text) of `node`: a value, or a stand-in for an operation."""
    return evaluator.value(node, depth), evaluator.text(node)


def checked(value: Any, text: str, reads_data: bool = False) -> Any:
    """`value` as a projection may receive it, or NotEvaluated (see the module doc).

    `reads_data`: the projection may read the value's elements, so no stand-in.
    """
    kind = type(value)
    if kind is _ndarray:
        if reads_data and is_stand_in(value):
            raise NotEvaluated(f"`{text}` was computed by the line itself: numguard "
                               "projects it, but cannot read its data")
        return value
    if kind in _PYTHON_SCALARS or kind in _NUMPY_SCALARS:
        return value
    if value is None or value is Ellipsis or kind is str or kind is bytes:
        return value
    array = plain_array(value)
    if array is not None:
        return array
    if kind is slice:
        if all(type(part) in _INDEX_PARTS for part in (value.start, value.stop, value.step)):
            return value
    elif kind is tuple or kind is list:
        if len(value) <= MAX_ITEMS:
            return kind(checked(item, text, reads_data) for item in value)
        raise NotEvaluated(f"`{text}` holds too many items to evaluate")
    elif issubclass(kind, np.dtype) or (kind is type and value in _DTYPE_TYPES):
        return value
    elif issubclass(kind, _ndarray):
        raise NotEvaluated(f"`{text}` is a {describe_type(value)}, an ndarray subclass: "
                           "its methods and operators are its own code")
    raise NotEvaluated(f"`{text}` is a {describe_type(value)}, not a NumPy array")


def texts_for(estimate: Estimate, candidates: OperandTexts) -> tuple[str, ...]:
    """The text of each of `estimate`'s operands: candidates matched in order by shape
    and dtype (then by shape alone); "" for an operand no candidate matches."""
    keys = [_key(value) for value, _ in candidates]
    wanted = list(zip(estimate.operand_shapes, [_dtype(d) for d in estimate.operand_dtypes]))
    for exact in (True, False):
        texts: list[str] = []
        start = 0
        for shape, dtype in wanted:
            for index in range(start, len(keys)):
                key = keys[index]
                if key is not None and key[0] == shape and (not exact or key[1] == dtype):
                    texts.append(candidates[index][1])
                    start = index + 1
                    break
            else:
                texts.append("")
        if all(texts) or not exact:
            return tuple(texts)
    return ()  # pragma: no cover - the loop always returns


def _key(value: Any) -> tuple | None:
    array = plain_array(value)
    if array is not None:
        return array.shape, array.dtype
    kind = type(value)
    if kind in _PYTHON_SCALARS:
        return (), _dtype(kind)
    if kind in _NUMPY_SCALARS:
        return (), value.dtype
    return None


def _dtype(dtype: Any) -> Any:
    """bool (not a weak scalar) as np.dtype(bool); other types stay themselves."""
    return np.dtype(bool) if dtype is bool else dtype
