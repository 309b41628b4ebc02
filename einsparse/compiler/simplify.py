"""Statements seen from the lowerer: what an access is keyed by (`access_key`), a statement with absent
operands set to zero (`simplify`, `simplify_stmt`), and what a statement reads and writes
(`stmt_storages`, `written_temps`)."""

from __future__ import annotations

from typing import Optional, Union

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.errors import InternalError


def access_key(access: ir.Access) -> tuple:
    """Accesses of the same operand with the same indices read the same entries, so they share one
    iterator and one position: `(A[i,j] + B[i,j])*(A[i,j] + E[i,j])` co-iterates A, B and E once each."""
    return (access.tensor, access.indices)


# -- zero simplification ------------------------------------------------------------------------
def simplify(expr: ir.Expr, absent: frozenset) -> Optional[ir.Expr]:
    """`expr` with the absent iterators set to zero; None when the whole expression is zero."""
    if isinstance(expr, ir.Access):
        return None if access_key(expr) in absent else expr
    if isinstance(expr, (ir.Literal, ir.IndexValue)):
        return expr
    if isinstance(expr, ir.TempRef):
        if ("temp", expr.temp.name) in absent:
            return None
        return None if simplify(expr.temp.expr, absent) is None else expr
    if isinstance(expr, ir.Neg):
        inner = simplify(expr.operand, absent)
        return None if inner is None else ir.Neg(inner)
    if isinstance(expr, ir.Recip):
        return expr  # divisors are dense: never absent
    if isinstance(expr, ir.Sum):
        body = simplify(expr.body, absent)
        return None if body is None else ir.Sum(expr.indices, body)
    if isinstance(expr, ir.Mul):
        factors = [simplify(f, absent) for f in expr.factors]
        return None if any(f is None for f in factors) else ir.Mul(tuple(factors))
    if isinstance(expr, ir.Add):
        terms = [t for t in (simplify(t, absent) for t in expr.terms) if t is not None]
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else ir.Add(tuple(terms))
    raise InternalError(f"cannot simplify {expr!r}")


def simplify_stmt(stmt: cin.Stmt, absent: frozenset) -> Optional[cin.Stmt]:
    if not absent:
        return stmt
    if isinstance(stmt, cin.Accumulate):
        rhs = simplify(stmt.rhs, absent)
        return None if rhs is None else cin.Accumulate(stmt.target, rhs)
    if isinstance(stmt, cin.Forall):
        body = simplify_stmt(stmt.body, absent)
        return None if body is None else cin.Forall(stmt.index, body)
    if isinstance(stmt, cin.Seq):
        parts = tuple(p for p in (simplify_stmt(s, absent) for s in stmt.stmts) if p is not None)
        return None if not parts else (parts[0] if len(parts) == 1 else cin.Seq(parts))
    if isinstance(stmt, cin.Where):
        consumer = simplify_stmt(stmt.consumer, absent)
        if consumer is None:
            return None
        producer = simplify_stmt(stmt.producer, absent)
        return cin.Where(consumer, producer if producer is not None else cin.Seq(()), stmt.temp)
    raise InternalError(f"cannot simplify {stmt!r}")


# -- walking statements -------------------------------------------------------------------------
def _stmt_exprs(stmt: cin.Stmt):
    if isinstance(stmt, cin.Accumulate):
        yield stmt.target
        yield stmt.rhs
    elif isinstance(stmt, cin.Forall):
        yield from _stmt_exprs(stmt.body)
    elif isinstance(stmt, cin.Where):
        yield from _stmt_exprs(stmt.producer)
        yield from _stmt_exprs(stmt.consumer)
    elif isinstance(stmt, cin.Seq):
        for part in stmt.stmts:
            yield from _stmt_exprs(part)


def written_temps(stmt: cin.Stmt) -> list[ir.Temp]:
    """Workspaces accumulated into by `stmt`."""
    if isinstance(stmt, cin.Accumulate):
        return [stmt.target.temp] if isinstance(stmt.target, ir.TempRef) else []
    if isinstance(stmt, cin.Forall):
        return written_temps(stmt.body)
    if isinstance(stmt, cin.Where):
        return written_temps(stmt.producer) + written_temps(stmt.consumer)
    if isinstance(stmt, cin.Seq):
        return [t for part in stmt.stmts for t in written_temps(part)]
    return []


def stmt_storages(stmt: cin.Stmt) -> list[Union[ir.Access, ir.TempRef]]:
    """Accesses and workspaces read or written directly by `stmt` (not through a temporary)."""
    found: dict[object, Union[ir.Access, ir.TempRef]] = {}

    def walk(expr) -> None:
        if isinstance(expr, ir.Access):
            found.setdefault(access_key(expr), expr)
        elif isinstance(expr, ir.TempRef):
            if expr.temp.indices:
                found.setdefault(("temp", expr.temp.name), expr)
        for child in ir.children(expr):
            walk(child)

    for expr in _stmt_exprs(stmt):
        walk(expr)
    return list(found.values())
