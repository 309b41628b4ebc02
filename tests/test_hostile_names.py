"""Generated code is code: names in a statement are inputs. Operand and index names that collide with
Python, NumPy, Numba or the kernel's own variables must work (same result as the reference) or be
refused with a clear error; no name changes what the kernel does."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.reference import dense_reference
from test_tensor import check_structure

HOSTILE = ["os", "sys", "__class__", "__import__", "__builtins__", "lambda", "import", "None", "True",
           "sum", "range", "print", "exec", "np", "numba", "kernel", "u", "grow", "merge_pairs", "zero",
           "A2_pos", "A2_crd", "A_vals", "B_vals", "pA1", "pA2", "pB1_end", "n_i", "n_j", "t0", "w0",
           "iA", "jB", "i_", "A1_here", "_"]

# Four operands per statement, so the names share few kernels (each kernel costs a Numba compilation):
# a sparse-times-dense product and a co-iterated COO term into a dense output; then a union of two
# sparse operands assembled into a growing sparse output.
STATEMENT = "Out[{a},{b}] = {W}[{a},{c}]*{X}[{c},{b}] + {Y}[{a},{b}]*{Z}[{b}]"
FORMATS = ("csr", "dense", "coo", "dense")
SPARSE_OUTPUT = "Out[{a},{b}] = {W}[{a},{b}] - 2*{X}[{b},{a}]"


def run(statement, formats):
    """Evaluate `statement` on random 4 x 4 operands (4-vectors for rank 1) and compare with the reference."""
    ranks = {access.name: len(access.indices) for access in syn.accesses(parse(statement).rhs)}
    operands = {name: sp.random(4, 4, density=0.5, random_state=k).toarray()[(0,) * (2 - rank)]
                for k, (name, rank) in enumerate(sorted(ranks.items()))}
    got = es.evaluate(statement, formats, **operands)
    if isinstance(got, es.Tensor):
        check_structure(got)
    np.testing.assert_allclose(np.asarray(got), dense_reference(statement, operands), atol=1e-12,
                               err_msg=statement)


def chunks(names, size):
    return [names[k : k + size] for k in range(0, len(names), size)]


OPERAND_CHUNKS = chunks(HOSTILE, 4)
INDEX_CHUNKS = chunks(HOSTILE, 3)


@pytest.mark.parametrize("names", OPERAND_CHUNKS, ids=["-".join(c) for c in OPERAND_CHUNKS])
def test_hostile_operand_names(names):
    names = (names + ["A", "B", "C"])[:4]
    w, x, y, z = names
    run(STATEMENT.format(W=w, X=x, Y=y, Z=z, a="i", b="j", c="k"), dict(zip([w, x, y, z], FORMATS)))
    run(SPARSE_OUTPUT.format(W=y, X=z, a="i", b="j"), {y: "csr", z: "dcsc", "Out": "csr"})


@pytest.mark.parametrize("names", INDEX_CHUNKS, ids=["-".join(c) for c in INDEX_CHUNKS])
def test_hostile_index_names(names):
    a, b, c = (names + ["i", "j", "k"])[:3]
    run(STATEMENT.format(W="A", X="B", Y="C", Z="D", a=a, b=b, c=c), dict(zip("ABCD", FORMATS)))
    run(SPARSE_OUTPUT.format(W="A", X="B", a=a, b=c), {"A": "csr", "B": "dcsc", "Out": "csr"})


def test_reading_the_output_is_refused():
    with pytest.raises(es.StatementError) as error:
        es.compile("Out[i,j] = Out[i,j]*A[i,j]")
    assert str(error.value) == ("the output Out also appears on the right side; write the result to a new tensor\n"
                                "    Out[i,j] = Out[i,j]*A[i,j]\n"
                                "               ^~~~~~~~")


def test_an_index_named_like_an_operand_is_refused_naming_both():
    # Where `A` stands alone it could be the tensor or the index's coordinate: no silent choice.
    A = np.arange(6.0).reshape(2, 3)
    with pytest.raises(es.StatementError) as error:
        es.evaluate("y[A] = A[A,x]*x[x]", A=A, x=np.ones(3))
    assert str(error.value) == ("A names both a tensor and an index of the statement; rename one of them\n"
                                "    y[A] = A[A,x]*x[x]\n"
                                "           ^~~~~~")


@pytest.mark.parametrize("statement, column", [
    ("y[i] = Ä[i,j]*x[j]", 8),
    ("y[i] = A[i,é]*x[j]", 12),
    ("y[i] = A[i,j]*x[j]; import os", 19),
    ("y[i] = A[i,j]*x[j] # comment", 20),
    ("y[i] = __import__('os')", 19),
])
def test_text_outside_the_grammar_is_refused_with_a_caret(statement, column):
    with pytest.raises(es.ParseError) as error:
        es.compile(statement)
    message = str(error.value)
    first, shown, caret = message.split("\n")
    assert f"at column {column}" in first
    assert shown == f"    {statement}" and caret == "    " + " " * (column - 1) + "^"


def test_a_statement_never_reaches_the_kernel_text():
    kernel = es.compile("Out[i] = os[i,j]*system[j]", {"os": "csr"})
    # names of tensors and indices appear only as the identifiers einsparse validated
    assert "import os" not in kernel.source and "system(" not in kernel.source
    got = kernel(os=np.eye(3), system=np.arange(3.0))
    np.testing.assert_array_equal(got, [0.0, 1.0, 2.0])
