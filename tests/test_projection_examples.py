"""Focused checks of numguard.estimate: the incident, the record, the tables, the traps."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing.overrides import get_overridable_numpy_ufuncs

import numguard
from numguard.projection import Estimate, Stretch
from numguard.projection.signature import parse
from numguard.projection.ufunc_methods import REORDERABLE_WITHOUT_IDENTITY


def virtual(shape: tuple[int, ...], dtype: str = "f8") -> np.ndarray:
    """An array of any shape backed by one element: metadata only, nothing allocated."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape))


def test_incident_at_production_shape_is_projected_without_allocating():
    profiles, weights = virtual((5_000_000, 1)), virtual((1, 200_000))
    est = numguard.estimate(np.multiply, profiles, weights)
    assert est.shape == (5_000_000, 200_000)
    assert est.dtype == np.float64
    assert est.nbytes == 5_000_000 * 200_000 * 8
    assert est.exact
    assert est.operand_shapes == ((5_000_000, 1), (1, 200_000))
    assert Stretch(axis=1, size=200_000, operand=0, operand_size=1) in est.stretched
    assert Stretch(axis=0, size=5_000_000, operand=1, operand_size=1) in est.stretched
    assert est.result_size == 10**12 and est.largest_operand_size == 5_000_000


def test_rank_promotion_is_reported_as_a_missing_axis():
    est = numguard.estimate(np.add, np.ones(3), np.ones((4, 3)))
    assert est.stretched == (Stretch(axis=0, size=4, operand=0, operand_size=None),)


def test_scalars_are_not_reported_as_stretched():
    assert numguard.estimate(np.add, np.ones((4, 3)), 1.5).stretched == ()
    assert numguard.estimate(np.add, np.ones((4, 3)), np.float32(2)).stretched == ()


def test_weak_python_scalars_keep_the_array_dtype():
    est = numguard.estimate(np.add, np.ones(3, np.float32), 2.5)
    assert est.dtype == np.float32
    assert est.operand_dtypes == (np.dtype(np.float32), float)


def test_outputs_given_cost_nothing_and_partial_outputs_count():
    out = np.empty((2, 3))
    assert numguard.estimate(np.add, np.ones((2, 3)), 1, out=out).nbytes == 0
    est = numguard.estimate(np.divmod, np.ones((2, 3)), 2, out=(out, None))
    assert est.shapes == ((2, 3), (2, 3)) and est.nbytes == 6 * 8


def test_at_allocates_nothing():
    est = numguard.estimate(np.add.at, np.ones(5), [0, 1, 1], 1.0)
    assert (est.shapes, est.dtypes, est.nbytes, est.method) == ((), (), 0, "at")


@pytest.mark.parametrize("dtype", ["O", "T"])
def test_object_and_stringdtype_are_lower_bounds(dtype):
    a = np.array(["a", "b"], dtype=dtype) if dtype == "T" else np.array([1, 2], dtype=object)
    est = numguard.estimate(np.add, a, a)
    assert not est.exact
    assert est.nbytes == np.add(a, a).nbytes  # NumPy counts only the slots


def test_single_output_accessors_refuse_multi_output_estimates():
    est = numguard.estimate(np.frexp, np.ones(3))
    assert est.dtypes == (np.dtype("f8"), np.dtype("i4"))
    with pytest.raises(AttributeError, match="2 outputs"):
        est.shape


@pytest.mark.parametrize(
    "op, name",
    [(np.add, "np.add"), (np.add.reduce, "np.add.reduce"), (np.matmul, "np.matmul"),
     (np._core.umath._center, "np._core.umath._center")],
)
def test_operation_reads_as_the_user_wrote_it(op, name):
    assert Estimate(op if isinstance(op, np.ufunc) else op.__self__,
                    "__call__" if isinstance(op, np.ufunc) else op.__name__,
                    (), (), 0, True, (), (), ()).operation == name


def test_estimate_rejects_what_is_not_a_ufunc():
    # np.transpose now answers (a view: 0 bytes, issue #16); a non-NumPy callable does not
    with pytest.raises(TypeError, match="ufunc, a ufunc method or a covered array function"):
        numguard.estimate(print, np.ones(3))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: numguard.estimate(np.add, np.ones(3), np.ones(4)), ValueError),
        (lambda: numguard.estimate(np.add.reduce, np.ones((2, 3)), axis=2), np.exceptions.AxisError),
        (lambda: numguard.estimate(np.add, np.ones(3), 1.5, dtype=int), TypeError),
        (lambda: numguard.estimate(np.add, np.ones(3, np.uint8), -1), OverflowError),
        (lambda: numguard.estimate(np.matmul, np.ones((2, 3)), np.ones((2, 3))), ValueError),
        (lambda: numguard.estimate(np.add, np.ones(3), np.ones(3), axis=0), TypeError),
    ],
)
def test_numpy_errors_keep_their_class(call, error):
    with pytest.raises(error):
        call()


def test_resolve_dtypes_crash_is_avoided():
    # NumPy 2.4 segfaults in clip.resolve_dtypes for this call; numguard must not.
    code = textwrap.dedent(
        """
        import numpy as np, numguard
        b = np.array(True)
        try:
            numguard.estimate(np._core.umath.clip, b, b, 0, casting="equiv", dtype="f4")
        except TypeError as exc:
            print("TypeError")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TypeError"


class TestSignatureParser:
    def test_matmul_optional_dims(self):
        sig = parse("(n?,k),(k,m?)->(n?,m?)")
        assert sig.operands == (("n", "k"), ("k", "m"), ("n", "m"))
        assert sig.optional == {"n", "m"} and sig.nin == 2
        assert sig.names == ("n", "k", "m")

    def test_fixed_and_empty_dims(self):
        sig = parse("(3),(n)->()")
        assert sig.operands == (("3",), ("n",), ())
        assert dict(sig.fixed) == {"3": 3}

    @pytest.mark.parametrize("text", ["(n)->", "n->m", "(n,)(m)->()", "((n))->()"])
    def test_malformed_is_refused_with_its_text(self, text):
        with pytest.raises(ValueError, match="not a valid gufunc signature"):
            parse(text)

    def test_every_numpy_gufunc_parses(self):
        for ufunc in get_overridable_numpy_ufuncs():
            if ufunc.signature:
                assert parse(ufunc.signature).nin == ufunc.nin


def test_reorderable_table_matches_numpy():
    """Ufuncs without identity that still reduce over several axes, per NumPy itself."""
    found = set()
    for ufunc in get_overridable_numpy_ufuncs():
        if ufunc.nin != 2 or ufunc.nout != 1 or ufunc.signature or not ufunc.types:
            continue
        if ufunc.identity is not None:
            continue
        char = ufunc.types[0][0]
        try:
            ufunc.reduce(np.empty((0, 0), char), axis=(0, 1), initial=np.zeros((), char)[()])
        except ValueError as exc:
            if "reorderable" in str(exc):
                continue
        except TypeError:
            continue
        found.add(ufunc)
    assert found == set(REORDERABLE_WITHOUT_IDENTITY)


@pytest.mark.parametrize(
    "method, text", [(np.ndarray.copy, "a.copy()"), (np.ndarray.__getitem__, "a[...]")]
)
def test_ndarray_methods_read_as_method_calls(method, text):
    assert Estimate(method, "__call__", (), (), 0, True, (), (), ()).operation == text
