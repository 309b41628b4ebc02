"""The band level kind (`b`): storage, conversions both ways, and kernels that read and write it."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.errors import FormatError
from einsparse.levels import Band, BandLevel

RNG = np.random.default_rng(11)


def banded(n: int, offsets=(-1, 0, 2), seed: int = 0) -> sp.dia_matrix:
    rng = np.random.default_rng(seed)
    return sp.diags([rng.random(n - abs(k)) + 0.5 for k in offsets], list(offsets), shape=(n, n)).todia()


def test_layout_of_rows():
    # rows [1 0 2 0], [0 0 0 0], [0 3 0 0]: runs [0, 3), empty, [1, 2); the zero inside row 0 is padding
    t = es.tensor(np.array([[1.0, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 0]]), format="db")
    level = t.levels[1]
    assert isinstance(level, BandLevel) and t.format.levels[1] == Band()
    assert level.pos.tolist() == [0, 3, 3, 4] and level.lo.tolist() == [0, 0, 1]
    assert t.vals.tolist() == [1.0, 0.0, 2.0, 3.0]
    assert t.format.name == "db" and str(t.format) == "db"
    coords, values = t.to_coo()  # padding zeros are not entries
    assert coords.tolist() == [[0, 0, 2], [0, 2, 1]] and values.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("fmt", ["db", "db:1,0", "bd", "bd:1,0", "cb", "bb", "bc:1,0"])
def test_round_trips(fmt):
    A = banded(9)
    t = es.tensor(A, format=fmt)
    np.testing.assert_array_equal(t.to_numpy(), A.toarray())
    np.testing.assert_array_equal(es.tensor(A.toarray(), format=fmt).to_numpy(), A.toarray())
    back = t.asformat("csr").to_scipy()
    assert (back != A.tocsr()).nnz == 0 and back.nnz == A.nnz
    np.testing.assert_array_equal(t.asformat("coo").asformat(fmt).to_numpy(), A.toarray())


def test_from_every_scipy_format_and_three_modes():
    A = banded(7, (0, 1))
    for matrix in (A, A.tocsr(), A.tocsc(), A.tocoo(), A.tolil()):
        np.testing.assert_array_equal(es.tensor(matrix, format="db").to_numpy(), A.toarray())
    T = RNG.random((3, 4, 5)) * (RNG.random((3, 4, 5)) < 0.3)
    for fmt in ("ddb", "dbd", "bcb:2,0,1", "cdb"):
        np.testing.assert_array_equal(es.tensor(T, format=fmt).to_numpy(), T)


def test_format_rules():
    with pytest.raises(FormatError, match="a non-unique level must be followed by a singleton"):
        es.Format.parse("ub")
    assert es.Format.parse("db:1,0").levels == (es.Format.parse("dd").levels[0], Band())


STATEMENTS = [
    ("y[i] = A[i,j]*x[j]", ("A",)),
    ("C[i,j] = A[i,j] + B[i,j]", ("A", "B")),
    ("C[i,j] = A[i,j] * B[i,j]", ("A", "B")),
    ("C[i,j] = A[i,j] * E[i,j]", ("A", "E")),
    ("C[i,j] = A[i,k]*B[k,j]", ("A", "B")),
    ("y[j] = A[i,j]*x[i]", ("A",)),
]


@pytest.mark.parametrize("statement, sparse", STATEMENTS)
@pytest.mark.parametrize("fmt", ["db", "bb"])
def test_kernels_match_numpy(statement, sparse, fmt):
    from einsparse.reference import dense_reference

    A, B = banded(9, (-1, 0, 2), 1).toarray(), banded(9, (0, 1, 3), 2).toarray()
    E = sp.random(9, 9, density=0.3, random_state=3).toarray()
    x = RNG.random(9)
    operands = {"A": A, "B": B, "E": E, "x": x}
    used = {name: operands[name] for name in operands if f"{name}[" in statement}
    formats = {name: fmt if name in ("A", "B") else "csr" for name in sparse}
    for output in ([None, "db", "csr"] if statement.startswith("C") else [None]):
        chosen = dict(formats, **({"C": output} if output else {}))
        got = es.evaluate(statement, formats=chosen, **used)
        got = got.to_numpy() if isinstance(got, es.Tensor) else got
        np.testing.assert_allclose(got, dense_reference(statement, used))


@pytest.mark.parametrize("output", ["bd", "bb", "cb", "bc:1,0", "db:1,0"])
def test_band_outputs_in_every_position(output):
    A, B = banded(7, (-1, 0, 2), 4).toarray(), banded(7, (0, 1), 5).toarray()
    for statement, expected in (("C[i,j] = A[i,j] + B[i,j]", A + B), ("C[i,j] = A[i,j] * B[i,j]", A * B)):
        got = es.evaluate(statement, formats={"C": output, "A": "db", "B": "bb"}, A=A, B=B)
        assert str(got.format) == output
        np.testing.assert_array_equal(got.to_numpy(), expected)
