"""Which backstop handlers this install has.

The C handler where numguard was compiled; only the ctypes fallback where the sdist was
built without a compiler (CI's sdist-no-cc stage). Tests of the C handler skip there, and
tests that need "the" handler use the one that is present.
"""
from __future__ import annotations

import importlib.util

import pytest

HAS_C = importlib.util.find_spec("numguard.backstop._handler") is not None
DEFAULT = "c" if HAS_C else "ctypes"
HANDLER = "numguard_backstop" if HAS_C else "numguard_backstop_ctypes"
needs_c = pytest.mark.skipif(not HAS_C, reason="numguard was built without a C compiler: "
                                                "only the ctypes fallback is installed")
BACKENDS = [pytest.param("c", marks=needs_c), "ctypes"]
