"""The bitmap level kind (`m`): storage, conversions both ways, kernels reading it (walked, or located and
tested inside an intersection) and writing it, through every front end."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse import cli
from einsparse.levels import Bitmap, BitmapLevel
from einsparse.reference import dense_reference
from einsparse.runtime import io

A = sp.random(8, 7, density=0.3, random_state=21).toarray()
B = sp.random(8, 7, density=0.5, random_state=22).toarray()
E = sp.random(7, 6, density=0.4, random_state=23).toarray()
X = np.random.default_rng(24).random(7)
W = np.random.default_rng(25).random(8)


def test_layout_of_rows():
    # rows [1 0 2], [0 0 0], [0 3 0]: tbl marks the stored coordinates, crd lists them, values dense
    t = es.tensor(np.array([[1.0, 0, 2], [0, 0, 0], [0, 3, 0]]), format="dm")
    level = t.levels[1]
    assert isinstance(level, BitmapLevel) and t.format.levels[1] == Bitmap()
    assert level.tbl.tolist() == [1, 0, 1, 0, 0, 0, 0, 1, 0]
    assert level.pos.tolist() == [0, 2, 2, 3] and level.crd.tolist() == [0, 2, 1]
    assert t.vals.tolist() == [1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]
    coords, values = t.to_coo()
    assert coords.tolist() == [[0, 0, 2], [0, 2, 1]] and values.tolist() == [1.0, 2.0, 3.0]
    # a stored zero stays an entry: it is marked, unlike the padding of a dense level
    t = es.tensor((np.array([[0, 0], [0, 1]]), np.array([0.0, 5.0])), format="dm", shape=(1, 2))
    assert t.levels[1].tbl.tolist() == [1, 1] and t.to_coo()[1].tolist() == [0.0, 5.0]


@pytest.mark.parametrize("fmt", ["dm", "dm:1,0", "mm", "md", "cm", "mc:1,0", "mb", "bm"])
def test_round_trips(fmt):
    t = es.tensor(sp.csr_matrix(A), format=fmt)
    np.testing.assert_array_equal(t.to_numpy(), A)
    back = t.asformat("csr").to_scipy()
    assert back.nnz == np.count_nonzero(A) and (back != sp.csr_matrix(A)).nnz == 0
    np.testing.assert_array_equal(es.tensor(A, format="coo").asformat(fmt).to_numpy(), A)


STATEMENTS = [
    "y[i] = A[i,j]*x[j]",
    "y[j] = A[i,j]*w[i]",
    "C[i,j] = A[i,j] * B[i,j]",
    "C[i,j] = A[i,j] + B[i,j]",
    "C[i,j] = A[i,j] * B[i,j] + A[i,j]",
    "C[i,k] = A[i,j]*E[j,k]",
    "s = A[i,j]*B[i,j]",
    "C[i,j] = A[i,j]*B[i,j]*A[i,j]",
]


@pytest.mark.parametrize("statement", STATEMENTS)
@pytest.mark.parametrize("fa, fb", [("dm", "dc"), ("mm", "dm"), ("dm:1,0", "db"), ("cm", "mc")])
def test_kernels_match_numpy(statement, fa, fb):
    operands = {"A": A, "B": B, "E": E, "x": X, "w": W}
    used = {name: value for name, value in operands.items() if f"{name}[" in statement}
    formats = {"A": fa, "B": fb, "E": fb}
    formats = {name: fmt for name, fmt in formats.items() if name in used}
    expected = dense_reference(statement, used)
    outputs = [None, "dm", "mm", "cm", "dc"] if statement.startswith("C") else [None]
    for output in outputs:
        chosen = dict(formats, **({"C": output} if output else {}))
        got = es.evaluate(statement, chosen, **used)
        if output is not None:
            assert str(got.format) == output
        np.testing.assert_allclose(np.asarray(got.to_numpy() if isinstance(got, es.Tensor) else got), expected)


def test_intersection_locates_and_tests_the_bitmap():
    kernel = es.compile("C[i,j] = A[i,j] * B[i,j]", {"A": "dm", "B": "dc", "C": "dc"})
    assert "iterate B2, locating and testing A2" in kernel.explain()
    assert "if A2_tbl[u(A2_at)]:" in kernel.source
    got = kernel(A=es.tensor(A, format="dm"), B=sp.csr_matrix(B))
    np.testing.assert_allclose(got.to_numpy(), A * B)


def test_accumulating_into_a_bitmap_output():
    old = es.tensor(B, format="dm")
    got = es.evaluate("C[i,j] += A[i,j] * 2", {"A": "csr"}, A=sp.csr_matrix(A), C=old)
    assert str(got.format) == "dm"
    np.testing.assert_allclose(got.to_numpy(), B + 2 * A)


def test_every_front_end(tmp_path, capsys):
    got = es.einsum("ij,j->i", es.tensor(A, format="dm"), X)
    np.testing.assert_allclose(got, A @ X)
    got = es.einsum("ij,ij->ij", es.tensor(A, format="dm"), sp.csr_matrix(B), format="mm")
    assert str(got.format) == "mm"
    np.testing.assert_allclose(got.to_numpy(), A * B)
    i, j = es.indices("i j")
    tA, tB = es.tensor(A, format="dm"), es.tensor(B, format="bm")
    C = es.empty(A.shape, format="dm")
    C[i, j] = tA[i, j] * tB[i, j]
    assert str(C.format) == "dm"
    np.testing.assert_allclose(C.to_numpy(), A * B)
    np.testing.assert_allclose(es.tensor(A, format="dm").asformat("dense").to_numpy(), A)
    io.write(tmp_path / "A.mtx", sp.coo_matrix(A))
    status = cli.main(["run", "C[i,j] = A[i,j] + B[i,j]", f"A={tmp_path / 'A.mtx'}:dm",
                       f"B={tmp_path / 'A.mtx'}:mm", "-o", str(tmp_path / "C.mtx")])
    out = capsys.readouterr().out
    assert status == 0 and out.startswith("wrote C: dm, shape (8, 7)")
    np.testing.assert_allclose(io.read(tmp_path / "C.mtx").toarray(), 2 * A)
