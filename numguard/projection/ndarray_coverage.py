"""How every ndarray attribute relates to allocation: facts about NumPy's ndarray.

`numguard.projection.ndarray_methods.METHODS` lists the attributes numguard projects
(GuardedArray overrides exactly those). Every other attribute is in one table here;
tests/test_guarded_methods.py checks that together they cover all of ndarray's.
"""

from __future__ import annotations

#: Allocating ndarray methods that already reach __array_ufunc__ (the ufunc that
#: trips under a tiny limit), checked by the tests.
REACHES_UFUNC: dict[str, str] = {
    "sum": "np.add.reduce", "prod": "np.multiply.reduce", "max": "np.maximum.reduce",
    "min": "np.minimum.reduce", "mean": "np.add.reduce", "var": "np.add.reduce",
    "std": "np.subtract", "cumsum": "np.add.accumulate",
    "cumprod": "np.multiply.accumulate", "any": "np.logical_or.reduce",
    "all": "np.logical_and.reduce", "clip": "np.clip", "conj": "np.conjugate",
    "conjugate": "np.conjugate", "trace": "np.add.reduce",
    "__abs__": "np.absolute", "__neg__": "np.negative", "__pos__": "np.positive",
    "__invert__": "np.invert", "__add__": "np.add", "__radd__": "np.add",
    "__sub__": "np.subtract", "__rsub__": "np.subtract", "__mul__": "np.multiply",
    "__rmul__": "np.multiply", "__truediv__": "np.divide", "__rtruediv__": "np.divide",
    "__floordiv__": "np.floor_divide", "__rfloordiv__": "np.floor_divide",
    "__mod__": "np.remainder", "__rmod__": "np.remainder", "__divmod__": "np.divmod",
    "__rdivmod__": "np.divmod", "__pow__": "np.power", "__rpow__": "np.power",
    "__matmul__": "np.matmul", "__rmatmul__": "np.matmul", "__and__": "np.bitwise_and",
    "__rand__": "np.bitwise_and", "__or__": "np.bitwise_or", "__ror__": "np.bitwise_or",
    "__xor__": "np.bitwise_xor", "__rxor__": "np.bitwise_xor",
    "__lshift__": "np.left_shift", "__rlshift__": "np.left_shift",
    "__rshift__": "np.right_shift", "__rrshift__": "np.right_shift",
    "__eq__": "np.equal", "__ne__": "np.not_equal", "__lt__": "np.less",
    "__le__": "np.less_equal", "__gt__": "np.greater", "__ge__": "np.greater_equal",
    "__contains__": "np.equal",
}

#: ndarray attributes that allocate no new array: views, in-place operations,
#: Python scalars, metadata, and Python object machinery.
NO_NEW_ARRAY = frozenset({
    "T", "mT", "real", "diagonal", "squeeze", "swapaxes", "transpose", "view",
    "getfield", "base", "ctypes", "data", "device", "dtype", "flags", "itemsize",
    "nbytes", "ndim", "shape", "size", "strides", "fill", "put", "setfield", "setflags",
    "item", "to_device", "tofile", "__len__", "__iter__", "__bool__", "__int__",
    "__float__", "__complex__", "__index__", "__hash__", "__delitem__",
    "__iadd__", "__iand__", "__ifloordiv__", "__ilshift__", "__imatmul__", "__imod__",
    "__imul__", "__ior__", "__ipow__", "__irshift__", "__isub__", "__itruediv__",
    "__ixor__", "__array_interface__", "__array_struct__", "__array_priority__",
    "__array_namespace__", "__dlpack__", "__dlpack_device__", "__array_finalize__",
    "__array_function__", "__array_ufunc__", "__array_wrap__", "__sizeof__", "__repr__",
    "__str__", "__format__", "__class__", "__class_getitem__", "__getattribute__",
    "__setattr__", "__delattr__", "__dir__", "__doc__", "__init__", "__new__",
    "__init_subclass__", "__subclasshook__", "__getstate__", "__setstate__",
})

#: ndarray attributes that can allocate where no method override reaches.
OUT_OF_REACH: dict[str, str] = {
    "flat": "flatiter indexing and flat.copy() allocate; np.flatiter cannot be subclassed",
    "__array__": "np.asarray(a, dtype=...) and np.array(a) copy without calling it",
    "__reduce__": "pickling copies the data in C, without calling tobytes",
    "__reduce_ex__": "pickling copies the data in C, without calling tobytes",
    "sort": "in place; only work buffers (stable/merge sort: n/2 elements)",
    "partition": "in place; only work buffers",
    "__setitem__": "in place; temporaries for casting or fancy-indexed values",
}
