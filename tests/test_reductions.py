"""Reductions other than the sum against NumPy: `min[k](...)`, `max`, `prod`, `any`, `all`, `sum`, over
several indices, nested, mixed with Einstein's sums, and the statement form `C[i,j] min= ...`; on
dense and sparse operands in several formats, fills and dtypes."""

import re

import numpy as np
import pytest

import einsparse as es
from einsparse.reference import dense_reference

UFUNCS = {"sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum,
          "any": np.logical_or, "all": np.logical_and}
IDENTITIES = {"sum": 0, "prod": 1, "min": np.inf, "max": -np.inf, "any": False, "all": True}


def dense(result):
    return result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)


def matrix(seed, shape=(7, 6), density=0.5, fill=0.0, dtype=np.float64):
    """Stored values in [-0.9, 0.9] (small integers for an integer dtype); `fill` elsewhere."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-0.9, 0.9, shape) if np.dtype(dtype).kind == "f" else rng.integers(-5, 6, shape)
    values = values.astype(dtype)
    values[rng.random(shape) >= density] = fill
    return values


FORMATS_AND_FILLS = [("dense", 0.0)] + [(fmt, fill) for fmt in ("csr", "csc", "coo")
                                        for fill in (0.0, np.inf, -np.inf, 1.0)]


def tensor(values, fmt, fill=0.0):
    return es.tensor(values, fmt, fill=None if fill == 0 else fill)


@pytest.mark.parametrize("fmt, fill", FORMATS_AND_FILLS)
@pytest.mark.parametrize("name", ["sum", "prod", "min", "max"])
def test_a_reduction_over_rows_matches_numpy(name, fill, fmt):
    a = matrix(1, fill=fill)
    with np.errstate(all="ignore"):
        expected = UFUNCS[name].reduce(a, axis=1, initial=IDENTITIES[name])
        result = es.evaluate(f"y[i] = {name}[k](A[i,k])", A=tensor(a, fmt, fill))
    np.testing.assert_allclose(dense(result), expected, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("name", ["any", "all"])
def test_logical_reductions_of_comparisons(name, fmt):
    a = matrix(2)
    expected = UFUNCS[name].reduce(a > 0.2, axis=0)
    result = es.evaluate(f"y[k] = {name}[i](A[i,k] > 0.2)", A=tensor(a, fmt))
    np.testing.assert_array_equal(dense(result), expected)
    assert dense(result).dtype == np.bool_


@pytest.mark.parametrize("fmt", ["csr", "coo"])
@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.float32])
@pytest.mark.parametrize("name", ["min", "max", "sum", "prod"])
def test_reductions_keep_their_operands_type_exactly(name, dtype, fmt):
    a = matrix(3, dtype=dtype)
    result = es.evaluate(f"y[i] = {name}[k](A[i,k])", A=tensor(a, fmt))
    expected = UFUNCS[name].reduce(a, axis=1).astype(dtype)
    assert dense(result).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(dense(result), expected)


def test_min_plus_product_of_infinite_fills_stays_sparse_and_walks_stored_entries():
    a, b = matrix(4, (8, 7), 0.3, np.inf), matrix(5, (7, 9), 0.3, np.inf)
    expected = np.min(a[:, :, None] + b[None, :, :], axis=1)
    A, B = tensor(a, "csr", np.inf), tensor(b, "csr", np.inf)
    for statement in ("C[i,j] = min[k](A[i,k] + B[k,j])", "C[i,j] min= A[i,k] + B[k,j]"):
        result = es.evaluate(statement, A=A, B=B)
        assert isinstance(result, es.Tensor) and result.fill == np.inf and result.format.name == "csr"
        np.testing.assert_array_equal(result.to_numpy(), expected)
        assert result.nnz == np.isfinite(expected).sum()
    explained = es.compile("C[i,j] = min[k](A[i,k] + B[k,j])", {"A": "csr", "B": "csr", "C": "csr"})
    text = explained._variant({"A": np.inf, "B": np.inf}).explain()
    assert "k: iterate A2\n      j: iterate B2" in text
    assert "where workspace t0[j] = inf:" in text and "t0[j] min= A[i,k] + B[k,j]" in text


def test_min_plus_with_a_dense_vector_walks_the_matrix_only():
    a, x = matrix(6, (9, 8), 0.3, np.inf), np.arange(8.0)
    a[2] = np.inf  # a row with nothing stored stays at min's identity
    result = es.evaluate("y[i] = min[k](A[i,k] + x[k])", A=tensor(a, "csr", np.inf), x=x)
    np.testing.assert_array_equal(result, np.min(a + x, axis=1))
    assert np.isinf(result[2])
    text = es.compile("y[i] = min[k](A[i,k] + x[k])", {"A": "csr"})._variant({"A": np.inf}).explain()
    assert "k: iterate A2" in text


@pytest.mark.parametrize("statement, numpy", [
    ("C[i] = max[j](min[k](T[i,j,k]))", lambda T, x: T.min(axis=2).max(axis=1)),
    ("C[i] = max[j,k](T[i,j,k]*x[k])", lambda T, x: (T * x).max(axis=(1, 2))),
    ("C[i] = max[j](T[i,j,k]*x[k])", lambda T, x: np.einsum("ijk,k->ij", T, x).max(axis=1)),
    ("C[i] = max[k](T[i,j,k])*x[j]", lambda T, x: (T.max(axis=2) * x[None, :4]).sum(axis=1)),
    ("C[i] = min[j,k](T[i,j,k]) + sum[j,k](T[i,j,k])", lambda T, x: T.min(axis=(1, 2)) + T.sum(axis=(1, 2))),
    ("C[i] max= T[i,j,k]*x[k] + 1", lambda T, x: (T * x + 1).max(axis=(1, 2))),
    ("C[i] prod= T[i,j,k] + 2", lambda T, x: (T + 2).prod(axis=(1, 2))),
])
@pytest.mark.parametrize("fmt", ["dense", "csf"])
def test_nested_and_mixed_reductions(statement, numpy, fmt):
    rng = np.random.default_rng(7)
    T = rng.uniform(-1, 1, (5, 4, 4)) * (rng.random((5, 4, 4)) < 0.6)
    x = rng.uniform(-1, 1, 4)
    operands = {"T": T if fmt == "dense" else es.tensor(T, "csf"), "x": x}
    result = es.evaluate(statement, **{name: operands[name] for name in operands if re.search(rf"\b{name}\[", statement)})
    np.testing.assert_allclose(dense(result), numpy(T, x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense_reference(statement, {"T": T, "x": x} if re.search(r"\bx\[", statement) else {"T": T}),
                               numpy(T, x), rtol=1e-12, atol=1e-12)


def test_a_row_with_nothing_reduced_holds_the_identity():
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    result = es.evaluate("y[i] = min[k](A[i,k])", A=es.tensor(np.where(a == 0, np.inf, a), "csr", fill=np.inf))
    np.testing.assert_array_equal(result, [1.0, np.inf])


@pytest.mark.parametrize("statement, message", [
    ("C[i] = foo[k](A[i,k])", "unknown reduction foo; the reductions are sum, prod, min, max, any, all, "
                              "argmin, argmax, as in max[k](A[i,k])\n    C[i] = foo[k](A[i,k])\n           ^~~"),
    ("C[i] = max[i](A[i,k])", "max[i] reduces i, an index of the output C[i]\n    C[i] = max[i](A[i,k])\n"
                              "               ^"),
    ("C[i] = max[k](A[i,j])", "max[k] reduces k, which its body does not use\n    C[i] = max[k](A[i,j])\n"
                              "               ^"),
    ("C[i] = max[k,k](A[i,k])", "max lists index k twice\n    C[i] = max[k,k](A[i,k])\n                 ^"),
])
def test_bad_reductions_are_one_line_errors_with_a_caret(statement, message):
    with pytest.raises(es.EinsparseError) as raised:
        es.evaluate(statement, A=np.ones((2, 3)))
    assert str(raised.value) == message


def test_any_needs_bool_values():
    with pytest.raises(es.DTypeError) as raised:
        es.evaluate("y[i] = any[k](A[i,k])", A=np.ones((2, 3)))
    assert str(raised.value).startswith("any reduces bool values, not float64: compare first")


def test_deparse_round_trips_reductions():
    from einsparse.compiler.parse import parse
    from einsparse.compiler.syntax import deparse
    for text in ("C[i,j] min= A[i,k] + B[k,j]", "C[i] = max[j,k](A[i,j,k]*x[k]) + 1",
                 "y[i] = any[k](A[i,k] > 0 and x[k] < 1)"):
        assert deparse(parse(text)) == text
        assert parse(deparse(parse(text))) == parse(text)


@pytest.mark.parametrize("fmt", ["csr", "dense"])
def test_a_mask_times_an_explicit_sum_of_products(fmt):
    """The mask merges with the workspace of the product row, also in the pass that counts the result's
    entries (which once merged an unsorted list, and wrote past the arrays it had sized)."""
    rng = np.random.default_rng(9)
    low = np.tril(rng.random((60, 60)) < 0.1, -1).astype(np.float64)
    expected = low * (low @ low)
    result = es.evaluate("C[i,j] = M[i,j] * sum[k](A[i,k]*B[k,j])", {"C": fmt},
                         M=tensor(low, "csr"), A=tensor(low, "csr"), B=tensor(low, "csr"))
    np.testing.assert_array_equal(dense(result), expected)


def test_index_notation_reductions_build_the_string_statements():
    i, j, k = es.indices("i j k")
    a, b = matrix(10, (5, 4), 0.5, np.inf), matrix(11, (4, 6), 0.5, np.inf)
    A, B = tensor(a, "csr", np.inf), tensor(b, "csr", np.inf)
    C = es.empty((5, 6), "csr", fill=np.inf)
    C[i, j] = es.min(A[i, k] + B[k, j], over=k)
    np.testing.assert_array_equal(C.to_numpy(), np.min(a[:, :, None] + b[None], axis=1))
    assert str(es.max(A[i, k] * 2, over=k)) == "max[k](A[i,k]*2)"
    y = es.empty((5,), "dense", dtype=bool)
    y[i] = es.any(A[i, k] < 0, over=k)
    np.testing.assert_array_equal(y.to_numpy(), (a < 0).any(axis=1))
    with pytest.raises(es.StatementError, match=r"es.sum\(expr, over=k\) reduces one index expression"):
        es.sum(A[i, k], over="k")
    with pytest.raises(es.StatementError) as raised:
        es.sum(A[i, k])
    assert str(raised.value) == ("es.sum(expr, over=k) needs over=, the index variables it reduces over; "
                                 "a tensor's sum over axes is A.sum(axis=...) or np.sum(A)")
    with pytest.raises(TypeError, match=r"^exp\(\) got an unexpected keyword argument 'over'$"):
        es.exp(A[i, k], over=k)  # not a reduction: over= is refused, not ignored


def test_an_output_of_another_fill_than_the_result_is_refused_by_name():
    i, j, k = es.indices("i j k")
    A = tensor(matrix(12, (3, 3), 0.5, np.inf), "csr", np.inf)
    C = es.empty((3, 3), "csr", fill=5.0)
    with pytest.raises(es.NotSupportedError) as raised:
        C[i, j] = es.min(A[i, k] + A[k, j], over=k)
    assert str(raised.value) == ("output out has fill 5.0: an output written with '=' is replaced, not read, "
                                 "and this result's fill is inf; pass no output, or one of that fill")


@pytest.mark.parametrize("name", ["min", "max", "prod", "any", "all"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_tensor_reductions_match_numpy(name, axis):
    a = matrix(13, (6, 5), 0.6)
    t = tensor(a, "csr")
    expected = getattr(a, name)(axis=axis)
    for result in (getattr(t, name)(axis=axis), getattr(np, name)(t, axis=axis)):
        np.testing.assert_allclose(dense(result), expected, rtol=1e-12)
    assert np.shape(getattr(t, name)(axis=axis, keepdims=True)) == np.shape(getattr(a, name)(axis=axis, keepdims=True))


def test_tensor_max_over_rows_of_a_fill_zero_matrix_stays_sparse():
    a = matrix(14, (8, 6), 0.3)
    a[a < 0] = 0.0  # nonnegative: a row's max is its largest stored value, or the fill 0
    result = tensor(a, "csr").max(axis=1)
    assert isinstance(result, es.Tensor) and result.fill == 0
    np.testing.assert_array_equal(result.to_numpy(), a.max(axis=1))


@pytest.mark.parametrize("complemented", [False, True])
def test_where_masks_and_complemented_masks(complemented):
    m, a, b = matrix(15, (7, 6), 0.4) > 0, matrix(16, (7, 6), 0.5), matrix(17, (7, 6), 0.5)
    mask = es.tensor(m, "csr")
    if complemented:
        statement, expected = "C[i,j] = where(M[i,j], 0, A[i,j] + B[i,j])", np.where(m, 0, a + b)
    else:
        statement, expected = "C[i,j] = where(M[i,j], A[i,j] + B[i,j], 0)", np.where(m, a + b, 0)
    result = es.evaluate(statement, M=mask, A=tensor(a, "csr"), B=tensor(b, "csr"))
    np.testing.assert_array_equal(dense(result), expected)
    if not complemented:
        text = es.compile(statement, {"M": "csr", "A": "csr", "B": "csr", "C": "csr"}).explain()
        assert "j: intersect M2 with the union of A2, B2" in text


def test_a_logical_reduction_on_the_statement_needs_bool_values_too():
    with pytest.raises(es.DTypeError) as raised:
        es.evaluate("C[i] any= A[i,k]", A=np.ones((2, 3)))
    assert str(raised.value) == ("any reduces bool values, not float64: compare first, as in any[k](A[i,k] > 0)\n"
                                 "    C[i] any= A[i,k]\n              ^~~~~~")
