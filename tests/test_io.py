"""Reading and writing files: Matrix Market, FROSTT .tns, .npy and scipy .npz (einsparse.runtime.io)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import einsparse as es
from einsparse.errors import FileFormatError
from einsparse.runtime import io

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "data" / "662_bus.mtx"


def dense(value) -> np.ndarray:
    if isinstance(value, es.Tensor):
        return value.to_numpy()
    if sp.issparse(value):
        return value.toarray()
    return np.asarray(value)


def put(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.fixture
def matrix():
    return sp.random(6, 5, density=0.4, format="csr", random_state=3)


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext, kind", [("mtx", sp.csr_matrix), ("mtx.gz", sp.csr_matrix),
                                       ("npz", sp.csr_matrix), ("tns", es.Tensor), ("npy", np.ndarray)])
def test_round_trip_sparse_matrix(tmp_path, matrix, ext, kind):
    path = tmp_path / f"m.{ext}"
    io.write(path, matrix)
    back = io.read(path)
    assert isinstance(back, kind)
    assert back.shape == (6, 5)
    assert np.array_equal(dense(back), matrix.toarray())
    assert os.listdir(tmp_path) == [path.name]  # no temporary left behind


def test_round_trip_mtx_gz_is_gzip(tmp_path, matrix):
    io.write(tmp_path / "m.mtx.gz", matrix)
    with gzip.open(tmp_path / "m.mtx.gz", "rt") as handle:
        assert handle.readline().startswith("%%MatrixMarket matrix coordinate real general")


@pytest.mark.parametrize("ext", ["mtx", "npz", "tns", "npy"])
def test_round_trip_tensor_matrix(tmp_path, matrix, ext):
    t = es.tensor(matrix, format="csc")
    io.write(tmp_path / f"t.{ext}", t)
    assert np.array_equal(dense(io.read(tmp_path / f"t.{ext}")), matrix.toarray())


@pytest.mark.parametrize("ext", ["tns", "npy"])
def test_round_trip_3d_tensor(tmp_path, ext):
    coords = np.array([[0, 1, 3], [0, 2, 0], [1, 1, 4]])
    t = es.tensor((coords, np.array([1.5, 2.0, -3.0])), shape=(5, 3, 6), format="csf")
    io.write(tmp_path / f"t.{ext}", t)
    back = io.read(tmp_path / f"t.{ext}")
    assert back.shape == (5, 3, 6)  # a .tns file keeps the shape in its first comment
    assert np.array_equal(dense(back), t.to_numpy())


def test_tns_is_1_based_text(tmp_path):
    t = es.tensor((np.array([[0, 4], [2, 0]]), np.array([1.5, -2.0])), shape=(5, 3))
    io.write(tmp_path / "t.tns", t)
    lines = (tmp_path / "t.tns").read_text().splitlines()
    assert lines[0] == "# shape: 5 3"
    assert [line for line in lines if not line.startswith("#")] == ["1 3 1.5", "5 1 -2"]
    back = io.read(tmp_path / "t.tns")
    assert back.format.name == "coo"


@pytest.mark.parametrize("value", [np.arange(12.0).reshape(3, 4), np.arange(12).reshape(3, 4),
                                   np.arange(6.0).reshape(2, 3) * (1 + 2j)])
def test_round_trip_dense_mtx_array(tmp_path, value):
    io.write(tmp_path / "d.mtx", value)
    assert (tmp_path / "d.mtx").read_text().startswith("%%MatrixMarket matrix array")
    back = io.read(tmp_path / "d.mtx")
    assert isinstance(back, np.ndarray) and back.dtype.kind == value.dtype.kind
    assert np.array_equal(back, value)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.complex128, np.float32])
def test_round_trip_coordinate_value_types(tmp_path, dtype):
    values = (np.arange(1, 13).reshape(3, 4) * (1.5 if dtype is not np.int64 else 1)).astype(dtype)
    if dtype is np.complex128:
        values = values * (1 - 1j)
    values[1, 2] = 0
    io.write(tmp_path / "v.mtx", sp.csr_matrix(values))
    back = io.read(tmp_path / "v.mtx")
    assert back.nnz == 11
    assert np.array_equal(back.toarray(), values)


def test_vector_and_scalar(tmp_path):
    v = np.array([1.0, 0.0, 3.0])
    io.write(tmp_path / "v.mtx", v)
    assert io.read(tmp_path / "v.mtx").shape == (3, 1)
    assert np.array_equal(io.read(tmp_path / "v.mtx", shape=(3,)), v)
    io.write(tmp_path / "s.npy", 2.5)
    assert io.read(tmp_path / "s.npy") == 2.5
    io.write(tmp_path / "s.tns", np.float64(2.5))
    assert io.read(tmp_path / "s.tns").to_numpy() == 2.5


def test_write_replaces_atomically(tmp_path, matrix, monkeypatch):
    target = tmp_path / "m.mtx"
    target.write_text("old contents")

    def broken(handle, kind, value):
        handle.write(b"%%MatrixMarket half a file")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(io, "_write_kind", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        io.write(target, matrix)
    assert target.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["m.mtx"]


def test_write_errors(tmp_path, matrix):
    with pytest.raises(FileFormatError, match=r"cannot write .*m\.txt: unknown file type; use \.mtx"):
        io.write(tmp_path / "m.txt", matrix)
    with pytest.raises(FileFormatError, match="No such file or directory"):
        io.write(tmp_path / "missing" / "m.mtx", matrix)
    with pytest.raises(FileFormatError, match=r"a \.npz file holds a scipy.sparse matrix; use \.npy or \.tns"):
        io.write(tmp_path / "m.npz", np.zeros((2, 2, 2)))
    with pytest.raises(FileFormatError, match="a .tns file holds real values"):
        io.write(tmp_path / "m.tns", np.ones(2) * 1j)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------- matrix market


def test_symmetric_kinds(tmp_path):
    sym = io.read(put(tmp_path / "s.mtx", "%%MatrixMarket matrix coordinate real symmetric\n"
                                          "3 3 3\n1 1 1\n2 1 2\n3 2 3\n"))
    assert np.array_equal(sym.toarray(), [[1, 2, 0], [2, 0, 3], [0, 3, 0]])
    skew = io.read(put(tmp_path / "k.mtx", "%%MatrixMarket matrix coordinate integer skew-symmetric\n"
                                           "3 3 2\n2 1 2\n3 2 3\n"))
    assert skew.dtype == np.int64
    assert np.array_equal(skew.toarray(), [[0, -2, 0], [2, 0, -3], [0, 3, 0]])
    herm = io.read(put(tmp_path / "h.mtx", "%%MatrixMarket matrix coordinate complex hermitian\n"
                                           "2 2 2\n1 1 1 0\n2 1 2 3\n"))
    assert np.array_equal(herm.toarray(), [[1, 2 - 3j], [2 + 3j, 0]])
    pattern = io.read(put(tmp_path / "p.mtx", "%%MatrixMarket matrix coordinate pattern general\n"
                                              "% a comment\n2 3 2\n1 1\n2 3\n"))
    assert np.array_equal(pattern.toarray(), [[1, 0, 0], [0, 0, 1]])
    array = io.read(put(tmp_path / "a.mtx", "%%MatrixMarket matrix array real symmetric\n"
                                            "3 3\n1\n2\n3\n4\n5\n6\n"))
    assert np.array_equal(array, [[1, 2, 3], [2, 4, 5], [3, 5, 6]])
    skew_array = io.read(put(tmp_path / "b.mtx", "%%MatrixMarket matrix array real skew-symmetric\n"
                                                 "3 3\n1\n2\n3\n"))
    assert np.array_equal(skew_array, scipy.io.mmread(tmp_path / "b.mtx"))


HEADER = "%%MatrixMarket matrix coordinate real general\n"


@pytest.mark.parametrize("text, message", [
    ("hello\n", "m.mtx:1: not a Matrix Market file: the first line must be '%%MatrixMarket matrix "
                "coordinate|array real|integer|complex|pattern general|symmetric|...'"),
    ("%%MatrixMarket matrix coordinate real sideways\n1 1 0\n",
     "m.mtx:1: unknown Matrix Market symmetry 'sideways': expected general, symmetric, skew-symmetric "
     "or hermitian"),
    ("%%MatrixMarket matrix array pattern general\n1 1\n",
     "m.mtx:1: a Matrix Market array file cannot have field pattern"),
    (HEADER, "m.mtx: no size line ('rows columns entries') after the header"),
    (HEADER + "3 3\n", "m.mtx:2: the size line must be 'rows columns entries' (3 integers), found '3 3'"),
    (HEADER + "3 -3 1\n1 1 1\n", "m.mtx:2: negative size in '3 -3 1'"),
    (HEADER + "% c\n3 3 3\n1 1 1.0\n2 x 2.0\n3 3 3\n", "m.mtx:5: column 'x' is not an integer"),
    (HEADER + "3 3 3\n1 1 1.0\n2 2 two\n3 3 3\n", "m.mtx:4: value 'two' is not a number"),
    (HEADER + "3 3 3\n1 1 1.0\n2 2\n3 3 3\n",
     "m.mtx:4: expected 3 fields (row, column, value), found 2: '2 2'"),
    (HEADER + "3 3 4\n1 1 1.0\n2 2 2\n3 3 3\n",
     "m.mtx: the size line (line 2) announces 4 entries, but only 3 follow (the last at line 5)"),
    (HEADER + "3 3 1\n1 1 1.0\n2 2 2\n",
     "m.mtx: the size line (line 2) announces 1 entries, but more than 2 follow (the last at line 4)"),
    (HEADER + "3 3 2\n1 1 1.0\n0 2 2\n", "m.mtx:4: row 0 is out of range 1..3 (coordinates are 1-based)"),
    (HEADER + "3 3 2\n1 1 1.0\n2 4 2\n", "m.mtx:4: column 4 is out of range 1..3"),
    (HEADER + "3 3 2\n1 1 1.0\n2 1.5 2\n", "m.mtx:4: column '1.5' is not an integer"),
    ("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n",
     "m.mtx:2: a symmetric matrix must be square, not 2 x 3"),
])
def test_malformed_mtx(tmp_path, text, message):
    path = put(tmp_path / "m.mtx", text)
    with pytest.raises(FileFormatError) as error:
        io.read(path)
    assert str(error.value) == f"{tmp_path}{os.sep}{message}"


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(FileFormatError) as error:
        io.read(tmp_path / "nope.mtx")
    assert str(error.value) == f"{tmp_path / 'nope.mtx'}: no such file"
    with pytest.raises(FileFormatError, match=r"cannot read .*m\.csv: unknown file type; use \.mtx, "
                                              r"\.mtx\.gz, \.tns, \.tns\.gz, \.npy or \.npz"):
        io.read(put(tmp_path / "m.csv", "1,2\n"))
    with pytest.raises(FileFormatError, match="not a readable gzip file"):
        io.read(put(tmp_path / "m.mtx.gz", "not gzip"))


def test_shape_must_agree(tmp_path, matrix):
    io.write(tmp_path / "m.mtx", matrix)
    assert io.read(tmp_path / "m.mtx", shape=(6, 5)).shape == (6, 5)
    with pytest.raises(es.ShapeError, match=r"m\.mtx holds shape \(6, 5\), but the shape given is \(5, 6\)"):
        io.read(tmp_path / "m.mtx", shape=(5, 6))


# ---------------------------------------------------------------------------------------------- frostt


def test_tns_read(tmp_path):
    path = put(tmp_path / "t.tns", "# a comment\n1 2 3 1.5\n\n4 1 1 -2  # trailing comment\n1 2 3 1\n")
    t = io.read(path)
    assert isinstance(t, es.Tensor) and t.format.name == "coo" and t.shape == (4, 2, 3)
    assert t.nnz == 2  # duplicates summed
    expected = np.zeros((4, 2, 3))
    expected[0, 1, 2], expected[3, 0, 0] = 2.5, -2
    assert np.array_equal(t.to_numpy(), expected)
    assert io.read(path, shape=(10, 10, 10)).shape == (10, 10, 10)


@pytest.mark.parametrize("text, shape, message", [
    ("1 1 1 2.0\n2 0 1 3\n", None, "t.tns:2: mode 1 coordinate 0 is out of range: coordinates are 1-based"),
    ("1 1 1 2.0\n2 3 1 3\n", (2, 2, 2), "t.tns:2: mode 1 coordinate 3 is out of range 1..2"),
    ("1 1 1 2.0\n2 1 3\n", None, "t.tns:2: expected 4 fields (3 coordinates and a value), found 3: '2 1 3'"),
    ("1 1 1 2.0\n2 1.5 1 3\n", None, "t.tns:2: mode 1 coordinate '1.5' is not an integer"),
    ("1 1 1 2.0\n2 1 1 x\n", None, "t.tns:2: value 'x' is not a number"),
    ("# only a comment\n", None, "t.tns: no entries, so its shape is unknown; give the shape"),
])
def test_malformed_tns(tmp_path, text, shape, message):
    path = put(tmp_path / "t.tns", text)
    with pytest.raises(FileFormatError) as error:
        io.read(path, shape=shape)
    assert str(error.value) == f"{tmp_path}{os.sep}{message}"


def test_tns_rank_must_match_shape(tmp_path):
    path = put(tmp_path / "t.tns", "1 1 1 2.0\n")
    with pytest.raises(es.ShapeError, match=r"t\.tns:1: entries have 3 coordinates, but the shape given, "
                                            r"\(2, 2\), has rank 2"):
        io.read(path, shape=(2, 2))
    assert io.read(put(tmp_path / "e.tns", ""), shape=(3, 4)).shape == (3, 4)


# ---------------------------------------------------------------------------------------------- npy, npz


def test_npy_and_npz_errors(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FileFormatError, match=r"o\.npy: not a readable \.npy file: holds Python objects"):
        io.read(tmp_path / "o.npy")
    np.savez(tmp_path / "a.npz", x=np.ones(3))
    with pytest.raises(FileFormatError, match=r"a\.npz: not a scipy.sparse matrix saved by "
                                              r"scipy.sparse.save_npz \(it holds x\)"):
        io.read(tmp_path / "a.npz")
    with pytest.raises(FileFormatError, match=r"b\.npy: not a readable \.npy file"):
        io.read(put(tmp_path / "b.npy", "garbage"))


def test_npz_keeps_scipy_format(tmp_path, matrix):
    sp.save_npz(tmp_path / "c.npz", matrix.tocsc())
    assert io.read(tmp_path / "c.npz").format == "csc"


# ---------------------------------------------------------------------------------------------- real data


def test_example_matrix():
    A = io.read(EXAMPLE)
    assert A.shape == (662, 662) and A.nnz == 2474  # symmetric, expanded
    assert abs(A - A.T).max() == 0


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not here")
def test_shared_matrices_agree_with_scipy():
    files = sorted(SHARED.glob("*.mtx"))
    assert files
    for path in files:
        ours = io.read(path)
        theirs = sp.csr_matrix(scipy.io.mmread(path))
        assert ours.shape == theirs.shape, path.name
        assert ours.nnz == theirs.nnz, path.name
        assert abs(ours - theirs).max() == 0 if ours.nnz else True, path.name


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not here")
def test_shared_tensor():
    t = io.read(SHARED / "hiparti_3D_12031.tns")
    assert t.shape == (100, 80, 60) and t.nnz == 12031


@pytest.mark.parametrize("symmetry", ["general", "symmetric"])
def test_coordinate_file_read_as_a_csr_tensor_matches_the_scipy_matrix(tmp_path, symmetry):
    path = tmp_path / "m.mtx"
    # A duplicate (3,1) twice, summed; below the diagonal only, as a symmetric file stores it.
    path.write_text(f"%%MatrixMarket matrix coordinate real {symmetry}\n4 4 5\n1 1 2.0\n3 1 1.5\n"
                    "3 1 0.25\n4 2 -1\n4 4 3\n")
    tensor = io.read(path, as_tensor=True)
    assert isinstance(tensor, es.Tensor) and tensor.format == es.tensor(np.eye(2), "csr").format
    np.testing.assert_array_equal(tensor.to_numpy(), io.read(path).toarray())
    assert tensor.to_numpy()[2, 0] == 1.75
