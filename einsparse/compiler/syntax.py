"""The surface syntax of a statement: immutable nodes with source spans, and a deparser back to text.

`C[i,j] = A[i,k]*B[k,j] + D[i,j]` parses to
`Statement(Access("C", (i, j)), "=", BinOp("+", BinOp("*", A[i,k], B[k,j]), D[i,j]))`.
Spans are character offsets into `Statement.text`, so checks can point a caret at the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


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
    op: str  # one of + - * /
    left: "Expr"
    right: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


Expr = Union[Access, IndexValue, Number, Neg, BinOp]


@dataclass(frozen=True)
class Statement:
    output: Access
    op: str  # "=" or "+="
    rhs: Expr
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return deparse(self)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_UNARY = 3


def accesses(node: Expr):
    """Every access in `node`, left to right."""
    if isinstance(node, Access):
        yield node
    elif isinstance(node, Neg):
        yield from accesses(node.operand)
    elif isinstance(node, BinOp):
        yield from accesses(node.left)
        yield from accesses(node.right)


def index_uses(node: Expr):
    """Every index `node` uses, in accesses and as a value, left to right (repeats included)."""
    if isinstance(node, Access):
        yield from (index.name for index in node.indices)
    elif isinstance(node, IndexValue):
        yield node.name
    elif isinstance(node, Neg):
        yield from index_uses(node.operand)
    elif isinstance(node, BinOp):
        yield from index_uses(node.left)
        yield from index_uses(node.right)


def index_values(node: Expr):
    """Every index used as a value in `node`, left to right."""
    if isinstance(node, IndexValue):
        yield node
    elif isinstance(node, Neg):
        yield from index_values(node.operand)
    elif isinstance(node, BinOp):
        yield from index_values(node.left)
        yield from index_values(node.right)


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
    if isinstance(node, BinOp):
        level = _PRECEDENCE[node.op]
        left = _expr(node.left, level)
        # The right operand of a left-associative operator needs parentheses at equal precedence.
        right = _expr(node.right, level + 1)
        joiner = f" {node.op} " if level == 1 else node.op
        text = f"{left}{joiner}{right}"
        return f"({text})" if level < context else text
    raise TypeError(f"not a syntax node: {node!r}")
