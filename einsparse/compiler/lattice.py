"""Merge lattices: which operands' stored coordinates a loop must visit, and in which combinations.

At a loop over index v, an access whose next level is indexed by v and cannot locate coordinates (a
compressed level) is an *iterator*. A product is nonzero only where all its factors are, so it iterates
the intersection of their iterators; a sum iterates the union, with one region per combination of
present operands. A lattice is the set of its points, each the set of iterators (their keys) that must
all be present; the empty point means "every coordinate" (a dense operand, a literal, an index used as
a value, or an access that cannot drive this loop).
"""

from __future__ import annotations

from typing import Callable, Optional

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir

Point = frozenset  # of iterator keys
# An access or a workspace -> the key of the iterator it offers at this loop, or None if it offers none.
IteratorOf = Callable[[object], Optional[object]]


def expr_lattice(expr: ir.Expr, iterator_of: IteratorOf) -> set[Point]:
    if isinstance(expr, ir.Access):
        key = iterator_of(expr)
        return {Point({key})} if key is not None else {Point()}
    if isinstance(expr, (ir.Literal, ir.IndexValue)):
        return {Point()}
    if isinstance(expr, ir.TempRef):
        key = iterator_of(expr)  # a workspace walks the coordinates it touched
        if key is not None:
            return {Point({key})}
        return expr_lattice(expr.temp.expr, iterator_of)
    if isinstance(expr, (ir.Neg, ir.Recip)):
        return expr_lattice(expr.operand, iterator_of)
    if isinstance(expr, ir.Sum):
        return expr_lattice(expr.body, iterator_of)
    if isinstance(expr, ir.Mul):
        points = {Point()}
        for factor in expr.factors:
            points = conjunction(points, expr_lattice(factor, iterator_of))
        return points
    if isinstance(expr, ir.Add):
        points = expr_lattice(expr.terms[0], iterator_of)
        for term in expr.terms[1:]:
            points = disjunction(points, expr_lattice(term, iterator_of))
        return points
    raise TypeError(f"not an index-notation node: {expr!r}")


def stmt_lattice(stmt: cin.Stmt, iterator_of: IteratorOf) -> set[Point]:
    if isinstance(stmt, cin.Accumulate):
        return expr_lattice(stmt.rhs, iterator_of)
    if isinstance(stmt, cin.Forall):
        return stmt_lattice(stmt.body, iterator_of)
    if isinstance(stmt, cin.Where):
        return disjunction(stmt_lattice(stmt.producer, iterator_of), stmt_lattice(stmt.consumer, iterator_of))
    if isinstance(stmt, cin.Seq):
        if not stmt.stmts:
            return set()  # nothing to compute: no point needs visiting
        points = stmt_lattice(stmt.stmts[0], iterator_of)
        for part in stmt.stmts[1:]:
            points = disjunction(points, stmt_lattice(part, iterator_of))
        return points
    raise TypeError(f"not a concrete statement: {stmt!r}")


def conjunction(left: set[Point], right: set[Point]) -> set[Point]:
    return {a | b for a in left for b in right}


def disjunction(left: set[Point], right: set[Point]) -> set[Point]:
    return conjunction(left, right) | left | right


def ordered(points: set[Point]) -> list[Point]:
    """Largest points first; ties in a stable order."""
    return sorted(points, key=lambda p: (-len(p), sorted(map(repr, p))))


def describe(points: set[Point], label: Callable[[int], str]) -> str:
    """`intersect A2, B2`, `union A2, B2`, `A2` or `dense` for explain()."""
    iterators = sorted(set().union(*points), key=repr)
    names = ", ".join(label(i) for i in iterators)
    if not iterators:
        return "dense range"
    if Point() in points:
        return f"dense range, merging {names}"
    if len(points) == 1:
        return f"iterate {names}" if len(iterators) == 1 else f"intersect {names}"
    return f"union {names}"
