"""Hypothesis strategies for ufunc calls: operands, shapes, dtypes and keywords."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from numpy.testing.overrides import get_overridable_numpy_ufuncs

#: Concrete dtypes for the type characters of legacy ufunc loops.
CHAR_DTYPES = {
    "M": ["M8[s]", "M8[ms]"],
    "m": ["m8[s]", "m8[D]"],
}
#: Extra dtypes mixed in, so calls with no loop (and their errors) are generated too.
EXTRA_DTYPES = ["?", "i1", "u2", "i8", "f2", "f4", "f8", "g", "c8", "c16", ">f8", "U3", "S2", "O", "M8[s]"]

#: Argument kinds of the string ufuncs, which have no legacy loop table.
STRING_RECIPES: dict[str, tuple[str, ...]] = {
    "_center": ("str", "int", "str"),
    "_ljust": ("str", "int", "str"),
    "_rjust": ("str", "int", "str"),
    "_expandtabs": ("str", "int"),
    "_expandtabs_length": ("str", "int"),
    "_zfill": ("str", "int"),
    "_lstrip_chars": ("str", "str"),
    "_rstrip_chars": ("str", "str"),
    "_strip_chars": ("str", "str"),
    "_lstrip_whitespace": ("str",),
    "_rstrip_whitespace": ("str",),
    "_strip_whitespace": ("str",),
    "_partition": ("str", "str"),
    "_rpartition": ("str", "str"),
    "_partition_index": ("str", "str", "int"),
    "_rpartition_index": ("str", "str", "int"),
    "_replace": ("str", "str", "str", "int"),
    "_slice": ("str", "int", "int", "step"),  # step 0 crashes NumPy; np.strings rejects it first
    "count": ("str", "str", "int", "int"),
    "find": ("str", "str", "int", "int"),
    "rfind": ("str", "str", "int", "int"),
    "index": ("str", "str", "int", "int"),
    "rindex": ("str", "str", "int", "int"),
    "startswith": ("str", "str", "int", "int"),
    "endswith": ("str", "str", "int", "int"),
    "str_len": ("str",),
    **{
        name: ("str",)
        for name in ("isalnum", "isalpha", "isdecimal", "isdigit", "islower",
                     "isnumeric", "isspace", "istitle", "isupper")
    },
}
STRING_DTYPES = ["U4", "S4", "T"]


def dtype_candidates(ufunc: np.ufunc, position: int) -> list[str]:
    """Dtypes that some loop of `ufunc` takes at input `position`, plus a few strangers."""
    chars = sorted({t[position] for t in ufunc.types if "->" in t})
    names: list[str] = []
    for char in chars:
        names.extend(CHAR_DTYPES.get(char, [char]))
    return names


def fill(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A small array of harmless values (ones, or a short string)."""
    if dtype.kind in "USVT":
        return np.full(shape, "ab" if dtype.kind != "S" else b"ab", dtype=dtype)
    if dtype.kind == "O":
        return np.full(shape, 1.0, dtype=object)
    if dtype.kind in "mM":
        return np.ones(shape, dtype="i8").astype(dtype)
    return np.ones(shape, dtype=dtype)


@st.composite
def array_of(draw: Any, shape: tuple, dtype_names: list[str]) -> Any:
    dtype = np.dtype(draw(st.sampled_from(dtype_names)))
    layout = draw(st.sampled_from(["c", "c", "f", "strided", "scalar"]))
    if layout == "scalar" and shape == ():
        return fill((), dtype)[()]  # a NumPy scalar
    if layout == "strided" and shape:
        big = fill(shape[:-1] + (shape[-1] * 2,), dtype)
        return big[..., ::2]
    arr = fill(shape, dtype)
    return np.asfortranarray(arr) if layout == "f" else arr


PYTHON_SCALARS = st.sampled_from([0, 1, 2, 7, 300, -1, 2**40, 2**70, 0.5, -2.5, 1e300, 1j, True])


#: NumPy's private string helpers trust their caller (np.strings) to size `out` and to
#: pass real positions; fed anything else they corrupt the heap. Generate only what
#: np.strings passes them.
NEEDS_OUT = {"_center", "_ljust", "_rjust", "_expandtabs", "_zfill", "_replace"}
PARTITION_INDEX = {"_partition_index": "find", "_rpartition_index": "rfind"}


def safe_string_out(ufunc: np.ufunc, args: tuple, shape: tuple) -> tuple:
    kind = "S" if any(isinstance(a, (bytes, np.bytes_)) or getattr(a, "dtype", None) is not None
                      and a.dtype.kind == "S" for a in args[:1]) else "U"
    if ufunc.nout == 1:
        return (fill(shape, np.dtype(f"{kind}16")),)
    parts = np.empty(shape, dtype=f"{kind}8,{kind}8,{kind}8")
    return (parts["f0"], parts["f1"], parts["f2"])


@st.composite
def partition_index_call(draw: Any, ufunc: np.ufunc) -> tuple[tuple, dict]:
    shape = draw(st.lists(st.integers(0, 3), max_size=2).map(tuple))
    dtype = np.dtype(draw(st.sampled_from(["U4", "S4"])))
    return partition_index_args(ufunc, shape, dtype)


def partition_index_args(ufunc: np.ufunc, shape: tuple, dtype: np.dtype) -> tuple[tuple, dict]:
    """The arguments np.strings.partition passes: real positions, room in `out`."""
    a = fill(shape, dtype)
    sep = fill((), dtype)[()]
    finder = getattr(np._core.umath, PARTITION_INDEX[ufunc.__name__])
    pos = finder(a, sep, 0, np.iinfo(np.int64).max)
    return (a, sep, pos), {"out": safe_string_out(ufunc, (a,), np.shape(pos))}


@st.composite
def elementwise_call(draw: Any, ufunc: np.ufunc) -> tuple[tuple, dict]:
    if ufunc.__name__ in PARTITION_INDEX:
        return draw(partition_index_call(ufunc))
    nin = ufunc.nin
    shapes = draw(_shapes(nin, ufunc.signature))
    recipe = STRING_RECIPES.get(ufunc.__name__)
    args = []
    for i in range(nin):
        shape = shapes[i]
        if recipe is not None:
            args.append(draw(_string_operand(recipe[i], shape)))
            continue
        names = dtype_candidates(ufunc, i)
        if draw(st.integers(0, 9)) == 0:
            names = EXTRA_DTYPES
        if shape == () and draw(st.booleans()):
            args.append(draw(PYTHON_SCALARS))
        else:
            args.append(draw(array_of(shape, names)))
    if ufunc.__name__ in NEEDS_OUT:
        try:
            shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        except ValueError:
            return tuple(args), {}
        return tuple(args), {"out": safe_string_out(ufunc, tuple(args), shape)}
    kwargs = draw(_call_keywords(ufunc, args, shapes))
    return tuple(args), kwargs


@st.composite
def _string_operand(draw: Any, kind: str, shape: tuple) -> Any:
    if kind == "step":
        return draw(st.sampled_from([1, 2, -1]))
    if kind == "int":
        if shape == ():
            return draw(st.sampled_from([0, 1, 3, 8]))
        return np.full(shape, draw(st.sampled_from([0, 1, 3])), dtype=draw(st.sampled_from(["i8", "i4"])))
    dtype = np.dtype(draw(st.sampled_from(STRING_DTYPES)))
    if shape == () and draw(st.booleans()):
        return "ab" if dtype.kind != "S" else b"ab"
    return fill(shape, dtype)


def _shapes(nin: int, signature: str | None) -> st.SearchStrategy:
    if signature is not None:
        good = mutually_broadcastable_shapes(signature=signature, max_dims=3, max_side=4)
    else:
        good = mutually_broadcastable_shapes(num_shapes=nin, max_dims=3, max_side=4)
    bad = st.tuples(*[st.lists(st.integers(0, 4), max_size=3).map(tuple) for _ in range(nin)])
    return st.one_of(good.map(lambda b: b.input_shapes), good.map(lambda b: b.input_shapes), bad)


@st.composite
def _call_keywords(draw: Any, ufunc: np.ufunc, args: list, shapes: tuple) -> dict:
    kwargs: dict = {}
    if draw(st.integers(0, 3)) == 0:
        kwargs["casting"] = draw(st.sampled_from(["no", "equiv", "safe", "same_kind", "unsafe"]))
    choice = draw(st.integers(0, 7))
    if choice == 0:
        kwargs["dtype"] = draw(st.sampled_from(["f8", "f4", "i8", "?", "c16", "O"]))
    elif choice == 1 and ufunc.types:
        kwargs["signature"] = draw(st.sampled_from(ufunc.types))
    elif choice == 2:
        kwargs["order"] = draw(st.sampled_from(["K", "C", "F", "A"]))
    if ufunc.signature is None and draw(st.integers(0, 4)) == 0:
        where_shape = draw(st.sampled_from([(), (1,), (2,), (3, 1)]))
        kwargs["where"] = np.ones(where_shape, dtype=bool)
    if ufunc.signature is not None and draw(st.integers(0, 3)) == 0:
        kwargs.update(draw(_gufunc_keywords(ufunc, shapes)))
    if draw(st.integers(0, 3)) == 0:
        kwargs["out"] = draw(_outputs(ufunc, args))
    return kwargs


@st.composite
def _gufunc_keywords(draw: Any, ufunc: np.ufunc, shapes: tuple) -> dict:
    kind = draw(st.sampled_from(["axes", "axis", "keepdims"]))
    if kind == "axis":
        return {"axis": draw(st.integers(-3, 2))}
    if kind == "keepdims":
        return {"keepdims": draw(st.booleans())}
    entries = []
    for shape in shapes:
        ndim = len(shape)
        entries.append(draw(st.sampled_from([(-2, -1), (0, 1), (-1,), (0,), -1, 0, ()])) if ndim else ())
    if draw(st.booleans()):
        entries.append(draw(st.sampled_from([(-2, -1), (-1,), (), 0])))
    return {"axes": entries}


@st.composite
def _outputs(draw: Any, ufunc: np.ufunc, args: list) -> Any:
    """out= arrays of the broadcast shape (or a wrong one), in a plausible dtype."""
    shapes = [np.shape(a) for a in args]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        shape = shapes[0]
    if ufunc.signature is not None:
        shape = draw(st.sampled_from([shape, (), (2,), (2, 2)]))
    elif draw(st.integers(0, 5)) == 0:
        shape = draw(st.sampled_from([(2,) + shape, (5,), ()]))
    names = [np.result_type(*[a if isinstance(a, np.ndarray) else np.asarray(a) for a in args])
             if _promotable(args) else "f8", "f8", "i8", "?", "U12", "O", "T"]
    outs = []
    for _ in range(ufunc.nout):
        if ufunc.nout > 1 and draw(st.booleans()):
            outs.append(None)
        else:
            outs.append(fill(shape, np.dtype(draw(st.sampled_from(names)))))
    if ufunc.nout == 1 and draw(st.booleans()):
        return outs[0]
    return tuple(outs)


def _promotable(args: list) -> bool:
    try:
        np.result_type(*[a if isinstance(a, np.ndarray) else np.asarray(a) for a in args])
        return True
    except Exception:  # noqa: BLE001
        return False


@st.composite
def reduce_like_call(draw: Any, ufunc: np.ufunc, method: str) -> tuple[tuple, dict]:
    shape = draw(st.lists(st.integers(0, 4), max_size=3).map(tuple))
    names = dtype_candidates(ufunc, 0) if ufunc.types else STRING_DTYPES
    if draw(st.integers(0, 9)) == 0:
        names = EXTRA_DTYPES
    array = draw(array_of(shape, names))
    kwargs: dict = {}
    ndim = len(shape)
    axis_choices = [st.integers(-ndim - 1, ndim)]
    if method == "reduce":
        axis_choices += [st.none(), st.lists(st.integers(-ndim, max(ndim - 1, 0)), max_size=3).map(tuple)]
    if draw(st.booleans()):
        kwargs["axis"] = draw(st.one_of(*axis_choices))
    if draw(st.integers(0, 3)) == 0:
        kwargs["dtype"] = draw(st.sampled_from(["f8", "f4", "i8", "i1", "?", "O", "c16"]))
    if method == "reduce":
        if draw(st.booleans()):
            kwargs["keepdims"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            kwargs["initial"] = draw(st.sampled_from([0, 1, None, 2.5]))
        if draw(st.integers(0, 4)) == 0:
            kwargs["where"] = np.ones(shape[-1:] if shape else (), dtype=bool)
    args: tuple = (array,)
    if method == "reduceat":
        length = shape[kwargs.get("axis", 0)] if shape and isinstance(kwargs.get("axis", 0), int) and -ndim <= kwargs.get("axis", 0) < ndim else 1
        indices = draw(st.lists(st.integers(-1, length), max_size=4))
        args = (array, indices)
    if draw(st.integers(0, 4)) == 0:
        kwargs["out"] = draw(st.sampled_from([None, ...]))
    return args, kwargs


@st.composite
def outer_call(draw: Any, ufunc: np.ufunc) -> tuple[tuple, dict]:
    names_a = dtype_candidates(ufunc, 0) if ufunc.types else STRING_DTYPES
    names_b = dtype_candidates(ufunc, min(1, ufunc.nin - 1)) if ufunc.types else STRING_DTYPES
    a = draw(array_of(draw(st.lists(st.integers(0, 3), max_size=2).map(tuple)), names_a))
    if draw(st.integers(0, 4)) == 0:
        b = draw(PYTHON_SCALARS)
    else:
        b = draw(array_of(draw(st.lists(st.integers(0, 3), max_size=2).map(tuple)), names_b))
    kwargs = {}
    if draw(st.integers(0, 4)) == 0:
        kwargs["dtype"] = draw(st.sampled_from(["f8", "i8", "?"]))
    return (a, b), kwargs


@st.composite
def at_call(draw: Any, ufunc: np.ufunc) -> tuple[tuple, dict]:
    names = dtype_candidates(ufunc, 0) if ufunc.types else STRING_DTYPES
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple))
    a = draw(array_of(shape, names)).copy()
    index = draw(st.one_of(
        st.lists(st.integers(-shape[0] - 1, shape[0]), max_size=4),
        st.just(slice(None)),
        st.integers(-shape[0] - 1, shape[0]),
    ))
    args: list = [a, index]
    if ufunc.nin == 2 or draw(st.integers(0, 5)) == 0:
        args.append(draw(st.one_of(PYTHON_SCALARS, st.just(np.ones(2)), st.just(np.ones((1,))))))
    return tuple(args), {}


#: The string ufuncs (no legacy loop table) are NumPy's internals for np.strings: their
#: methods other than __call__ crash NumPy 2.4 (segmentation faults, heap corruption,
#: seen with _expandtabs.reduce and _zfill.reduce), so no test calls them.
NUMPY_CRASHES = {
    (u.__name__, m)
    for u in get_overridable_numpy_ufuncs()
    if not u.types
    for m in ("reduce", "accumulate", "reduceat", "outer", "at")
}


def call_strategy(ufunc: np.ufunc, method: str) -> st.SearchStrategy:
    """Calls of `ufunc` through `method`, as the differential suites draw them."""
    if method == "__call__":
        return elementwise_call(ufunc)
    if method == "outer":
        return outer_call(ufunc)
    if method == "at":
        return at_call(ufunc)
    return reduce_like_call(ufunc, method)
