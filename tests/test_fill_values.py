"""Fill values: a tensor is its stored entries plus one value everywhere else. Construction, dense
views, conversions and array operations keep the fill; kernels, which compute with fill 0, refuse
other fills by name until fill-aware compilation exists."""

from __future__ import annotations

import numpy as np
import pytest

import einsparse as es
from einsparse.runtime.io import read, write

X = np.array([[1.0, 0.0, 1.0], [2.0, 1.0, np.inf]])


def test_a_dense_array_stores_what_differs_from_the_fill():
    t = es.tensor(X, fill=1.0)
    assert t.fill == 1.0 and t.nnz == 3 and t.format.name == "csr"
    assert np.array_equal(t.to_numpy(), X) and np.array_equal(np.asarray(t), X)
    coords, values = t.to_coo()
    assert coords.tolist() == [[0, 1, 1], [1, 0, 2]] and values.tolist() == [0.0, 2.0, np.inf]
    assert es.tensor(X).fill == 0.0 and es.tensor(X).fill.dtype == np.float64


@pytest.mark.parametrize("fill", [np.inf, -np.inf, np.nan, -1.0])
def test_special_fills_round_trip(fill):
    dense = np.where(np.arange(12).reshape(3, 4) % 5 == 0, np.arange(12.0).reshape(3, 4), fill)
    for fmt in ["csr", "csc", "dcsr", "coo", "cc:1,0"]:
        t = es.tensor(dense, format=fmt, fill=fill)
        np.testing.assert_array_equal(t.to_numpy(), dense)
        assert t.nnz == 3
        np.testing.assert_array_equal(t.asformat("csr").to_numpy(), dense)
        np.testing.assert_array_equal(t.asformat("csr").fill, fill)
    np.testing.assert_array_equal(es.tensor(dense, fill=fill).T.to_numpy(), dense.T)


def test_pydata_arrays_bring_their_fill_value():
    sparse = pytest.importorskip("sparse")
    t = es.tensor(sparse.COO.from_numpy(X, fill_value=1.0))
    assert t.fill == 1.0 and t.nnz == 3 and np.array_equal(t.to_numpy(), X)
    with pytest.raises(es.OperandError, match=r"^tensor: fill=2.0 but the pydata/sparse array's fill_value is 1.0$"):
        es.tensor(sparse.COO.from_numpy(X, fill_value=1.0), fill=2.0)


def test_empty_outputs_take_a_fill():
    t = es.empty((2, 3), "csr", fill=np.inf)
    assert t.nnz == 0 and np.array_equal(t.to_numpy(), np.full((2, 3), np.inf))
    assert np.array_equal(es.empty(3, fill=2.0).to_numpy(), [2.0, 2.0, 2.0])


def test_fills_that_cannot_be_kept_are_refused_by_name():
    with pytest.raises(es.FormatError, match=r"^to_scipy: this tensor's fill is 1.0, and a scipy.sparse matrix "
                                             r"is 0 where nothing is stored; use to_numpy\(\)$"):
        es.tensor(X, fill=1.0).to_scipy()
    with pytest.raises(es.NotSupportedError, match=r"^a fill other than 0 in format cd: its last level stores "
                                                   r"zeros as padding; use a format whose last level is "
                                                   r"compressed or singleton$"):
        es.tensor(X, format="cd", fill=1.0)
    with pytest.raises(es.DTypeError, match=r"^fill inf is not a value of the tensor's type int64$"):
        es.tensor(np.array([1, 2]), fill=np.inf)


def test_files_that_keep_no_fill_refuse_one(tmp_path):
    t = es.tensor(X, fill=1.0)
    write(str(tmp_path / "x.npy"), t)
    assert np.array_equal(np.load(tmp_path / "x.npy"), X)
    with pytest.raises(es.FileFormatError, match=r"cannot write a tensor of fill 1.0 to .*x.mtx: the file keeps "
                                                 r"no fill, so its unstored entries would read back as 0; use "
                                                 r".npy or .npz$"):
        write(str(tmp_path / "x.mtx"), t)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_npz_files_keep_the_fill(tmp_path, fmt):
    import scipy.sparse as sp

    path = str(tmp_path / "x.npz")
    write(path, es.tensor(X, format=fmt, fill=1.0))
    back = read(path)
    assert isinstance(back, es.Tensor) and back.fill == 1.0 and back.format.name == fmt
    np.testing.assert_array_equal(back.to_numpy(), X)
    assert sp.load_npz(path).nnz == 3  # scipy reads the stored entries and ignores the fill


def test_kernels_compute_with_the_fill_where_nothing_is_stored():
    filled, plain, x = es.tensor(X, fill=1.0), es.tensor(np.nan_to_num(X, posinf=3.0)), np.ones(3)
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=filled, x=x), X @ x)
    for _ in range(2):  # the kernel's fast path for tensors it has met, then one of another fill
        np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=plain, x=x), plain.to_numpy() @ x)
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=filled, x=x), X @ x)
    np.testing.assert_array_equal(filled @ x, X @ x)


def test_array_functions_map_the_fill():
    csr = es.tensor(np.array([[0.0, 2.0], [0.0, 0.0]]), format="csr")
    e = np.exp(csr)  # Finch's rule: the fill is exp(0) = 1, the pattern stays
    assert isinstance(e, es.Tensor) and e.fill == 1.0 and e.nnz == 1
    np.testing.assert_allclose(e.to_numpy(), np.exp(csr.to_numpy()))
    filled = es.tensor(X, fill=1.0)
    np.testing.assert_array_equal(np.asarray(filled > 0.5), X > 0.5)  # the fill compares True: dense
    small = filled < 0.5
    assert isinstance(small, es.Tensor) and small.nnz == 1
    np.testing.assert_array_equal(np.asarray(small), X < 0.5)
    assert filled.astype(np.float32).fill == np.float32(1.0)
    np.testing.assert_array_equal(filled.reshape(3, 2).to_numpy(), X.reshape(3, 2))


@pytest.mark.parametrize("fmt", ["csr", "coo", "dd"])
def test_to_pydata_keeps_entries_and_fill(fmt):
    sparse = pytest.importorskip("sparse")
    t = es.tensor(X, format=fmt, fill=1.0)
    p = t.to_pydata()
    assert isinstance(p, sparse.COO) and p.fill_value == 1.0
    np.testing.assert_array_equal(p.todense(), X)
    np.testing.assert_array_equal(es.tensor(p).to_numpy(), X)
    assert es.tensor(np.eye(2), format="csr").to_pydata().nnz == 2
