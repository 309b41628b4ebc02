"""The public API as the README shows it: evaluate, compile, einsum, tensor, Kernel."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es


@pytest.fixture(scope="module")
def matrices():
    rng = np.random.default_rng(3)
    A = sp.random(300, 200, density=0.02, format="csr", random_state=4)
    B = rng.random((200, 8))
    D = rng.random((300, 8))
    return A, B, D


def test_evaluate_fused_statement_on_scipy_matrix(matrices):
    A, B, D = matrices
    C = es.evaluate("C[i,j] = A[i,k]*B[k,j] + D[i,j]", A=A, B=B, D=D)
    assert isinstance(C, np.ndarray) and C.shape == (300, 8)
    np.testing.assert_allclose(C, A @ B + D, rtol=1e-13)


def test_compile_spmv_shows_readable_source(matrices):
    A, _, _ = matrices
    kernel = es.compile("y[i] = A[i,j]*x[j]", formats={"A": "csr", "x": "dense", "y": "dense"})
    x = np.arange(200.0)
    np.testing.assert_allclose(kernel(A=A, x=x), A @ x, rtol=1e-13)
    assert "for pA2 in range(A2_pos[u(pA1)], A2_pos[u(pA1 + 1)]):" in kernel.source
    assert "t0 = sum_add_in_order(t0, A_vals[u(pA2)] * x_vals[u(px1)])" in kernel.source
    assert kernel.formats == {"y": "dense", "A": "csr", "x": "dense"}


def test_compile_is_cached_in_memory():
    first = es.compile("y[i] = A[i,j]*x[j]", formats={"A": "csr"})
    again = es.compile("y(i) = A(i,j) * x(j)", formats={"A": "csr"})
    assert first is again


def test_csc_operand_is_read_without_conversion_and_scatters(matrices):
    A, _, _ = matrices
    x = np.linspace(0, 1, 200)
    kernel = es.compile("y[i] = A[i,j]*x[j]", formats={"A": "csc"})
    np.testing.assert_allclose(kernel(A=A.tocsc(), x=x), A @ x, rtol=1e-13)
    assert "loop order:     j, i" in kernel.explain()


def test_einsum_explicit_and_implicit_output(matrices):
    A, B, _ = matrices
    np.testing.assert_allclose(es.einsum("ik,kj->ij", A, B), A @ B, rtol=1e-13)
    np.testing.assert_allclose(es.einsum("ik,kj", A, B), A @ B, rtol=1e-13)
    dense = A.toarray()
    np.testing.assert_allclose(es.einsum("ij->j", A), dense.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(es.einsum("ij,ij", A, A), np.einsum("ij,ij", dense, dense), rtol=1e-13)
    square = dense[:200, :200]
    np.testing.assert_allclose(es.einsum("ii->i", sp.csr_matrix(square)), np.diag(square))
    np.testing.assert_allclose(es.einsum("ii", sp.csr_matrix(square)), np.trace(square))


def test_einsum_subscripts_may_be_any_letters_and_operands_many():
    # operand names skip the subscripts' letters: a tensor named like an index would be refused
    M, v = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 4.0])
    np.testing.assert_array_equal(es.einsum("AB,B->A", M, v), M @ v)
    np.testing.assert_array_equal(es.einsum("TA,A", M, v), M @ v)
    ones = [np.full(2, 1.5)] * 30
    assert es.einsum(",".join("a" * 30), *ones) == pytest.approx(np.einsum(",".join("a" * 30), *ones))


def test_scalar_output_is_a_numpy_scalar(matrices):
    A, _, _ = matrices
    s = es.evaluate("s = A[i,j]*A[i,j]", A=A)
    assert isinstance(s, np.float64)
    assert s == pytest.approx((A.data ** 2).sum(), rel=1e-13)


def test_accumulate_updates_the_given_array_in_place(matrices):
    A, B, _ = matrices
    C = np.ones((300, 8))
    result = es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=A, B=B, C=C)
    assert result is C
    np.testing.assert_allclose(C, 1 + A @ B, rtol=1e-13)


def test_output_buffer_is_overwritten_for_assignment(matrices):
    A, B, _ = matrices
    C = np.full((300, 8), 7.0)
    result = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=A, B=B, C=C)
    assert result is C
    np.testing.assert_allclose(C, A @ B, rtol=1e-13)


def test_output_index_only_on_the_left_takes_its_extent_from_the_output():
    a = np.arange(3.0)
    C = es.evaluate("C[i,j] = a[i]", a=a, C=np.zeros((3, 2)))
    np.testing.assert_array_equal(C, [[0, 0], [1, 1], [2, 2]])


def test_tensor_operands_and_formats():
    dense = np.array([[0, 2.0, 0], [1, 0, 3]])
    T = es.tensor(dense, format="dcsc")
    assert T.shape == (2, 3) and T.nnz == 3 and T.format == es.Format(("compressed", "compressed"), (1, 0))
    assert str(T.format) == "cc:1,0" and T.format.name == "dcsc"
    y = es.evaluate("y[i] = T[i,j]*x[j]", T=T, x=np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(y, [20.0, 301.0])


def test_coordinate_input_with_duplicates_is_summed():
    coords = np.array([[0, 1, 0], [2, 0, 2]])
    T = es.tensor((coords, np.array([1.0, 2.0, 3.0])), shape=(2, 3))
    np.testing.assert_array_equal(T.to_numpy(), [[0, 0, 4.0], [2.0, 0, 0]])


def test_dtype_promotion_follows_numpy():
    a32 = np.ones(4, dtype=np.float32)
    i64 = np.arange(4)
    assert es.evaluate("y[i] = a[i]*b[i]", a=a32, b=a32).dtype == np.float32
    assert es.evaluate("y[i] = a[i]*2.5", a=a32).dtype == np.float32
    assert es.evaluate("y[i] = a[i] + b[i]", a=a32, b=i64).dtype == np.float64
    assert es.evaluate("y[i] = b[i]*3", b=i64).dtype == np.int64
    np.testing.assert_array_equal(es.evaluate("y[i] = b[i] / 2", b=i64), i64 / 2)
    z = es.evaluate("s = a[i]*b[i]", a=np.array([1j, 2]), b=np.array([1j, 1]))
    assert z == (1j * 1j + 2) and isinstance(z, np.complex128)


def test_integer_sparse_statement_is_exact():
    A = sp.csr_matrix(np.array([[0, 3], [4, 0]], dtype=np.int64))
    y = es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=np.array([5, 7]))
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [21, 20])


def test_explain_names_loop_order_coiteration_and_prepared_operands():
    kernel = es.compile("C[i,j] = A[i,j] + B[j,i]", formats={"A": "csr", "B": "csr"})
    text = kernel.explain()
    assert "loop order:     i, j" in text
    assert "B_r: B (csr), stored as csc, prepared before the kernel" in text
    assert "j: union A2, B_r2" in text
    A = sp.random(20, 20, density=0.2, format="csr", random_state=1)
    B = sp.random(20, 20, density=0.2, format="csr", random_state=2)
    np.testing.assert_allclose(kernel(A=A, B=B), (A + B.T).toarray(), rtol=1e-13)


def test_zero_skipping_on_huge_doubly_compressed_matrices():
    """Extents of 2**40: any loop over a dense range would never finish; co-iteration visits 10 entries."""
    n = 2**40
    rng = np.random.default_rng(0)
    rows = rng.integers(0, n, 10)
    cols = rng.integers(0, n, 10)
    A = es.tensor((np.array([rows, cols]), np.arange(1.0, 11.0)), shape=(n, n), format="dcsr")
    shared = np.array([rows[:4], cols[:4]])
    B = es.tensor((shared, np.full(4, 2.0)), shape=(n, n), format="dcsr")
    kernel = es.compile("s = A[i,j]*B[i,j]", formats={"A": "dcsr", "B": "dcsr"})
    assert kernel(A=A, B=B) == 2.0 * (1 + 2 + 3 + 4)
    assert "range(n_" not in kernel.source
    assert "i: intersect A1, B1" in kernel.explain()


def test_format_objects_parse_and_print():
    assert es.Format.parse("csr") == es.Format(("dense", "compressed"), (0, 1))
    assert str(es.Format.parse("csc")) == "dc:1,0" and es.Format.parse("dc:1,0").name == "csc"
    assert es.Format.parse("dense", rank=3) == es.Format.dense(3) and es.Format.dense(3).name == "dense"
    assert es.Format.parse("ccc:2,0,1").mode_order == (2, 0, 1)
    assert es.Format.parse("csf", rank=3).name == "csf" and es.Format.parse("c").name == "c"


def test_format_of_letters_refuses_an_unknown_letter_with_a_format_error():
    assert es.Format.of_letters("dc", (1, 0)).name == "csc"
    with pytest.raises(es.FormatError, match="unknown level letter 'x' in 'dx'"):
        es.Format.of_letters("dx")
    with pytest.raises(es.FormatError, match="unknown level letter 'D'"):
        es.Format.of_letters("DC")



@pytest.mark.parametrize("columns, rows", [(32, 5000), (5, 40000)])  # 1.3 and 1.6 MB: rows prefetched
def test_rows_of_large_dense_operands_are_prefetched_without_changing_results(columns, rows):
    rng = np.random.default_rng(11)
    A = sp.random(300, rows, density=0.01, format="csr", random_state=rng)
    U, V = rng.random((300, columns)), rng.random((rows, columns))
    kernel = es.compile("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "csr"})
    # V[j,:] is read at A's coordinates j; U[i,:] only once per row, so it is not prefetched.
    assert "prefetch(V_vals, V_ahead + 24)" in kernel.source and "prefetch(U_vals" not in kernel.source
    assert ("look-ahead:\n  loop over j: prefetches the row of V it will read 16 entries of A2 ahead (when V is "
            "larger than 1 MB)\n") in kernel.explain()
    np.testing.assert_allclose(kernel(A=A, U=U, V=V).to_numpy(), A.toarray() * (U @ V.T), rtol=1e-13)


def test_rows_of_a_large_sparse_operand_are_prefetched_without_changing_results():
    rng = np.random.default_rng(12)
    A = sp.random(200, 20000, density=0.002, format="csr", random_state=rng)
    B = sp.random(20000, 3000, density=0.003, format="csr", random_state=rng)  # 180,000 values: 1.4 MB
    kernel = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"})
    assert "prefetch(B2_pos, A2_crd[u(pA2 + 16)])" in kernel.source
    np.testing.assert_allclose(kernel(A=A, B=B).to_numpy(), (A @ B).toarray(), rtol=1e-13)


def test_lopsided_intersections_gallop_and_agree_with_numpy():
    rng = np.random.default_rng(13)
    long_rows = sp.random(40, 3000, density=0.3, format="csr", random_state=rng)   # ~900 entries a row
    short = np.zeros(3000)
    short[rng.choice(3000, 20, replace=False)] = rng.random(20)
    short[long_rows.indices[:5]] = 2.0  # some coordinates surely shared
    spmspv = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr", "x": "c"})
    assert "gallop(A2_crd, pA2 + 1, pA2_end, jx1)" in spmspv.source
    assert ("look-ahead:\n  loop over j: intersects A2 and x1 by galloping where one is more than 16 times "
            "longer than the other\n") in spmspv.explain()
    np.testing.assert_allclose(spmspv(A=long_rows, x=es.tensor(short, "c")), long_rows @ short, rtol=1e-13)
    # The other way round: a long sparse x against rows of a few entries, some empty.
    few = sp.random(40, 3000, density=0.002, format="csr", random_state=rng)
    dense_x = rng.random(3000) * (rng.random(3000) < 0.5)
    np.testing.assert_allclose(spmspv(A=few, x=es.tensor(dense_x, "c")), few @ dense_x, rtol=1e-13)
    hadamard = es.compile("C[i,j] = A[i,j]*B[i,j]", {"A": "csr", "B": "csr", "C": "csr"})
    mixed = sp.vstack([long_rows[:20], few[:20]]).tocsr()
    np.testing.assert_array_equal(hadamard(A=mixed, B=few).to_numpy(), mixed.multiply(few).toarray())
    np.testing.assert_array_equal(hadamard(A=few, B=mixed).to_numpy(), few.multiply(mixed).toarray())
