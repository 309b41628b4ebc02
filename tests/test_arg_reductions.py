"""argmin and argmax: `argmin[k](...)` gives the coordinate of the first smallest value (an int64), as
NumPy's argmin over one axis; on dense and sparse operands in several formats and fills, in expressions,
through index notation, tensor methods, NumPy's functions and the command line."""

import numpy as np
import pytest

import einsparse as es
from einsparse import cli
from einsparse.runtime import io
from test_reductions import FORMATS_AND_FILLS, tensor


def matrix(seed, shape=(7, 6), density=0.5, fill=0.0, dtype=np.float64):
    """Values in steps of 0.1 in [-1, 1] (ties are common), `fill` elsewhere."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.uniform(-1, 1, shape), 1)
    values = values.astype(dtype) if np.dtype(dtype).kind == "f" else (values * 4).astype(dtype)
    values[rng.random(shape) >= density] = fill
    return values


@pytest.mark.parametrize("fmt, fill", FORMATS_AND_FILLS)
@pytest.mark.parametrize("name", ["argmin", "argmax"])
def test_along_rows_matches_numpy(name, fmt, fill):
    a = matrix(1, fill=fill)
    a[2] = fill  # a row of nothing stored: coordinate 0
    result = es.evaluate(f"I[i] = {name}[k](A[i,k])", A=tensor(a, fmt, fill))
    assert isinstance(result, np.ndarray) and result.dtype == np.int64
    np.testing.assert_array_equal(result, getattr(np, name)(a, axis=1))


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.bool_, np.float32])
@pytest.mark.parametrize("name", ["argmin", "argmax"])
def test_integer_and_bool_values(name, dtype):
    a = matrix(2, dtype=dtype if dtype != np.bool_ else np.float64)
    a = a > 0 if dtype == np.bool_ else a
    for fmt in ("dense", "csr"):
        np.testing.assert_array_equal(es.evaluate(f"I[j] = {name}[i](A[i,j])", A=tensor(a, fmt)),
                                      getattr(np, name)(a, axis=0))


def test_the_first_nan_wins_as_in_numpy():
    a = matrix(3)
    a[1, 4], a[1, 2], a[5, 0] = np.nan, np.nan, np.nan
    for name in ("argmin", "argmax"):
        result = es.evaluate(f"I[i] = {name}[k](A[i,k])", A=tensor(a, "csr"))
        np.testing.assert_array_equal(result, getattr(np, name)(a, axis=1))
        assert result[1] == 2 and result[5] == 0


@pytest.mark.parametrize("b_format", ["dense", "csc"])
def test_a_body_over_three_indices_keeps_the_reduced_loop_innermost(b_format):
    a, b = matrix(4, (5, 7), 0.6, np.inf), matrix(5, (7, 4), 0.6, np.inf)
    statement = "P[i,j] = argmin[k](A[i,k] + B[k,j])"  # the middle vertex of each shortest 2-step path
    result = es.evaluate(statement, A=tensor(a, "csr", np.inf), B=tensor(b, b_format, np.inf))
    np.testing.assert_array_equal(result, np.argmin(a[:, :, None] + b[None], axis=1))
    assert es.compile(statement, {"A": "csr", "B": b_format}).plan.order == ("i", "j", "k")


def test_a_csc_matrix_along_rows_reads_a_copy_in_row_order():
    a = matrix(6)
    kernel = es.compile("I[i] = argmax[k](A[i,k])", {"A": "csc"})
    assert kernel.plan.order == ("i", "k") and "A[i,k] reads a copy in another mode order" in kernel.explain()
    assert "argmin/argmax's index innermost" in kernel.explain()
    np.testing.assert_array_equal(kernel(A=tensor(a, "csc")), np.argmax(a, axis=1))


def test_in_expressions():
    a, x = matrix(7), np.linspace(-1, 1, 6)
    A = tensor(a, "csr")
    np.testing.assert_array_equal(es.evaluate("I[i] = argmin[k](A[i,k]*x[k]) + 1", A=A, x=x),
                                  np.argmin(a * x, axis=1) + 1)
    np.testing.assert_array_equal(es.evaluate("C[i] = where(argmax[k](A[i,k]) == 2, 1.5, 0.0)", A=A),
                                  np.where(np.argmax(a, axis=1) == 2, 1.5, 0.0))


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc", "coo"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["argmin", "argmax"])
def test_tensor_methods_and_numpy_functions(name, axis, fmt):
    a = matrix(8)
    t = tensor(a, fmt)
    expected = getattr(np, name)(a, axis=axis)
    for result in (getattr(t, name)(axis=axis), getattr(np, name)(t, axis=axis)):
        assert np.asarray(result).dtype == np.int64
        np.testing.assert_array_equal(np.asarray(result), expected)
    assert (np.shape(getattr(t, name)(axis=axis, keepdims=True))
            == np.shape(getattr(np, name)(a, axis=axis, keepdims=True)))


def test_index_notation():
    i, k = es.indices("i k")
    a = matrix(9)
    A = tensor(a, "csr")
    y = es.empty((7,), "dense", dtype=np.int64)
    y[i] = es.argmax(A[i, k], over=k)
    np.testing.assert_array_equal(y.to_numpy(), np.argmax(a, axis=1))
    assert str(es.argmin(A[i, k] * 2, over=k)) == "argmin[k](A[i,k]*2)"


def test_errors_name_the_culprit():
    with pytest.raises(es.ParseError) as raised:
        es.evaluate("I[i] = argmin[j,k](A[i,j,k])", A=np.zeros((3, 2, 2)))
    assert str(raised.value) == ("argmin reduces one index (as NumPy's argmin one axis), not 2: j, k\n"
                                 "    I[i] = argmin[j,k](A[i,j,k])\n           ^~~~~~~~~~~~~~~~~~~~~")
    with pytest.raises(es.DTypeError, match="argmax orders its values, and complex numbers have no order"):
        es.evaluate("I[i] = argmax[k](A[i,k])", A=np.ones((3, 2), complex))
    with pytest.raises(es.ShapeError) as raised:
        es.evaluate("I[i] = argmin[k](A[i,k])", A=np.zeros((3, 0)))
    assert str(raised.value) == ("argmin[k] in I[i] = argmin[k](A[i,k]): index k has extent 0, and an empty "
                                 "sequence has no argmin (as in NumPy)")
    with pytest.raises(es.ShapeError, match="argmax: an axis of extent 0 has no first max"):
        tensor(np.zeros((0, 3)), "csr").argmax(axis=0)


def test_the_command_line(tmp_path, capsys):
    a = matrix(10)
    io.write(tmp_path / "A.mtx", tensor(a, "csr"))
    status = cli.main(["run", "I[i] = argmax[k](A[i,k])", f"A={tmp_path / 'A.mtx'}", "-o", str(tmp_path / "I.npy")])
    assert status == 0 and capsys.readouterr().err == ""
    result = np.load(tmp_path / "I.npy")
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, np.argmax(a, axis=1))


def test_an_axis_out_of_range_is_named():
    with pytest.raises(es.ShapeError) as raised:
        tensor(matrix(11), "csr").argmax(axis=2)
    assert str(raised.value) == "argmax: axis 2 is out of range for 2 dimensions"
