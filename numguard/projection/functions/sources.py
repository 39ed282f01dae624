"""Arrays made from something else: like= conversions and arange, buffers, files and
iterators with a count, and the business-day functions.

What cannot be known before running raises TypeError with the reason: a text file's
or an iterator's length without `count`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..broadcast import broadcast_shapes
from ..operands import as_array, shape_of
from ..record import Estimate, build
from ..registry import projects
from .common import BOOL, out_array


@projects(np.array)
def array(func: Any, /, object: Any, dtype: Any = None, *, copy: Any = True,  # noqa: A002
          order: Any = "K", subok: Any = False, ndmin: Any = 0, ndmax: Any = 0,
          like: Any = None) -> Estimate:
    return _converted(func, object, dtype, copy, ndmin)


@projects(np.asarray, np.asanyarray)
def asarray(func: Any, /, a: Any, dtype: Any = None, order: Any = None, *, device: Any = None,
            copy: Any = None, like: Any = None) -> Estimate:
    return _converted(func, a, dtype, copy, 0, order)


@projects(np.ascontiguousarray, np.asfortranarray)
def ascontiguousarray(func: Any, /, a: Any, dtype: Any = None, *, like: Any = None) -> Estimate:
    order = "C" if func.__name__ == "ascontiguousarray" else "F"
    return _converted(func, a, dtype, None, 1, order)  # both give a 0-d array one axis


@projects(np.require)
def require(func: Any, /, a: Any, dtype: Any = None, requirements: Any = None, *,
            like: Any = None) -> Estimate:
    """At most one copy of `a` (the requirements decide whether NumPy copies)."""
    x = as_array(a)
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    return build(func, (x.shape,), (dtype,), (x,), exact=False)


def _converted(func: Any, value: Any, dtype: Any, copy: Any, ndmin: int,
               order: Any = "K") -> Estimate:
    """A view where NumPy keeps the array as is, else a copy (a list: its conversion)."""
    x = as_array(value)
    result = x.dtype if dtype is None else np.dtype(dtype)
    shape = (1,) * max(ndmin - x.ndim, 0) + x.shape
    layout = {"C": x.flags.c_contiguous, "F": x.flags.f_contiguous}.get(order, True)
    keeps = (isinstance(value, np.ndarray) and x is value and result == x.dtype and layout
             and copy is not True)
    return build(func, (shape,), (result,), (x,), view=keeps)


@projects(np.arange)
def arange(func: Any, start_or_stop: Any, /, stop: Any = None, step: Any = 1, *,
           dtype: Any = None, device: Any = None, like: Any = None) -> Estimate:
    """ceil((stop - start) / step) elements; the dtype from NumPy's empty arange."""
    start = 0 if stop is None else start_or_stop
    stop = start_or_stop if stop is None else stop
    if step == 0:
        raise ZeroDivisionError("division by zero")
    kind = np.arange(start, start, step, dtype=dtype).dtype
    length = max(int(np.ceil((stop - start) / step)), 0)
    return build(func, ((length,),), (kind,))


@projects(np.frombuffer)
def frombuffer(func: Any, /, buffer: Any, dtype: Any = None, count: Any = -1, offset: Any = 0,
               *, like: Any = None) -> Estimate:
    """A view of the buffer: no new bytes. NumPy itself makes the view here (nothing
    is allocated), so its checks of size, offset and count are its own."""
    view = np.frombuffer(buffer, dtype=float if dtype is None else dtype, count=count,
                         offset=offset)
    return build(func, (view.shape,), (view.dtype,), view=True)


@projects(np.fromfile)
def fromfile(func: Any, /, file: Any, dtype: Any = None, count: Any = -1, sep: Any = "",
             offset: Any = 0, *, like: Any = None) -> Estimate:
    """At most `count`, and at most what the file holds (binary: its bytes / itemsize;
    text: one element per byte at most)."""
    kind = np.dtype(float if dtype is None else dtype)
    size = _file_size(file)
    most = None if size is None else max(size - offset, 0) // (kind.itemsize if sep == ""
                                                                 else 1)
    if count >= 0:
        most = count if most is None else min(count, most)
    if most is None:
        raise TypeError("the length of a stream without a size is known only by reading it")
    return build(func, ((most,),), (kind,), exact=False)


def _file_size(file: Any) -> int | None:
    if hasattr(file, "fileno"):
        file.fileno()  # NumPy's own first step: a stream without one raises here
    try:
        if hasattr(file, "fileno"):
            return os.fstat(file.fileno()).st_size - file.tell()
        return os.path.getsize(os.fspath(file))
    except (OSError, TypeError, ValueError, AttributeError):
        return None


@projects(np.fromiter)
def fromiter(func: Any, /, iter: Any, dtype: Any, count: Any = -1, *,  # noqa: A002
             like: Any = None) -> Estimate:
    if count < 0 and not hasattr(iter, "__len__"):
        raise TypeError("an iterator's length is known only by running it (pass count=)")
    n = count if count >= 0 else len(iter)
    return build(func, ((n,),), (np.dtype(dtype),), exact=count >= 0)


@projects(np.busday_count)
def busday_count(func: Any, /, begindates: Any, enddates: Any, weekmask: Any = "1111100",
                 holidays: Any = (), busdaycal: Any = None, out: Any = None) -> Estimate:
    """int64 counts over the broadcast of the two date arguments."""
    return _dates(func, (begindates, enddates), np.int64, out,
                  weekmask=weekmask, holidays=holidays, busdaycal=busdaycal)


@projects(np.busday_offset)
def busday_offset(func: Any, /, dates: Any, offsets: Any, roll: Any = "raise",
                  weekmask: Any = "1111100", holidays: Any = None, busdaycal: Any = None,
                  out: Any = None) -> Estimate:
    return _dates(func, (dates, offsets), "datetime64[D]", out, roll=roll,
                  weekmask=weekmask, holidays=holidays, busdaycal=busdaycal)


@projects(np.is_busday)
def is_busday(func: Any, /, dates: Any, weekmask: Any = "1111100", holidays: Any = None,
              busdaycal: Any = None, out: Any = None) -> Estimate:
    return _dates(func, (dates,), BOOL, out, weekmask=weekmask, holidays=holidays,
                  busdaycal=busdaycal)


def _dates(func: Any, operands: tuple, dtype: Any, out: Any, **options: Any) -> Estimate:
    """The broadcast of the date arguments; NumPy's conversions of them (an integer
    is no date) replayed on stand-ins of their dtypes."""
    shape = broadcast_shapes([shape_of(x) for x in operands])
    func(*[x if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else
           np.empty(0, as_array(x).dtype) for x in operands],
         **{k: v for k, v in options.items() if v is not None})
    return build(func, (shape,), (np.dtype(dtype),), outs=(out_array(out),))
