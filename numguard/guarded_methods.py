"""ndarray methods that allocate without passing through `__array_ufunc__`.

GuardedArray inherits these overrides: each projects its result, calls
`numguard.policy.enforce`, then runs ndarray's own method.
"""

from __future__ import annotations


class AllocatingMethods:
    """Mixin for GuardedArray; see the module docstring."""

    __slots__ = ()
