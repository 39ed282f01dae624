"""NumPy's default memory-handler capsule, found without compiling against NumPy.

NumPy publishes its C API as a table of pointers in the capsule
``numpy._core._multiarray_umath._ARRAY_API`` (``numpy.core`` before 2.0); slot 306
holds the address of ``PyDataMem_DefaultHandler`` (NEP 49, NumPy >= 1.22). Slot
numbers are NumPy's ABI: every compiled extension depends on them not moving. This is
what ``import_array()`` does in C, done once with ctypes, so the C helper needs
neither NumPy's headers nor NumPy at build time.
"""

from __future__ import annotations

import ctypes
import importlib

CAPSULE_NAME = b"mem_handler"
DEFAULT_HANDLER_SLOT = 306  # PyDataMem_DefaultHandler, numpy/__multiarray_api.h

_api = ctypes.pythonapi
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]


def multiarray_module():
    """NumPy's C core module (``numpy._core._multiarray_umath``, or ``numpy.core``'s)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("numpy's _multiarray_umath module was not found")


def default_handler_capsule() -> object:
    """The capsule every context without a handler of its own allocates through."""
    table = _api.PyCapsule_GetPointer(multiarray_module()._ARRAY_API, None)
    if not table:
        raise RuntimeError("numpy's _ARRAY_API capsule holds no table")
    slots = ctypes.cast(table, ctypes.POINTER(ctypes.c_void_p))
    variable = slots[DEFAULT_HANDLER_SLOT]  # PyObject **
    if not variable:
        raise RuntimeError("numpy's C API has no PyDataMem_DefaultHandler (NumPy < 1.22?)")
    address = ctypes.cast(variable, ctypes.POINTER(ctypes.c_void_p))[0]
    if not address:
        raise RuntimeError("numpy's PyDataMem_DefaultHandler is NULL")
    capsule = ctypes.cast(address, ctypes.py_object).value
    if not _api.PyCapsule_IsValid(capsule, CAPSULE_NAME):
        raise RuntimeError(f"numpy's default handler is not a 'mem_handler' capsule: {capsule!r}")
    return capsule


def handler_name(array=None) -> str | None:
    """The handler's name NumPy reports for `array`, or for the next allocation here."""
    core = multiarray_module()
    return core.get_handler_name() if array is None else core.get_handler_name(array)
