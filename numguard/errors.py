"""numguard's exceptions and warnings, and nothing else.

Refusals are MemoryErrors, so code that already handles running out of memory handles
numguard's refusals too; the inflation and rank-promotion rules are ValueErrors (the
shapes are wrong, not the machine too small). Warnings derive from `Warning`, so
Python shows them by default: numguard never touches `warnings.filters`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class NumguardError(Exception):
    """Base class of numguard's refusals.

    `.estimate` is the projection that tripped (numguard.projection.Estimate) and
    `.trip` the rule and figures it was judged by.
    """

    def __init__(self, message: str | Callable[[], str], estimate: Any = None,
                 trip: Any = None) -> None:
        # A callable message is rendered on first use (str(), args, pickling): a refusal
        # a program catches and handles never pays for its text.
        if callable(message):
            super().__init__()
            self._render: Callable[[], str] | None = message
        else:
            super().__init__(message)
            self._render = None
        self.estimate = estimate
        self.trip = trip

    def _rendered(self) -> None:
        render, self._render = self._render, None
        if render is not None:
            BaseException.args.__set__(self, (render(),))  # type: ignore[attr-defined]

    def __str__(self) -> str:
        self._rendered()
        return super().__str__()

    @property
    def args(self) -> tuple:
        self._rendered()
        return BaseException.args.__get__(self)  # type: ignore[attr-defined]

    @args.setter
    def args(self, value: tuple) -> None:
        self._render = None
        BaseException.args.__set__(self, value)  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple:
        # Crosses process boundaries (process pools, dask workers) and copies intact.
        return (type(self), (str(self), self.estimate, self.trip))

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for a refused cell: numguard's message, no pages of frames."""
        return [f"{type(self).__name__}: {self}"]


class MemoryLimitError(NumguardError, MemoryError):
    """The operation would allocate more than the memory limit allows; nothing was allocated.

    `.budget` is the memory figure it was judged against (None when a fixed limit
    decided without reading one).
    """

    def __init__(self, message: str | Callable[[], str], estimate: Any = None,
                 trip: Any = None, budget: Any = None) -> None:
        super().__init__(message, estimate, trip)
        self.budget = budget

    def __reduce__(self) -> tuple:
        return (type(self), (str(self), self.estimate, self.trip, self.budget))


class BroadcastMemoryError(MemoryLimitError):
    """A MemoryLimitError where broadcasting stretched operands into the oversized result."""


class InflationError(NumguardError, ValueError):
    """The result is larger than its largest operand by more than the inflation factor."""


class RankPromotionError(NumguardError, ValueError):
    """Operands of different ranks were broadcast together (JAX's rank promotion)."""


class NumguardWarning(Warning):
    """Base class of numguard's warnings (mode="warn")."""


class MemoryLimitWarning(NumguardWarning):
    """An operation over the memory limit ran because mode="warn"."""


class InflationWarning(NumguardWarning):
    """An inflation trip in mode="warn"."""


class RankPromotionWarning(NumguardWarning):
    """A rank-promotion trip in mode="warn"."""
