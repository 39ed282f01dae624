"""The cheap question, asked at every allocation of a block that sets the inflation or
rank-promotion rules: does the operation at this site broadcast its operands?

Each site (code object, instruction offset) gets a plan once:

- NEVER, for nodes that cannot broadcast operands against each other: subscripts,
  unary operators, in-place operators (their result exists), `@`, attributes, method
  calls named like an ndarray method (`x.astype(...)`, `np.sum(...)`; `choose`
  aside), lines that run no operation numguard projects. Later allocations there
  cost one dict lookup.
- a binary operator or a single comparison: operands evaluated and projected each
  time (the operands can change between calls).
- any other call: the function called is evaluated each time (a name or module
  attribute: a few dict lookups), and the call projected only if it is a ufunc with
  two or more inputs, an array function that broadcasts (the registry's
  `functions.broadcasting` family) or `x.choose(...)`.
"""

from __future__ import annotations

import ast
from types import CodeType, FrameType
from typing import Any

import numpy as np

from ..projection.record import Estimate
from .operations import analyse
from .plain import NotEvaluated
from .source import locate
from .values import Evaluator

_NEVER = None
_plans: dict[tuple[CodeType, int], Any] = {}
_PLANS_MAX = 4096
_ARRAY_METHODS = frozenset(name for name in dir(np.ndarray) if not name.startswith("_"))
_BROADCASTING_FAMILY = "numguard.projection.functions.broadcasting"
_broadcasting: set[int] = set()
_NOT_PLANNED = object()
_ndarray = np.ndarray
#: Python and NumPy scalars: an operation of one array and a scalar stretches nothing.
_SCALARS = frozenset({int, float, complex, bool}) | frozenset(
    t for t in np.sctypeDict.values() if t.__module__ == "numpy")


def broadcast_estimate(frame: FrameType) -> Estimate | None:
    """See numguard.diagnosis.broadcast_estimate."""
    key = (frame.f_code, frame.f_lasti)
    plan = _plans.get(key, _NOT_PLANNED)
    if plan is _NOT_PLANNED:
        plan = _plan(frame)
        if len(_plans) >= _PLANS_MAX:
            _plans.clear()
        _plans[key] = plan
    if plan is _NEVER:
        return None
    return plan[0](frame, plan[1])


def _plan(frame: FrameType) -> Any:
    located = locate(frame)
    node = located.node
    if node is None or located.reason:
        return _NEVER
    if isinstance(node, ast.BinOp):
        return _NEVER if isinstance(node.op, ast.MatMult) else (_project, located)
    if isinstance(node, ast.Compare):
        return (_project, located) if len(node.ops) == 1 else _NEVER
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _ARRAY_METHODS:
            return (_project, located) if func.attr == "choose" else _NEVER
        if isinstance(func, (ast.Name, ast.Attribute)):
            return (_call, located)
    return _NEVER


def _project(frame: FrameType, located: Any) -> Estimate | None:
    evaluator = Evaluator(frame, located.segment, analyse)
    node = located.node
    if isinstance(node, (ast.BinOp, ast.Compare)):
        right = node.right if isinstance(node, ast.BinOp) else node.comparators[0]
        try:
            left, right = evaluator.value(node.left), evaluator.value(right)
        except NotEvaluated:
            return None
        if not _may_broadcast(left, right):
            return None
    found = analyse(node, evaluator).estimate
    return found if found is not None and found.broadcast else None


def _may_broadcast(left: Any, right: Any) -> bool:
    """False when the rules cannot trip: an array and a scalar (the result is the
    array's shape), or two arrays of one shape (nothing is stretched)."""
    left_kind, right_kind = type(left), type(right)
    if left_kind in _SCALARS or right_kind in _SCALARS:
        return False
    if left_kind is _ndarray and right_kind is _ndarray:
        return left.shape != right.shape
    return True


def _call(frame: FrameType, located: Any) -> Estimate | None:
    evaluator = Evaluator(frame, located.segment, analyse)
    try:
        callee = evaluator.value(located.node.func)
    except NotEvaluated:
        return None
    if type(callee) is np.ufunc:
        if callee.nin < 2 or callee.signature is not None:
            return None
    elif id(callee) not in _broadcasting_ids():
        return None
    found = analyse(located.node, evaluator).estimate
    return found if found is not None and found.broadcast else None


def _broadcasting_ids() -> set[int]:
    """ids of the array functions whose projections broadcast (a registry family)."""
    if not _broadcasting:
        from ..projection import registered_functions

        _broadcasting.update(id(f) for f, projection in registered_functions().items()
                             if projection.function.__module__ == _BROADCASTING_FAMILY)
    return _broadcasting


__all__ = ["broadcast_estimate"]
