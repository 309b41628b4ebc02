"""Every NumPy number type np.einsum takes, computed as NumPy computes it: integers wrap in their own
type, float16 accumulates in float32 and comes back float16, promotion is NumPy's; other types are
refused naming the operand and the type."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

INTEGERS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
CASES = ["i,i", "i,i->i", "ij,jk->ik", "ij->j", "ii->i", "ij,ij", "i,j->ij"]
SHAPES = {"i,i": [(7,), (7,)], "i,i->i": [(7,), (7,)], "ij,jk->ik": [(4, 5), (5, 3)], "ij->j": [(4, 5)],
          "ii->i": [(5, 5)], "ij,ij": [(4, 5), (4, 5)], "i,j->ij": [(4,), (5,)]}


def values(rng, shape, dtype):
    """Values that overflow small integer types in products and sums."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = max(info.min, -(2**62)), min(info.max, 2**62)
        return rng.integers(low, high, shape, endpoint=True).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", INTEGERS + [np.bool_])
@pytest.mark.parametrize("subscripts", CASES)
def test_integers_and_bools_give_numpy_s_exact_result(subscripts, dtype):
    rng = np.random.default_rng(len(subscripts))
    arrays = [values(rng, shape, dtype) for shape in SHAPES[subscripts]]
    with np.errstate(over="ignore"):
        expected = np.einsum(subscripts, *arrays)
    got = es.einsum(subscripts, *arrays)
    assert np.asarray(got).dtype == expected.dtype
    np.testing.assert_array_equal(np.asarray(got), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.float16])
@pytest.mark.parametrize("subscripts", CASES)
def test_floats_keep_their_type(subscripts, dtype):
    rng = np.random.default_rng(3)
    arrays = [values(rng, shape, dtype) for shape in SHAPES[subscripts]]
    expected = np.einsum(subscripts, *arrays)
    got = es.einsum(subscripts, *arrays)
    assert np.asarray(got).dtype == expected.dtype
    # float16 sums are computed in float32 (NumPy's einsum does the same in its inner loops)
    tolerance = {np.float16: 2e-2, np.float32: 1e-5, np.complex64: 1e-5}[dtype]
    np.testing.assert_allclose(np.asarray(got).astype(np.complex128), expected.astype(np.complex128),
                               rtol=tolerance, atol=tolerance)


def test_mixed_types_promote_as_numpy_does():
    u, s = np.array([2**63 + 5, 7], np.uint64), np.array([-1, 2], np.int64)
    assert es.einsum("i,i->i", u, s).dtype == np.einsum("i,i->i", u, s).dtype == np.float64
    small, wide = np.array([100, 3], np.int8), np.array([1000, 3], np.int16)
    np.testing.assert_array_equal(es.einsum("i,i->i", small, wide), np.einsum("i,i->i", small, wide))
    assert es.evaluate("y[i] = x[i]*2", x=small).dtype == np.int8  # a Python number is weak (NEP 50)


def test_a_product_that_wraps_to_zero_is_not_stored():
    a = sp.csr_matrix(np.array([[16, 0, 3], [0, 100, 0]], np.int8))
    got = es.evaluate("C[i,j] = A[i,j]*A[i,j]", A=a)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got.to_numpy(), (a.toarray() * a.toarray()))  # 16*16 and 100*100 wrap
    assert got.nnz == 2  # 256 wraps to 0 in int8 and is dropped, as a computed zero is


@pytest.mark.parametrize("bad", [np.longdouble, np.clongdouble, object, "U3", "datetime64[D]"])
def test_types_the_kernels_cannot_compute_are_refused_by_name(bad):
    array = np.zeros(3, dtype=bad) if bad != object else np.array([1, 2, 3], dtype=object)
    with pytest.raises(es.DTypeError) as error:
        es.evaluate("s = x[i]", x=array)
    assert str(error.value) == (
        f"operand x has dtype {array.dtype}, which einsparse does not compute with; use a NumPy number "
        f"type (bool, int8 to int64, uint8 to uint64, float16 to float64, complex64 or complex128)")


@pytest.mark.parametrize("formats", [{}, {"a": "c", "b": "c"}, {"b": "c"}])
def test_narrow_integers_promoted_by_an_index_value_are_not_wrapped(formats):
    """Where b is absent the statement is a[i]*(-t)/4: -t must be computed in int64, as NumPy's
    i*b[i] - t is, not in uint8."""
    a, b, t = np.array([2, 2, 7], np.uint8), np.array([0, 5, 0], np.uint8), np.array(253, np.uint8)
    got = np.asarray(es.evaluate("y[i] = a[i]*(i*b[i] - t)/4", formats, a=a, b=b, t=t))
    assert np.array_equal(got, a * (np.arange(3) * b - t) / 4)


def test_unsigned_differences_and_negations_wrap_as_numpy_s():
    x, y = np.array([5, 1, 0], np.uint8), np.array([7, 200, 0], np.uint8)
    assert np.array_equal(np.asarray(es.evaluate("z[i] = x[i] - y[i]", {"x": "c", "y": "c"}, x=x, y=y)), x - y)
    assert np.array_equal(es.evaluate("z[i] = -x[i]", x=x), -x)


def test_a_narrow_integer_wrapped_before_a_division_is_refused_at_the_spot():
    x, y = np.array([5], np.uint8), np.array([7], np.uint8)
    with pytest.raises(es.NotSupportedError) as error:
        es.evaluate("z[i] = (x[i] - y[i])/4", x=x, y=y)
    assert str(error.value) == (
        "x[i] - y[i] is uint8 and NumPy wraps it in uint8 before it is divided; einsparse computes integer "
        "steps in 64 bits and wraps only where a value is stored: cast the operands to int64 or a float type\n"
        "    z[i] = (x[i] - y[i])/4\n"
        "            ^~~~~~~~~~~")
    assert np.array_equal(es.evaluate("z[i] = (x[i] - y[i])/4", x=x.astype(np.int64), y=y), (5 - 7) / 4 * np.ones(1))
