"""The estimate record: what a call will produce, before anything is produced.

`Estimate` is a NamedTuple, like NumPy's own linalg results: immutable, typed, and
cheap to build on the hot path (building a frozen dataclass costs several times more).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

#: The dtype of an operand: a NumPy dtype, or the Python type of a weak scalar (NEP 50).
OperandDType = np.dtype | type


class Stretch(NamedTuple):
    """One broadcast stretch: operand `operand` was repeated along result axis `axis`."""

    axis: int
    """Axis of the (first) result, counted from the left."""
    size: int
    """The result's length along that axis."""
    operand: int
    """Index of the stretched operand among the call's array operands."""
    operand_size: int | None
    """The operand's own length there: 1, or None when it lacked the axis (rank promotion)."""


class Estimate(NamedTuple):
    """What a NumPy call will allocate, projected without running it."""

    func: Any
    """The ufunc (or array function) that will run."""
    method: str
    """The ufunc method: "__call__", "reduce", "accumulate", "reduceat", "outer", "at"."""
    shapes: tuple[tuple[int, ...], ...]
    """One shape per output (empty for `at`)."""
    dtypes: tuple[np.dtype, ...]
    """One dtype per output (empty for `at`)."""
    nbytes: int
    """Bytes of the results NumPy newly allocates and returns (outputs given with out=
    count 0; a view counts 0). Temporaries are not in it: see `temporaries` and `peak`."""
    exact: bool
    """Whether `nbytes` is exactly the results' bytes. False: an upper bound where the
    size depends on the data (np.unique, np.nonzero, boolean masks, np.linalg.eig's
    real-or-complex result), a lower bound where data lives outside the array (object,
    StringDType) or comes from user code (np.fromfunction). It speaks of `nbytes` only:
    `temporaries` are always a model."""
    operand_shapes: tuple[tuple[int, ...], ...]
    """Shapes of the array operands, in call order (for reduce-like methods: the array)."""
    operand_dtypes: tuple[OperandDType, ...]
    """Their dtypes; a Python int/float/complex scalar shows as its type (weak, NEP 50)."""
    stretched: tuple[Stretch, ...]
    """Which result axes were stretched by broadcasting, and from which operand."""
    broadcast: bool = False
    """True when the call broadcasts its operands element-wise against each other (a
    plain ufunc call, np.where, np.choose, np.select, np.cross, np.broadcast_to/arrays):
    the calls where inflation and rank promotion mean something. False where growth or
    a rank difference is by design (gufunc cores, reductions, outer, products, joins,
    copies, indexing)."""
    temporaries: int = 0
    """Bytes NumPy holds beyond the results at the call's worst moment, as modelled:
    copies of the input (casts to the LAPACK type, overlap copies, ravel copies),
    intermediates (np.cov's centred copy, multi_dot's products, einsum's path) and
    LAPACK's per-matrix buffers. LAPACK's scratch `work` arrays are not counted."""
    hint: str = ""
    """How to ask for less, where a default is the trap: "full_matrices=False",
    'mode="reduced"', "rowvar=False", "a smaller n"."""
    outside: int = 0
    """How much of `peak` NumPy's allocator never sees: the buffers and work arrays
    numpy.linalg's gufuncs take with plain malloc (linearized matrices, LAPACK's
    `work`, `iwork`, `rwork`). Real memory, so it is in `peak`, but neither
    tracemalloc nor an allocation backstop (NEP 49 handler) sees it: they see
    `allocator_peak`. Known only as a model: LAPACK's workspace queries depend on the
    LAPACK build (block sizes); the figures are those of NumPy's bundled OpenBLAS."""

    @property
    def peak(self) -> int:
        """`nbytes + temporaries`: the most the call holds at once, which is what an
        out-of-memory kill answers to (the number the guard should judge)."""
        return self.nbytes + self.temporaries

    @property
    def allocator_peak(self) -> int:
        """`peak - outside`: the most NumPy's own allocator holds for the call at once
        (what tracemalloc measures, and what an allocation backstop can debit)."""
        return self.nbytes + self.temporaries - self.outside

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the single output."""
        return self.shapes[_single(self)]

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the single output."""
        return self.dtypes[_single(self)]

    @property
    def operation(self) -> str:
        """The call as a user writes it: "np.add", "np.add.reduce", "np.matmul"."""
        name = _public_name(self.func)
        return name if self.method == "__call__" else f"{name}.{self.method}"

    @property
    def largest_operand_size(self) -> int:
        """Elements in the largest array operand (0 when there is none)."""
        return max((math.prod(s) for s in self.operand_shapes), default=0)

    @property
    def result_size(self) -> int:
        """Elements in the largest output."""
        return max((math.prod(s) for s in self.shapes), default=0)


def build(
    func: Any,
    shapes: tuple,
    dtypes: tuple,
    operands: tuple = (),
    *,
    method: str = "__call__",
    outs: tuple | None = None,
    view: bool = False,
    extra: int = 0,
    nbytes: int | None = None,
    exact: bool | None = None,
    stretched: tuple[Stretch, ...] = (),
    broadcast: bool = False,
    peak: int | None = None,
    hint: str = "",
    outside: int = 0,
) -> Estimate:
    """The one way to make an Estimate.

    `operands` are the arrays (or weak Python scalars) the call reads. The bytes are
    those of the results NumPy allocates: none for a `view`, none for an output given
    in `outs` (one entry per result, None where NumPy allocates); `nbytes` overrides
    that sum where a projection knows better. Temporaries are `extra` bytes alive
    beside all the results, or, where the worst moment is not the end, `peak` (the
    whole peak, results included; never below `nbytes`). `exact=None` derives
    exactness of `nbytes`: object and StringDType results hold data outside the array,
    so their bytes are a lower bound.
    """
    shapes = tuple([s if type(s) is tuple else tuple(s) for s in shapes])
    dtypes = tuple([d if isinstance(d, np.dtype) else np.dtype(d) for d in dtypes])
    derived = True
    total = 0
    for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        if view or (outs is not None and outs[index] is not None):
            check_size(shape, dtype)
            continue
        total += check_size(shape, dtype)
        if dtype.kind in "OT":
            derived = False
    operand_shapes = []
    operand_dtypes = []
    for x in operands:
        if isinstance(x, _ARRAY_TYPES):
            operand_shapes.append(x.shape)
            operand_dtypes.append(x.dtype)
        else:  # a weak Python scalar (NEP 50): its type stands for its dtype
            operand_shapes.append(())
            operand_dtypes.append(type(x))
    results = int(total if nbytes is None else nbytes)
    temporaries = int(extra) if peak is None else max(int(peak) - results, 0)
    return _new(Estimate, (
        func, method, shapes, dtypes, results,
        derived if exact is None else exact, tuple(operand_shapes), tuple(operand_dtypes),
        stretched, broadcast, temporaries, hint, min(int(outside), results + temporaries),
    ))


#: The largest size (and dimension) NumPy can index: npy_intp.
INTP_MAX = int(np.iinfo(np.intp).max)


def check_size(shape: tuple, dtype: np.dtype) -> int:
    """The bytes of an array of `shape` and `dtype`, with the ValueError NumPy raises
    where it cannot make one (PyArray_NewFromDescr): a negative dimension, a dimension
    beyond npy_intp, or bytes beyond npy_intp (zero-length axes are skipped in that
    product, as NumPy skips them, and a zero itemsize never overflows). Views are
    checked too: NumPy checks every array it makes."""
    itemsize = dtype.itemsize
    product = 1
    for n in shape:
        if n < 0:
            raise ValueError("negative dimensions are not allowed")
        if n > INTP_MAX:
            raise ValueError("Maximum allowed dimension exceeded")
        if n:
            product *= n
    if itemsize and product * itemsize > INTP_MAX:
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger "
                         "than the maximum possible size.")
    return 0 if 0 in shape else product * itemsize


def build_elementwise(func: Any, shape: tuple, dtype: np.dtype, a: Any, b: Any,
                      nbytes: int) -> Estimate:
    """`build` for the hot path: one exact result of two operands of that shape (or an
    array and a weak Python scalar), broadcast element-wise with nothing stretched.
    The same record `build` makes, without its general bookkeeping (measured: 0.9 µs
    against 2.7 µs for `numguard.estimate(np.add, a, b)`)."""
    return _new(Estimate, (
        func, "__call__", (shape,), (dtype,), nbytes, True,
        (_shape_of(a), _shape_of(b)), (_dtype_of(a), _dtype_of(b)), (), True, 0, "", 0,
    ))


def _shape_of(x: Any) -> tuple:
    return x.shape if isinstance(x, _ARRAY_TYPES) else ()


def _dtype_of(x: Any) -> Any:
    return x.dtype if isinstance(x, _ARRAY_TYPES) else type(x)


_new = tuple.__new__
_ARRAY_TYPES = (np.ndarray, np.generic)


def _single(est: Estimate) -> int:
    if len(est.shapes) != 1:
        raise AttributeError(
            f"{est.operation} has {len(est.shapes)} outputs; use .shapes and .dtypes"
        )
    return 0


def _public_name(func: Any) -> str:
    """Where a user finds `func`: "np.add", "np.linalg.outer", "np.strings._center"."""
    name = getattr(func, "__name__", repr(func))
    if getattr(func, "__objclass__", None) is np.ndarray:  # an ndarray method
        return "a[...]" if name == "__getitem__" else f"a.{name}()"
    module = getattr(func, "__module__", None) or "numpy"
    if isinstance(func, np.ufunc) or module in ("numpy", "numpy._core.umath"):
        if hasattr(np, name):
            return f"np.{name}"
        return f"np._core.umath.{name}"
    return module.replace("numpy", "np", 1) + "." + name
