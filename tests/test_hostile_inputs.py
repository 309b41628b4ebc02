"""Hostile and unusual inputs not covered elsewhere (malformed .mtx/.tns lines are in test_io.py, format
round trips of empty and tiny tensors in test_tensor.py, random extents 0 and 1 and empty or full
operands in test_random_statements.py): each behaves as documented in the README."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.errors import FileFormatError, ShapeError
from einsparse.runtime import io
from einsparse.runtime.convert import from_coo

ROOT = Path(__file__).resolve().parents[1]
HUGE = 2**62


def put(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------- files


def test_empty_files(tmp_path):
    with pytest.raises(FileFormatError, match=r"e\.mtx:1: not a Matrix Market file"):
        io.read(put(tmp_path / "e.mtx", ""))
    with pytest.raises(FileFormatError, match=r"e\.tns: no entries, so its shape is unknown; give the shape"):
        io.read(put(tmp_path / "e.tns", ""))
    with pytest.raises(FileFormatError, match=r"e\.npy: not a readable \.npy file"):
        io.read(put(tmp_path / "e.npy", ""))


def test_huge_declared_size_with_few_entries_stays_sparse(tmp_path):
    n = 10**12
    path = put(tmp_path / "h.mtx", f"%%MatrixMarket matrix coordinate real general\n{n} {n} 2\n1 1 2.5\n{n} 5 -1\n")
    A = io.read(path)
    assert isinstance(A, es.Tensor) and A.format.name == "dcsr" and A.shape == (n, n)
    coords, values = A.to_coo()
    assert coords.tolist() == [[0, n - 1], [0, 4]] and values.tolist() == [2.5, -1.0]
    assert es.evaluate("s = A[i,j]", A=A) == 1.5
    assert isinstance(io.read(put(tmp_path / "s.mtx", "%%MatrixMarket matrix coordinate real general\n"
                                                     "3 3 1\n1 1 1\n")), sp.csr_matrix)


def test_nan_and_inf_are_kept_as_values(tmp_path):
    A = io.read(put(tmp_path / "n.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n"
                                        "1 1 nan\n2 1 inf\n2 2 -inf\n"))
    assert np.array_equal(A.toarray(), [[np.nan, 0], [np.inf, -np.inf]], equal_nan=True)
    T = io.read(put(tmp_path / "n.tns", "1 1 1 nan\n2 1 2 -inf\n"))
    assert np.array_equal(T.to_coo()[1], [np.nan, -np.inf], equal_nan=True)


def run_cli(*args, cwd: Path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "einsparse", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_npy_of_wrong_rank_or_dtype_names_the_operand(tmp_path):
    np.save(tmp_path / "r3.npy", np.ones((2, 2, 2)))
    np.save(tmp_path / "u.npy", np.ones(3, np.longdouble))
    rank = run_cli("run", "y[i] = A[i,j]*x[j]", "A=r3.npy", "x=ones", cwd=tmp_path)
    assert rank.returncode == 1 and rank.stderr == (
        "einsparse run: error: operand A has rank 3 (shape (2, 2, 2)) but is indexed with 2 indices\n"
        "    y[i] = A[i,j]*x[j]\n"
        "           ^~~~~~\n")
    dtype = run_cli("run", "y[i] = A[i]*x[i]", "A=u.npy", "x=ones", cwd=tmp_path)
    assert dtype.returncode == 1 and dtype.stderr == (
        f"einsparse run: error: operand A (u.npy) has dtype {np.dtype(np.longdouble)}, which einsparse does not "
        "compute with; use a NumPy number type (bool, int8 to int64, uint8 to uint64, float16 to float64, "
        "complex64 or complex128)\n")


def test_npy_and_npz_are_read_without_pickles(tmp_path, monkeypatch):
    loads = []
    real = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: loads.append(k.get("allow_pickle")) or real(*a, **k))
    np.save(tmp_path / "a.npy", np.ones(2))
    sp.save_npz(tmp_path / "b.npz", sp.eye(2, format="csr"))
    io.read(tmp_path / "a.npy")
    io.read(tmp_path / "b.npz")
    assert loads and all(flag is False for flag in loads), loads


# ---------------------------------------------------------------------------------------------- tensors


def test_non_canonical_scipy_with_explicit_zeros_and_duplicates():
    # unsorted column indices, a duplicate (1, 2) entry, an explicit zero at (0, 1)
    A = sp.csr_matrix((np.array([3.0, 0.0, 1.0, 2.0, 5.0]), np.array([2, 1, 2, 0, 2]), np.array([0, 2, 5])),
                      shape=(2, 3))
    before = (A.data.copy(), A.indices.copy(), A.indptr.copy())
    x = np.array([1.0, 10.0, 100.0])
    expected = np.array([300.0, 2.0 + 600.0])
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=x), expected)
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", {"A": "coo"}, A=A, x=x), expected)
    assert all(np.array_equal(b, a) for b, a in zip(before, (A.data, A.indices, A.indptr)))  # not modified
    C = es.evaluate("C[i,j] = A[i,j] + A[i,j]", A=A)
    np.testing.assert_array_equal(C.to_numpy(), 2 * A.toarray())


@pytest.mark.parametrize("fmt", ["csr", "dcsr", "coo", "csc"])
def test_single_entry_fully_dense_and_empty_sparse_operands(fmt):
    B = np.arange(12.0).reshape(3, 4)
    for A in (np.zeros((2, 3)), np.eye(2, 3), np.arange(1.0, 7.0).reshape(2, 3)):
        single = np.zeros((2, 3))
        single[1, 2] = A.sum()
        for operand in (A, single):
            C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"A": fmt}, A=es.tensor(operand, format=fmt), B=B)
            np.testing.assert_array_equal(C, operand @ B)


# ---------------------------------------------------------------------------------------------- sizes


def test_dense_output_too_large_is_refused_before_allocating():
    a = np.ones(200_000)
    with pytest.raises(ShapeError) as error:
        es.evaluate("C[i,j] = a[i]*b[j]", a=a, b=a)
    assert str(error.value).startswith("the dense output C of shape (200000, 200000) would need 298.0 GiB, ")
    A = sp.random(200_000, 10, density=1e-4, format="csr", random_state=0)
    with pytest.raises(ShapeError, match=r"shape \(200000, 200000\) would need 298\.0 GiB"):
        es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"C": "dense"}, A=A, B=A.T.tocsr())


def test_cli_refuses_a_huge_generated_operand(tmp_path):
    n = 10**12
    put(tmp_path / "h.mtx", f"%%MatrixMarket matrix coordinate real general\n{n} {n} 1\n1 1 2\n")
    done = run_cli("run", "y[i] = A[i,j]*x[j]", "A=h.mtx", "x=ones", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(
        "einsparse run: error: operand x=ones of shape (1000000000000,) needs 7450.6 GiB, more than the ")


def test_extents_up_to_2_to_the_62_on_compressed_levels():
    x = from_coo([[5, HUGE - 1]], [2.0, 3.0], (HUGE,), "c")
    y = from_coo([[HUGE - 1]], [4.0], (HUGE,), "c")
    assert es.evaluate("s = x[i]*y[i]", x=x, y=y) == 12.0
    A = from_coo([[0, 2], [7, HUGE - 1]], [1.0, 2.0], (3, HUGE), "dcsr")
    assert A.levels[1].crd.dtype == np.int64
    y = es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=x)
    np.testing.assert_array_equal(np.asarray(y), [0.0, 0.0, 6.0])
    coords, values = es.evaluate("C[i,j] = A[i,j] + A[i,j]", A=A).to_coo()
    assert coords.tolist() == [[0, 2], [7, HUGE - 1]] and values.tolist() == [2.0, 4.0]
    B = from_coo([[HUGE - 1], [HUGE - 2]], [3.0], (HUGE, HUGE), "dcsr")
    coords, values = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"C": "dcsr"}, A=A, B=B).to_coo()  # pair-list workspace
    assert coords.tolist() == [[2], [HUGE - 2]] and values.tolist() == [6.0]
    with pytest.raises(ShapeError, match=r"a dense array of shape \(3, 4611686018427387904\) needs"):
        A.to_numpy()


# ---------------------------------------------------------------------------------------------- semantics


def test_implicit_zeros_skip_nan_and_inf_of_dense_operands():
    d = np.array([np.nan, np.inf, 1.0])
    s = from_coo([[2]], [2.0], (3,), "c")
    assert es.evaluate("t = d[i]*s[i]", d=d, s=s) == 2.0          # dense arithmetic would give NaN
    np.testing.assert_array_equal(np.asarray(es.evaluate("y[i] = d[i]*s[i]", d=d, s=s)), [0.0, 0.0, 2.0])
    # a sum still meets every dense entry
    np.testing.assert_array_equal(es.evaluate("y[i] = d[i] + s[i]", d=d, s=s), [np.nan, np.inf, 3.0])
    stored = from_coo([[0]], [np.nan], (3,), "c")                # a stored NaN is a value like any other
    assert np.isnan(es.evaluate("t = d[i]*s[i]", d=np.ones(3), s=stored))


def test_integer_division_and_overflow_follow_numpy():
    a, b = np.array([1, -7, 0, 6]), np.array([2, 2, 0, -4])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = a / b
    got = es.evaluate("y[i] = a[i]/b[i]", a=a, b=b)
    assert got.dtype == np.float64 and np.array_equal(got, expected, equal_nan=True)
    big = np.array([np.iinfo(np.int64).max, 1])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(es.evaluate("y[i] = a[i]*2 + a[i]", a=big), big * 2 + big)  # wraps
    assert es.evaluate("s = a[i]", a=np.array([np.iinfo(np.int64).max] * 2)) == -2  # wraps, as np.sum
    assert es.evaluate("y[i] = a[i]*b[i]", a=a, b=b).dtype == np.int64
