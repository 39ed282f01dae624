"""The variants every benchmark compares, built once: plain, pass-through, numguard."""

from __future__ import annotations

import numpy as np

import numguard


class PassThrough(np.ndarray):
    """The floor for any ndarray-subclass design: unwrap, call NumPy, re-wrap."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.view(np.ndarray) if isinstance(x, PassThrough) else x for x in inputs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(
                o.view(np.ndarray) if isinstance(o, PassThrough) else o for o in out
            )
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(PassThrough) if type(result) is np.ndarray else result


def variants(array: np.ndarray) -> dict[str, np.ndarray]:
    """The same data as plain ndarray, pass-through subclass and GuardedArray."""
    return {
        "plain": array,
        "passthrough": array.view(PassThrough),
        "numguard": numguard.wrap(array),
    }
