"""Index notation as Python code: the same statements as strings, the same kernels, the same errors."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings

import einsparse as es
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.reference import dense_reference as reference
from test_catalogue import CASES, CATALOGUE, format_combinations, random_operands
from test_random_statements import statements
from test_tensor import check_structure

_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def python_form(tree: syn.Statement, tensors: dict):
    """(output access, right side) of a parsed statement, rebuilt with Python operators on `tensors`."""
    variables = {}

    def key(access: syn.Access) -> tuple:
        for index in access.indices:
            variables.setdefault(index.name, es.indices(index.name))
        return tuple(variables[index.name] for index in access.indices)

    def build(node):
        if isinstance(node, syn.Access):
            return tensors[node.name][key(node)]
        if isinstance(node, syn.Number):
            return node.value
        if isinstance(node, syn.IndexValue):
            return variables.setdefault(node.name, es.indices(node.name))
        if isinstance(node, syn.Neg):
            return -build(node.operand)
        return _OPS[node.op](build(node.left), build(node.right))

    return tensors[tree.output.name][key(tree.output)], build(tree.rhs)


def run_python_form(tree: syn.Statement, tensors: dict) -> None:
    """`out[...] = rhs` or `out[...] += rhs` through Tensor.__setitem__, as a user writes it."""
    out = tensors[tree.output.name]
    _, rhs = python_form(tree, tensors)
    variables = tuple(es.indices(index.name) for index in tree.output.indices)
    if tree.op == "+=":
        out[variables] += rhs
    else:
        out[variables] = rhs


# ---------------------------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_statement_both_ways_gives_the_same_kernel_and_result(name):
    text, extents, dense = CATALOGUE[name]
    tree = parse(text)
    # The formats of the catalogue's first case, so the kernel is one the catalogue test compiles too.
    combo = format_combinations(text, dense)[0]
    arrays = random_operands(text, extents, np.float64, seed=len(CASES), positive=dense)
    tensors = {n: es.tensor(a, format=combo[n] or None, name=n) for n, a in arrays.items()}
    out_name = tree.output.name
    out_shape = tuple(extents[i.name] for i in tree.output.indices)
    old = np.random.default_rng(1).random(out_shape)
    if tree.op == "+=":
        by_string = es.evaluate(text, **tensors, **{out_name: old.copy()})
        out = es.tensor(old.copy(), name=out_name)
        expected = reference(text, arrays, old)
    else:
        by_string = es.evaluate(text, **tensors)
        out_format = by_string.format if isinstance(by_string, es.Tensor) else "dense"
        out = es.empty(out_shape, format=out_format, name=out_name)
        expected = reference(text, arrays)

    run_python_form(tree, {**tensors, out_name: out})

    np.testing.assert_array_equal(out.to_numpy(), np.asarray(by_string))
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12, atol=1e-12)
    if not out.format.is_dense:
        check_structure(out)
    target, rhs = python_form(tree, {**tensors, out_name: out})
    built = es.statement(target, rhs, tree.op)
    assert built.syntax == tree
    assert str(built) == syn.deparse(tree)
    kernel = es.compile(built)
    assert kernel is es.compile(text, {n: t.format for n, t in {**tensors, out_name: out}.items()})
    assert kernel.source == es.compile(str(built), built.formats).source


# ---------------------------------------------------------------------------------------------- round trip


@settings(max_examples=80, deadline=None, derandomize=True)
@given(case=statements())
def test_deparse_of_python_built_statement_parses_to_the_same_tree(case):
    text, ranks, _, output, op = case
    tree = parse(text)

    def only_numbers(node) -> bool:
        return isinstance(node, syn.Number) or (isinstance(node, syn.Neg) and only_numbers(node.operand))

    def folds(node) -> bool:  # Python itself computes `2*3` before einsparse sees it
        if isinstance(node, syn.BinOp):
            both_numbers = only_numbers(node.left) and only_numbers(node.right)
            return both_numbers or folds(node.left) or folds(node.right)
        if isinstance(node, syn.Neg) and node.operand == syn.Number(0):
            return True  # -0 is the integer 0 in Python
        return isinstance(node, syn.Neg) and folds(node.operand)

    assume(not folds(tree.rhs))
    # One extent for every index: the generator may reuse an operand transposed.
    shapes = {name: (2,) * len(indices) for name, indices in ranks.items()}
    shapes["OUT"] = (2,) * len(output)
    tensors = {name: es.tensor(np.zeros(shape), name=name) for name, shape in shapes.items()}
    target, rhs = python_form(tree, tensors)
    built = es.statement(target, rhs, op)
    assert built.syntax == tree
    assert parse(str(built)) == tree
    assert str(built) == syn.deparse(tree)


def test_python_precedence_and_literals_deparse_as_the_string_language_reads_them():
    i, j = es.indices("i j")
    A = es.tensor(np.ones((2, 3)), name="A")
    B = es.tensor(np.ones((2, 3)), name="B")
    cases = {
        -A[i, j] * B[i, j]: "-A[i,j]*B[i,j]",
        -(A[i, j] * B[i, j]): "-(A[i,j]*B[i,j])",
        A[i, j] - (B[i, j] - A[i, j]): "A[i,j] - (B[i,j] - A[i,j])",
        A[i, j] - B[i, j] - A[i, j]: "A[i,j] - B[i,j] - A[i,j]",
        A[i, j] / (B[i, j] * 2): "A[i,j]/(B[i,j]*2)",
        -2 * A[i, j]: "-2*A[i,j]",
        A[i, j] * -2.5: "A[i,j]*-2.5",
        1e-20 * A[i, j] + 0.5: "1e-20*A[i,j] + 0.5",
        np.float32(0.5) * A[i, j]: "0.5*A[i,j]",
        np.int64(3) - A[i, j]: "3 - A[i,j]",
        (A[i, j] + B[i, j]) * (A[i, j] - B[i, j]): "(A[i,j] + B[i,j])*(A[i,j] - B[i,j])",
        A[i, j] - -B[i, j]: "A[i,j] - -B[i,j]",
    }
    for expr, text in cases.items():
        assert str(expr) == text
        assert parse(f"C[i,j] = {text}").rhs == parse(f"C[i,j] = {expr}").rhs


# ---------------------------------------------------------------------------------------------- by hand


@pytest.fixture(scope="module")
def operands():
    rng = np.random.default_rng(11)
    a = sp.random(7, 5, density=0.3, format="csr", random_state=12)
    b = rng.random((5, 6))
    d = rng.random((7, 6))
    return a, b, d


def test_fused_statement_by_hand_matches_scipy_and_the_string_form(operands):
    a, b, d = operands
    i, j, k = es.indices("i j k")
    A, B, D = es.tensor(a), es.tensor(b), es.tensor(d)
    C = es.empty((7, 6), format="dense")
    C[i, j] = A[i, k] * B[k, j] + D[i, j]
    np.testing.assert_allclose(C.to_numpy(), a @ b + d, rtol=1e-13)
    # Unnamed tensors are named by role: the string with those names is the same computation.
    np.testing.assert_array_equal(C.to_numpy(), es.evaluate("out[i,j] = A[i,k]*B[k,j] + C[i,j]",
                                                            A=a, B=b, C=d))
    C[i, j] += A[i, k] * B[k, j]
    np.testing.assert_allclose(C.to_numpy(), 2 * (a @ b) + d, rtol=1e-13)
    C[i, j] -= A[i, k] * B[k, j]
    np.testing.assert_allclose(C.to_numpy(), a @ b + d, rtol=1e-13)


def test_kernel_does_not_depend_on_python_variable_names(operands):
    a, b, _ = operands
    i, j, k = es.indices("i j k")
    left, right = es.tensor(a), es.tensor(b)
    first = es.statement(es.empty((7, 6))[i, j], left[i, k] * right[k, j])
    A, B = es.tensor(a.copy()), es.tensor(b.copy())
    p, q, r = es.indices("p q r")
    second = es.statement(es.empty((7, 6))[p, q], A[p, r] * B[r, q])
    assert str(first) == "out[i,j] = A[i,k]*B[k,j]"
    assert str(second) == "out[p,q] = A[p,r]*B[r,q]"
    with_same_indices = es.statement(es.empty((7, 6))[i, j], A[i, k] * B[k, j])
    assert es.compile(first) is es.compile(with_same_indices)
    assert es.compile(first) is es.compile("out[i,j] = A[i,k]*B[k,j]", {"A": A.format, "B": B.format,
                                                                        "out": es.Format.dense(2)})


def test_string_and_notation_share_the_kernel_whatever_the_spelling_of_the_formats(operands):
    a, _, _ = operands
    i, j = es.indices("i j")
    A, x = es.tensor(a, name="A"), es.tensor(np.arange(5.0), name="x")
    y = es.empty(7, name="y")
    kernel = es.compile(es.statement(y[i], A[i, j] * x[j]))
    assert kernel is es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    assert kernel is es.compile("y(i) = A(i,j)*x(j)", {"A": "dc", "x": "dense", "y": "d"})
    assert kernel is not es.compile("y[i] = A[i,j]*x[j]", {"A": "csc"})
    y[i] = A[i, j] * x[j]
    np.testing.assert_array_equal(y.to_numpy(), kernel(A=a, x=np.arange(5.0)))
    np.testing.assert_allclose(y.to_numpy(), a @ np.arange(5.0), rtol=1e-13)
    with pytest.raises(es.FormatError):  # a format that does not fit is still refused, not found cached
        es.compile("y[i] = A[i,j]*x[j]", {"A": "csr", "x": "dd"})


def test_names_given_to_tensors_are_used_and_positional_names_skip_them(operands):
    a, b, d = operands
    i, j, k = es.indices("i j k")
    first, second = es.tensor(a), es.tensor(b, name="A")
    C = es.empty((7, 6), name="C")
    assert str(first[i, k] * second[k, j]) == "B[i,k]*A[k,j]"
    built = es.statement(C[i, j], first[i, k] * second[k, j] + es.tensor(d)[i, j])
    assert str(built) == "C[i,j] = B[i,k]*A[k,j] + D[i,j]"
    assert list(built.inputs) == ["B", "A", "D"]
    taken = es.tensor(np.ones(7), name="out")
    assert str(es.statement(es.empty(7)[i], taken[i] * 2)) == "out1[i] = out[i]*2"


def test_the_same_tensor_twice_has_one_name():
    i, j, k = es.indices("i j k")
    m = np.arange(9.0).reshape(3, 3)
    A = es.tensor(m, format="csr")
    C = es.empty((3, 3), format="csr")
    C[i, j] = A[i, k] * A[k, j]
    assert str(es.statement(C[i, j], A[i, k] * A[k, j])) == "out[i,j] = A[i,k]*A[k,j]"
    np.testing.assert_array_equal(C.to_numpy(), m @ m)
    check_structure(C)


def test_sparse_output_storage_is_replaced_and_accumulated(operands):
    a, _, _ = operands
    i, j = es.indices("i j")
    A = es.tensor(a)
    S = es.empty((7, 5), format="dcsr")
    S[i, j] = A[i, j] * 2 - A[i, j]
    assert S.format.name == "dcsr" and S.nnz == a.nnz
    np.testing.assert_array_equal(S.to_numpy(), a.toarray())
    check_structure(S)
    S[i, j] += A[i, j]
    np.testing.assert_array_equal(S.to_numpy(), 2 * a.toarray())
    check_structure(S)
    S[i, j] = A[i, j] - A[i, j]  # cancellations leave no entries
    assert S.nnz == 0 and not S.to_numpy().any()


def test_scalar_output_and_zero_d_operand(operands):
    a, _, _ = operands
    i, j = es.indices("i j")
    A = es.tensor(a, name="A")
    alpha = es.tensor(np.float64(3.0), name="alpha")
    s = es.scalar(name="s")
    s[()] = alpha[()] * A[i, j] * A[i, j]
    assert str(es.statement(s[()], alpha[()] * A[i, j] * A[i, j])) == "s = alpha*A[i,j]*A[i,j]"
    assert s.item() == es.evaluate("s = alpha*A[i,j]*A[i,j]", alpha=3.0, A=a)
    np.testing.assert_allclose(s.item(), 3 * (a.toarray() ** 2).sum(), rtol=1e-13)


def test_dense_output_in_another_mode_order_and_dtype(operands):
    a, b, _ = operands
    i, j, k = es.indices("i j k")
    A, B = es.tensor(a.astype(np.float32)), es.tensor(b.astype(np.float32))
    C = es.empty((7, 6), format="dd:1,0", dtype=np.float64)
    C[i, j] = A[i, k] * B[k, j]
    assert C.dtype == np.float64 and C.format.mode_order == (1, 0)
    np.testing.assert_allclose(C.to_numpy(), a @ b, rtol=1e-6)
    Z = es.empty((7, 6), format="csr", dtype=np.int64)
    with pytest.raises(es.DTypeError) as error:
        Z[i, j] = A[i, k] * B[k, j]
    assert str(error.value) == "cannot write a float32 result into output out of dtype int64"


def test_compile_and_evaluate_take_a_built_statement(operands):
    a, b, _ = operands
    i, j, k = es.indices("i j k")
    A, B = es.tensor(a, name="A"), es.tensor(b, name="B")
    C = es.empty((7, 6), name="C")
    built = es.statement(C[i, j], A[i, k] * B[k, j])
    kernel = es.compile(built)
    assert kernel.formats == {"C": "dense", "A": "csr", "B": "dense"}
    assert "loop order:" in kernel.explain()
    assert not C.to_numpy().any()  # compiling does not run
    np.testing.assert_array_equal(kernel(**built.inputs), a @ b)
    assert es.evaluate(built) is C
    np.testing.assert_array_equal(C.to_numpy(), a @ b)
    assert es.compile(built, formats={"A": "csc"}).formats["A"] == "csc"


# ---------------------------------------------------------------------------------------------- errors


def message(call) -> tuple[type, str]:
    with pytest.raises(es.EinsparseError) as error:
        call()
    return type(error.value), str(error.value)


def test_misuse_errors_are_one_line_and_name_the_culprit():
    i, j = es.indices("i j")
    A = es.tensor(np.ones((2, 3)), name="A")
    unnamed = es.tensor(np.ones((2, 3)))
    cases = [
        (lambda: A[i], es.OperandError,
         "tensor A has rank 2 (shape (2, 3)) but is indexed with 1 index variable"),
        (lambda: unnamed[i, j, i], es.OperandError,
         "a tensor has rank 2 (shape (2, 3)) but is indexed with 3 index variables"),
        (lambda: A[i, 0], es.StatementError,
         "cannot mix integers and index variables when indexing tensor A: einsparse does not slice; "
         "index with index variables only"),
        (lambda: A[0, 1], es.StatementError,
         "index tensor A with index variables from es.indices('i j ...'), not int 0"),
        (lambda: A["i", "j"], es.StatementError,
         "index tensor A with index variables from es.indices('i j ...'), not str 'i'"),
        (lambda: A[i, :], es.StatementError,
         "index tensor A with index variables from es.indices('i j ...'), not slice slice(None, None, None)"),
        (lambda: bool(A[i, j] * 2), es.StatementError,
         "the index expression A[i,j]*2 has no truth value; assign it to an output to compute it, "
         "such as C[i, j] = ..."),
        (lambda: A[i, j] + np.ones(3), es.StatementError,
         "cannot use a value of type ndarray in an index expression: use numbers, or tensors indexed with "
         "index variables, such as es.tensor(x)[i, j]"),
        (lambda: np.ones(3) * A[i, j], es.StatementError,
         "cannot use a value of type ndarray in an index expression: use numbers, or tensors indexed with "
         "index variables, such as es.tensor(x)[i, j]"),
        (lambda: A[i, j] * A, es.StatementError,
         "a tensor in an expression needs its index variables, such as A[i, j]"),
        (lambda: A[i, j] + 2j, es.StatementError,
         "cannot use the complex number 2j in an index expression: numbers in a statement are real; "
         "put complex values in a tensor"),
        (lambda: A[i, j] * float("nan"), es.StatementError,
         "the number nan is not finite; an index expression holds finite numbers"),
        (lambda: es.tensor(np.ones(2), name="2x"), es.OperandError,
         "tensor name '2x' is not a name: use letters, digits and '_', not starting with a digit"),
        (lambda: es.indices("i j i"), es.StatementError, "index name 'i' appears twice in 'i j i'"),
        (lambda: es.statement(A[i, j] * 2, A[i, j]), es.StatementError,
         "the output of a statement must be a tensor indexed with index variables, such as C[i, j], "
         "not A[i,j]*2"),
    ]
    for call, kind, text in cases:
        assert message(call) == (kind, text)


def test_assignment_errors(operands):
    a, b, _ = operands
    i, j, k = es.indices("i j k")
    A, B = es.tensor(a, name="A"), es.tensor(b, name="B")
    wrong = es.empty((5, 6), name="C")
    assert message(lambda: wrong.__setitem__((i, j), A[i, k] * B[k, j])) == (
        es.ShapeError, "index i has extent 7 in A[i,k] (mode 0) but 5 in C[i,j] (mode 0)")
    C = es.empty((7, 6), name="C")
    assert message(lambda: C.__setitem__((i, j), A[i, k] * B[j, k])) == (
        es.ShapeError, "index k has extent 5 in A[i,k] (mode 1) but 6 in B[j,k] (mode 1)")
    twin = es.tensor(b, name="A")
    assert message(lambda: C.__setitem__((i, j), A[i, k] * twin[k, j])) == (
        es.StatementError, "two different tensors are named A in one statement; give them different names")
    assert message(lambda: C.__setitem__((i, j), C[i, j] * 2)) == (
        es.StatementError, "the output C also appears on the right side; write the result to a new tensor\n"
                           "    C[i,j] = C[i,j]*2\n"
                           "             ^~~~~~")
    y = es.empty(7, name="y")
    assert message(lambda: y.__setitem__(i, A[i, j] / 0)) == (
        es.StatementError, "division by zero: the divisor is the literal 0\n"
                           "    y[i] = A[i,j]/0\n"
                           "                  ^")
    frozen = np.zeros((7, 6))
    frozen.flags.writeable = False
    R = es.tensor(frozen, name="R")
    assert message(lambda: R.__setitem__((i, j), A[i, k] * B[k, j])) == (
        es.OperandError, "output R holds a read-only array, so it cannot be assigned to; make it with "
                         "es.empty(...) or from a writable array")
    assert message(lambda: es.evaluate(es.statement(C[i, j], A[i, k] * B[k, j]), A=a)) == (
        es.OperandError, "C[i,j] = A[i,k]*B[k,j] runs on its own tensors; pass no operands, formats or shape")
