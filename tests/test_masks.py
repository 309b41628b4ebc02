"""Masks moved into the reductions they select from (`compiler/masks.py`): `M[i,j]*sum[k](...)` and
`where(M[i,j], red[k](...), identity)` compute only the entries M stores, the mask driving the loop
over j, and give NumPy's values."""

import numpy as np
import pytest

import einsparse as es
from einsparse.compiler.pipeline import compile_plan

FORMATS = {"M": "csr", "A": "csr", "B": "csr", "C": "csr"}


def operands(seed, n=40, density=0.15):
    rng = np.random.default_rng(seed)
    a, b = (np.where(rng.random((n, n)) < density, rng.uniform(-1, 1, (n, n)), 0.0) for _ in range(2))
    m = rng.random((n, n)) < 0.1
    return m, a, b


def loops(statement, formats=FORMATS, fills=None):
    """The co-iteration lines of explain() for `statement` compiled for `formats` and `fills`."""
    text = compile_plan(statement, formats, fills=fills).explanation.split("\n")
    start = text.index("co-iteration:") + 1
    end = next(n for n in range(start, len(text)) if not text[n].startswith(" "))
    return text[start:end]


@pytest.mark.parametrize("output", ["csr", "dense"])
def test_a_mask_times_an_explicit_sum_intersects_the_inner_loop(output):
    m, a, b = operands(1)
    statement = "C[i,j] = M[i,j] * sum[k](A[i,k]*B[k,j])"
    assert "      j: intersect B2, M2" in loops(statement, {**FORMATS, "C": output})
    result = es.evaluate(statement, {"C": output}, M=es.tensor(m.astype(float), "csr"),
                         A=es.tensor(a, "csr"), B=es.tensor(b, "csr"))
    np.testing.assert_allclose(np.asarray(result.to_numpy() if isinstance(result, es.Tensor) else result),
                               m * (a @ b), rtol=1e-13, atol=1e-15)


def test_a_where_mask_over_min_plus_keeps_the_fill_and_the_values():
    m, a, b = operands(2)
    a[a == 0], b[b == 0] = np.inf, np.inf
    statement = "C[i,j] = where(M[i,j], min[k](A[i,k] + B[k,j]), inf)"
    assert "      j: intersect B2, M2" in loops(statement, fills={"A": np.inf, "B": np.inf})
    result = es.evaluate(statement, M=es.tensor(m, "csr"), A=es.tensor(a, "csr", fill=np.inf),
                         B=es.tensor(b, "csr", fill=np.inf))
    assert isinstance(result, es.Tensor) and result.fill == np.inf
    expected = np.where(m, np.min(a[:, :, None] + b[None], axis=1), np.inf)
    np.testing.assert_array_equal(result.to_numpy(), expected)


def test_a_mask_of_the_wrong_indices_or_a_dense_one_stays_outside():
    # M[i,j] beside a sum that has no j would recompute the sum for every j: not moved.
    text = es.compile("C[i,j] = M[i,j] * sum[k](A[i,k]*x[k])", {"M": "csr", "A": "csr"}).explain()
    assert "index notation: C[i,j] = M[i,j]*Sum(k, A[i,k]*x[k])" in text
    text = es.compile("C[i,j] = M[i,j] * sum[k](A[i,k]*B[k,j])", {"A": "csr", "B": "csr"}).explain()
    assert "index notation: C[i,j] = M[i,j]*Sum(k, A[i,k]*B[k,j])" in text
    # an untaken branch that is not the reduction's identity is not moved either
    text = es.compile("C[i,j] = where(M[i,j], min[k](A[i,k] + B[k,j]), 0)", FORMATS).explain()
    assert "index notation: C[i,j] = where(M[i,j], Min(k, A[i,k] + B[k,j]), 0)" in text


def test_a_mask_with_another_fill_stays_outside():
    m, a, b = operands(3)
    mask = es.tensor(np.where(m, 2.0, 1.0), "csr", fill=1.0)
    result = es.evaluate("C[i,j] = M[i,j] * sum[k](A[i,k]*B[k,j])", M=mask, A=es.tensor(a, "csr"),
                         B=es.tensor(b, "csr"))
    np.testing.assert_allclose(np.asarray(result.to_numpy() if isinstance(result, es.Tensor) else result),
                               np.where(m, 2.0, 1.0) * (a @ b), rtol=1e-13, atol=1e-15)


def test_a_complemented_bool_mask_with_the_false_constant():
    rng = np.random.default_rng(4)
    adjacency = rng.random((30, 30)) < 0.1
    frontier, visited = rng.random(30) < 0.2, rng.random(30) < 0.4
    statement = "N[j] = where(V[j], False, any[k](F[k] and A[k,j]))"
    result = es.evaluate(statement, F=es.tensor(frontier, "c"), A=es.tensor(adjacency, "csr"), V=visited)
    expected = ~visited & (frontier[:, None] & adjacency).any(axis=0)
    np.testing.assert_array_equal(np.asarray(result.to_numpy() if isinstance(result, es.Tensor) else result),
                                  expected)
    assert np.asarray(result.to_numpy() if isinstance(result, es.Tensor) else result).dtype == np.bool_
