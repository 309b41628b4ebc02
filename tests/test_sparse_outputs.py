"""Sparse outputs: every output format, canonical structure, which zeros are stored, workspaces."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.reference import dense_reference as reference
from einsparse.runtime import parallel
from test_catalogue import random_operands
from test_tensor import check_structure

OUTPUT_FORMATS = {
    1: ["c"],
    2: ["csr", "csc", "dcsr", "dcsc", "coo", "cd", "us:1,0", "cd:1,0"],
    3: ["csf", "coo", "dcc", "ccc:2,0,1", "cdc:1,2,0", "dcd:1,0,2", "uss:2,1,0", "ccd"],
}
INPUT_FORMATS = {1: ["c", "d"], 2: ["csr", "csc", "dcsr", "coo", "dense"], 3: ["csf", "coo", "ccc:2,0,1", "ddd"]}
EXTENTS = {"i": 7, "j": 6, "k": 5, "l": 4}
SQUARE = {"i": 6, "j": 6, "k": 6, "l": 6}

# name: (statement, extents); the output is sparse in every format of OUTPUT_FORMATS.
STATEMENTS = {
    "spgemm": ("C[i,j] = A[i,k]*B[k,j]", EXTENTS),
    "union": ("C[i,j] = A[i,j] + B[i,j]", EXTENTS),
    "intersection": ("C[i,j] = A[i,j]*B[i,j]", EXTENTS),
    "sddmm": ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", EXTENTS),
    "ata_with_dense_middle": ("C[i,j] = A[k,i]*D[k,l]*A[l,j]", SQUARE),
    "sum_times_sum": ("C[i,j] = (A[i,j] + B[i,j])*(A[i,j] + B[i,j] + E[i,j])", EXTENTS),
    "spgemm_plus_sparse": ("C[i,j] = A[i,k]*B[k,j] + E[i,j]", EXTENTS),
    "ttv_into_matrix": ("M[i,j] = T[i,j,k]*c[k]", EXTENTS),
    "sparse_ttm": ("Y[i,j,l] = T[i,j,k]*U[l,k]", EXTENTS),
    "tensor_add": ("Y[i,j,k] = T[i,j,k] + S[i,j,k]", EXTENTS),
    "sparse_spmv": ("y[i] = A[i,j]*x[j]", EXTENTS),
    "sparse_vector_add": ("z[i] = a[i] - b[i]", EXTENTS),
    "transposed_union": ("C[i,j] = A[i,j] + B[j,i]", SQUARE),
}


def output_rank(statement: str) -> int:
    lhs = statement.split("=")[0]
    return lhs.count(",") + 1 if "[" in lhs else 0


def cases():
    for name, (statement, _) in STATEMENTS.items():
        for k, fmt in enumerate(OUTPUT_FORMATS[output_rank(statement)]):
            yield pytest.param(name, fmt, k, id=f"{name}-{fmt}")


def input_formats(statement: str, extents: dict, k: int) -> dict:
    shapes = {name: a.shape for name, a in random_operands(statement, extents, np.float64, 0).items()}
    formats = {}
    for m, (name, shape) in enumerate(sorted(shapes.items())):
        choices = INPUT_FORMATS[len(shape)] if shape else [""]
        formats[name] = choices[(k + m) % len(choices)]
    return formats


def check_no_stored_zeros(t: es.Tensor) -> None:
    """Values at a compressed last level are never zero: computed zeros are not stored."""
    if t.format.levels and not t.format.levels[-1].full:
        assert np.all(t.vals != 0)


@pytest.mark.parametrize("name, fmt, k", list(cases()))
def test_sparse_output_matches_reference_and_is_canonical(name, fmt, k):
    statement, extents = STATEMENTS[name]
    operands = random_operands(statement, extents, np.float64, seed=k + 11)
    formats = input_formats(statement, extents, k)
    output = statement.split("[")[0]
    result = es.evaluate(statement, {**formats, output: fmt}, **operands)
    assert isinstance(result, es.Tensor)
    assert result.format == es.Format.parse(fmt, result.ndim)
    np.testing.assert_allclose(result.to_numpy(), reference(statement, operands), rtol=1e-12, atol=1e-12)
    check_structure(result)
    check_no_stored_zeros(result)


def test_union_stays_sparse_by_default_in_the_operands_format():
    A = sp.random(30, 20, density=0.1, format="csr", random_state=1)
    B = sp.random(30, 20, density=0.1, format="csr", random_state=2)
    S = es.evaluate("S[i,j] = A[i,j] + B[i,j]", A=A, B=B)
    assert isinstance(S, es.Tensor) and S.format.name == "csr"
    assert (S.to_scipy() != (A + B)).nnz == 0
    dense = es.evaluate("S[i,j] = A[i,j] + B[i,j]", A=A, B=B.toarray())
    assert isinstance(dense, np.ndarray)


def test_spgemm_result_in_csr_equals_scipy():
    A = sp.random(200, 150, density=0.03, format="csr", random_state=3)
    B = sp.random(150, 100, density=0.03, format="csr", random_state=4)
    C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=A, B=B, formats={"C": "csr"})
    expected = (A @ B).tocsr()
    expected.eliminate_zeros()
    expected.sort_indices()
    got = C.to_scipy()
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-13)
    assert "dense accumulator with a list of touched coordinates" in es.compile(
        "C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}).explain()


def test_rows_are_sorted_by_bitmap_scan_or_by_sort():
    """A workspace row read back in order by scanning its bitmap (coordinates close together) or by
    sorting (a few coordinates far apart): both give canonical rows."""
    n = 20_000
    rows = [0, 0, 1, 1, 1, 2, 2]
    cols = [3, n - 1, 5, 64, 129, 7000, 9000]  # row 0: far apart; row 1: within three words; row 2: mid
    A = sp.csr_matrix((np.arange(1.0, 8.0), (rows, cols)), shape=(3, n))
    B = sp.diags([1.0, 2.0, 3.0], [0, 1, 2], shape=(n, n), format="csr")  # row k reaches k..k+2
    got = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"C": "csr"}, A=A, B=B)
    check_structure(got)
    expected = (A @ B).tocsr()
    expected.sort_indices()
    np.testing.assert_array_equal(got.levels[1].pos, expected.indptr)
    np.testing.assert_array_equal(got.levels[1].crd, expected.indices)
    np.testing.assert_allclose(got.vals, expected.data)


def test_computed_zeros_are_not_stored_but_nan_is():
    A = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, np.nan]]))
    B = sp.csr_matrix(np.array([[1.0, 0.0, 5.0], [0.0, 3.0, 0.0]]))
    C = es.evaluate("C[i,j] = A[i,j] - B[i,j]", A=A, B=B, formats={"C": "csr"})
    assert C.nnz == 3  # (0,1)=2, (0,2)=-5, (1,2)=nan; (0,0) and (1,1) cancel to zero
    coords, values = C.to_coo()
    np.testing.assert_array_equal(coords, [[0, 0, 1], [1, 2, 2]])
    np.testing.assert_array_equal(values, [2.0, -5.0, np.nan])
    empty = es.evaluate("C[i,j] = A[i,j] + N[i,j]", A=B, N=-B, formats={"C": "dcsr"})
    assert empty.nnz == 0 and np.array_equal(empty.levels[0].pos, [0, 0])


def test_a_small_result_does_not_hold_on_to_the_room_made_for_a_large_one():
    """The kernel makes room for as many entries as its operands hold; a result using less than half
    of it is copied out, so the rest is freed (scipy prunes its results the same way)."""
    A = sp.random(400, 400, 0.1, format="csr", random_state=3)
    B = sp.csr_matrix((np.ones(1), ([5], [A.indices[A.indptr[5]]])), shape=(400, 400))
    C = es.evaluate("C[i,j] = A[i,j]*B[i,j]", A=A, B=B)
    assert C.nnz == 1 and C.vals[0] == A[5, A.indices[A.indptr[5]]]
    for array in (C.vals, C.levels[1].crd):
        assert array.base is None or array.base.nbytes <= 2 * array.nbytes
    full = es.evaluate("C[i,j] = A[i,j] + B[i,j]", A=A, B=B)  # uses all its room: nothing to copy
    assert full.nnz == A.nnz and full.vals.base is not None


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("fmt", ["csr", "dcsr"])
def test_an_output_larger_than_its_first_room_is_assembled_in_pieces(monkeypatch, fmt, threads):
    """The first room is the sparse operands' entries; a broadcast vector adds its entries to every row,
    so the kernel stops for room again and again and goes on into new pieces, joined in order."""
    from einsparse.runtime import call as kernel_module
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    calls = []
    task = kernel_module.Call._task
    monkeypatch.setattr(kernel_module.Call, "_task", lambda *args: calls.append(args[-1]) or task(*args))
    A = sp.random(300, 200, 0.02, format="csr", random_state=4)
    b = np.where(np.arange(200) % 3 == 0, np.arange(200) + 1.0, 0.0)
    C = es.evaluate("C[i,j] = A[i,j] + b[j]", {"C": fmt, "b": "c"}, threads=threads, A=A, b=b)
    np.testing.assert_array_equal(C.to_numpy(), A.toarray() + b)
    check_structure(C)
    assert C.nnz == np.count_nonzero(A.toarray() + b)
    chunks = 1 if threads == 1 else threads * parallel.CHUNKS_PER_THREAD
    assert len(calls) > chunks  # pieces after the chunks' first ones
    d = np.arange(300) % 2 + 0.0  # every other row, for more rows than the first room holds
    sparse_rows = sp.random(300, 200, 0.0005, format="csr", random_state=5)
    D = es.evaluate("C[i,j] = A[i,j] + d[i]*e[j]", {"C": fmt}, threads=threads, A=sparse_rows, d=d,
                    e=np.ones(200))
    np.testing.assert_array_equal(D.to_numpy(), sparse_rows.toarray() + np.outer(d, np.ones(200)))
    check_structure(D)


def _stored(shape, entries, dtype=np.float64):
    """A CSR matrix holding exactly `entries` ({(row, column): value}), explicit zeros included."""
    rows, cols = zip(*sorted(entries))
    values = np.array([entries[key] for key in sorted(entries)], dtype=dtype)
    return sp.csr_matrix((values, (np.array(rows), np.array(cols))), shape=shape)


UNION_A = {(0, 0): 1.0, (0, 1): -2.0, (0, 3): np.nan, (0, 5): 5.0, (1, 1): np.inf, (1, 2): 3.0, (1, 4): -0.0,
           (1, 5): 0.0}
UNION_B = {(0, 0): -1.0, (0, 2): 4.0, (0, 3): 1.0, (0, 4): 2.0, (0, 5): -5.0, (1, 0): 7.0, (1, 1): 1.0,
           (1, 4): 1.0}


def _present(value):
    return 0.0 if value is None else value


@pytest.mark.parametrize("fmt", ["csr", "dcsr"])
@pytest.mark.parametrize("statement, entry", [
    ("C[i,j] = A[i,j] + B[i,j]", lambda a, b, d: _present(a) + _present(b)),
    ("C[i,j] = 2*A[i,j] - B[i,j]/4", lambda a, b, d: 2 * _present(a) - _present(b) / 4),
    ("C[i,j] = A[i,j] + B[i,j]*D[i,j]", lambda a, b, d: _present(a) + (0.0 if b is None else b * d)),
])
def test_unions_compute_each_entry_from_the_operands_stored_there(statement, entry, fmt):
    """Cancellations, NaN, Inf, explicit zeros and -0.0 in both operands of a union, and a dense factor
    holding Inf where B stores nothing: there the entry is A's alone (an implicit zero times Inf is
    not computed). Stored: the entries that are not zero (NaN included), in order."""
    A, B = _stored((2, 6), UNION_A), _stored((2, 6), UNION_B)
    D = np.full((2, 6), np.inf)
    D[1] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    kernel = es.compile(statement, {"A": "csr", "B": "csr", "C": fmt})
    branch_free = ("merges:\n  loop over j: union of A2 and B2 without branches: 0 for the one not on the "
                   "coordinate, the sum written at every step and counted when it is not zero\n")
    assert (branch_free in kernel.explain()) == ("D" not in statement)  # a dense factor keeps the branches
    C = kernel(A=A, B=B, **({"D": D} if "D" in statement else {}))
    check_structure(C)
    with np.errstate(all="ignore"):
        expected = {key: entry(UNION_A.get(key), UNION_B.get(key), D[key]) for key in set(UNION_A) | set(UNION_B)}
    stored = sorted(key for key, value in expected.items() if value != 0 or np.isnan(value))
    coords, values = C.to_coo()
    np.testing.assert_array_equal(coords.T.tolist(), stored)
    np.testing.assert_array_equal(values, [expected[key] for key in stored])


def test_a_union_with_a_dense_term_meets_every_entry():
    A, B = _stored((2, 6), UNION_A), _stored((2, 6), UNION_B)
    D = np.arange(12.0).reshape(2, 6) - 5
    C = es.evaluate("C[i,j] = -A[i,j] + B[i,j] + D[i,j]", {"C": "csr"}, A=A, B=B, D=D)
    np.testing.assert_array_equal(C.to_numpy(), -A.toarray() + B.toarray() + D)


def test_unions_of_integers_floats_and_complex_numbers():
    A = sp.random(50, 40, 0.2, format="csr", random_state=6)
    B = sp.random(50, 40, 0.2, format="csr", random_state=7)
    ints, floats = (A * 10).astype(np.int64), B.astype(np.float32)
    got = es.evaluate("C[i,j] = 3*A[i,j] - B[i,j]", A=ints, B=floats)
    assert got.vals.dtype == np.float64
    np.testing.assert_array_equal(got.to_numpy(), 3 * ints.toarray() - floats.toarray().astype(np.float64))
    complex_b = B.astype(np.complex128) * (1 - 2j)
    got = es.evaluate("C[i,j] = A[i,j] + B[i,j]", A=ints, B=complex_b)
    np.testing.assert_array_equal(got.to_numpy(), ints.toarray() + complex_b.toarray())
    got = es.evaluate("C[i,j] = A[i,j] - B[i,j]", A=ints, B=ints)  # every entry cancels
    assert got.nnz == 0 and got.vals.dtype == np.int64


def test_explicit_zeros_in_dense_levels_of_the_output_format():
    """A format whose last level is dense stores its whole fiber, zeros included."""
    A = sp.csr_matrix(np.array([[0.0, 2.0], [0.0, 0.0], [1.0, 0.0]]))
    C = es.evaluate("C[i,j] = 3*A[i,j]", A=A, formats={"C": "cd"})
    assert C.format.name == "cd"
    np.testing.assert_array_equal(C.levels[0].crd, [0, 2])  # the empty row is not stored
    np.testing.assert_array_equal(C.vals, [0.0, 6.0, 3.0, 0.0])


def test_no_empty_fiber_under_a_compressed_output_level():
    """tensora's case: a row of B with no entries leaves no row in a `cd` output (TACO's assembly)."""
    B = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    C = np.arange(1.0, 7.0).reshape(3, 2)
    A = es.evaluate("A[i,j] = B[i,k]*C[k,j]", {"B": "csr", "A": "cd"}, B=B, C=C)
    assert A.nnz == 2
    np.testing.assert_array_equal(A.levels[0].crd, [0])
    np.testing.assert_array_equal(A.vals, [11.0, 14.0])
    np.testing.assert_array_equal(A.to_numpy(), B @ C)


@pytest.mark.parametrize("fmt", ["cd", "cd:1,0", "ccd", "cdd", "dcd", "ccd:2,0,1", "cdd:1,2,0"])
@pytest.mark.parametrize("threads", [1, 2])
def test_stored_fibers_are_exactly_the_nonzero_ones(fmt, threads, monkeypatch):
    """Every stored coordinate of a compressed level above a dense one has a nonzero value beneath it,
    on one thread and in chunks."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    rng = np.random.default_rng(11)
    rank = len(fmt.split(":")[0])
    shape = (40, 30, 5)[:rank]
    dense = np.where(rng.random(shape) < 0.05, rng.standard_normal(shape), 0.0)
    dense[3] = 0.0                                                    # an empty slice
    X = es.tensor(dense, format="csf" if rank == 3 else "csr")
    indices = "ijk"[:rank]
    access = f"[{','.join(indices)}]"
    Y = es.evaluate(f"Y{access} = X{access}*2", {"X": X.format.name, "Y": fmt}, threads=threads, X=X)
    np.testing.assert_array_equal(Y.to_numpy(), 2 * dense)
    order = Y.format.mode_order
    stored = np.transpose(2 * dense, order)
    levels = Y.format.name.split(":")[0]
    # the fibers kept under the last compressed level: those holding a nonzero, and no others
    depth = max(k for k, letter in enumerate(levels) if letter in "cs") + 1
    fibers = np.count_nonzero(stored.reshape(*stored.shape[:depth], -1).any(axis=-1))
    block = int(np.prod(stored.shape[depth:]))
    assert Y.vals.size == fibers * block


def test_a_fiber_whose_values_all_compute_to_zero_is_not_kept():
    A = sp.csr_matrix(np.array([[1.0, 2.0], [3.0, 0.0]]))
    Y = es.evaluate("Y[i,j] = A[i,j] - A[i,j]", {"Y": "cd"}, A=A)
    assert Y.nnz == 0 and Y.to_numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_accumulate_into_a_sparse_output_returns_the_sum():
    A = sp.random(20, 20, density=0.1, format="csr", random_state=5)
    C0 = sp.random(20, 20, density=0.1, format="csr", random_state=6)
    before = C0.copy()
    C = es.evaluate("C[i,j] += A[i,j]*A[i,j]", A=A, C=C0)
    assert isinstance(C, es.Tensor) and C.format.name == "csr"
    np.testing.assert_allclose(C.to_numpy(), (C0 + A.multiply(A)).toarray(), rtol=1e-13)
    assert (C0 != before).nnz == 0  # the given matrix is not changed


def test_coo_input_is_iterated_directly_and_duplicates_are_summed():
    coords = np.array([[0, 2, 0, 1, 2], [1, 0, 1, 3, 0]])
    T = es.tensor((coords, np.array([1.0, 2.0, 3.0, 4.0, 5.0])), shape=(3, 4), format="coo")
    assert T.format.name == "coo" and T.nnz == 3
    kernel = es.compile("y[i] = T[i,j]*x[j]", {"T": "coo"})
    assert "T1_crd" in kernel.source and "T_r" not in kernel.source  # no conversion
    np.testing.assert_array_equal(kernel(T=T, x=np.array([1.0, 10.0, 100.0, 1000.0])), [40.0, 4000.0, 7.0])


def test_issue_example_ttv_into_dcsr():
    rng = np.random.default_rng(0)
    coords = rng.integers(0, 2000, size=(3, 5000))
    T = es.tensor((coords, rng.random(5000)), shape=(2000, 2000, 2000), format="coo")
    c = rng.random(2000)
    M = es.evaluate("M[i,j] = T[i,j,k]*c[k]", T=T.asformat("csf"), c=c, formats={"M": "dcsr"})
    assert M.format.name == "dcsr"
    rows, cols = coords[0], coords[1]
    expected = sp.coo_matrix((T.to_coo()[1] * c[T.to_coo()[0][2]],
                              (T.to_coo()[0][0], T.to_coo()[0][1])), shape=(2000, 2000)).tocsr()
    got = M.to_scipy().tocsr()
    assert abs(got - expected).max() < 1e-12
    assert M.nnz == len({(a, b) for a, b in zip(rows, cols)}) - np.count_nonzero(expected.data == 0)


SPGEMM_MEMORY = """
import resource, numpy as np, scipy.sparse as sp, einsparse as es
n, per_row = 200_000, 10
rng = np.random.default_rng(0)
def matrix(seed):
    r = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    m = sp.coo_matrix((r.random(n * per_row), (rows, r.integers(0, n, n * per_row))), shape=(n, n)).tocsr()
    m.sum_duplicates()
    return m
A, B = matrix(1), matrix(2)
C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=A, B=B, formats={"C": "csr"})
expected = A @ B
print(C.nnz, expected.nnz, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_spgemm_of_large_matrices_uses_row_sized_workspaces(tmp_path):
    """200,000 x 200,000 with ~10 entries per row: a dense row x column temporary would need 298 GiB."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run([sys.executable, "-c", SPGEMM_MEMORY], env=env, capture_output=True, text=True,
                          check=True)
    ours, theirs, peak_mib = map(int, done.stdout.split())
    assert ours == theirs
    # Inputs ~50 MiB, the output ~240 MiB, scipy's product as much again, Numba's compiler ~200 MiB:
    # a few GiB at most, where one dense 200,000 x 200,000 temporary alone would need 298 GiB.
    assert peak_mib < 4 * 1024, f"peak resident memory {peak_mib} MiB"


def test_rows_too_long_for_a_dense_workspace_use_a_pair_list():
    """With 10**7 columns and a few hundred entries, a dense row per call would dwarf the work."""
    n = 10**7
    rng = np.random.default_rng(5)
    A = sp.random(40, 30, density=0.2, format="csr", random_state=7)
    B = sp.csr_matrix((rng.random(120), (rng.integers(0, 30, 120), rng.integers(0, n, 120))), shape=(30, n))
    B.sum_duplicates()
    E = sp.csr_matrix((rng.random(30), (rng.integers(0, 40, 30), rng.integers(0, n, 30))), shape=(40, n))
    E.sum_duplicates()
    kernel = es.compile("C[i,j] = A[i,k]*B[k,j] - E[i,j]", {"A": "csr", "B": "csr", "E": "csr", "C": "csr"})
    C = kernel(A=A, B=B, E=E)
    assert "list of (coordinate, value) pairs" in kernel._calls["list"].plan.explanation
    expected = (A @ B - E).tocsr()
    expected.eliminate_zeros()
    expected.sort_indices()
    got = C.to_scipy()
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-13)
    check_no_stored_zeros(C)


def test_a_kernel_too_long_to_compile_in_reasonable_time_is_refused_clearly():
    statement = "OUT[l,j,i] = T0[j,j,l,l]*(T1[k,i,i]*-T2[l,i,l,j]/d0[l]) + T4[k] - 3*T1[i,i,k]/d1[j]"
    formats = {"T0": "cddc:1,2,3,0", "T1": "ccc:2,1,0", "T2": "cccd:3,2,0,1", "T4": "d", "OUT": "uss:2,1,0"}
    with pytest.raises(es.NotSupportedError) as error:
        es.compile(statement.replace(" = ", " += "), formats)
    message = str(error.value)
    assert re.fullmatch(
        r"the kernel for OUT\[l,j,i\] \+= .* would have (\d+) lines \(at most 1500 are compiled\): its loops "
        r"co-iterate many sparse operands, with one branch per combination of present operands at every "
        r"level; split the statement, or store some operands dense", message), message
    assert int(re.search(r"have (\d+) lines", message).group(1)) > 1500


def test_too_many_sparse_operands_in_one_loop_are_refused_clearly():
    names = [f"v{k}" for k in range(7)]
    statement = "y[i] = " + " + ".join(f"{n}[i]" for n in names)
    with pytest.raises(es.NotSupportedError) as error:
        es.compile(statement, {n: "c" for n in names})
    assert str(error.value) == (
        "the loop over i would co-iterate 7 sparse operands at once (v01, v11, v21, v31, v41, v51, v61), "
        "with one branch per combination of present operands; more than 6 are not supported: split the "
        "statement, or store some of these operands dense")
    vectors = {n: np.arange(4.0) * k for k, n in enumerate(names)}
    assert np.array_equal(es.evaluate("y[i] = v1[i] + v2[i] + v3[i] + v4[i]", {n: "c" for n in names[1:5]},
                                      **{n: vectors[n] for n in names[1:5]}), np.arange(4.0) * 10)


@pytest.mark.parametrize("statement, formats, two_phase", [
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}, True),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csc", "B": "csc", "C": "csc"}, True),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "dcsr", "B": "csr", "C": "dcsr"}, False),  # rows not all dense
    ("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr", "C": "csr"}, False),  # bounded by A and B
    ("C[i,j] = A[i,j] * B[i,j]", {"A": "csr", "B": "csr", "C": "csr"}, False),
])
def test_two_phase_assembly_is_chosen_where_no_operand_bounds_the_output(statement, formats, two_phase):
    kernel = es.compile(statement, formats)
    assert (kernel.plan.count_source is not None) is two_phase
    assert ("in two passes" in kernel.explain()) is two_phase
    assert ("in one pass" in kernel.explain()) is not two_phase


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_two_phase_spgemm_fills_exactly_sized_arrays(threads, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    A = sp.random(300, 200, 0.03, format="csr", random_state=1)
    B = sp.random(200, 250, 0.03, format="csr", random_state=2)
    C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}, threads=threads, A=A, B=B)
    expected = (A @ B).tocsr()
    expected.sort_indices()
    got = C.to_scipy()
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-13)
    # counted exactly: the arrays the kernel wrote are the result's, with no room left over
    assert len(C.vals) == C.nnz and len(C.vals.base if C.vals.base is not None else C.vals) == C.nnz


@pytest.mark.parametrize("threads", [1, 2])
def test_two_phase_drops_products_that_cancel(threads, monkeypatch):
    """The count is of entries touched; entries whose sum cancels are not stored, and the rows close up."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    A = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 2.0]]))
    B = sp.csr_matrix(np.array([[1.0, 2.0], [-1.0, 3.0]]))
    C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}, threads=threads, A=A, B=B)
    assert C.nnz == 5
    np.testing.assert_array_equal(C.to_numpy(), [[0.0, 5.0], [1.0, 2.0], [-2.0, 6.0]])
    np.testing.assert_array_equal(C.levels[1].crd, [1, 0, 1, 0, 1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int64])
def test_a_union_keeps_inf_nan_and_signed_zeros_of_one_side(dtype):
    """A merge step takes an absent operand as zero without branching (helper `pick`): the other side's
    value, whatever its bits, must come through as NumPy adds it."""
    rng = np.random.default_rng(3)
    special = [np.inf, -np.inf, np.nan, -0.0, 2.5] if np.dtype(dtype).kind in "fc" else [7, -3, 2**40]
    a = np.zeros((6, 9), dtype)
    b = np.zeros((6, 9), dtype)
    a[rng.random(a.shape) < 0.4] = rng.choice(special, 1)[0]
    for where in zip(*np.nonzero(rng.random(b.shape) < 0.4)):
        b[where] = rng.choice(special)
    result = es.evaluate("C[i,j] = A[i,j] + B[i,j]", A=sp.csr_matrix(a), B=sp.csr_matrix(b),
                         formats={"C": "csr"})
    np.testing.assert_array_equal(result.to_numpy(), a + b)
