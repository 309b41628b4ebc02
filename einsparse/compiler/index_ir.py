"""Index notation: the statement with every reduction explicit as `Sum(k, ...)`.

`C[i,j] = A[i,k]*B[k,j] + D[i,j]` becomes `C[i,j] = Sum(k, A[i,k]*B[k,j]) + D[i,j]`. Nodes are frozen
and hashable; every access carries an `id` unique within its statement, so two accesses of the same
tensor (`A[i,k]*A[k,j]`) are told apart by the iterators built for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from einsparse.compiler.reductions import BY_OP
from einsparse.compiler.syntax import NO_SPAN, Span


@dataclass(frozen=True)
class Access:
    tensor: str
    indices: tuple[str, ...]
    id: int = 0
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Literal:
    value: Union[int, float]
    # For the 0 an absent entry of operand `like` stands for: a 0 of that operand's type, which only
    # the kernel knows (`0 % 0` is 0 for integers, nan for floats).
    like: str = field(default="", compare=False)


@dataclass(frozen=True)
class IndexValue:
    """Index `index` used as a value: its coordinate as an int64, present at every coordinate of its
    loop, like a dense operand."""

    index: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


@dataclass(frozen=True)
class Add:
    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Mul:
    """A product; `Recip` factors divide."""

    factors: tuple["Expr", ...]


@dataclass(frozen=True)
class Recip:
    """`1 / operand` as a factor of a product; the divisor is never sparse, so it is present everywhere."""

    operand: "Expr"
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Call:
    """An operator of `functions` other than + - * / applied to `args` (`exp`, `max`, `less`, `and`,
    `where`, ...): opaque to normalization, so nothing is distributed over it."""

    name: str
    args: tuple["Expr", ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Sum:
    """`body` reduced over `indices` with the operator `op` (`reductions`: add for Einstein's sums, or
    min, max, multiply, or, and)."""

    indices: tuple[str, ...]
    body: "Expr"
    op: str = "add"


@dataclass(frozen=True)
class Temp:
    """A temporary introduced by the schedule: a scalar accumulator or a dense workspace over `indices`.

    `expr` is the reduction it holds, so co-iteration knows where the temporary can be nonzero.
    """

    name: str
    indices: tuple[str, ...]
    expr: "Expr"


@dataclass(frozen=True)
class TempRef:
    temp: Temp


Expr = Union[Access, Literal, IndexValue, Neg, Add, Mul, Recip, Call, Sum, TempRef]


@dataclass(frozen=True)
class Assignment:
    """`output op= rhs` in index notation, with `index_origin` mapping renamed reduction indices
    (two sums over `i` in different terms become `i` and `i1`) back to the name whose extent they take."""

    output: Access
    op: str
    rhs: Expr
    index_origin: tuple[tuple[str, str], ...] = ()

    def origin(self, index: str) -> str:
        return dict(self.index_origin).get(index, index)

    def __str__(self) -> str:
        return f"{show(self.output)} {self.op} {show(self.rhs)}"


def children(expr: Expr) -> tuple:
    """The sub-expressions of a node, in order (a temporary's reduction is not a child: see accesses)."""
    if isinstance(expr, (Neg, Recip)):
        return (expr.operand,)
    if isinstance(expr, Add):
        return expr.terms
    if isinstance(expr, Mul):
        return expr.factors
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, Sum):
        return (expr.body,)
    return ()


def with_children(expr: Expr, new: tuple) -> Expr:
    """`expr` rebuilt around new sub-expressions (same order as `children`)."""
    if isinstance(expr, Neg):
        return Neg(new[0])
    if isinstance(expr, Recip):
        return Recip(new[0], expr.span)
    if isinstance(expr, Add):
        return Add(tuple(new))
    if isinstance(expr, Mul):
        return Mul(tuple(new))
    if isinstance(expr, Call):
        return Call(expr.name, tuple(new), expr.span)
    if isinstance(expr, Sum):
        return Sum(expr.indices, new[0], expr.op)
    return expr


def map_accesses(expr: Expr, fn) -> Expr:
    """`expr` with every access replaced by `fn(access)`."""
    if isinstance(expr, Access):
        return fn(expr)
    return with_children(expr, tuple(map_accesses(child, fn) for child in children(expr)))


def accesses(expr: Expr) -> list[Access]:
    """Every access in `expr`, left to right (temporaries' reductions included)."""
    if isinstance(expr, Access):
        return [expr]
    if isinstance(expr, TempRef):
        return accesses(expr.temp.expr)
    return [access for child in children(expr) for access in accesses(child)]


def arg_reductions(expr: Expr) -> list[Sum]:
    """Every argmin/argmax in `expr`, outermost first."""
    found = [expr] if isinstance(expr, Sum) and BY_OP[expr.op].arg else []
    return found + [s for child in children(expr) for s in arg_reductions(child)]


def index_values(expr: Expr) -> list[IndexValue]:
    """Every index used as a value in `expr`, left to right (temporaries' reductions included)."""
    if isinstance(expr, IndexValue):
        return [expr]
    if isinstance(expr, TempRef):
        return index_values(expr.temp.expr)
    return [value for child in children(expr) for value in index_values(child)]


def index_set(expr: Expr) -> frozenset[str]:
    """All index names used in `expr`, bound by a Sum or not; a temporary counts by its own indices."""
    if isinstance(expr, Access):
        return frozenset(expr.indices)
    if isinstance(expr, IndexValue):
        return frozenset((expr.index,))
    if isinstance(expr, TempRef):
        return frozenset(expr.temp.indices)
    return frozenset().union(*(index_set(child) for child in children(expr)))


def free_indices(expr: Expr) -> frozenset[str]:
    """Indices of `expr` not bound by a Sum inside it."""
    if isinstance(expr, Access):
        return frozenset(expr.indices)
    if isinstance(expr, Literal):
        return frozenset()
    if isinstance(expr, IndexValue):
        return frozenset((expr.index,))
    if isinstance(expr, (Neg, Recip)):
        return free_indices(expr.operand)
    if isinstance(expr, Add):
        return frozenset().union(*(free_indices(t) for t in expr.terms))
    if isinstance(expr, (Mul, Call)):
        return frozenset().union(*(free_indices(f) for f in children(expr)))
    if isinstance(expr, Sum):
        return free_indices(expr.body) - set(expr.indices)
    if isinstance(expr, TempRef):
        return frozenset(expr.temp.indices)
    raise TypeError(f"not an index-notation node: {expr!r}")


def show(expr: "Expr | Access") -> str:
    """Readable text of index notation, e.g. `Sum(k, A[i,k]*B[k,j]) + D[i,j]`."""
    return _show(expr, 0)


def _show(expr: Expr, context: int) -> str:
    if isinstance(expr, Access):
        return f"{expr.tensor}[{','.join(expr.indices)}]" if expr.indices else expr.tensor
    if isinstance(expr, Literal):
        return repr(expr.value)
    if isinstance(expr, IndexValue):
        return expr.index
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(_show(arg, 0) for arg in expr.args)})"
    if isinstance(expr, TempRef):
        temp = expr.temp
        return f"{temp.name}[{','.join(temp.indices)}]" if temp.indices else temp.name
    if isinstance(expr, Sum):
        name = BY_OP[expr.op].name.capitalize()
        return f"{name}({','.join(expr.indices)}, {_show(expr.body, 0)})"
    if isinstance(expr, Neg):
        return "-" + _show(expr.operand, 3)
    if isinstance(expr, Recip):
        return "1/" + _show(expr.operand, 3)
    if isinstance(expr, Add):
        parts = [_show(expr.terms[0], 1)]
        for term in expr.terms[1:]:
            if isinstance(term, Neg):
                parts.append(" - " + _show(term.operand, 2))
            else:
                parts.append(" + " + _show(term, 1))
        text = "".join(parts)
        return f"({text})" if context > 1 else text
    if isinstance(expr, Mul):
        text = "*".join(_show(f, 2) for f in expr.factors)
        return f"({text})" if context > 2 else text
    raise TypeError(f"not an index-notation node: {expr!r}")
