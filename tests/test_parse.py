"""The statement parser: trees, round trips through deparse, error messages, and spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from einsparse.compiler.parse import parse
from einsparse.compiler.syntax import Access, BinOp, Index, Neg, Number, Statement, deparse
from einsparse.errors import ParseError


def acc(name: str, *indices: str) -> Access:
    return Access(name, tuple(Index(i) for i in indices))


def num(value) -> Number:
    return Number(value)


A, B, C, a, b, c, x = acc("A", "i", "k"), acc("B", "k", "j"), acc("C", "i", "j"), acc("a"), acc("b"), acc("c"), acc("x")


# (a) text -> tree, and the canonical text deparse gives back.
PARSES = [
    ("C[i,j] = A[i,k]*B[k,j] + D[i,j]",
     Statement(C, "=", BinOp("+", BinOp("*", A, B), acc("D", "i", "j"))),
     "C[i,j] = A[i,k]*B[k,j] + D[i,j]"),
    ("y(i) += A(i,j) * x(j)",
     Statement(acc("y", "i"), "+=", BinOp("*", acc("A", "i", "j"), acc("x", "j"))),
     "y[i] += A[i,j]*x[j]"),
    ("s = A[i,j]*B[i,j]",
     Statement(acc("s"), "=", BinOp("*", acc("A", "i", "j"), acc("B", "i", "j"))),
     "s = A[i,j]*B[i,j]"),
    ("s[] = a[] * b()", Statement(acc("s"), "=", BinOp("*", a, b)), "s = a*b"),
    ("x = -a*b", Statement(x, "=", BinOp("*", Neg(a), b)), "x = -a*b"),
    ("x = a*-b", Statement(x, "=", BinOp("*", a, Neg(b))), "x = a*-b"),
    ("x = --a", Statement(x, "=", Neg(Neg(a))), "x = --a"),
    ("x = -(a*b)", Statement(x, "=", Neg(BinOp("*", a, b))), "x = -(a*b)"),
    ("x = -2", Statement(x, "=", Neg(num(2))), "x = -2"),
    ("x = a - -b", Statement(x, "=", BinOp("-", a, Neg(b))), "x = a - -b"),
    ("x = a - b - c", Statement(x, "=", BinOp("-", BinOp("-", a, b), c)), "x = a - b - c"),
    ("x = a - (b - c)", Statement(x, "=", BinOp("-", a, BinOp("-", b, c))), "x = a - (b - c)"),
    ("x = a/b/c", Statement(x, "=", BinOp("/", BinOp("/", a, b), c)), "x = a/b/c"),
    ("x = a/(b*c)", Statement(x, "=", BinOp("/", a, BinOp("*", b, c))), "x = a/(b*c)"),
    ("x = a + b*c", Statement(x, "=", BinOp("+", a, BinOp("*", b, c))), "x = a + b*c"),
    ("x = (a + b)*c", Statement(x, "=", BinOp("*", BinOp("+", a, b), c)), "x = (a + b)*c"),
    ("x = ((a))", Statement(x, "=", a), "x = a"),
    ("x = 2*0.5 + .5 - 1e-3 + 2.5E+4",
     Statement(x, "=", BinOp("+", BinOp("-", BinOp("+", BinOp("*", num(2), num(0.5)), num(0.5)), num(0.001)),
                             num(25000.0))),
     "x = 2*0.5 + 0.5 - 0.001 + 25000.0"),
    ("x = 1.", Statement(x, "=", num(1.0)), "x = 1.0"),
    ("  Out_2 [ i , j1 ]\t+=\n _A9 [j1 ,i]  ",
     Statement(acc("Out_2", "i", "j1"), "+=", acc("_A9", "j1", "i")),
     "Out_2[i,j1] += _A9[j1,i]"),
]


@pytest.mark.parametrize(("text", "tree", "canonical"), PARSES)
def test_parse_gives_tree_and_canonical_text(text, tree, canonical):
    statement = parse(text)
    assert statement == tree
    assert statement.text == text
    assert deparse(statement) == canonical
    assert parse(canonical) == tree


@pytest.mark.parametrize(("text", "value", "kind"), [
    ("s = 2", 2, int), ("s = 007", 7, int), ("s = 2.0", 2.0, float), ("s = 1e3", 1000.0, float),
    ("s = .5", 0.5, float), ("s = 2.5E+4", 25000.0, float),
])
def test_integer_literals_stay_int(text, value, kind):
    number = parse(text).rhs
    assert number == Number(value)
    assert type(number.value) is kind


# (b) tree -> deparse -> parse gives the same tree.
ROUND_TRIPS = [
    Statement(C, "=", Neg(BinOp("+", A, B))),
    Statement(C, "+=", BinOp("-", A, BinOp("-", B, Neg(Neg(C))))),
    Statement(acc("s"), "=", BinOp("/", a, BinOp("*", b, BinOp("/", c, num(3))))),
    Statement(acc("s"), "=", BinOp("*", Neg(a), Neg(BinOp("*", b, c)))),
    Statement(acc("s"), "=", BinOp("-", Neg(num(1e-07)), num(123456789012345678901234567890))),
    Statement(acc("T", "i", "j", "k"), "=", BinOp("+", num(1e300), BinOp("*", num(0.1), acc("U", "k", "j", "i")))),
    Statement(acc("s"), "=", BinOp("*", BinOp("-", a, b), BinOp("+", b, c))),
]


@pytest.mark.parametrize("tree", ROUND_TRIPS)
def test_deparse_then_parse_is_identity(tree):
    assert parse(deparse(tree)) == tree


names = st.sampled_from(["A", "B", "x", "s", "T2", "_t", "inf1", "e"])
indices = st.lists(st.sampled_from(["i", "j", "k", "l0"]).map(Index), max_size=3).map(tuple)
accesses = st.builds(Access, names, indices)
# Non-negative finite literals: the parser reads `-2` as Neg(Number(2)), never as Number(-2).
numbers = st.one_of(st.integers(0, 10**20), st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(abs))
exprs = st.recursive(
    st.one_of(accesses, numbers.map(Number)),
    lambda children: st.one_of(
        st.builds(Neg, children), st.builds(BinOp, st.sampled_from("+-*/"), children, children)
    ),
    max_leaves=12,
)
statements = st.builds(Statement, accesses, st.sampled_from(["=", "+="]), exprs)


def nodes(expr):
    """Every expression node of a tree, parents first."""
    yield expr
    if isinstance(expr, Neg):
        yield from nodes(expr.operand)
    elif isinstance(expr, BinOp):
        yield from nodes(expr.left)
        yield from nodes(expr.right)


@given(statements)
def test_random_trees_round_trip(tree):
    text = deparse(tree)
    parsed = parse(text)
    assert parsed == tree
    # In canonical text every node's span slices back exactly to that node's own canonical text.
    for node in [parsed.output, *nodes(parsed.rhs)]:
        assert text[node.span.start:node.span.end] == deparse(node)
        for index in getattr(node, "indices", ()):
            assert text[index.span.start:index.span.end] == index.name


# (c) exact error messages.
ERRORS = [
    ("", "the statement is empty"),
    (" \t ", "the statement is empty"),
    ("C[i,j] = A[i,k] * * B",
     "unexpected '*' at column 19: expected an operand, a number, '-', '(' or '~'\n"
     "    C[i,j] = A[i,k] * * B\n"
     "                      ^"),
    ("C[i$] = 1",
     "unexpected character '$' at column 4\n"
     "    C[i$] = 1\n"
     "       ^"),
    ("C[i,j] = A[i,k] +",
     "the statement ends too early: expected an operand, a number, '-', '(' or '~'\n"
     "    C[i,j] = A[i,k] +\n"
     "                     ^"),
    ("C[i,j] A[i,j]",
     "missing '=' or '+=' after the output C[i,j]\n"
     "    C[i,j] A[i,j]\n"
     "           ^"),
    ("y(i)",
     "missing '=' or '+=' after the output y(i)\n"
     "    y(i)\n"
     "        ^"),
    ("2 = a",
     "the left side of '=' must be the output, like C[i,j], not a number\n"
     "    2 = a\n"
     "    ^"),
    ("A[i] + B[i] += c",
     "the left side of '+=' must be the output, like C[i,j], not an expression\n"
     "    A[i] + B[i] += c\n"
     "    ^~~~~~~~~~~"),
    ("(C) = c",
     "the left side of '=' must be the output, like C[i,j], not an expression\n"
     "    (C) = c\n"
     "    ^~~"),
    ("C[i,\n  j ]",
     "missing '=' or '+=' after the output C[i, j ]\n"
     "      j ]\n"
     "         ^"),
    ("C[i,] = a",
     "unexpected ']' at column 5: expected an index\n"
     "    C[i,] = a\n"
     "        ^"),
    ("C[i j] = a",
     "unexpected 'j' at column 5: expected ',' or ']'\n"
     "    C[i j] = a\n"
     "        ^"),
    ("C(i] = a",
     "unexpected ']' at column 4: expected an operator, ',' or ')'\n"
     "    C(i] = a\n"
     "       ^"),
    ("C = A[2]",
     "unexpected '2' at column 7: expected an index or ']'\n"
     "    C = A[2]\n"
     "          ^"),
    ("C = a = b",
     "unexpected '=' at column 7: expected an operator or the end of the statement\n"
     "    C = a = b\n"
     "          ^"),
    ("C = (a b",
     "unexpected 'b' at column 8: expected an operator or ')'\n"
     "    C = (a b\n"
     "           ^"),
    ("C + D",
     "the statement ends too early: expected an operator, '=', '+=' or a reduction such as 'min='\n"
     "    C + D\n"
     "         ^"),
    ("C = a[i\n",
     "the statement ends too early: expected ',' or ']'\n"
     "    C = a[i\n"
     "           ^"),
    ("C[i] =\n  * b",
     "unexpected '*' at column 3: expected an operand, a number, '-', '(', '~' or 'not'\n"
     "      * b\n"
     "      ^"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_error_messages(text, message):
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert str(raised.value) == message
    # No lark exception shows through as the cause or context of the error.
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None or raised.value.__suppress_context__


# (d) arbitrary text: a Statement or a ParseError, nothing else.
# Random characters rarely parse; random tokens reach deeper into the grammar and often do.
tokens = st.sampled_from(["A", "s", "i", "j", "[", "]", "(", ")", ",", "=", "+=", "+", "-", "*", "/", "2", ".5", " "])
texts = st.one_of(
    st.text(alphabet="ABij_019.eE+-*/=()[], \t\n$", max_size=30),
    st.lists(tokens, max_size=20).map("".join),
)


@settings(max_examples=500)
@given(texts)
def test_any_text_parses_or_raises_parse_error(text):
    try:
        statement = parse(text)
    except ParseError as error:
        lines = str(error).split("\n")
        if text.strip():  # one line, then the source line and a caret line under it
            assert len(lines) == 3 and lines[1].strip() and lines[1].strip() in text
            assert lines[2].lstrip().startswith("^") and set(lines[2].strip()) <= {"^", "~"}
        else:
            assert lines == ["the statement is empty"]
    else:
        assert isinstance(statement, Statement)
        assert parse(deparse(statement)) == statement


# (e) spans point back into the text.
def test_spans_slice_back_to_their_source():
    text = "C[i, j] += (A[i,k] * B(k, j)) + -2.5 * s[]"
    statement = parse(text)

    def source(node):
        return text[node.span.start:node.span.end]

    total = statement.rhs
    product, scaled = total.left, total.right
    assert source(statement.output) == "C[i, j]"
    assert [source(i) for i in statement.output.indices] == ["i", "j"]
    assert [i.span.start for i in statement.output.indices] == [2, 5]
    assert source(total) == "(A[i,k] * B(k, j)) + -2.5 * s[]"
    assert source(product) == "A[i,k] * B(k, j)"
    assert source(product.left) == "A[i,k]"
    assert source(product.right) == "B(k, j)"
    assert source(scaled) == "-2.5 * s[]"
    assert source(scaled.left) == "-2.5"
    assert source(scaled.left.operand) == "2.5"
    assert source(scaled.right) == "s[]"
    assert statement.output.span.start == 0 and product.left.span.start == 12
