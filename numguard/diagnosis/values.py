"""The values of an expression's operands, read from a frame without running user code.

What is evaluated, and nothing else:

- literals, and names (the frame's locals, then its globals and builtins; no copy of
  any namespace is made);
- attributes read statically (`inspect.getattr_static`: instance and class
  dictionaries, slots; never a property, `__getattr__` or a metaclass), module
  attributes from the module's dictionary;
- on NumPy arrays, the operations that are always views or plain facts: basic
  subscripts (ints, slices, None, Ellipsis), `.T`, `.mT`, `.real` of a complex array,
  `.shape`/`.ndim`/`.size`/`.dtype`, and the calls `.reshape(...)` (with copy=False: a
  reshape that would copy is not evaluated), `.transpose(...)`, `.swapaxes(...)`,
  `.squeeze(...)`, `.view()`, `np.expand_dims`, `np.asarray(x)`, `len(...)`;
- arithmetic on Python ints and floats, bounded (no `2 ** 10 ** 10`).

"Arrays" are plain arrays (see `plain`). Any other ndarray subclass (its properties
and methods are its own code) or foreign object is not evaluated: `NotEvaluated`
says which operand and why. Evaluation allocates no array data: views and shape
arithmetic only.
"""

from __future__ import annotations

import ast
import inspect
import operator
import sys
from types import FrameType, MemberDescriptorType, ModuleType
from typing import Any

import numpy as np

from .plain import MAX_ITEMS, MISSING, NotEvaluated, describe_type, plain_array, static
from .standins import stand_in
from .views import view_call

_ndarray = np.ndarray
_CO_OPTIMIZED = inspect.CO_OPTIMIZED
_SCALARS = (int, float, complex, bool)
#: Depth at most of the expressions evaluated (a deeper one is not evaluated).
MAX_DEPTH = 24
#: Bits at most of an int that arithmetic here may produce.
MAX_BITS = 128
_ARRAY_FACTS = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"})
_NUMPY_INTEGERS = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.integer))
_INDEX_ITEMS = frozenset({int, type(None), type(Ellipsis), slice}) | _NUMPY_INTEGERS
#: What `frame.f_locals` is for a function's frame: a dict before Python 3.13 (a
#: snapshot), a write-through FrameLocalsProxy from 3.13 on.
_FRAME_LOCALS = type((lambda: sys._getframe().f_locals)())


class Evaluator:
    """Evaluates nodes of one snippet against one frame (see the module docstring).

    Holds the frame only while it lives: make one per diagnosis and drop it.
    """

    __slots__ = ("_frame", "_locals", "_local_names", "_project", "_text")

    def __init__(self, frame: FrameType, text: Any, project: Any = None) -> None:
        self._frame = frame
        self._project = project  # (node, evaluator, depth) -> Analysis, for stand-ins
        self._locals: Any = None
        code = frame.f_code
        self._local_names = (frozenset(code.co_varnames + code.co_cellvars + code.co_freevars)
                             if code.co_flags & _CO_OPTIMIZED else None)
        self._text = text  # node -> its source text

    def text(self, node: ast.AST) -> str:
        return self._text(node)

    def value(self, node: ast.AST, depth: int = 0) -> Any:
        """The value of `node`, or NotEvaluated."""
        if depth > MAX_DEPTH:
            raise NotEvaluated(f"`{self.text(node)}` is nested too deeply to evaluate")
        handler = _HANDLERS.get(type(node))
        try:
            if handler is None:
                raise NotEvaluated(f"`{self.text(node)}` is not evaluated "
                                   f"(a {type(node).__name__})")
            return handler(self, node, depth + 1)
        except NotEvaluated as error:
            if self._project is None or type(node) not in _OPERATIONS:
                raise
            return self._stand_in(node, depth, error)

    def _stand_in(self, node: ast.AST, depth: int, error: NotEvaluated) -> Any:
        """A stand-in for an operation the line has already run (see `standins`)."""
        found = self._project(node, self, depth + 1)
        projected = found.estimate
        if projected is not None and projected.exact and len(projected.shapes) == 1:
            value = stand_in(projected.shapes[0], projected.dtypes[0])
            if value is not None:
                return value
        if isinstance(node, ast.Call):
            detail = f" ({found.reason})" if found.reason else ""
            raise NotEvaluated(f"`{self.text(node)}` is a call: not evaluated{detail}") from None
        raise NotEvaluated(found.reason or str(error)) from None

    # -- names ------------------------------------------------------------------------

    def name(self, name: str) -> Any:
        """A name as the frame's code would read it, or NotEvaluated."""
        frame = self._frame
        local_names = self._local_names
        if local_names is None or name in local_names:
            found = self._frame_locals_get(name)
            if found is not MISSING:
                return found
            if local_names is not None:
                raise NotEvaluated(f"`{name}` has no value in this frame")
            if name in frame.f_code.co_varnames:  # a hidden local (an inlined comprehension)
                raise NotEvaluated(f"`{name}` is a comprehension variable: not readable here")
        for namespace in (frame.f_globals, frame.f_builtins):
            if issubclass(type(namespace), dict):
                found = dict.get(namespace, name, MISSING)
                if found is not MISSING:
                    return found
        raise NotEvaluated(f"`{name}` is not defined in this frame")

    def _frame_locals_get(self, name: str) -> Any:
        f_locals = self._locals
        if f_locals is None:
            f_locals = self._locals = self._frame.f_locals
        kind = type(f_locals)
        if kind is dict:
            return dict.get(f_locals, name, MISSING)
        if kind is _FRAME_LOCALS:
            try:
                return f_locals[name]
            except KeyError:
                return MISSING
        raise NotEvaluated(f"`{name}`: the frame's namespace is a {describe_type(f_locals)}")

    # -- node handlers ----------------------------------------------------------------

    def _constant(self, node: ast.Constant, depth: int) -> Any:
        return node.value

    def _name(self, node: ast.Name, depth: int) -> Any:
        return self.name(node.id)

    def _sequence(self, node: ast.Tuple | ast.List, depth: int) -> Any:
        if len(node.elts) > MAX_ITEMS:
            raise NotEvaluated(f"`{self.text(node)}` has too many items to evaluate")
        if any(isinstance(item, ast.Starred) for item in node.elts):
            raise NotEvaluated(f"`{self.text(node)}` unpacks: not evaluated")
        items = [self.value(item, depth) for item in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items

    def _attribute(self, node: ast.Attribute, depth: int) -> Any:
        return self.attribute(self.value(node.value, depth), node.attr, node)

    def attribute(self, owner: Any, attr: str, node: ast.AST) -> Any:
        array = plain_array(owner)
        if array is not None:
            return _array_attribute(array, attr, self.text(node))
        if type(owner) is ModuleType:
            found = owner.__dict__.get(attr, MISSING)
            if found is MISSING:
                raise NotEvaluated(f"`{self.text(node)}` is not in its module's namespace")
            return found
        found = static(owner, attr)
        if found is MISSING:
            raise NotEvaluated(f"`{self.text(node)}` is not a plain attribute of a "
                               f"{describe_type(owner)}: not evaluated")
        if type(found) is MemberDescriptorType and not issubclass(type(owner), type):
            try:
                return found.__get__(owner, type(owner))  # a slot: C reads it
            except AttributeError as error:
                raise NotEvaluated(f"`{self.text(node)}` is not set") from error
        if static(type(found), "__get__") is not MISSING:
            raise NotEvaluated(f"`{self.text(node)}` is a {describe_type(found)} of a "
                               f"{describe_type(owner)}: its code is not run")
        return found

    def _subscript(self, node: ast.Subscript, depth: int) -> Any:
        owner = self.value(node.value, depth)
        key = self.index(node.slice, depth)
        array = plain_array(owner)
        if array is not None:
            if not is_basic_index(key):
                raise NotEvaluated(f"`{self.text(node)}` is an advanced index: evaluating it "
                                   "would copy")
            return _ndarray.__getitem__(array, key)
        kind = type(owner)
        if kind is tuple or kind is list or kind is str:
            if type(key) is int or (type(key) is slice and len(owner) <= MAX_ITEMS):
                return _safely(operator.getitem, owner, key, node, self)
        elif kind is dict and type(key) in (str, int):
            return _safely(operator.getitem, owner, key, node, self)
        raise NotEvaluated(f"`{self.text(node)}` indexes a {describe_type(owner)}: not evaluated")

    def index(self, node: ast.AST, depth: int) -> Any:
        """A subscript's key: slices built from their parts."""
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self.value(p, depth)
                     for p in (node.lower, node.upper, node.step)]
            return slice(*parts)
        if isinstance(node, ast.Tuple):
            return tuple(self.index(item, depth) for item in node.elts)
        return self.value(node, depth)

    def _unary(self, node: ast.UnaryOp, depth: int) -> Any:
        value = self.value(node.operand, depth)
        if type(value) in _SCALARS and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            return _safely(_UNARY[type(node.op)], value, None, node, self)
        raise NotEvaluated(f"`{self.text(node)}` is an operation on arrays: not evaluated")

    def _binary(self, node: ast.BinOp, depth: int) -> Any:
        left, right = self.value(node.left, depth), self.value(node.right, depth)
        op = _ARITHMETIC.get(type(node.op))
        if op is None or type(left) not in _SCALARS or type(right) not in _SCALARS:
            raise NotEvaluated(f"`{self.text(node)}` is an operation on arrays: not evaluated")
        if not _bounded(op, left, right):
            raise NotEvaluated(f"`{self.text(node)}` is too large a number to evaluate")
        return _safely(op, left, right, node, self)

    def _call(self, node: ast.Call, depth: int) -> Any:
        return view_call(self, node, depth)


def _array_attribute(array: np.ndarray, attr: str, text: str) -> Any:
    if attr in _ARRAY_FACTS:
        return getattr(array, attr)
    if attr == "T" or (attr == "mT" and array.ndim >= 2):
        return getattr(array, attr)
    if attr == "real" and array.dtype.kind == "c":
        return array.real
    raise NotEvaluated(f"`{text}` is not one of the array attributes numguard reads "
                       "(it may compute or copy)")


def is_basic_index(key: Any) -> bool:
    """Ints, slices (of ints and None), None and Ellipsis: NumPy returns a view."""
    items = key if type(key) is tuple else (key,)
    for item in items:
        kind = type(item)
        if kind not in _INDEX_ITEMS:
            return False
        if kind is slice and not all(type(p) in _INDEX_ITEMS and type(p) is not slice
                                     and p is not Ellipsis
                                     for p in (item.start, item.stop, item.step)):
            return False
    return True


def _safely(op: Any, first: Any, second: Any, node: ast.AST, evaluator: Evaluator) -> Any:
    try:
        return op(first) if second is None else op(first, second)
    except Exception as error:  # noqa: BLE001 - Python's own error on plain values
        raise NotEvaluated(f"`{evaluator.text(node)}` raises {type(error).__name__}") from error


def _bounded(op: Any, left: Any, right: Any) -> bool:
    """Whether an int result stays within MAX_BITS (floats and complexes are bounded)."""
    if type(left) is not int and type(left) is not bool:
        return True
    if type(right) is not int and type(right) is not bool:
        return True
    if op is operator.pow:
        return right <= MAX_BITS and abs(left).bit_length() * max(right, 0) <= MAX_BITS
    if op is operator.mul:
        return abs(left).bit_length() + abs(right).bit_length() <= MAX_BITS
    if op is operator.lshift:
        return right <= MAX_BITS
    return True


_ARITHMETIC = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.Div: operator.truediv, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
#: Operations the line has already run: a projection stands in for them.
_OPERATIONS = frozenset({ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare})
_HANDLERS: dict[type, Any] = {
    ast.Constant: Evaluator._constant, ast.Name: Evaluator._name,
    ast.Tuple: Evaluator._sequence, ast.List: Evaluator._sequence,
    ast.Attribute: Evaluator._attribute, ast.Subscript: Evaluator._subscript,
    ast.UnaryOp: Evaluator._unary, ast.BinOp: Evaluator._binary, ast.Call: Evaluator._call,
}
