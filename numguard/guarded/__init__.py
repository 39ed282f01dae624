"""GuardedArray and numguard's three override protocols, together.

- `array`: GuardedArray, guarded twins of other ndarray classes, wrap() and unwrap();
- `deferral`: who goes first (NEP 13/18), plain views in, guarded results out;
- `ufuncs`: `__array_ufunc__` and its hot path;
- `functions`: `__array_function__`;
- `methods`: the ndarray methods that allocate outside `__array_ufunc__`;
- `operators`: binary operators that keep Python's operand order for subclasses.
"""

from .array import GuardedArray, guarded_class, unwrap, wrap

__all__ = ["GuardedArray", "guarded_class", "unwrap", "wrap"]
