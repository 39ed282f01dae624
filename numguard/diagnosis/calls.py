"""Calls: a ufunc or one of its methods, an array function, an ndarray method.

The function called is evaluated like any operand (names, static attributes): it is
identified, never called. Functions are recognised by identity (`id` tables), so a
user object's `__hash__` or `__eq__` never runs.
"""

from __future__ import annotations

import ast
import types
from typing import Any

import numpy as np

from ..projection import estimate as project
from ..projection import project_ufunc, registered_functions, registry
from ..projection.ndarray_methods import METHODS
from ..projection.record import Estimate
from .operands import OperandTexts, checked, operand
from .plain import NotEvaluated, describe_type, plain_array
from .views import arguments, keywords

_UFUNC_METHODS = frozenset({"reduce", "accumulate", "reduceat", "outer", "at"})
#: ndarray methods that are `np.<function>(x, ...)` with the same parameters.
SAME_AS_FUNCTION: dict[str, Any] = {
    "sum": np.sum, "prod": np.prod, "mean": np.mean, "std": np.std, "var": np.var,
    "max": np.max, "min": np.min, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "all": np.all, "any": np.any, "clip": np.clip, "trace": np.trace,
}
_by_id: dict[int, Any] = {}
#: Callables whose `__module__` is plain data (reading it runs no user code).
_FUNCTION_TYPES = frozenset({types.FunctionType, types.BuiltinFunctionType, type(np.sum),
                             type(np.empty)})

#: (operation, estimate, operand candidates, reason)
Found = tuple[str | None, Estimate | None, OperandTexts, str]


def call(node: ast.Call, evaluator: Any, depth: int, operation: list) -> Found:
    """The projection of the call `node` (raises NotEvaluated with the reason)."""
    func = node.func
    func_text = evaluator.text(func)
    if isinstance(func, ast.Attribute):
        owner = evaluator.value(func.value, depth)
        array = plain_array(owner)
        if array is not None:
            return _method(array, func, node, evaluator, depth, operation)
        if type(owner) is np.ufunc and func.attr in _UFUNC_METHODS:
            operation[0] = f"np.{owner.__name__}.{func.attr}"
            return _ufunc(owner, func.attr, node, evaluator, depth, operation)
        callee = evaluator.attribute(owner, func.attr, func)
    elif isinstance(func, ast.Name):
        callee = evaluator.name(func.id)
    else:
        raise NotEvaluated(f"`{func_text}` is computed: the function called is not evaluated")
    if type(callee) is np.ufunc:
        operation[0] = f"np.{callee.__name__}"
        return _ufunc(callee, "__call__", node, evaluator, depth, operation)
    if callee is abs:
        operation[0] = "abs() (np.absolute)"
        value, text = operand(_single(node, func_text), evaluator, depth)
        if plain_array(value) is None:
            raise NotEvaluated(f"`{text}` is not a NumPy array: abs() is not NumPy's")
        return (operation[0], project_ufunc(np.absolute, "__call__", (checked(value, text),), {}),
                [(value, text)], "")
    function = registered(callee)
    if function is None:
        raise NotEvaluated(_not_projected(callee, func_text))
    operation[0] = func_text
    args, kwargs, candidates = _arguments(node, evaluator, depth)
    found = project(function, *args, **kwargs)
    operation[0] = found.operation
    return found.operation, found, candidates, ""


def _ufunc(ufunc: np.ufunc, method: str, node: ast.Call, evaluator: Any, depth: int,
           operation: list) -> Found:
    inputs = [operand(arg, evaluator, depth) for arg in _nodes(node)]
    kwargs = keywords(evaluator, node, depth)
    reads = method == "at"  # ufunc.at reads its indices
    values = tuple(checked(value, text, reads) for value, text in inputs)
    kwargs = {key: checked(value, key, True) for key, value in kwargs.items()}
    if "out" in kwargs and type(kwargs["out"]) is not tuple:
        kwargs["out"] = (kwargs["out"],)
    return operation[0], project_ufunc(ufunc, method, values, kwargs), inputs, ""


def _method(array: np.ndarray, func: ast.Attribute, node: ast.Call, evaluator: Any,
            depth: int, operation: list) -> Found:
    owner_text = evaluator.text(func.value)
    name = func.attr
    operation[0] = f"{owner_text}.{name}()"
    checked(array, owner_text, reads_data=True)
    args, kwargs, candidates = _arguments(node, evaluator, depth)
    candidates = [(array, owner_text), *candidates]
    entry = METHODS.get(name)
    if entry is not None and not entry.is_property:
        found = entry.project(array, *args, **kwargs)
        reason = "" if found is not None else f"`{owner_text}.{name}()` makes no new array here"
        return operation[0], found, candidates, reason
    function = SAME_AS_FUNCTION.get(name)
    if function is None:
        raise NotEvaluated(f"numguard does not project ndarray.{name}()")
    return operation[0], project(function, array, *args, **kwargs), candidates, ""


def _arguments(node: ast.Call, evaluator: Any, depth: int) -> tuple[list, dict, list]:
    """Checked arguments, and (value, text) candidates for naming the operands (the
    items of a tuple or list written in the call count one by one)."""
    args, kwargs = arguments(evaluator, node, depth)
    args = [checked(value, evaluator.text(arg), True) for value, arg in zip(args, _nodes(node))]
    kwargs = {key: checked(value, key, True) for key, value in kwargs.items()}
    candidates: list[tuple[Any, str]] = []
    for value, arg in [*zip(args, _nodes(node)),
                       *((kwargs[k.arg], k.value) for k in node.keywords if k.arg in kwargs)]:
        if isinstance(arg, (ast.Tuple, ast.List)) and type(value) in (tuple, list):
            candidates.extend((item, evaluator.text(element))
                              for item, element in zip(value, arg.elts))
        else:
            candidates.append((value, evaluator.text(arg)))
    return args, kwargs, candidates


def _nodes(node: ast.Call) -> list[ast.AST]:
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise NotEvaluated("a call that unpacks `*args` is not projected")
    return list(node.args)


def _single(node: ast.Call, func_text: str) -> ast.AST:
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        raise NotEvaluated(f"`{func_text}(...)` takes one argument")
    return node.args[0]


def registered(callee: Any) -> Any:
    """The NumPy function `callee` is, if numguard projects it (by identity)."""
    if not _by_id:
        functions = registered_functions()
        table = {id(f): f for f in (*functions, *registry.ANSWERS)}
        _by_id.update(table)
    found = _by_id.get(id(callee))
    return found if found is callee else None


def _not_projected(callee: Any, text: str) -> str:
    module = callee.__module__ if type(callee) in _FUNCTION_TYPES else None
    if type(module) is str and module.split(".")[0] == "numpy":
        from ..projection.tables import not_projected_reason

        try:
            reason = not_projected_reason(callee)
        except Exception:  # noqa: BLE001
            reason = None
        detail = f" ({reason})" if reason else ""
        return f"numguard does not project `{text}`{detail}"
    return (f"`{text}` is a {describe_type(callee)}: numguard projects NumPy's "
            "operations only")
