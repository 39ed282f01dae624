"""The calls an operand may contain: those that only make a view of an array.

`x.reshape(...)`, `x.transpose(...)`, `x.swapaxes(...)`, `x.squeeze(...)`, `x.view()`,
`np.expand_dims(x, axis)`, `np.transpose(x)`, `np.asarray(x)`, `np.asanyarray(x)` on a
plain array, and `len(...)` of an array or a builtin sequence. Arguments must be ints
(or tuples of ints, None, an order string): an object with `__index__` would run its
own code. A reshape runs with copy=False, which NumPy refuses rather than copy: such
a reshape (its operand was a copy) is not evaluated. Any other call is not evaluated.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

from .plain import MAX_ITEMS, NotEvaluated, describe_type, plain_array
from .standins import is_stand_in, reshaped

_ndarray = np.ndarray
_INTS = frozenset({int} | {t for t in np.sctypeDict.values() if issubclass(t, np.integer)})


def view_call(evaluator: Any, node: ast.Call, depth: int) -> Any:
    """The value of a call that makes a view (see the module docstring)."""
    text = evaluator.text(node)
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = evaluator.value(func.value, depth)
        array = plain_array(owner)
        if array is not None:
            method = _ARRAY_METHODS.get(func.attr)
            if method is None:
                raise NotEvaluated(f"`{text}` is a call: not evaluated")
            args, kwargs = arguments(evaluator, node, depth)
            return _run(method, array, args, kwargs, text)
        callee = evaluator.attribute(owner, func.attr, func)
    elif isinstance(func, ast.Name):
        callee = evaluator.name(func.id)
    else:
        raise NotEvaluated(f"`{text}` is a call: not evaluated")
    entry = _FUNCTIONS.get(id(callee))
    if entry is None or entry[0] is not callee:
        raise NotEvaluated(f"`{text}` is a call: not evaluated")
    args, kwargs = arguments(evaluator, node, depth)
    if not args:
        raise NotEvaluated(f"`{text}` is a call: not evaluated")
    if entry[1] is _length:
        return _length(args, kwargs, text)
    array = plain_array(args[0])
    if array is None:
        raise NotEvaluated(f"`{text}`: its operand is a {describe_type(args[0])}, not an array")
    return _run(entry[1], array, args[1:], kwargs, text)


def arguments(evaluator: Any, node: ast.Call, depth: int) -> tuple[list, dict]:
    """A call's evaluated arguments (`*` of a tuple or list included, never `**`)."""
    return positional(evaluator, node, depth), keywords(evaluator, node, depth)


def positional(evaluator: Any, node: ast.Call, depth: int) -> list:
    """A call's evaluated positional arguments (`*` of a tuple or list included)."""
    args: list = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            items = evaluator.value(arg.value, depth)
            if type(items) not in (tuple, list) or len(items) > MAX_ITEMS:
                raise NotEvaluated(f"`{evaluator.text(arg)}` unpacks a "
                                   f"{describe_type(items)}: not evaluated")
            args.extend(items)
        else:
            args.append(evaluator.value(arg, depth))
    return args


def keywords(evaluator: Any, node: ast.Call, depth: int) -> dict:
    """A call's evaluated keyword arguments (never `**`)."""
    kwargs = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise NotEvaluated(f"`**{evaluator.text(keyword.value)}` is not evaluated")
        kwargs[keyword.arg] = evaluator.value(keyword.value, depth)
    return kwargs


def _run(method: Callable[..., Any], array: np.ndarray, args: list, kwargs: dict,
         text: str) -> Any:
    for value in [*args, *kwargs.values()]:
        if not _plain_argument(value):
            raise NotEvaluated(f"`{text}` has an argument that is a {describe_type(value)}: "
                               "not evaluated")
    try:
        return method(array, *args, **kwargs)
    except NotEvaluated:
        raise
    except Exception as error:  # noqa: BLE001 - NumPy's own refusal
        raise NotEvaluated(f"`{text}` raises {type(error).__name__}: {error}") from error


def _plain_argument(value: Any) -> bool:
    kind = type(value)
    if kind in _INTS or value is None or kind is str or kind is bool:
        return True
    return (kind is tuple or kind is list) and all(type(v) in _INTS for v in value)


def _reshape(array: np.ndarray, *shape: Any, order: str = "C", copy: Any = None) -> Any:
    if copy:
        raise NotEvaluated("a reshape with copy=True copies: not evaluated")
    if is_stand_in(array):
        return reshaped(array, *shape, order=order)
    try:
        return _ndarray.reshape(array, *shape, order=order, copy=False)  # type: ignore[call-overload]
    except ValueError as error:
        raise NotEvaluated(f"the reshape would copy its operand ({error})") from error


def _view(array: np.ndarray, *args: Any, **kwargs: Any) -> Any:
    if args or kwargs:
        raise NotEvaluated("a view with a dtype or type is not evaluated")
    return _ndarray.view(array)


def _same(array: np.ndarray) -> Any:
    return array


def _length(args: list, kwargs: dict, text: str) -> int:
    if len(args) != 1 or kwargs:
        raise NotEvaluated(f"`{text}` is not evaluated")
    value = args[0]
    array = plain_array(value)
    if array is not None:
        if array.ndim == 0:
            raise NotEvaluated(f"`{text}` raises TypeError")
        return array.shape[0]
    if type(value) in (tuple, list, str, dict, range):
        return len(value)
    raise NotEvaluated(f"`{text}`: the length of a {describe_type(value)} is its own code")


_ARRAY_METHODS: dict[str, Callable[..., Any]] = {
    "reshape": _reshape, "transpose": _ndarray.transpose, "swapaxes": _ndarray.swapaxes,
    "squeeze": _ndarray.squeeze, "view": _view,
}
_FUNCTIONS: dict[int, tuple[Any, Callable[..., Any]]] = {
    id(function): (function, method) for function, method in (
        (np.expand_dims, np.expand_dims), (np.transpose, _ndarray.transpose),
        (np.asarray, _same), (np.asanyarray, _same), (len, _length),
    )
}
