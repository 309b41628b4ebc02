"""Planned products (`compiler/planner.py`, `planned.py`): a statement of three or more tensors runs as
the kernels the planner picks from its operands' statistics, with NumPy's values, in every output
format; fusion wins (SDDMM, MTTKRP, masked products) stay one kernel."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.compiler.normalize import normalize
from einsparse.compiler.parse import parse
from einsparse.compiler.planner import Stats, plan_product

N = 3000


def sparse(rows, cols, per_row, seed):
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.uniform(-1, 1, rows * per_row),
                          (np.repeat(np.arange(rows), per_row), rng.integers(0, cols, rows * per_row))),
                         shape=(rows, cols))


A = sparse(N, N, 20, 1)
X = np.random.default_rng(2).uniform(-1, 1, N)
B = np.random.default_rng(3).uniform(-1, 1, (N, 8))
C = np.random.default_rng(4).uniform(-1, 1, (8, 8))


def dense(result):
    return result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)


def planned(statement, **stats):
    return plan_product(normalize(parse(statement)), stats, set(stats))


@pytest.mark.parametrize("optimize", [True, "greedy", "optimal", False])
def test_a_chain_of_sparse_products_is_two_kernels_with_numpys_values(optimize):
    statement = "y[i] = A[i,j]*A[j,k]*x[k]"
    result = es.evaluate(statement, A=A, x=X, optimize=optimize)
    np.testing.assert_allclose(result, A @ (A @ X), rtol=1e-10, atol=1e-12)
    kernel = es.compile(statement, {"A": "csr"}, optimize=optimize)
    kernel(A=A, x=X)
    text = kernel.explain()
    if optimize is False:
        assert "plan:" not in text and isinstance(kernel, es.Kernel)
    else:
        assert text.startswith("plan:           2 kernels, estimated cost ")
        assert "  1. T0[j] = A[j,k]*x[k]  (T0 dense, about 3e+03 entries)" in text
        assert "  2. y[i] = A[i,j]*T0[j]" in text
        assert "  after the last call: T0 stored 3000 entries (estimated 3e+03)" in text


@pytest.mark.parametrize("output", ["dense", "csr", "coo", "csc"])
def test_every_output_format(output):
    statement = "D[i,l] = A[i,j]*B[j,k]*C[k,l]"
    result = es.evaluate(statement, {"D": output}, A=A, B=B, C=C)
    np.testing.assert_allclose(dense(result), A @ (B @ C), rtol=1e-10, atol=1e-12)
    if output != "dense":
        assert isinstance(result, es.Tensor) and result.format.name == output


def test_einsum_plans_by_default_and_follows_a_given_path():
    expected = A @ (B @ C)
    for optimize in (True, False, "optimal", ["einsum_path", (1, 2), (0, 1)], [(0, 1), (0, 1)]):
        np.testing.assert_allclose(dense(es.einsum("ij,jk,kl->il", A, B, C, optimize=optimize)), expected,
                                   rtol=1e-10, atol=1e-12)
    kernel = es.compile("D[i,l] = A[i,j]*B[j,k]*C[k,l]", {"A": "csr"}, optimize=[(1, 2), (0, 1)])
    kernel(A=A, B=B, C=C)
    assert "  1. T0[j,l] = B[j,k]*C[k,l]" in kernel.explain()


def test_a_scalar_quadratic_form_and_a_tensor_network():
    np.testing.assert_allclose(es.evaluate("s = x[i]*A[j,i]*A[j,k]*x[k]", A=A, x=X),
                               (A @ X) @ (A @ X), rtol=1e-10)
    rng = np.random.default_rng(5)
    T = rng.uniform(-1, 1, (6, 7, 8))
    U, V, W = rng.uniform(-1, 1, (7, 5)), rng.uniform(-1, 1, (8, 4)), rng.uniform(-1, 1, (6, 3))
    expected = np.einsum("ijk,ja,kb,ic->abc", T, U, V, W)
    for optimize in (True, "greedy", False):
        np.testing.assert_allclose(es.einsum("ijk,ja,kb,ic->abc", T, U, V, W, optimize=optimize), expected,
                                   rtol=1e-10)


def test_integer_products_are_exact_when_planned():
    a = sp.csr_matrix(sparse(N, N, 20, 6).toarray().round() * 3).astype(np.int64)
    x = np.arange(N, dtype=np.int64) % 7
    result = es.evaluate("y[i] = A[i,j]*A[j,k]*x[k]", A=a, x=x)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, a @ (a @ x))


def test_fusion_wins_stay_one_kernel():
    n = 100_000
    sparse_matrix = Stats((n, n), 10 * n, False)
    assert planned("C[i,j] = A[i,j]*U[i,k]*V[j,k]", A=sparse_matrix, U=Stats((n, 16), 0, True),
                   V=Stats((n, 16), 0, True)) is None  # SDDMM
    assert planned("Y[i,j] = B[i,k,l]*C[k,j]*D[l,j]", B=Stats((1000,) * 3, 10 ** 6, False),
                   C=Stats((1000, 16), 0, True), D=Stats((1000, 16), 0, True)) is None  # MTTKRP
    assert planned("C[i,j] = M[i,j]*A[i,k]*B[k,j]", M=sparse_matrix, A=sparse_matrix, B=sparse_matrix) is None
    plan = planned("y[i] = A[i,j]*B[j,k]*x[k]", A=sparse_matrix, B=sparse_matrix, x=Stats((n,), n, True))
    assert [step.statement for step in plan.steps] == ["T0[j] = B[j,k]*x[k]", "y[i] = A[i,j]*T0[j]"]


def test_a_sparse_temporary_when_the_estimate_is_sparse():
    a, b = sparse(N, N, 5, 7), sparse(N, N, 5, 8)
    kernel = es.compile("D[i,l] = A[i,j]*B[j,k]*C[k,l]", {"A": "csr", "B": "csr"}, optimize=[(0, 1), (0, 1)])
    result = kernel(A=a, B=b, C=C[:, :3].repeat(N // 8 + 1, axis=0)[:N])
    np.testing.assert_allclose(dense(result), a @ (b @ C[:, :3].repeat(N // 8 + 1, axis=0)[:N]), rtol=1e-10,
                               atol=1e-12)
    assert "  1. T0[i,k] = A[i,j]*B[j,k]  (T0 sparse, about " in kernel.explain()


def test_statistics_of_occupied_rows_and_columns_estimate_a_concentrated_temporary():
    # A's entries are in its first 100 columns, B's in its first 100 rows: B @ x has 100 entries,
    # which the nonempty rows of B tell (shape and stored entries alone say about 12,600, and fuse)
    n, rng = 20_000, np.random.default_rng(9)
    a = sp.csr_matrix((rng.random(n), (rng.integers(0, n, n), rng.integers(0, 100, n))), shape=(n, n))
    b = sp.csr_matrix((rng.random(n), (rng.integers(0, 100, n), rng.integers(0, n, n))), shape=(n, n))
    x = rng.random(n)
    stats = {"A": Stats((n, n), a.nnz, False, (int(np.count_nonzero(a.getnnz(1))), 100)),
             "B": Stats((n, n), b.nnz, False, (100, int(np.count_nonzero(b.getnnz(0))))),
             "x": Stats((n,), n, True)}
    uniform = {**stats, "A": Stats((n, n), a.nnz, False), "B": Stats((n, n), b.nnz, False)}
    assert planned("y[i] = A[i,j]*B[j,k]*x[k]", **uniform) is None  # fused is thought as cheap
    kernel = es.compile("y[i] = A[i,j]*B[j,k]*x[k]", {"A": "csr", "B": "csr"})
    np.testing.assert_allclose(kernel(A=a, B=b, x=x), a @ (b @ x), rtol=1e-10)
    text = kernel.explain()
    assert "  1. T0[j] = B[j,k]*x[k]  (T0 sparse, about 100 entries)" in text
    assert "  after the last call: T0 stored 100 entries (estimated 100)" in text
    assert planned("y[i] = A[i,j]*B[j,k]*x[k]", **stats).steps[0].statement == "T0[j] = B[j,k]*x[k]"


def test_bad_optimize_values_are_named():
    with pytest.raises(es.StatementError) as raised:
        es.evaluate("y[i] = A[i,j]*A[j,k]*x[k]", A=A, x=X, optimize="fast")
    assert str(raised.value) == ("optimize='fast' is not one of False, True, 'greedy', 'optimal' or a contraction "
                                 "path such as ['einsum_path', (0, 1), (0, 1)]")


def test_einsum_path_reports_the_plan_and_its_path_runs_the_same():
    path, report = es.einsum_path("ij,jk,k->i", A, A, X)
    assert path == ["einsum_path", (1, 2), (0, 1)]
    lines = report.split("\n")
    assert lines[0] == "  Complete contraction:  ij,jk,k->i"
    assert lines[1].startswith("  Planned:  2 kernels, estimated cost ")
    assert lines[5].split() == ["T0[j]", "=", "B[j,k]*C[k]", "dense", "3e+03", "3000"]
    assert lines[6].split() == ["out[i]", "=", "A[i,j]*T0[j]", "(result)"]
    np.testing.assert_allclose(es.einsum("ij,jk,k->i", A, A, X, optimize=path), A @ (A @ X), rtol=1e-10)
    path, report = es.einsum_path("ij,jk,k->i", A, A, X, optimize=False)
    assert path == ["einsum_path", (0, 1, 2)]
    assert report.split("\n")[1] == "  one fused nest over every operand (optimize=False)"
