"""User mistakes: each raises one `EinsparseError` subclass with an exact message.

A message is one line naming the culprit; when the mistake is inside the statement, the statement's line
follows with a caret under the spot. No lark, Numba, NumPy or plain Python exception gets out.

Most cases fail before any kernel is compiled; the few that run reuse two statements, so this is fast.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import einsparse as es
from einsparse import errors
from einsparse.errors import (
    DTypeError,
    EinsparseError,
    FormatError,
    InternalError,
    NotSupportedError,
    OperandError,
    ParseError,
    ShapeError,
    StatementError,
)

MATMUL = "C[i,j] = A[i,k]*B[k,j]"
M = np.arange(9.0).reshape(3, 3)  # 3x3 operands throughout
N = np.ones((3, 3))
v = np.ones(3)

HELP_FORMATS = ("use one of csr, csc, dcsr, dcsc, dense, csf, coo, or one letter per mode ('d' dense, "
                "'c' compressed, 'u' non-unique compressed, 's' singleton, 'b' band, 'm' bitmap) with an optional mode order, "
                "e.g. 'dc:1,0'")
HELP_DTYPES = ("which einsparse does not compute with; use a NumPy number type (bool, int8 to int64, uint8 to "
               "uint64, float16 to float64, complex64 or complex128)")
HELP_KINDS = ("cannot read a {} as a tensor; pass a NumPy array, a scipy.sparse matrix, "
              "a pydata/sparse array, an einsparse tensor or a number")


def read_only(shape):
    array = np.zeros(shape)
    array.setflags(write=False)
    return array


def call_matmul_kernel(**operands):
    return es.compile(MATMUL)(**operands)


# (id, call, class, exact message)
CASES = [
    # ---- malformed statements: the statement with a caret, and what was expected
    ("syntax", lambda: es.evaluate("C[i,j] = A[i,k] * * B[k,j]", A=M, B=N), ParseError,
     "unexpected '*' at column 19: expected an operand, a number, '-', '(' or '~'\n"
     "    C[i,j] = A[i,k] * * B[k,j]\n"
     "                      ^"),
    ("ends early", lambda: es.evaluate("C[i,j] = A[i,k]*B[k,j", A=M, B=N), ParseError,
     "the statement ends too early: expected ',' or ']'\n"
     "    C[i,j] = A[i,k]*B[k,j\n"
     "                         ^"),
    ("bad character", lambda: es.compile("C[i] = A[i] @ 2"), ParseError,
     "unexpected character '@' at column 13\n"
     "    C[i] = A[i] @ 2\n"
     "                ^"),
    ("empty", lambda: es.evaluate("   ", A=M), ParseError, "the statement is empty"),
    ("statement not a string", lambda: es.evaluate(42, A=M), ParseError,
     "the statement must be a string such as 'C[i,j] = A[i,k]*B[k,j]', not int"),
    ("compile not a string", lambda: es.compile(None), ParseError,
     "the statement must be a string such as 'C[i,j] = A[i,k]*B[k,j]', not NoneType"),

    # ---- statements that parse but mean nothing valid: caret at the culprit
    ("repeated output index", lambda: es.evaluate("C[i,i] = A[i,j]", A=M), StatementError,
     "output index i appears twice in C\n"
     "    C[i,i] = A[i,j]\n"
     "        ^"),
    ("output on the right side", lambda: es.evaluate("C[i,j] = A[i,j] + C[i,j]", A=M), StatementError,
     "the output C also appears on the right side; write the result to a new tensor\n"
     "    C[i,j] = A[i,j] + C[i,j]\n"
     "                      ^~~~~~"),
    ("divide by literal zero", lambda: es.evaluate("C[i,j] = A[i,j]/0", A=M), StatementError,
     "division by zero: the divisor is the literal 0\n"
     "    C[i,j] = A[i,j]/0\n"
     "                    ^"),
    ("one tensor, two ranks", lambda: es.compile("C[i,j] = A[i,j] + A[i]"), OperandError,
     "A is indexed with 1 index here but with 2 indices in A[i,j]\n"
     "    C[i,j] = A[i,j] + A[i]\n"
     "                      ^~~~"),
    ("one tensor, two ranks, with data", lambda: es.evaluate("C[i,j] = A[i,j] + A[i]", A=M), OperandError,
     "operand A has rank 2 (shape (3, 3)) but is indexed with 1 index\n"
     "    C[i,j] = A[i,j] + A[i]\n"
     "                      ^~~~"),

    # ---- operands: unknown, missing, unreadable, wrong rank
    ("unknown operand", lambda: es.evaluate(MATMUL, A=M, B=N, Z=M), OperandError,
     "unexpected operand Z: it is not in C[i,j] = A[i,k]*B[k,j]"),
    ("unknown operand that is not even a tensor", lambda: es.evaluate(MATMUL, A=M, B=N, Z={}), OperandError,
     "unexpected operand Z: it is not in C[i,j] = A[i,k]*B[k,j]"),
    ("missing operand", lambda: es.evaluate(MATMUL, A=M), OperandError,
     "missing operand B for C[i,j] = A[i,k]*B[k,j]"),
    ("missing operand, compiled kernel", lambda: call_matmul_kernel(B=N), OperandError,
     "missing operand A for C[i,j] = A[i,k]*B[k,j]"),
    ("'+=' without the output", lambda: es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=M, B=N), OperandError,
     "missing operand C: '+=' accumulates into it, so pass it"),
    ("dict operand", lambda: es.evaluate(MATMUL, A={"a": 1}, B=N), OperandError,
     "operand A: " + HELP_KINDS.format("dict")),
    ("string operand", lambda: es.evaluate(MATMUL, A="M", B=N), OperandError,
     "operand A: " + HELP_KINDS.format("str")),
    ("None operand", lambda: es.evaluate(MATMUL, A=M, B=None), OperandError,
     "operand B: " + HELP_KINDS.format("NoneType")),
    ("ragged list operand", lambda: es.evaluate(MATMUL, A=[[1, 2], [3]], B=N), OperandError,
     "operand A: " + HELP_KINDS.format("list")),
    ("dict operand, compiled kernel", lambda: call_matmul_kernel(A=M, B={}), OperandError,
     "operand B: " + HELP_KINDS.format("dict")),
    ("rank too low", lambda: es.evaluate(MATMUL, A=M, B=v), OperandError,
     "operand B has rank 1 (shape (3,)) but is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "                    ^~~~~~"),
    ("rank too high", lambda: es.evaluate(MATMUL, A=np.ones((3, 3, 3)), B=N), OperandError,
     "operand A has rank 3 (shape (3, 3, 3)) but is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "             ^~~~~~"),
    ("rank of a sparse operand", lambda: es.evaluate("C[i] = A[i,j,k]", A=sp.csr_matrix(M)), OperandError,
     "operand A has rank 2 (shape (3, 3)) but is indexed with 3 indices\n"
     "    C[i] = A[i,j,k]\n"
     "           ^~~~~~~~"),
    ("rank, compiled kernel", lambda: call_matmul_kernel(A=M, B=v), OperandError,
     "operand B has rank 1 (shape (3,)) but is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "                    ^~~~~~"),
    ("rank, on the statement's second line", lambda: es.evaluate("C[i,j] =\n  A[i,k]*B[k,j]", A=M, B=v),
     OperandError,
     "operand B has rank 1 (shape (3,)) but is indexed with 2 indices\n"
     "      A[i,k]*B[k,j]\n"
     "             ^~~~~~"),
    ("0-d operand indexed", lambda: es.evaluate("C[i] = A[i]*s[i]", A=v, s=np.float64(2.0)), OperandError,
     "operand s is a scalar (rank 0) but is indexed with 1 index\n"
     "    C[i] = A[i]*s[i]\n"
     "                ^~~~"),
    ("number indexed", lambda: es.evaluate("C[i] = A[i]*s[i]", A=v, s=2), OperandError,
     "operand s is a scalar (rank 0) but is indexed with 1 index\n"
     "    C[i] = A[i]*s[i]\n"
     "                ^~~~"),
    ("vector not indexed", lambda: es.evaluate("c = a*2", a=v), OperandError,
     "operand a has rank 1 (shape (3,)) but is indexed with 0 indices\n"
     "    c = a*2\n"
     "        ^"),

    # ---- the output
    ("output of the wrong rank", lambda: es.evaluate(MATMUL, A=M, B=N, C=np.zeros(3)), OperandError,
     "output C has rank 1 (shape (3,)) but is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "    ^~~~~~"),
    ("output of the wrong shape", lambda: es.evaluate(MATMUL, A=M, B=N, C=np.zeros((3, 4))), ShapeError,
     "index j has extent 3 in B[k,j] (mode 1) but 4 in C[i,j] (mode 1)"),
    ("output of the wrong shape, '+='",
     lambda: es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=M, B=N, C=np.zeros((2, 3))), ShapeError,
     "index i has extent 3 in A[i,k] (mode 0) but 2 in C[i,j] (mode 0)"),
    ("output that is not a tensor", lambda: es.evaluate(MATMUL, A=M, B=N, C={}), OperandError,
     "output C: " + HELP_KINDS.format("dict")),
    ("read-only output", lambda: es.evaluate(MATMUL, A=M, B=N, C=read_only((3, 3))), OperandError,
     "output C is a read-only array; pass a writable one, or leave C out to get a new array"),
    ("index only on the output", lambda: es.evaluate("C[i,j] = A[i,i]", A=M), ShapeError,
     "the extent of index j is unknown: no operand is indexed by it; pass shape=(...) or C=<array> to "
     "give the output's shape\n    C[i,j] = A[i,i]\n        ^"),
    ("singleton after a unique level", lambda: es.evaluate(MATMUL, {"C": "cs"}, A=M, B=N), FormatError,
     "format of C 'cs': a singleton level ('s') must follow a non-unique level ('u', or an 's' followed by "
     "another 's')"),

    # ---- extents
    ("extent mismatch", lambda: es.evaluate(MATMUL, A=M, B=np.ones((4, 3))), ShapeError,
     "index k has extent 3 in A[i,k] (mode 1) but 4 in B[k,j] (mode 0)"),
    ("extent mismatch, as written", lambda: es.evaluate("s = A[i, j] + D[i,j]", A=M, D=np.ones((3, 2))),
     ShapeError,
     "index j has extent 3 in A[i,j] (mode 1) but 2 in D[i,j] (mode 1)"),

    # ---- formats
    ("unknown format", lambda: es.evaluate(MATMUL, {"A": "xyz"}, A=M, B=N), FormatError,
     "format of A 'xyz' is unknown: " + HELP_FORMATS),
    ("empty format", lambda: es.compile(MATMUL, {"B": ""}), FormatError,
     "format of B '' is unknown: " + HELP_FORMATS),
    ("mode order not a permutation", lambda: es.evaluate(MATMUL, {"A": "dc:0,0"}, A=M, B=N), FormatError,
     "format of A 'dc:0,0': the mode order must be a permutation of 0..1"),
    ("mode order not integers", lambda: es.compile(MATMUL, {"A": "dc:1,a"}), FormatError,
     "format of A 'dc:1,a': the mode order after ':' must be comma-separated integers"),
    ("mode order too long", lambda: es.compile(MATMUL, {"A": "dc:1,0,2"}), FormatError,
     "format of A 'dc:1,0,2': 2 level letters but a mode order of 3 modes"),
    ("csr for a 3-d tensor", lambda: es.evaluate("C[i,j,l] = A[i,j,l]", {"A": "csr"}, A=np.ones((3, 3, 3))),
     FormatError,
     "format of A 'csr' has 2 levels but A is indexed with 3 indices\n"
     "    C[i,j,l] = A[i,j,l]\n"
     "               ^~~~~~~~"),
    ("too many levels", lambda: es.compile(MATMUL, {"B": "ccc"}), FormatError,
     "format of B 'ccc' has 3 levels but B is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "                    ^~~~~~"),
    ("Format object of the wrong rank", lambda: es.compile(MATMUL, {"C": es.Format.dense(1)}), FormatError,
     "format of C 'd' has 1 level but C is indexed with 2 indices\n"
     "    C[i,j] = A[i,k]*B[k,j]\n"
     "    ^~~~~~"),
    ("format that is not a string", lambda: es.compile(MATMUL, {"A": 3}), FormatError,
     "format of A must be a string such as 'csr' or 'dc:1,0', not int"),
    ("format for a name not in the statement", lambda: es.evaluate(MATMUL, {"Q": "csr"}, A=M, B=N),
     FormatError, "a format was given for Q, which is not in the statement (its tensors: C, A, B)"),
    ("format for a name not in the statement, compile", lambda: es.compile(MATMUL, {"D": "dense"}),
     FormatError, "a format was given for D, which is not in the statement (its tensors: C, A, B)"),
    ("formats not a dict", lambda: es.evaluate(MATMUL, "csr", A=M, B=N), FormatError,
     "formats must be a dict from tensor names to formats, such as {'A': 'csr'}, not str; "
     "pass operands by name, such as A=..."),
    ("operand passed by position", lambda: es.evaluate("C[i,j] = A[i,j]", M), FormatError,
     "formats must be a dict from tensor names to formats, such as {'A': 'csr'}, not ndarray; "
     "pass operands by name, such as A=..."),
    ("formats key not a name", lambda: es.compile(MATMUL, {0: "csr"}), FormatError,
     "formats has the key 0, which is not a tensor name; use the names of the statement, such as "
     "{'A': 'csr'}"),

    # ---- value types
    ("extended precision operand", lambda: es.evaluate(MATMUL, A=M.astype(np.longdouble), B=N), DTypeError,
     f"operand A has dtype {np.dtype(np.longdouble)}, " + HELP_DTYPES),
    ("extended precision sparse operand",
     lambda: es.evaluate(MATMUL, A=M, B=sp.csr_matrix(N.astype(np.clongdouble))),
     DTypeError, f"operand B has dtype {np.dtype(np.clongdouble)}, " + HELP_DTYPES),
    ("object operand", lambda: es.evaluate(MATMUL, A=np.array([[1, None, 2]] * 3, dtype=object), B=N),
     DTypeError, "operand A has dtype object, " + HELP_DTYPES),
    ("string array operand", lambda: es.evaluate(MATMUL, A=M, B=np.full((3, 3), "x")), DTypeError,
     "operand B has dtype <U1, " + HELP_DTYPES),
    ("datetime operand", lambda: es.evaluate(MATMUL, A=np.zeros((3, 3), "datetime64[s]"), B=N), DTypeError,
     "operand A has dtype datetime64[s], " + HELP_DTYPES),
    ("extended precision output for '+='",
     lambda: es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=M, B=N, C=np.zeros((3, 3), np.longdouble)), DTypeError,
     f"output C has dtype {np.dtype(np.longdouble)}, " + HELP_DTYPES),
    ("string output", lambda: es.evaluate(MATMUL, A=M, B=N, C=np.full((3, 3), "x")), DTypeError,
     "output C has dtype <U1, " + HELP_DTYPES),
    ("float result into an int output",
     lambda: es.evaluate(MATMUL, A=M, B=N, C=np.zeros((3, 3), np.int64)), DTypeError,
     "cannot write a float64 result into output C of dtype int64"),
    ("float result accumulated into an int output",
     lambda: es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=M, B=N, C=np.zeros((3, 3), np.int64)), DTypeError,
     "cannot accumulate a float64 result into output C of dtype int64"),

    # ---- einsum subscripts
    ("einsum operand count", lambda: es.einsum("ij,jk->ik", M), OperandError,
     "einsum subscripts 'ij,jk->ik' name 2 operands but 1 was given"),
    ("einsum operand count, too many", lambda: es.einsum("ij->i", M, N, N), OperandError,
     "einsum subscripts 'ij->i' name 1 operand but 3 were given"),
    ("einsum bad character", lambda: es.einsum("i1,jk->ik", M, N), StatementError,
     "einsum subscripts 'i1,jk->ik': '1' is not an index letter (use a-z and A-Z, and '...')"),
    ("einsum non-ASCII letter", lambda: es.einsum("ié->i", M), StatementError,
     "einsum subscripts 'ié->i': 'é' is not an index letter (use a-z and A-Z, and '...')"),
    ("einsum two ellipses", lambda: es.einsum("...i...->i", M), StatementError,
     "einsum subscripts '...i...->i': more than one '...' in '...i...'"),
    ("einsum ellipsis dimensions with nowhere to go", lambda: es.einsum("...i->i", M), StatementError,
     "einsum subscripts '...i->i': the operands have '...' dimensions but the output has no '...' to put "
     "them in"),
    ("einsum two arrows", lambda: es.einsum("ij->j->i", M), StatementError,
     "einsum subscripts 'ij->j->i' have more than one '->'"),
    ("einsum output index not in the inputs", lambda: es.einsum("ij->iz", M), StatementError,
     "einsum subscripts 'ij->iz': output index z is not in any operand's subscripts"),
    ("einsum output index twice", lambda: es.einsum("ij->ii", M), StatementError,
     "einsum subscripts 'ij->ii': output index i appears twice"),
    ("einsum subscripts not a string", lambda: es.einsum(["ij"], M), StatementError,
     "einsum subscripts must be a string such as 'ij,jk->ik', or a list after each operand such as "
     "einsum(A, [0, 1], B, [1, 2], [0, 2]); the sublist of operand 0 is a ndarray"),
    ("einsum sublist entry", lambda: es.einsum(M, [0, 52]), StatementError,
     "einsum: the sublist of operand 0 holds 52; subscripts in a sublist are integers from 0 to 51 or "
     "Ellipsis"),
    ("einsum optimize", lambda: es.einsum("ij->i", M, optimize="fastest"), StatementError,
     "einsum: optimize='fastest' is not one of False, True, 'greedy', 'optimal' or a contraction path such as "
     "['einsum_path', (0, 1), (0, 1)]"),
    ("einsum dtype cast", lambda: es.einsum("ij->i", M, dtype=np.int32), OperandError,
     "einsum: cannot cast operand 0 from float64 to int32 under casting='safe'"),
    ("einsum out shape", lambda: es.einsum("ij->i", M, out=np.zeros(4)), ShapeError,
     "einsum: out has shape (4,) but the result has shape (3,)"),
    ("einsum rank", lambda: es.einsum("ij,jkl->ik", M, N), OperandError,
     "einsum operand 1 has rank 2 (shape (3, 3)) but its subscripts 'jkl' name 3 indices"),
    ("einsum 0-d operand with a subscript", lambda: es.einsum("i,j->ij", v, 2.0), OperandError,
     "einsum operand 1 has rank 0 (shape ()) but its subscripts 'j' name 1 index"),
    ("einsum unreadable operand", lambda: es.einsum("ij,jk->ik", M, "N"), OperandError,
     "einsum operand 1: " + HELP_KINDS.format("str")),
    ("einsum extent mismatch", lambda: es.einsum("ij,jk->ik", M, np.ones((4, 3))), ShapeError,
     "einsum: index j has extent 3 in operand 0 but 4 in operand 1; extents must agree or be 1"),
    ("non-unique level without a singleton below", lambda: es.einsum("ij,jk->ik", M, N, format="uc"),
     FormatError, "format of out 'uc': a non-unique level must be followed by a singleton level ('s')"),
    ("einsum garbage output format", lambda: es.einsum("ij,jk->ik", M, N, format="xyz"), FormatError,
     "format of out 'xyz' is unknown: " + HELP_FORMATS),
]


@pytest.mark.parametrize(("call", "cls", "message"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_mistake_raises_exact_error(call, cls, message):
    with pytest.raises(EinsparseError, match=None) as excinfo:
        call()
    error = excinfo.value
    assert type(error) is cls
    assert str(error) == message
    # One line naming the culprit, then at most the statement's line and a caret line.
    lines = str(error).split("\n")
    assert len(lines) in (1, 3)
    if len(lines) == 3:
        assert set(lines[2].strip()) <= {"^", "~"} and lines[2].strip().startswith("^")
    # No foreign exception shows through as the cause or the context.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_case_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


# ---- what is not a mistake still works (these compile the only kernels of this file)


def test_lists_are_dense_operands():
    got = es.evaluate(MATMUL, A=M.tolist(), B=[[1, 1, 1]] * 3)
    assert np.array_equal(got, M @ N)


def test_accumulate_into_a_scipy_output():
    # A sparse matrix passed as a '+=' output is read through its values, not as an object array.
    got = es.evaluate("C[i,j] += A[i,k]*B[k,j]", A=M, B=N, C=sp.csr_matrix(np.eye(3)))
    assert np.array_equal(got, M @ N + np.eye(3))


def test_einsum_still_works():
    assert np.array_equal(es.einsum("ik,kj->ij", M, N), M @ N)


# ---- anything thrown at the matrix product is an answer or an EinsparseError, never another exception

junk = st.sampled_from([
    M, N, M.tolist(), v, np.float64(1.0), 2, np.ones((4, 3)), np.ones((3, 3, 3)), M.astype(np.uint64),
    sp.csr_matrix(M), {"a": 1}, "text", None, [[1, 2], [3]], np.full((3, 3), "x"), object(),
])
junk_formats = st.sampled_from([
    None, {}, {"A": "xyz"}, {"A": "csr"}, {"B": "ccc"}, {"Q": "csr"}, {"C": "csr"}, {"A": 3}, {1: "d"},
    "csr", ["A"], {"A": "dc:0,0"},
])


@settings(max_examples=300, deadline=None)
@given(junk_formats, st.dictionaries(st.sampled_from(["A", "B", "C", "Z"]), junk, max_size=4))
def test_any_operands_raise_only_einsparse_errors(formats, operands):
    try:
        es.evaluate(MATMUL, formats, **operands)
    except EinsparseError as error:
        assert not isinstance(error, InternalError), str(error)
        assert str(error).split("\n")[0].strip()


# ---- the error family


def test_every_public_error_is_an_einsparse_error():
    public = [getattr(es, name) for name in es.__all__ if name.endswith("Error")]
    defined = [obj for obj in vars(errors).values()
               if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__]
    assert set(public) == set(defined)
    assert {cls.__name__ for cls in public} == {
        "EinsparseError", "ParseError", "StatementError", "OperandError", "FormatError", "ShapeError",
        "DTypeError", "NotSupportedError", "InternalError", "FileFormatError", "ClusterError"}
    for cls in public:
        assert issubclass(cls, es.EinsparseError), cls
