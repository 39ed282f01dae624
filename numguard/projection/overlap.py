"""The copy NumPy makes when an output overlaps an input (`g += g[::-1]`).

NumPy's iterator (NPY_ITER_COPY_IF_OVERLAP) gives a writable operand that may share
memory with an operand it reads a temporary of its own shape, in the loop's dtype,
and writes it back afterwards. Its test is `solve_may_share_memory(max_work=1)`: an
overlap too hard to decide counts as one. Two exemptions:

- elementwise loops (plain ufuncs, accumulate) skip an input with the output's exact
  layout (same data pointer, shape, strides and dtype): `a += a` copies nothing;
- plain ufunc calls take NumPy's "trivial" loop, without the iterator, where an
  input of one layout with the output strides ahead of it: `np.add(a[1:], 1,
  out=a[:-1])` copies nothing.

Generalized ufuncs have no elementwise exemption: `np.matmul(m, m, out=m)` copies.
"""

from __future__ import annotations

import numpy as np

_ndarray = np.ndarray
_TooHard = np.exceptions.TooHardError


def overlap_copy_nbytes(
    inputs: tuple, outs: tuple, loop_dtypes: tuple, *, elementwise: bool, trivial: bool
) -> int:
    """Bytes of the temporaries NumPy makes for outputs that overlap an input.

    `loop_dtypes` holds one dtype per output: the dtype the loop writes (the result
    dtype NumPy would choose without `out=`), which is the temporary's dtype.
    """
    total = 0
    for out, dtype in zip(outs, loop_dtypes):
        if out is None:
            continue
        for x in inputs:
            if isinstance(x, _ndarray) and _forces_copy(x, out, elementwise, trivial):
                total += out.size * dtype.itemsize
                break
    return total


def _forces_copy(x: np.ndarray, out: np.ndarray, elementwise: bool, trivial: bool) -> bool:
    same_layout = (
        x.shape == out.shape and x.strides == out.strides and x.dtype == out.dtype
        and _address(x) == _address(out)
    )
    if elementwise and same_layout and not _internal_overlap(out):
        return False
    try:
        shares = np.shares_memory(x, out, max_work=1)  # type: ignore[arg-type]
    except _TooHard:
        shares = True
    if not shares:
        return False
    return not (trivial and _strides_ahead(x, out))


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _internal_overlap(a: np.ndarray) -> bool:
    """A zero stride along an axis longer than one (a broadcast view)."""
    return any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def _strides_ahead(x: np.ndarray, out: np.ndarray) -> bool:
    """NumPy's PyArray_EQUIVALENTLY_ITERABLE_OVERLAP_OK for an input and the output
    iterated as one flat run: safe when the input is read ahead of the writes."""
    if x.shape != out.shape or x.dtype != out.dtype:
        return False
    if x.ndim > 1 and not (x.flags.c_contiguous and out.flags.c_contiguous):
        return False
    read = _flat_stride(x)
    write = _flat_stride(out)
    if read > 0:
        return read >= write and _address(x) >= _address(out)
    if read < 0:
        return read <= write and _address(x) <= _address(out)
    return False


def _flat_stride(a: np.ndarray) -> int:
    if a.size <= 1:
        return 0
    return a.strides[0] if a.ndim == 1 else a.itemsize


def has_outputs(outs: tuple) -> bool:
    """Whether any output is given (only then can an overlap copy happen)."""
    for out in outs:
        if out is not None:
            return True
    return False

