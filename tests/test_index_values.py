"""Indices used as values (TACO's index variable expressions): `a[i,j] = i + j`, `y[i] = A[i,j]*j`.

Standing alone on the right side, an index of the statement is its coordinate, an int64; it is present
at every coordinate of its loop, like a dense operand. Results are checked against NumPy formulas with
`np.arange` for the coordinates, and against the reference evaluator on many formats.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse import cli
from einsparse.compiler.parse import parse
from einsparse.compiler.syntax import Access, IndexValue, deparse
from einsparse.errors import OperandError, ShapeError, StatementError
from einsparse.reference import dense_reference

RNG = np.random.default_rng(11)
A = sp.random(7, 6, density=0.4, format="csr", random_state=5)
B = sp.random(6, 5, density=0.4, format="csr", random_state=6)
b = RNG.standard_normal((7, 6))
rows, cols = np.arange(7)[:, None], np.arange(6)[None, :]


def test_a_bare_index_is_an_index_value_and_a_bare_name_is_still_a_scalar():
    assert parse("y[i] = A[i,j]*j").rhs.right == IndexValue("j")
    assert parse("y[i] = A[i,j]*c").rhs.right == Access("c", ())
    for text in ["a[i,j] = i + j", "y[i] = A[i,j]*j", "a[i,j] = b[i,j]*(i*4 + j)", "s = -i*a[i]"]:
        assert deparse(parse(text)) == text
        assert parse(deparse(parse(text))) == parse(text)


def test_coordinates_fill_an_output_whose_shape_is_given():
    result = es.evaluate("a[i,j] = i + j", shape=(3, 4))
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, np.arange(3)[:, None] + np.arange(4)[None, :])
    given = np.full((2, 3), np.nan)
    returned = es.evaluate("a[i,j] = i*10 + j", a=given)
    np.testing.assert_array_equal(given, [[0, 1, 2], [10, 11, 12]])
    np.testing.assert_array_equal(returned, given)
    kernel = es.compile("a[i,j] = i - j")
    np.testing.assert_array_equal(kernel(shape=[2, 2]), [[0, -1], [1, 0]])


def test_index_values_scale_a_dense_operand():
    got = es.evaluate("a[i,j] = b[i,j]*(i*4 + j)", b=b)
    np.testing.assert_allclose(got, b * (rows * 4 + cols))
    # NumPy's promotion: float32 values times int64 coordinates are float64
    assert es.evaluate("a[i,j] = b[i,j]*j", b=b.astype(np.float32)).dtype == np.float64
    assert es.evaluate("a[i,j] = b[i,j] + j", b=b.astype(np.int32)).dtype == np.int64


@pytest.mark.parametrize("fmt", ["csr", "csc", "dcsr", "coo", "db", "dm", "dense"])
@pytest.mark.parametrize("threads", [1, 2])
def test_a_sparse_operand_times_its_column_index_is_spmv_with_arange(fmt, threads):
    y = es.evaluate("y[i] = A[i,j]*j", A=A, formats={"A": fmt}, threads=threads)
    assert isinstance(y, np.ndarray)  # dense, as A @ x is
    np.testing.assert_allclose(y, A @ np.arange(6))
    C = es.evaluate("C[i,j] = A[i,j]*(i + j)", A=A, formats={"A": fmt}, threads=threads)
    np.testing.assert_allclose(_dense(C), A.toarray() * (rows + cols))


def _dense(result):
    return result.to_numpy() if hasattr(result, "to_numpy") else np.asarray(result)


def test_a_sparse_product_scaled_by_an_index_keeps_its_operand_s_format():
    C = es.evaluate("C[i,j] = A[i,j]*(i + j)", A=A)
    assert C.format.name == "csr"
    np.testing.assert_allclose(C.to_numpy(), A.toarray() * (rows + cols))


STATEMENTS = [
    "y[i] = A[i,j]*j + i",
    "C[i,j] = A[i,j] + i - j",
    "C[i,k] = A[i,j]*B[j,k]*j",
    "s = A[i,j]*i*j",
    "C[j,i] = A[i,j]*i",
    "y[i] = (A[i,j] + 1)*(j + 1)",
]


@pytest.mark.parametrize("statement", STATEMENTS)
@pytest.mark.parametrize("formats", [{}, {"A": "csr", "B": "csc"}, {"A": "dcsc", "B": "coo"}, {"A": "db", "B": "dm"}])
def test_statements_with_index_values_match_the_reference(statement, formats):
    operands = {"A": A, "B": B} if "B[" in statement else {"A": A}
    formats = {name: fmt for name, fmt in formats.items() if name in operands}
    got = _dense(es.evaluate(statement, formats=formats, **operands))
    expected = dense_reference(statement, {name: m.toarray() for name, m in operands.items()})
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_dividing_by_an_expression_of_indices():
    got = _dense(es.evaluate("C[i,k] = A[i,j]*B[j,k]/(j + 1)", A=A, B=B))
    np.testing.assert_allclose(got, (A.toarray() / (np.arange(6) + 1)) @ B.toarray())


def test_a_sum_of_an_index_alone_sums_its_coordinates():
    # Einstein summation term by term: (A + 1)*(j + 1) = A*j + A + j + 1, each term summed over j
    # where it has j; the sum over j of j alone is a loop of its own (0 + 1 + ... + 5 = 15).
    y = es.evaluate("y[i] = (A[i,j] + 1)*(j + 1)", A=A)
    np.testing.assert_allclose(y, A @ (np.arange(6) + 1) + 15 + 1)


def test_an_output_index_no_operand_carries_needs_a_shape():
    with pytest.raises(ShapeError) as error:
        es.evaluate("a[i,j] = i + j")
    assert str(error.value) == ("the extent of index i is unknown: no operand is indexed by it; pass "
                                "shape=(...) or a=<array> to give the output's shape\n"
                                "    a[i,j] = i + j\n"
                                "      ^")
    with pytest.raises(ShapeError, match=r"^shape=\(3,\) has 1 extent but the output a has 2 indices$"):
        es.evaluate("a[i,j] = i + j", shape=(3,))
    with pytest.raises(ShapeError, match=r"^shape=\(3, -1\) is not a shape: give non-negative integers"):
        es.evaluate("a[i,j] = i + j", shape=(3, -1))
    with pytest.raises(ShapeError, match=r"^index j has extent 6 in A\[i,j\] \(mode 1\) but 5 in a\[i,j\]"):
        es.evaluate("a[i,j] = A[i,j]*j", A=A, shape=(7, 5))


def test_a_tensor_named_like_an_index_is_an_error_naming_both():
    with pytest.raises(StatementError) as error:
        es.evaluate("y[i] = A[i,j]*j[]", A=A, j=np.ones(()))
    assert str(error.value) == ("j names both a tensor and an index of the statement; rename one of them\n"
                                "    y[i] = A[i,j]*j[]\n"
                                "                  ^~~")
    with pytest.raises(OperandError) as error:
        es.evaluate("y[i] = A[i,j]*j", A=A, j=np.ones(6))
    assert str(error.value) == ("unexpected operand j: j is an index of y[i] = A[i,j]*j (standing alone, "
                                "its coordinate), not a tensor; give the tensor another name")


def test_index_notation_uses_index_variables_as_values():
    i, j = es.indices("i j")
    values = es.tensor(b)
    out = es.empty((7, 6))
    out[i, j] = values[i, j]*(i*4 + j)
    np.testing.assert_allclose(out.to_numpy(), b * (rows * 4 + cols))
    coordinates = es.empty((2, 3), dtype=np.int64)
    coordinates[i, j] = i - 2*j
    np.testing.assert_array_equal(coordinates.to_numpy(), np.arange(2)[:, None] - 2 * np.arange(3)[None, :])
    y = es.empty(7)
    y[i] = -j*values[i, j] + 1/(i + 1)
    np.testing.assert_allclose(y.to_numpy(), -(b @ np.arange(6)) + 1 / (np.arange(7) + 1))
    assert str(es.statement(y[i], values[i, j]*j)) == "out[i] = A[i,j]*j"


def test_index_variables_compare_and_combine_in_index_notation():
    i, j = es.indices("i j")
    values = es.tensor(b)
    upper = es.empty((7, 6))
    upper[i, j] = es.where(i < j, values[i, j], 0)
    np.testing.assert_array_equal(upper.to_numpy(), np.where(rows < cols, b, 0))
    mixed = es.empty((7, 6))
    mixed[i, j] = es.where(i.value() == j, values[i, j] * (i % 2), 0) + (i**2 >= 4) + (2 ** j > 3)
    expected = np.where(rows == cols, b * (rows % 2), 0) + (rows**2 >= 4) + (2**cols > 3)
    np.testing.assert_array_equal(mixed.to_numpy(), expected)
    distance = es.empty((7, 6), dtype=np.int64)
    distance[i, j] = abs(i - j) + abs(-i) + abs(j)
    np.testing.assert_array_equal(distance.to_numpy(), np.abs(rows - cols) + rows + cols)
    assert i == es.indices("i") and i != j  # names, so index variables key dictionaries


def test_the_command_line_takes_the_output_shape_for_index_values(capsys):
    status = cli.main(["run", "a[i,j] = i*j", "--shape", "a=2,3"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out == "a: dense, shape (2, 3), int64, 2 nonzeros\n  [[0 0 0]\n   [0 1 2]]\n"
    status = cli.main(["run", "a[i,j] = i + j"])
    out, err = capsys.readouterr()
    assert status == 2
    assert err == ("einsparse run: error: cannot tell the shape of a: the extent of index i comes from no "
                   "operand read from a file; give --shape a=d0,d1,...\n")
    status = cli.main(["check", "C[i,j] = A[i,j]*(i + j)", "--format", "A=csr"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.startswith("10/10 trials agreed with NumPy einsum")
