"""A dense output the kernel assigns in full is allocated without zeroing; every other one starts at zero."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

RNG = np.random.default_rng(7)
_entries = sp.random(30, 20, density=0.2, random_state=3).toarray()
_entries[4] = 0                 # an empty row: SpMV must still write y[4]
A = sp.csr_matrix(_entries)
B = RNG.standard_normal((20, 6))
D = RNG.standard_normal((30, 6))
x = RNG.standard_normal(20)

# (statement, formats, operands, assigned in full, NumPy reference)
CASES = [
    ("y[i] = A[i,j]*x[j]", {"A": "csr"}, dict(A=A, x=x), True, lambda: A @ x),
    ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", {"A": "csr"}, dict(A=A, B=B, D=D), True, lambda: A @ B + D),
    ("s = A[i,j]*A[i,j]", {"A": "csr"}, dict(A=A), True, lambda: A.multiply(A).sum()),
    ("C[i,j] = D[i,j]*2", {}, dict(D=D), True, lambda: D * 2),
    ("y[i] = A[i,i]", {"A": "csr"}, dict(A=A[:20, :20]), True, lambda: A[:20, :20].diagonal()),  # prepared dense
    # Loops that visit only stored rows or entries, or add to what they wrote: zeroed first.
    ("y[i] = A[i,j]*x[j]", {"A": "dcsr"}, dict(A=A, x=x), False, lambda: A @ x),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr"}, dict(A=A, B=B), False, lambda: A @ B),
    ("C[i,j] = A[i,j]*D[i,j]", {"A": "csr"}, dict(A=A, D=D[:, :1].repeat(20, 1)), False,
     lambda: A.multiply(D[:, :1].repeat(20, 1)).toarray()),
]


@pytest.mark.parametrize("statement, formats, operands, full, reference", CASES,
                         ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_written_in_full_is_decided_from_the_loops(statement, formats, operands, full, reference):
    kernel = es.compile(statement, formats)
    assert kernel.plan.written_in_full is full
    assert ("allocated without zeroing" in kernel.explain()) is full
    for _ in range(3):  # the general path, then the shim: both on fresh memory
        np.testing.assert_allclose(es.evaluate(statement, formats, **operands), np.asarray(reference()),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("statement, formats, operands, full, reference",
                         [c for c in CASES if c[0] != "s = A[i,j]*A[i,j]"])
def test_a_given_output_full_of_garbage_is_overwritten(statement, formats, operands, full, reference):
    expected = np.asarray(reference())
    out = np.full(expected.shape, np.nan)
    name = statement.split("[")[0]
    result = es.evaluate(statement, formats, **operands, **{name: out})
    assert result is out
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_accumulating_into_a_given_output_keeps_its_values():
    y = np.ones(30)
    es.evaluate("y[i] += A[i,j]*x[j]", {"A": "csr"}, A=A, x=x, y=y)
    np.testing.assert_allclose(y, 1 + A @ x, rtol=1e-12)
    assert es.compile("y[i] += A[i,j]*x[j]", {"A": "csr"}).plan.written_in_full is False
