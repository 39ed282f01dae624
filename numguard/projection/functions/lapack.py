"""What np.linalg's LAPACK calls hold: NumPy's type rule, and the shared memory model.

np.linalg converts its input to the LAPACK type `t` (float64 or complex128, NumPy's
`_commonType`), runs a gufunc of numpy.linalg._umath_linalg, then casts the outputs to
the result type `r` (float32 stays float32, complex64 stays complex64). Memory, as
modelled (the `temporaries` of the Estimate):

- the gufunc's cast copy of each input whose dtype is not `t` (a whole-array copy);
- the gufunc's per-matrix buffers and LAPACK's work arrays (`workspace`), taken with
  plain malloc: counted in the peak, and as `outside` (NumPy's allocator and
  tracemalloc never see them);
- the outputs in `t`, alive beside their casts to `r` when `r` differs.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
from numpy.linalg import LinAlgError
from numpy.linalg._linalg import _commonType

from ..record import Estimate, build

Shape = tuple[int, ...]


def lapack_types(*arrays: Any) -> tuple[np.dtype, np.dtype]:
    """(t, r): the LAPACK computation type and the result type, by NumPy's own rule
    (run on zero-size stand-ins; it raises NumPy's TypeError for float16 and the like)."""
    t, r = _commonType(*[np.empty(0, a.dtype) for a in arrays])
    return np.dtype(t), np.dtype(r)


def real_of(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


def complex_of(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def stacked_2d(a: Any) -> None:
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least "
                          "two-dimensional")


def stacked_square(a: Any) -> None:
    stacked_2d(a)
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def nbytes(shape: Shape, dtype: np.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


def cast_copies(t: np.dtype, *arrays: Any) -> int:
    """The gufunc's whole-array copy of each input that is not already `t`, native."""
    return sum(nbytes(a.shape, t) for a in arrays
               if a.dtype != t or a.dtype.byteorder not in "=|")


def gufunc_estimate(func: Any, operands: tuple, outputs: Iterable[tuple[Shape, np.dtype,
                    np.dtype]], *, copies: int = 0, outside: int = 0, held: int = 0,
                    exact: bool = True, hint: str = "") -> Estimate:
    """The estimate of a linalg call that runs one gufunc.

    `outputs`: (shape, dtype computed by the gufunc, result dtype) per result;
    `copies`: the cast copies of the inputs (alive during the gufunc); `outside`: what
    the gufunc mallocs (`workspace`); `held`: allocator bytes the Python wrapper holds
    throughout. Two phases: the gufunc (copies, its outputs, its malloc'd buffers),
    then the casts to the result types (the outputs and the results that differ).
    """
    outputs = list(outputs)
    computed = sum(nbytes(s, c) for s, c, _ in outputs)
    recast = sum(nbytes(s, r) for s, c, r in outputs if r != c)
    during = held + copies + computed
    after = held + computed + recast
    total = max(during + outside, after)
    return build(func, tuple(s for s, _, _ in outputs), tuple(r for _, _, r in outputs),
                 operands, peak=total, outside=total - max(during, after), exact=exact,
                 hint=hint)
