"""The language's operators beyond + - * / against NumPy: functions, max/min/pow/%, comparisons, logic,
where; on sparse and dense operands in several formats, with fills 0, 1, inf, -inf and nan."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.compiler.functions import FUNCTIONS
from einsparse.reference import dense_reference

FILLS = [0.0, 1.0, np.inf, -np.inf, np.nan]


def dense(result):
    return result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)


def matrix(seed, shape=(7, 6), density=0.4, low=-0.9, high=0.9, fill=0.0):
    """A random matrix whose unstored entries are `fill`: stored values in [low, high]."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, high, shape)
    values[rng.random(shape) >= density] = fill
    return values


def tensor(values, fmt, fill=0.0):
    return es.tensor(values, fmt, fill=None if fill == 0 else fill)


def agree(result, expected):
    np.testing.assert_allclose(dense(result), expected, rtol=1e-6, atol=1e-12, equal_nan=True)


# Where each function is defined: arguments inside it.
DOMAIN = {"sqrt": (0.05, 0.9), "log": (0.05, 0.9), "arcsin": (-0.9, 0.9)}


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if f.arity == 1])
@pytest.mark.parametrize("output", ["csr", "dense"])
def test_unary_function_matches_numpy(name, output):
    low, high = DOMAIN.get(name, (-0.9, 0.9))
    values = matrix(1, low=low, high=high)
    with np.errstate(all="ignore"):
        expected = FUNCTIONS[name].numpy(values)
    result = es.evaluate(f"B[i,j] = {name}(A[i,j])", {"B": output}, A=tensor(values, "csr"))
    agree(result, expected)
    if output == "csr":  # the pattern stays A's; what is not stored is f(0)
        assert result.format.name == "csr" and result.nnz <= np.count_nonzero(values)
        with np.errstate(all="ignore"):
            assert np.array_equal(result.fill, FUNCTIONS[name].numpy(0.0), equal_nan=True)


def test_exp_of_a_csr_matrix_is_a_csr_matrix_of_fill_one_and_iterates_its_entries():
    values = matrix(2)
    result = es.evaluate("B[i,j] = exp(A[i,j])", A=sp.csr_matrix(values))
    assert isinstance(result, es.Tensor) and result.format.name == "csr" and result.fill == 1.0
    agree(result, np.exp(values))
    kernel = es.compile("B[i,j] = exp(A[i,j])", {"A": "csr", "B": "csr"})
    assert "j: iterate A2" in kernel.explain()
    assert "B has fill 1.0" in kernel.explain()


@pytest.mark.parametrize("statement, function", [
    ("C[i,j] = max(A[i,j], B[i,j])", np.maximum),
    ("C[i,j] = min(A[i,j], B[i,j])", np.minimum),
    ("C[i,j] = A[i,j] % B[i,j]", np.mod),
    ("C[i,j] = pow(A[i,j], B[i,j])", np.power),
    ("C[i,j] = A[i,j] ** B[i,j]", np.power),
    ("C[i,j] = A[i,j] / B[i,j]", np.true_divide),
    ("C[i,j] = A[i,j] < B[i,j]", np.less),
    ("C[i,j] = A[i,j] >= B[i,j]", np.greater_equal),
    ("C[i,j] = A[i,j] == B[i,j]", np.equal),
    ("C[i,j] = A[i,j] != B[i,j]", np.not_equal),
])
@pytest.mark.parametrize("formats", [("csr", "csr"), ("csr", "csc"), ("coo", "dense"), ("dense", "csr")])
def test_binary_operator_matches_numpy(statement, function, formats):
    """(A dense operand holds no zeros here: an absent entry times what a dense operand stores is 0 by
    the structural rule, tested on its own below.)"""
    a, b = matrix(3, low=0.1), matrix(4, low=0.1)
    a, b = (np.where(v == 0, 0.5, v) if fmt == "dense" else v for v, fmt in zip((a, b), formats))
    with np.errstate(all="ignore"):
        expected = function(a, b)
    result = es.evaluate(statement, A=tensor(a, formats[0]), B=tensor(b, formats[1]))
    agree(result, expected)


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("statement, numpy", [
    ("C[i,j] = A[i,j] * B[i,j]", lambda a, b: a * b),
    ("C[i,j] = A[i,j] + B[i,j]", lambda a, b: a + b),
    ("C[i,j] = max(A[i,j], B[i,j])", np.maximum),
    ("C[i,j] = min(A[i,j], B[i,j]) - 1", lambda a, b: np.minimum(a, b) - 1),
    ("C[i,j] = exp(A[i,j]) / B[i,j]", lambda a, b: np.exp(a) / b),
    ("C[i,j] = where(A[i,j] > B[i,j], A[i,j], 0)", lambda a, b: np.where(a > b, a, 0)),
])
def test_fills_take_part_as_numpy_values(fill, statement, numpy):
    """Both operands hold `fill` where nothing is stored: the result is NumPy's on the dense arrays."""
    a, b = matrix(5, fill=fill), matrix(6, fill=fill)
    with np.errstate(all="ignore"):
        expected = numpy(a, b)
    for formats in (("csr", "csr"), ("csr", "dense")):
        result = es.evaluate(statement, A=tensor(a, formats[0], fill), B=tensor(b, formats[1], fill))
        agree(result, expected)


@pytest.mark.parametrize("fill", FILLS)
def test_result_fill_is_the_statement_on_the_fills(fill):
    a = matrix(7, fill=fill)
    result = es.evaluate("B[i,j] = abs(A[i,j]) + 2", A=tensor(a, "csr", fill))
    assert isinstance(result, es.Tensor)
    np.testing.assert_array_equal(result.fill, np.abs(fill) + 2)
    agree(result, np.abs(a) + 2)


def test_min_plus_of_distances_with_infinite_fill_stays_sparse():
    a, b = matrix(8, low=0.1, fill=np.inf), matrix(9, low=0.1, fill=np.inf)
    A, B = es.tensor(a, "csr", fill=np.inf), es.tensor(b, "csr", fill=np.inf)
    result = es.evaluate("C[i,j] = min(A[i,j], B[i,j] + 1)", A=A, B=B)
    assert result.fill == np.inf and result.format.name == "csr"
    agree(result, np.minimum(a, b + 1))


def test_a_zero_fill_annihilates_a_product_whatever_the_other_factor_stores():
    """The documented rule: 0 (absent) * inf (stored in a dense operand) is 0, as scipy computes."""
    a = np.array([[0.0, 2.0], [3.0, 0.0]])
    x = np.array([np.inf, 1.0])
    result = es.evaluate("C[i,j] = A[i,j]*x[j]", A=sp.csr_matrix(a), x=x)
    np.testing.assert_array_equal(dense(result), [[0.0, 2.0], [np.inf, 0.0]])
    np.testing.assert_array_equal((sp.csr_matrix(a).multiply(x)).toarray(), dense(result))


def test_a_fill_of_inf_is_exact_by_ieee():
    """...but a fill is a constant, computed as NumPy computes: 0 * inf is nan where both are absent."""
    a = np.array([[0.0, 2.0], [3.0, 0.0]])
    d = np.array([[np.inf, 1.0], [np.inf, np.inf]])
    result = es.evaluate("C[i,j] = A[i,j]*D[i,j]", A=sp.csr_matrix(a), D=es.tensor(d, "csr", fill=np.inf))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(dense(result), a * d)
    assert np.isnan(result.fill)


def test_an_infinite_fill_in_one_branch_is_not_annihilated_by_a_zero():
    """where's background is 0 (both branches' absent values agree there), but where E is absent and
    the condition is false it is inf * x: the absent 0 of B times that is nan, as in NumPy."""
    b = np.zeros((2, 3))
    c, d = np.zeros((2, 3)), np.array([[0.0, -0.5, 0.5], [-0.25, 0.0, 0.0]])
    e, x = np.full(3, np.inf), np.array([0.5, -2.0])
    statement = "C[i,j] = B[i,j] * where(C0[i,j] <= D[i,j], C0[i,j], E[j]*x[i])"
    operands = {"B": b, "C0": c, "D": d, "E": e, "x": x}
    result = es.evaluate(statement, B=sp.csr_matrix(b), C0=sp.csr_matrix(c), D=sp.csr_matrix(d),
                         E=es.tensor(e, "c", fill=np.inf), x=x)
    with np.errstate(invalid="ignore"):
        expected = b * np.where(c <= d, c, e * x[:, None])
    assert np.isnan(expected).sum() == 2
    np.testing.assert_array_equal(dense(result), expected)
    np.testing.assert_array_equal(expected, dense_reference(statement, operands))


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_a_sum_of_bools_is_their_any_where_it_is_used(fmt):
    """NumPy's einsum sums bools into a bool (any): `M[i,j] + x[i]` adds 1 where any of the row is
    True, not the count, and a summed comparison is an operand of `and`."""
    m = np.array([[True, True, False], [False, False, False], [True, False, True]])
    x = np.array([0.5, 0.25, 2.0])
    operand = m if fmt == "dense" else es.tensor(m, "csr")
    np.testing.assert_array_equal(dense(es.evaluate("C[i] = M[i,j] + x[i]", M=operand, x=x)),
                                  np.einsum("ij->i", m) + x)
    a = np.array([[0.5, -1.0, 2.0], [-1.0, -2.0, 0.0], [3.0, 0.0, 0.0]])
    result = es.evaluate("C[i] = (A[i,j] > 1) and x[i] < 1", A=a, x=x)
    np.testing.assert_array_equal(dense(result), np.einsum("ij->i", a > 1) & (x < 1))


def test_int8_sums_wrap_as_numpy_einsum_wraps_them():
    a = np.full((2, 3), 100, np.int8)
    x = np.array([0.5, 1.5])
    with np.errstate(over="ignore"):
        expected = np.einsum("ij->i", a) + x
    np.testing.assert_array_equal(dense(es.evaluate("C[i] = A[i,j] + x[i]", A=a, x=x)), expected)


def test_division_by_an_absent_entry_divides_as_numpy():
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    b = np.array([[0.0, 2.0], [0.0, 4.0]])
    result = es.evaluate("C[i,j] = A[i,j] / B[i,j]", A=sp.csr_matrix(a), B=sp.csr_matrix(b))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(dense(result), a / b)


@pytest.mark.parametrize("statement, numpy", [
    ("C[i,j] = A[i,j] > 0.2 and B[i,j] > 0.2", lambda a, b: (a > 0.2) & (b > 0.2)),
    ("C[i,j] = (A[i,j] > 0.2) | (B[i,j] > 0.2)", lambda a, b: (a > 0.2) | (b > 0.2)),
    ("C[i,j] = not A[i,j] > 0.2 or B[i,j] > 0.5", lambda a, b: ~(a > 0.2) | (b > 0.5)),
    ("C[i,j] = ~(A[i,j] > 0.2) & (B[i,j] < 0.5)", lambda a, b: ~(a > 0.2) & (b < 0.5)),
])
def test_logic_matches_numpy(statement, numpy):
    a, b = matrix(10), matrix(11)
    result = es.evaluate(statement, A=sp.csr_matrix(a), B=sp.csr_matrix(b))
    assert dense(result).dtype == np.bool_
    np.testing.assert_array_equal(dense(result), numpy(a, b))


def test_where_with_a_sparse_mask_intersects():
    a, m = matrix(12), matrix(13) > 0.3
    kernel = es.compile("C[i,j] = where(M[i,j], A[i,j], 0)", {"M": "csr", "A": "csr", "C": "csr"})
    assert "j: intersect A2, M2" in kernel.explain()
    result = kernel(M=es.tensor(m, "csr"), A=es.tensor(a, "csr"))
    np.testing.assert_array_equal(dense(result), np.where(m, a, 0))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("name", ["abs", "sqrt", "exp", "sign", "floor"])
def test_result_types_follow_numpy(dtype, name):
    values = (matrix(14, low=1, high=5) * 1).astype(dtype)
    if name in ("sign", "floor") and np.dtype(dtype).kind == "c":
        with pytest.raises(es.DTypeError):
            es.evaluate(f"B[i,j] = {name}(A[i,j])", A=values)
        return
    result = dense(es.evaluate(f"B[i,j] = {name}(A[i,j])", A=values))
    expected = FUNCTIONS[name].numpy(values)
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-3)


def test_fused_relu_of_spmm_plus_bias_is_one_kernel():
    a, x, b = matrix(15), np.random.default_rng(0).random((6, 3)), np.linspace(-1, 1, 3)
    kernel = es.compile("H[i,j] = relu(A[i,k]*X[k,j] + b[j])", {"A": "csr"})
    # One kernel: each row summed into a row of X's width, then the bias and relu applied as it is read.
    assert "t0[j]: dense workspace" in kernel.explain() and kernel.plan.order == ("i", "k", "j")
    agree(kernel(A=sp.csr_matrix(a), X=x, b=b), np.maximum(a @ x + b, 0))


def test_sddmm_then_exp_on_the_pattern():
    a = matrix(16)
    u, v = np.random.default_rng(1).random((7, 4)), np.random.default_rng(2).random((6, 4))
    result = es.evaluate("P[i,j] = exp(A[i,j]*U[i,k]*V[j,k])", A=sp.csr_matrix(a), U=u, V=v)
    assert result.format.name == "csr" and result.fill == 1.0
    agree(result, np.exp(a * (u @ v.T)))


def test_index_notation_and_einsum_free_functions_agree_with_strings():
    i, j = es.indices("i j")
    a = matrix(17)
    A = es.tensor(a, "csr")
    C = es.empty(a.shape, "csr")
    C[i, j] = es.where(A[i, j] > 0.1, es.sqrt(abs(A[i, j])) ** 2, A[i, j] % 0.25)
    expected = dense_reference("C[i,j] = where(A[i,j] > 0.1, sqrt(abs(A[i,j]))**2, A[i,j] % 0.25)", {"A": a})
    agree(C, expected)
    assert np.allclose(dense(es.exp(A)), np.exp(a))


@pytest.mark.parametrize("statement, message", [
    ("B[i] = foo(a[i])", "unknown function foo; the functions are abs, sqrt, exp, expm1, log, log1p, sin, cos, "
                         "tan, tanh, sinh, arcsin, arctan, sigmoid, relu, sign, floor, ceil, round, conj, real, "
                         "imag, max, min, pow, where\n    B[i] = foo(a[i])\n           ^~~"),
    ("B[i] = max(a[i])", "max takes 2 arguments, not 1 argument\n    B[i] = max(a[i])\n           ^~~~~~~~~"),
    ("B[i] = exp(a[i], 2)", "exp takes 1 argument, not 2 arguments\n    B[i] = exp(a[i], 2)\n           ^~~~~~~~~~~~"),
])
def test_bad_calls_are_parse_errors_with_a_caret(statement, message):
    with pytest.raises(es.ParseError) as error:
        es.compile(statement)
    assert str(error.value) == message


def test_where_needs_a_bool_condition():
    with pytest.raises(es.DTypeError) as error:
        es.evaluate("B[i] = where(a[i], a[i], 0)", a=np.ones(3))
    assert str(error.value) == ("the condition of where must be bool, not float64: compare first, as in A[i,j] > 0\n"
                                "    B[i] = where(a[i], a[i], 0)\n"
                                "           ^~~~~~~~~~~~~~~~~~~~")


def test_logic_needs_bool_operands():
    with pytest.raises(es.DTypeError) as error:
        es.evaluate("B[i] = a[i] & (a[i] > 0)", a=np.ones(3))
    assert str(error.value).startswith("and (&) takes bool operands, not float64")


def test_to_scipy_of_a_nonzero_fill_is_refused():
    result = es.evaluate("B[i,j] = exp(A[i,j])", A=sp.random(4, 4, density=0.5, format="csr", random_state=0))
    with pytest.raises(es.FormatError) as error:
        result.to_scipy()
    assert str(error.value) == ("to_scipy: this tensor's fill is 1.0, and a scipy.sparse matrix is 0 where nothing "
                                "is stored; use to_numpy()")


def test_deparse_round_trips_precedence():
    from einsparse.compiler.parse import parse
    from einsparse.compiler.syntax import deparse
    for text in ["B[i] = -a[i]**2", "B[i] = (-a[i])**2", "B[i] = a[i]**-2", "B[i] = not a[i] > 0 or b[i] < 1",
                 "B[i] = (a[i] + 1)%3", "B[i] = (a[i] < 1) == (b[i] < 1)", "B[i] = where(a[i] > 0, a[i], 0)*2"]:
        tree = parse(text)
        assert parse(deparse(tree)) == tree, text
    assert deparse(parse("B[i] = -a[i]**2")) == "B[i] = -a[i]**2"
    assert dense_reference("B[i] = -a[i]**2", {"a": np.array([3.0])})[0] == -9.0


def test_a_region_with_nothing_to_write_is_not_read_as_the_empty_one():
    """Where C is absent `(max[m](A[m,i]) + 3)*C[k,i]` is 0 (a finite value times 0), but where the max
    is absent too it is -inf*0, nan: the coordinates with the max alone once fell into that branch."""
    a, c, b = np.zeros((3, 5)), np.zeros((3, 5)), np.linspace(-1, 1, 5)
    statement = "OUT = ((max[m](A[m,i]) - (B[i] - 3)) * C[k,i])"
    with np.errstate(all="ignore"):
        expected = dense_reference(statement, {"A": a, "B": b, "C": c})
    assert expected == 0.0
    assert es.evaluate(statement, A=tensor(a, "csr"), B=b, C=tensor(c, "csr")) == 0.0


def test_a_where_of_equal_backgrounds_still_walks_its_condition():
    """where(c, C, D) of C and D of fill 0 is 0 wherever both are absent, whatever c is; where one is
    stored, c's operands are still read at the coordinate (they were once taken as absent)."""
    a = matrix(30, (4, 3))
    a[0, 1] = 0.9
    b = np.where(matrix(31, (5,)) != 0, 0.8, 1.0)
    c, d = matrix(32, (4, 5), 0.6), matrix(33, (4, 5), 0.6)
    statement = "OUT[j,i,k] = where(min(A[j,k], B[i]) >= 0.5, C[j,i], D[j,i])"
    operands = {"A": a, "B": b, "C": c, "D": d}
    result = es.evaluate(statement, A=tensor(a, "csc"), B=tensor(b, "c", 1.0), C=tensor(c, "csc"),
                         D=tensor(d, "coo"))
    agree(result, dense_reference(statement, operands))
