"""Semirings by name on einsum, evaluate and compile, against NumPy computing the GraphBLAS meaning
directly: the semiring's add reduces its multiply over the entries both operands store."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.semirings import SEMIRINGS

A = sp.random(30, 20, density=0.2, format="csr", random_state=1)
B = sp.random(20, 25, density=0.2, format="csr", random_state=2)
x = np.random.default_rng(3).uniform(0.5, 2.0, 20)

ADD = {"sum": (np.add, 0), "min": (np.minimum, np.inf), "max": (np.maximum, -np.inf), "any": (np.logical_or, False)}
MULTIPLY = {"plus_times": np.multiply, "min_plus": np.add, "max_plus": np.add, "max_min": np.minimum,
            "min_max": np.maximum, "or_and": np.logical_and, "any_pair": lambda a, b: np.full(a.shape, True),
            "plus_pair": lambda a, b: np.ones(a.shape, np.int64), "max_times": np.multiply,
            "min_times": np.multiply}


def graphblas_meaning(name, a, b, a_stored, b_stored):
    """C[i,j] = add over k where both store an entry of multiply(a[i,k], b[k,j])."""
    add, identity = ADD[SEMIRINGS[name].add]
    both = a_stored[:, :, None] & b_stored[None, :, :]
    return add.reduce(np.where(both, MULTIPLY[name](a[:, :, None], b[None, :, :]), identity), axis=1)


def dense(result):
    return result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)


@pytest.mark.parametrize("name", sorted(SEMIRINGS))
def test_semiring_matrix_product_on_scipy_matrices(name):
    a, b = A.toarray(), B.toarray()
    expected = graphblas_meaning(name, a, b, a != 0, b != 0)
    for result in (es.einsum("ik,kj->ij", A, B, semiring=name),
                   es.evaluate("C[i,j] = A[i,k]*B[k,j]", semiring=name, A=A, B=B),
                   es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr"}, semiring=name)(A=A, B=B)):
        np.testing.assert_allclose(dense(result).astype(float), expected.astype(float), rtol=1e-12)


@pytest.mark.parametrize("formats", [("csr", "csc"), ("coo", "csr"), ("csc", "dense")])
@pytest.mark.parametrize("name", sorted(SEMIRINGS))
def test_semirings_across_formats_on_integers_are_exact(name, formats):
    rng = np.random.default_rng(4)
    a = rng.integers(1, 9, (9, 8)) * (rng.random((9, 8)) < 0.4)
    b = rng.integers(1, 9, (8, 7)) * (rng.random((8, 7)) < (0.4 if formats[1] != "dense" else 2))
    expected = graphblas_meaning(name, a, b, a != 0, b != 0)
    operands = {"A": es.tensor(a, formats[0]), "B": es.tensor(b, formats[1])}
    result = es.evaluate("C[i,j] = A[i,k]*B[k,j]", semiring=name, **operands)
    np.testing.assert_array_equal(dense(result).astype(float), expected.astype(float))


@pytest.mark.parametrize("name", ["min_plus", "max_plus", "plus_times", "or_and", "plus_pair"])
def test_semiring_matrix_vector_product_with_a_dense_vector(name):
    a = A.toarray()
    expected = graphblas_meaning(name, a, x[:, None], a != 0, np.ones((20, 1), bool))[:, 0]
    result = es.einsum("ik,k->i", A, x, semiring=name)
    np.testing.assert_allclose(dense(result).astype(float), expected.astype(float), rtol=1e-12)


def test_min_plus_result_is_sparse_with_an_infinite_fill_and_integers_are_computed_in_float():
    a = sp.csr_matrix(np.array([[0, 3], [2, 0]], dtype=np.int64))
    result = es.einsum("ik,kj->ij", a, a, semiring="min_plus")
    assert isinstance(result, es.Tensor) and result.fill == np.inf and result.vals.dtype == np.float64
    np.testing.assert_array_equal(result.to_numpy(), [[5, np.inf], [np.inf, 5]])


def test_bool_semirings_on_bool_adjacency():
    adjacency = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool))
    frontier = np.array([True, False, False])
    reached = es.einsum("k,kj->j", frontier, adjacency, semiring="any_pair")
    np.testing.assert_array_equal(dense(reached), [False, True, False])


@pytest.mark.parametrize("statement, message", [
    ("C[i,j] = A[i,k] + B[k,j]", "semiring='min_plus' applies to a product of operands, as in "
                                 "C[i,j] = A[i,k]*B[k,j]; A[i,k] + B[k,j] is not one"),
    ("C[i,j] += A[i,k]*B[k,j]", "a semiring statement assigns with '=', not '+=': C[i,j] += A[i,k]*B[k,j]"),
])
def test_semiring_statement_errors(statement, message):
    with pytest.raises(es.NotSupportedError) as raised:
        es.evaluate(statement, semiring="min_plus", A=A, B=B)
    assert str(raised.value) == message


def test_an_unknown_semiring_is_named_with_the_known_ones():
    with pytest.raises(es.StatementError) as raised:
        es.einsum("ik,kj->ij", A, B, semiring="min_pls")
    assert str(raised.value) == ("unknown semiring 'min_pls'; the semirings are plus_times, min_plus, max_plus, "
                                 "max_min, min_max, or_and, any_pair, plus_pair, max_times, min_times")


def test_a_statement_built_from_index_notation_is_refused_by_name_not_with_an_attribute_error():
    i, j, k = es.indices("i j k")
    left, right, output = es.tensor(A), es.tensor(B), es.empty((30, 25))
    built = es.statement(output[i, j], left[i, k]*right[k, j])
    for call in (lambda: es.compile(built, semiring="min_plus"), lambda: es.evaluate(built, semiring="min_plus")):
        with pytest.raises(es.NotSupportedError) as raised:
            call()
        assert str(raised.value) == ("semiring= takes the statement as text, such as 'C[i,j] = A[i,k]*B[k,j]', "
                                     "not a Statement; write the semiring's operators in it")
