"""Which frame is the user's: the first one outside numguard and NumPy.

NumPy's own test files (numpy/**/tests/*.py) count as user code: under
`pytest --numguard` on NumPy's suite, the line to name is the test's, not the pytest
internals above it (issue #20, item 6).
"""

from __future__ import annotations

import os
from types import FrameType

import numpy as np

_NUMGUARD = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_TESTS = os.sep + "tests" + os.sep

#: filename -> whether it is user code (a handful of files: numguard's, NumPy's, the user's).
_known: dict[str, bool] = {}


def is_user_code(filename: str) -> bool:
    """Whether a frame running `filename` is the user's (see the module docstring)."""
    answer = _known.get(filename)
    if answer is None:
        if filename.startswith(_NUMGUARD):
            answer = False
        elif filename.startswith(_NUMPY):
            answer = _TESTS in filename[len(_NUMPY) - 1:] and filename.endswith(".py")
        else:
            answer = True
        if len(_known) >= 4096:
            _known.clear()
        _known[filename] = answer
    return answer


def user_frame(start: FrameType | None) -> FrameType | None:
    """The first frame from `start` outwards (f_back) that runs user code, or None.

    The caller owns the frame it gets: it should drop it (`del`) once done, a frame
    keeps every local of its function alive.
    """
    frame = start
    while frame is not None and not is_user_code(frame.f_code.co_filename):
        frame = frame.f_back
    return frame
