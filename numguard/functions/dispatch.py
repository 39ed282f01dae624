"""`__array_function__` for GuardedArray: project, enforce, then run NumPy's function."""

from __future__ import annotations

from typing import Any


class ArrayFunctionDispatch:
    """Mixin for GuardedArray; for now NumPy's own dispatch (ndarray.__array_function__)."""

    __slots__ = ()

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return super().__array_function__(func, types, args, kwargs)  # type: ignore[misc]
