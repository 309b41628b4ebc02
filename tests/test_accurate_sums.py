"""Sums in registers are accumulated in compensated blocks: about as accurate as NumPy's einsum.

Each case compares the error against `math.fsum` of the same terms (the products rounded as both
libraries round them) with the error of `np.einsum` on the same data.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

RNG = np.random.default_rng(27)


def test_a_long_sum_of_a_broadcast_constant():
    a = np.broadcast_to(1.0000000000018199, 10**6)
    exact = math.fsum(a)
    ours, numpy = es.einsum("i->", a), np.einsum("i->", a)
    assert abs(ours - exact) <= abs(numpy - exact)
    assert ours == exact  # TwoSum keeps every block's rounding: here nothing is lost


def test_a_long_dot_product_of_random_normals():
    b, c = RNG.standard_normal(10**6), RNG.standard_normal(10**6)
    exact = math.fsum(b * c)
    assert abs(es.einsum("i,i->", b, c) - exact) <= abs(np.einsum("i,i->", b, c) - exact)


@pytest.mark.parametrize("seed", range(4))
def test_the_inner_product_of_sparse_matrices_over_stored_entries(seed):
    """A merge of two long rows is summed as one block (see `compiler.sums`), so this sum is not always
    as close as NumPy's pairwise one (2 to 20 units in the last place here, NumPy's 1 to 40); a sum
    left to right is off by 10 to 300 units on the same data."""
    rng = np.random.default_rng(seed)  # the data must not depend on which tests ran before
    A = sp.random(2000, 2000, density=0.2, format="csr", random_state=8)
    A.data = rng.standard_normal(A.nnz) * 1e3 + 1
    B = A.copy()
    B.data = rng.standard_normal(A.nnz)
    exact = math.fsum(A.data * B.data)  # same pattern: every product is stored in both
    ours = es.evaluate("s = A[i,j]*B[i,j]", {"A": "csr", "B": "csr"}, A=A, B=B)
    assert abs(ours - exact) <= 32 * np.spacing(abs(exact))


def test_a_sum_over_a_long_sparse_vector():
    x = np.where(RNG.random(10**6) < 0.5, RNG.standard_normal(10**6) + 1e4, 0.0)
    exact = math.fsum(x)
    ours = es.evaluate("s = x[i]", {"x": "c"}, x=es.tensor(x, format="c"))
    assert abs(ours - exact) <= max(abs(np.einsum("i->", x) - exact), 2 * np.spacing(abs(exact)))


def test_a_dot_product_per_output_entry_over_a_long_dense_index():
    U, V = RNG.standard_normal((3, 200_000)), RNG.standard_normal((4, 200_000)) + 0.5
    ours = es.einsum("ik,jk->ij", U, V)
    numpy = np.einsum("ik,jk->ij", U, V)
    for i in range(3):
        for j in range(4):
            exact = math.fsum(U[i] * V[j])
            assert abs(ours[i, j] - exact) <= max(abs(numpy[i, j] - exact), 2 * np.spacing(abs(exact)))


def test_integer_and_complex_sums_are_exact_as_before():
    ints = np.arange(10**6, dtype=np.int64)
    assert es.einsum("i->", ints) == ints.sum() == 499999500000
    big = np.full(300, 2**62, dtype=np.int64)  # wraps as NumPy's does
    assert es.einsum("i->", big) == big.sum()
    z = RNG.standard_normal(5000) + 1j * RNG.standard_normal(5000)
    exact = complex(math.fsum(z.real), math.fsum(z.imag))
    assert abs(es.einsum("i->", z) - exact) <= abs(np.einsum("i->", z) - exact) + 1e-15


@pytest.mark.parametrize("statement, formats, blocked", [
    ("s = x[i]", {}, True),
    ("s = A[i,j]*B[i,j]", {"A": "csr", "B": "csr"}, True),
    ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "csr"}, True),  # a dense dot per entry
    ("y[i] = A[i,j]*x[j]", {"A": "csr"}, False),                     # a sparse row per entry
])
def test_which_sums_are_blocked(statement, formats, blocked):
    source = es.compile(statement, formats).source
    assert ("two_sum(" in source) is blocked
