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
import time
from collections.abc import Callable
from contextvars import ContextVar

from . import _ctypes_interrupts as _interrupts

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
_fast_floor = SIZE_MAX
_fast_max = SIZE_MAX
_fresh_until = 0.0
_hard_max = SIZE_MAX
_decide: Callable[[int, int, bool], object] | None = None
_scopes: ContextVar | None = None
_process_refuses = False
_counts = {"slow_calls": 0, "refusals": 0, "failures": 0}
_local = threading.local()
ALLOW, INTERRUPT, REPORTED = 1, 2, 4


def _asks(size: int) -> bool:
    """Whether a request must be judged in Python (see _handler.c: the same bounds)."""
    return size > _fast_floor and (size > _fast_max or time.monotonic() >= _fresh_until)


def _verdict(nbytes: int, kind: int, repeat: bool) -> int:
    decide = _decide
    if decide is None or getattr(_local, "deciding", False):
        return ALLOW if nbytes <= _hard_max else 0
    _local.deciding = True
    _counts["slow_calls"] += 1
    try:
        verdict = int(decide(nbytes, kind, repeat))  # type: ignore[call-overload]
    except BaseException as error:  # noqa: BLE001 - nothing may escape into NumPy's C code
        verdict = _failed(nbytes, error)
    finally:
        _local.deciding = False
    if verdict & INTERRUPT:
        _interrupts.soon()
    if not verdict & ALLOW:
        _counts["refusals"] += 1
    return verdict


def _failed(nbytes: int, error: BaseException) -> int:
    """The verdict of a failed judgement, as _handler.c's failed_verdict gives it."""
    _counts["failures"] += 1
    try:
        scope = _scopes.get() if _scopes is not None else None
        refuse = _process_refuses if scope is None else scope.settings.mode == "raise"
    except BaseException:  # noqa: BLE001
        refuse = True
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPT if refuse else ALLOW | INTERRUPT
    try:
        from ._report import unraisable

        unraisable(error, "Exception ignored in numguard's backstop", _decide)
    except BaseException:  # noqa: BLE001, S110
        pass
    return 0 if refuse else ALLOW


def _follow(result: int | None, ptr: int | None, verdict: int) -> None:
    """Follow the buffer whose growth was reported (np.fromstring reports once)."""
    if result:
        grown = getattr(_local, "grown", None)
        if verdict & REPORTED or (ptr and ptr == grown):
            _local.grown = result
        elif result == grown:
            _local.grown = None


def _interrupted(error: BaseException) -> None:
    """A KeyboardInterrupt caught in a callback is delivered again soon after."""
    if isinstance(error, KeyboardInterrupt):
        _interrupts.soon()


def _build(original: _Handler) -> tuple[_Handler, tuple[object, ...]]:
    inner = original.allocator
    call_malloc = _CALL_MALLOC(inner.malloc)
    call_calloc = _CALL_CALLOC(inner.calloc)
    call_realloc = _CALL_REALLOC(inner.realloc)

    # Each callback returns what the wrapped function returned, or None (NumPy is told
    # the request failed) where that function did not run: `result` is set only once it
    # has, and nothing after it (following the buffer, a RecursionError, a Ctrl-C) can
    # lose it. A realloc that moved the buffer must never be answered with NULL: NumPy
    # would keep, and later free, a buffer already freed. Nothing may escape into C:
    # ctypes leaves the return value of a callback that raises undefined.

    def malloc(ctx, size):
        result = None
        try:
            if _interrupts.pending:
                _interrupts.ensure_deliverer()
            verdict = _verdict(size, KIND_MALLOC, False) if _asks(size) else ALLOW
            if verdict & ALLOW:
                result = call_malloc(ctx, size)
                _follow(result, None, verdict)
        except BaseException as error:  # noqa: BLE001 - nothing may escape into C
            try:
                _interrupted(error)
            except BaseException:  # noqa: BLE001, S110
                pass
        return result

    def calloc(ctx, nelem, elsize):
        result = None
        try:
            size = nelem * elsize
            verdict = _verdict(size, KIND_CALLOC, False) if _asks(size) else ALLOW
            if verdict & ALLOW:
                result = call_calloc(ctx, nelem, elsize)
                _follow(result, None, verdict)
        except BaseException as error:  # noqa: BLE001 - nothing may escape into C
            try:
                _interrupted(error)
            except BaseException:  # noqa: BLE001, S110
                pass
        return result

    def realloc(ctx, ptr, new_size):
        result = None
        try:
            if _asks(new_size):
                repeat = bool(ptr) and ptr == getattr(_local, "grown", None)
                verdict = _verdict(new_size, KIND_REALLOC, repeat)
            else:
                verdict = ALLOW
            if verdict & ALLOW:
                result = call_realloc(ctx, ptr, new_size)
                _follow(result, ptr, verdict)
        except BaseException as error:  # noqa: BLE001 - nothing may escape into C
            try:
                _interrupted(error)
            except BaseException:  # noqa: BLE001, S110
                pass
        return result

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
    _interrupts.hook()
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
    _interrupts.unhook()
    return True


def configure(fast_floor: int, fast_max: int, fresh_until: float, hard_max: int,
              decide: Callable[[int, int, bool], object] | None, scopes: ContextVar | None,
              process_refuses: bool) -> None:
    global _fast_floor, _fast_max, _fresh_until, _hard_max, _decide, _scopes, _process_refuses
    if decide is not None and not callable(decide):
        raise TypeError("decide must be callable or None")
    _fast_floor, _fast_max = min(fast_floor, SIZE_MAX), min(fast_max, SIZE_MAX)
    _fresh_until, _hard_max = float(fresh_until), min(hard_max, SIZE_MAX)
    _decide, _scopes, _process_refuses = decide, scopes, bool(process_refuses)


def state() -> dict[str, object]:
    wraps = ""
    if _wrapped is not None:
        wraps = _Handler.from_address(_wrapped).name.decode(errors="replace")
    return {"installed": _capsule is not None and _points_at_ours(), "wraps": wraps,
            "fast_floor": _fast_floor, "fast_max": _fast_max, "fresh_until": _fresh_until,
            "hard_max": _hard_max, "decide": _decide, **_counts}
