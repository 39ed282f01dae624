"""The fallback when the C helper was not built: the same handler, written with ctypes.

It has the C module's interface (install, uninstall, configure, state) and the same
design (see _handler.c): the default capsule is re-pointed at a handler whose free is
the wrapped handler's own C function, so releasing memory never enters Python. But
malloc, calloc and realloc are ctypes callbacks: every allocation, small ones included,
runs Python code (the size compare here, then the wrapped C function). That costs
microseconds per allocation instead of nanoseconds: see benchmarks/bench_backstop.py.

The wrapped functions are called through PYFUNCTYPE prototypes, which keep the GIL:
NumPy's default allocator keeps its small-block cache in globals guarded by the GIL.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable

KIND_MALLOC, KIND_CALLOC, KIND_REALLOC = 0, 1, 2
NAME = "numguard_backstop_ctypes"
SIZE_MAX = 2**64 - 1 if ctypes.sizeof(ctypes.c_size_t) == 8 else 2**32 - 1

_void_p, _size_t = ctypes.c_void_p, ctypes.c_size_t
_MALLOC = ctypes.CFUNCTYPE(_void_p, _void_p, _size_t)
_CALLOC = ctypes.CFUNCTYPE(_void_p, _void_p, _size_t, _size_t)
_REALLOC = ctypes.CFUNCTYPE(_void_p, _void_p, _void_p, _size_t)
_CALL_MALLOC = ctypes.PYFUNCTYPE(_void_p, _void_p, _size_t)
_CALL_CALLOC = ctypes.PYFUNCTYPE(_void_p, _void_p, _size_t, _size_t)
_CALL_REALLOC = ctypes.PYFUNCTYPE(_void_p, _void_p, _void_p, _size_t)


class _Allocator(ctypes.Structure):
    _fields_ = [("ctx", _void_p), ("malloc", _void_p), ("calloc", _void_p),
                ("realloc", _void_p), ("free", _void_p)]


class _Handler(ctypes.Structure):
    """NEP 49's version-1 PyDataMem_Handler."""

    _fields_ = [("name", ctypes.c_char * 127), ("version", ctypes.c_uint8),
                ("allocator", _Allocator)]


_api = ctypes.pythonapi
_api.PyCapsule_GetPointer.restype = _void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetPointer.restype = ctypes.c_int
_api.PyCapsule_SetPointer.argtypes = [ctypes.py_object, _void_p]

_capsule: object | None = None
_wrapped: int | None = None  # address of the handler the capsule pointed to
_fast_max = SIZE_MAX
_hard_max = SIZE_MAX
_decide: Callable[[int, int], object] | None = None
_counts = {"slow_calls": 0, "refusals": 0}
_local = threading.local()


def _allowed(nbytes: int, kind: int) -> bool:
    decide = _decide
    if decide is None or getattr(_local, "deciding", False):
        return nbytes <= _hard_max
    _local.deciding = True
    _counts["slow_calls"] += 1
    try:
        verdict = bool(decide(nbytes, kind))
    except BaseException:  # noqa: BLE001 - nothing may escape into NumPy's C code
        import sys

        sys.unraisablehook(_unraisable(decide))
        verdict = nbytes <= _hard_max
    finally:
        _local.deciding = False
    if not verdict:
        _counts["refusals"] += 1
    return verdict


def _unraisable(decide: object) -> object:
    import sys

    info = sys.exc_info()
    return type("UnraisableHookArgs", (), {
        "exc_type": info[0], "exc_value": info[1], "exc_traceback": info[2],
        "err_msg": "Exception ignored in numguard's backstop", "object": decide,
    })()


def _build(original: _Handler) -> tuple[_Handler, tuple[object, ...]]:
    inner = original.allocator
    call_malloc = _CALL_MALLOC(inner.malloc)
    call_calloc = _CALL_CALLOC(inner.calloc)
    call_realloc = _CALL_REALLOC(inner.realloc)

    def malloc(ctx, size):
        try:
            if size <= _fast_max or _allowed(size, KIND_MALLOC):
                return call_malloc(ctx, size)
        except BaseException:  # noqa: BLE001, S110 - nothing may escape into C
            pass
        return None

    def calloc(ctx, nelem, elsize):
        try:
            size = nelem * elsize
            if size <= _fast_max or _allowed(size, KIND_CALLOC):
                return call_calloc(ctx, nelem, elsize)
        except BaseException:  # noqa: BLE001, S110 - nothing may escape into C
            pass
        return None

    def realloc(ctx, ptr, new_size):
        try:
            if new_size <= _fast_max or _allowed(new_size, KIND_REALLOC):
                return call_realloc(ctx, ptr, new_size)
        except BaseException:  # noqa: BLE001, S110 - nothing may escape into C
            pass
        return None

    callbacks = (_MALLOC(malloc), _CALLOC(calloc), _REALLOC(realloc))
    handler = _Handler()
    handler.name = NAME.encode()
    handler.version = 1
    handler.allocator.ctx = inner.ctx
    handler.allocator.malloc = ctypes.cast(callbacks[0], _void_p)
    handler.allocator.calloc = ctypes.cast(callbacks[1], _void_p)
    handler.allocator.realloc = ctypes.cast(callbacks[2], _void_p)
    handler.allocator.free = inner.free  # no Python on the free path
    return handler, callbacks


# The handler built for each wrapped handler's address, and its callbacks: kept for the
# life of the process (a thread may be inside a callback while another uninstalls), and
# reused when guard blocks install and remove the backstop again and again.
_built: dict[int, tuple[_Handler, tuple[object, ...]]] = {}


def install(capsule: object) -> bool:
    global _capsule, _wrapped
    if _capsule is not None and not _points_at_ours():  # a fork interrupted uninstall()
        _capsule = _wrapped = None
    if _capsule is not None:
        if _capsule is capsule:
            return False
        raise RuntimeError("the backstop is installed on another capsule")
    address = _api.PyCapsule_GetPointer(capsule, b"mem_handler")
    for wrapped, (built, _) in _built.items():
        if ctypes.addressof(built) == address:  # ours: a fork interrupted install()
            _capsule, _wrapped = capsule, wrapped
            return False
    original = _Handler.from_address(address)
    if original.name.decode(errors="replace").startswith("numguard_backstop"):
        raise RuntimeError("the capsule already points at a numguard backstop")
    if original.version < 1 or not all(
        getattr(original.allocator, name) for name in ("malloc", "calloc", "realloc", "free")
    ):
        raise RuntimeError(f"unsupported memory handler {original.name!r}")
    if address not in _built:
        _built[address] = _build(original)
    handler = _built[address][0]
    if _api.PyCapsule_SetPointer(capsule, ctypes.addressof(handler)) != 0:
        raise RuntimeError("PyCapsule_SetPointer failed")
    _capsule, _wrapped = capsule, address
    return True


def _points_at_ours() -> bool:
    built = _built.get(_wrapped) if _wrapped is not None else None
    return built is not None and _api.PyCapsule_GetPointer(
        _capsule, b"mem_handler") == ctypes.addressof(built[0])


def uninstall() -> bool:
    global _capsule, _wrapped
    if _capsule is None:
        return False
    if _api.PyCapsule_SetPointer(_capsule, _wrapped) != 0:
        raise RuntimeError("PyCapsule_SetPointer failed")
    _capsule = _wrapped = None
    return True


def configure(fast_max: int, hard_max: int, decide: Callable[[int, int], object] | None) -> None:
    global _fast_max, _hard_max, _decide
    if decide is not None and not callable(decide):
        raise TypeError("decide must be callable or None")
    _fast_max, _hard_max, _decide = min(fast_max, SIZE_MAX), min(hard_max, SIZE_MAX), decide


def state() -> dict[str, object]:
    wraps = ""
    if _wrapped is not None:
        wraps = _Handler.from_address(_wrapped).name.decode(errors="replace")
    return {"installed": _capsule is not None and _points_at_ours(), "wraps": wraps, "fast_max": _fast_max,
            "hard_max": _hard_max, "decide": _decide, **_counts}
