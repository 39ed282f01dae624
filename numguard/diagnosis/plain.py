"""What the diagnosis may touch: plain arrays, and the refusal that names the rest.

A plain array is an exact `np.ndarray`, or one of numguard's guarded arrays of plain
ndarrays (recognised by the class attribute `_unguarded`, read statically: this
package stays below numguard.guarded and imports nothing of it). Their attributes and
views are NumPy's own C code. Any other ndarray subclass is not plain: its
properties and methods are its own code.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

_ndarray = np.ndarray
MISSING = object()
#: Items at most in a tuple or list evaluated from source or unpacked into a call.
MAX_ITEMS = 256


class NotEvaluated(Exception):
    """An operand that cannot be evaluated safely; the message says which and why."""


def plain_array(value: Any) -> np.ndarray | None:
    """`value` as a plain ndarray when it is one (a guarded plain array: a view of it as
    ndarray, made by C with no subclass code), else None."""
    kind = type(value)
    if kind is _ndarray:
        return value
    if issubclass(kind, _ndarray) and static(kind, "_unguarded") is _ndarray:
        return _ndarray.view(value, _ndarray)
    return None


def static(obj: Any, name: str) -> Any:
    """`obj.name` read without running any code of obj's (MISSING when not found)."""
    try:
        return inspect.getattr_static(obj, name, MISSING)
    except Exception:  # noqa: BLE001 - an odd class: treat the attribute as absent
        return MISSING


def describe_type(value: Any) -> str:
    """A value's type as a user reads it: "int", "numpy.matrix", "pandas.DataFrame"."""
    kind = type(value)
    try:  # type's own descriptors: a metaclass cannot run code here
        module = _TYPE_MODULE.__get__(kind)
        name = _TYPE_QUALNAME.__get__(kind)
    except Exception:  # noqa: BLE001
        return "object of an unknown type"
    return name if module == "builtins" else f"{module}.{name}"


_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
