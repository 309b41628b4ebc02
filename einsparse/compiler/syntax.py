"""The surface syntax of a statement: immutable nodes with source spans, and a deparser back to text.

`C[i,j] = A[i,k]*B[k,j] + D[i,j]` parses to
`Statement(Access("C", (i, j)), "=", BinOp("+", BinOp("*", A[i,k], B[k,j]), D[i,j]))`.
Spans are character offsets into `Statement.text`, so checks can point a caret at the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from einsparse.compiler.functions import OPERATORS


@dataclass(frozen=True)
class Span:
    start: int
    end: int


NO_SPAN = Span(0, 0)


@dataclass(frozen=True)
class Index:
    name: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Access:
    """`A[i,k]`, `A(i,k)` or a bare `s` (no indices: a 0-d operand)."""

    name: str
    indices: tuple[Index, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class IndexValue:
    """An index used as a value on the right side (`i` in `a[i,j] = b[i,j]*i`): its coordinate, int64.
    The parser makes one of every bare name that the statement also uses as an index."""

    name: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Number:
    value: Union[int, float]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / % ** < <= > >= == != and or (`&` and `|` are read as and, or)
    left: "Expr"
    right: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Not:
    """`not x` or `~x`."""

    operand: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Call:
    """A named function of the language (`exp(x)`, `max(a, b)`, `where(c, a, b)`; see `functions`)."""

    name: str
    args: tuple["Expr", ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Reduce:
    """`max[k](A[i,k]*x[k])`: `body` reduced over `indices` by the reduction `name` (`reductions`)."""

    name: str
    indices: tuple[Index, ...]
    body: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


Expr = Union[Access, IndexValue, Number, Neg, BinOp, Not, Call, Reduce]


@dataclass(frozen=True)
class Statement:
    output: Access
    op: str  # "=", "+=", or a reduction's "min=" "max=" "prod=" "any=" "all="
    rhs: Expr
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return deparse(self)


_PRECEDENCE = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4, "+": 5, "-": 5, "*": 6,
               "/": 6, "%": 6, "**": 8}
_NOT, _UNARY, _ATOM = 3, 7, 9
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def children(node: Expr) -> tuple:
    """The operands of a node, left to right."""
    if isinstance(node, (Neg, Not)):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Reduce):
        return (node.body,)
    return ()


def reduced(node: Expr) -> frozenset:
    """The indices a node reduces itself (an explicit reduction's), which it does not use outside."""
    return frozenset(index.name for index in node.indices) if isinstance(node, Reduce) else frozenset()


def operator(node: Expr) -> "tuple[str, tuple] | None":
    """(name in `functions.BY_NAME`, arguments) of a node that is an operator other than + - * / and
    unary -: a call, `not`, or an infix `** % < and ...`; None for anything else."""
    if isinstance(node, Call):
        return node.name, node.args
    if isinstance(node, Not):
        return "not", (node.operand,)
    if isinstance(node, BinOp) and node.op in OPERATORS:
        return OPERATORS[node.op].name, (node.left, node.right)
    return None


def accesses(node: Expr):
    """Every access in `node`, left to right."""
    if isinstance(node, Access):
        yield node
    for child in children(node):
        yield from accesses(child)


def index_uses(node: Expr):
    """Every index `node` uses, in accesses and as a value, left to right (repeats included); what an
    explicit reduction reduces is its own, not a use of the reduction."""
    if isinstance(node, Access):
        yield from (index.name for index in node.indices)
    elif isinstance(node, IndexValue):
        yield node.name
    own = reduced(node)
    for child in children(node):
        yield from (name for name in index_uses(child) if name not in own)


def index_names(node: Expr):
    """Every index name in `node`, reduced or not, and those listed by reductions."""
    if isinstance(node, Access):
        yield from (index.name for index in node.indices)
    elif isinstance(node, IndexValue):
        yield node.name
    elif isinstance(node, Reduce):
        yield from (index.name for index in node.indices)
    for child in children(node):
        yield from index_names(child)


def index_values(node: Expr):
    """Every index used as a value in `node`, left to right."""
    if isinstance(node, IndexValue):
        yield node
    for child in children(node):
        yield from index_values(child)


def deparse(node: "Statement | Expr") -> str:
    """Canonical text of a statement or expression; parsing it gives back an equal tree."""
    if isinstance(node, Statement):
        return f"{_access(node.output)} {node.op} {_expr(node.rhs, 0)}"
    return _expr(node, 0)


def _access(node: Access) -> str:
    if not node.indices:
        return node.name
    return f"{node.name}[{','.join(index.name for index in node.indices)}]"


def _number(value: Union[int, float]) -> str:
    return repr(value)


def _expr(node: Expr, context: int) -> str:
    """Text of `node` inside an operator of precedence `context` (parenthesized when needed)."""
    if isinstance(node, Access):
        return _access(node)
    if isinstance(node, IndexValue):
        return node.name
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, Neg):
        text = "-" + _expr(node.operand, _UNARY)
        return f"({text})" if context > _UNARY else text
    if isinstance(node, Not):
        text = "not " + _expr(node.operand, _NOT)
        return f"({text})" if context > _NOT else text
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_expr(arg, 0) for arg in node.args)})"
    if isinstance(node, Reduce):
        return f"{node.name}[{','.join(index.name for index in node.indices)}]({_expr(node.body, 0)})"
    if isinstance(node, BinOp):
        level = _PRECEDENCE[node.op]
        if node.op == "**":  # right-associative, its base an atom: (-a)**b, a**-b
            left, right = _expr(node.left, _ATOM), _expr(node.right, _UNARY)
        else:
            # The right operand of a left-associative operator needs parentheses at equal precedence;
            # comparisons do not chain, so both their sides do.
            left = _expr(node.left, level + 1 if node.op in COMPARISONS else level)
            right = _expr(node.right, level + 1)
        joiner = f" {node.op} " if level <= 5 else node.op
        text = f"{left}{joiner}{right}"
        return f"({text})" if level < context else text
    raise TypeError(f"not a syntax node: {node!r}")
