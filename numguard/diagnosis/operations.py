"""From the node a frame runs to numguard's projection of it.

Each kind of node names its NumPy operation and evaluates its operands (`values`),
then asks numguard's projection layer what the operation allocates:

- `a * b`, `-a`, `a < b`, `a += b`: the ufunc NumPy's operator calls (`operators`);
  an in-place operator writes into its target (only temporaries are new);
- `np.multiply(a, b)`, `np.add.outer(a, b)`: the ufunc, or the ufunc method;
- `np.outer(a, b)`, `np.concatenate(...)`, `np.ones(n)`: the array-function registry;
- `x.repeat(n)`, `x.astype(t)`, `x.sum()`: ndarray methods (`ndarray_methods.METHODS`,
  and the methods that are `np.<name>(x, ...)` under another spelling);
- `a[idx]`, `x.imag`: indexing and the allocating property.

An operand that is itself an operation (`(a - b) * c`, `np.ones((50, 1)) * b`) has
already been computed and cannot be read back; its projection stands in for it
(`standins`), for ufuncs only, which read nothing but shapes and dtypes. Operands
given to other projections must be values: those may read data (index arrays,
repeat counts).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..projection import project_ufunc
from ..projection.ndarray_methods import METHODS
from ..projection.record import Estimate
from .calls import call
from .operands import OperandTexts, checked, operand, texts_for
from .operators import BINARY, COMPARE, UNARY, power_ufunc
from .plain import NotEvaluated, plain_array
from .standins import stand_in


class Analysis(NamedTuple):
    """What the diagnosis found for one node."""

    operation: str | None
    estimate: Estimate | None
    operand_texts: tuple[str, ...]
    reason: str


def analyse(node: ast.AST, evaluator: Any, depth: int = 0, named: bool = False) -> Analysis:
    """The operation `node` runs and its projection (never raises NotEvaluated: the
    reason says what was not evaluated); `named`: with each operand's source text."""
    handler = _HANDLERS.get(type(node))
    if handler is None:
        return Analysis(None, None, (), f"a {type(node).__name__} is not an operation "
                                         "numguard projects")
    operation: list[str | None] = [None]
    try:
        found = handler(node, evaluator, depth, operation)
        if named and found.estimate is not None:
            return found._replace(operand_texts=texts_for(found.estimate, found.operand_texts))
        return found._replace(operand_texts=())
    except NotEvaluated as error:
        return Analysis(operation[0], None, (), str(error))
    except Exception as error:  # noqa: BLE001 - NumPy or the projection refused the call
        return Analysis(operation[0], None, (),
                        f"numguard could not project it ({type(error).__name__}: {error})")


def _done(operation: str | None, estimate: Estimate | None, candidates: OperandTexts,
          reason: str = "") -> Analysis:
    """The handlers' answer: `operand_texts` holds the (value, text) candidates until
    `analyse` names the operands from them (or drops them)."""
    return Analysis(operation, estimate, candidates, reason)  # type: ignore[arg-type]


def _binop(node: ast.BinOp, evaluator: Any, depth: int, operation: list) -> Analysis:
    symbol, ufunc = BINARY[type(node.op)]
    operation[0] = f"`{symbol}` ({_name(ufunc)})"
    left = operand(node.left, evaluator, depth)
    right = operand(node.right, evaluator, depth)
    return _ufunc_operator(symbol, ufunc, left, right, {}, operation)


def _augassign(node: ast.AugAssign, evaluator: Any, depth: int, operation: list) -> Analysis:
    symbol, ufunc = BINARY[type(node.op)]
    operation[0] = f"`{symbol}=` ({_name(ufunc)})"
    target = operand(node.target, evaluator, depth)
    value = operand(node.value, evaluator, depth)
    array = plain_array(target[0])
    if array is None:  # `n += a` with n a Python number: n + a, a new array
        return _ufunc_operator(symbol + "=", ufunc, target, value, {}, operation)
    if ufunc is np.matmul:
        raise NotEvaluated("in-place `@=` is not projected")
    return _ufunc_operator(symbol + "=", ufunc, (array, target[1]), value, {"out": (array,)},
                           operation, inplace=True)


def _ufunc_operator(symbol: str, ufunc: np.ufunc, left: tuple, right: tuple, kwargs: dict,
                    operation: list, inplace: bool = False) -> Analysis:
    array = plain_array(left[0])
    if array is None and plain_array(right[0]) is None:
        raise NotEvaluated(f"neither `{left[1]}` nor `{right[1]}` is a NumPy array: "
                           "the operator is not NumPy's")
    inputs: tuple = (left, right)
    cast = None
    if ufunc is np.power and array is not None:
        unary = power_ufunc(array, right[0], inplace)
        if unary is not None:
            (ufunc, cast), inputs = unary, (left,)
    operation[0] = f"`{symbol}` ({_name(ufunc)})"
    values = tuple(checked(value, text) for value, text in inputs)
    if cast is not None and array is not None and cast != array.dtype:  # NumPy squares a cast copy of `left`
        return _cast_power(ufunc, array, cast, kwargs, operation[0], inputs)
    return _done(operation[0], project_ufunc(ufunc, "__call__", values, kwargs), inputs)


def _cast_power(ufunc: np.ufunc, array: np.ndarray, cast: np.dtype, kwargs: dict,
                operation: str, inputs: tuple) -> Analysis:
    """`a ** 2.0` where NumPy casts `a` first: the cast copy is a temporary."""
    copy = stand_in(array.shape, cast)
    if copy is None:
        raise NotEvaluated(f"{operation}: too many dtypes to stand in for")
    found = project_ufunc(ufunc, "__call__", (copy,), kwargs)
    found = found._replace(operand_dtypes=(array.dtype,),
                           temporaries=found.temporaries + array.size * cast.itemsize)
    return _done(operation, found, inputs)


def _unary(node: ast.UnaryOp, evaluator: Any, depth: int, operation: list) -> Analysis:
    entry = UNARY.get(type(node.op))
    if entry is None:
        raise NotEvaluated("`not` allocates no array")
    symbol, ufunc = entry
    operation[0] = f"`{symbol}` ({_name(ufunc)})"
    value, text = operand(node.operand, evaluator, depth)
    if plain_array(value) is None:
        raise NotEvaluated(f"`{text}` is not a NumPy array: the operator is not NumPy's")
    estimate = project_ufunc(ufunc, "__call__", (checked(value, text),), {})
    return _done(operation[0], estimate, ((value, text),))


def _compare(node: ast.Compare, evaluator: Any, depth: int, operation: list) -> Analysis:
    if len(node.ops) != 1 or type(node.ops[0]) not in COMPARE:
        raise NotEvaluated("a chained comparison or an identity or membership test is "
                           "not projected")
    symbol, ufunc, reflected = COMPARE[type(node.ops[0])]
    operation[0] = f"`{symbol}` ({_name(ufunc)})"
    left = operand(node.left, evaluator, depth)
    right = operand(node.comparators[0], evaluator, depth)
    if plain_array(left[0]) is None:
        if plain_array(right[0]) is None:
            raise NotEvaluated(f"neither `{left[1]}` nor `{right[1]}` is a NumPy array: "
                               "the comparison is not NumPy's")
        ufunc, left, right = reflected, right, left  # the array answers, reflected
        operation[0] = f"`{symbol}` ({_name(ufunc)})"
    for value, _ in (left, right):
        array = plain_array(value)
        if array is not None and array.dtype.names is not None:
            raise NotEvaluated("a comparison of structured arrays is not projected")
    values = (checked(*left), checked(*right))
    return _done(operation[0], project_ufunc(ufunc, "__call__", values, {}), (left, right))


def _subscript(node: ast.Subscript, evaluator: Any, depth: int, operation: list) -> Analysis:
    owner_text = evaluator.text(node.value)
    operation[0] = f"{owner_text}[{evaluator.text(node.slice)}]"
    owner = evaluator.value(node.value, depth)
    array = plain_array(owner)
    if array is None:
        raise NotEvaluated(f"`{owner_text}` is not a NumPy array: its indexing is its own")
    checked(array, owner_text, reads_data=True)
    key = checked(evaluator.index(node.slice, depth), evaluator.text(node.slice), True)
    estimate = METHODS["__getitem__"].project(array, key)
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    keys = key if type(key) is tuple and isinstance(node.slice, ast.Tuple) else (key,)
    candidates = [(array, owner_text)] + [
        (value, evaluator.text(item)) for value, item in zip(keys, items)]
    return _done(operation[0], estimate, candidates,
                 "" if estimate is not None else "basic indexing: a view, no new array")


def _attribute(node: ast.Attribute, evaluator: Any, depth: int, operation: list) -> Analysis:
    owner_text = evaluator.text(node.value)
    operation[0] = f"{owner_text}.{node.attr}"
    entry = METHODS.get(node.attr)
    if entry is None or not entry.is_property:
        raise NotEvaluated(f"`{owner_text}.{node.attr}` is not an allocating array attribute")
    array = plain_array(evaluator.value(node.value, depth))
    if array is None:
        raise NotEvaluated(f"`{owner_text}` is not a NumPy array")
    checked(array, owner_text, reads_data=True)
    estimate = entry.project(array)
    return _done(operation[0], estimate, [(array, owner_text)],
                 "" if estimate is not None else "a view, no new array")


def _call(node: ast.Call, evaluator: Any, depth: int, operation: list) -> Analysis:
    return _done(*call(node, evaluator, depth, operation))


def _name(ufunc: Any) -> str:
    return f"np.{ufunc.__name__}"


_HANDLERS: dict[type, Callable[..., Any]] = {
    ast.BinOp: _binop, ast.AugAssign: _augassign, ast.UnaryOp: _unary,
    ast.Compare: _compare, ast.Subscript: _subscript, ast.Attribute: _attribute,
    ast.Call: _call,
}

__all__ = ["Analysis", "analyse"]
