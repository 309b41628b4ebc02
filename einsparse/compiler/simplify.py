"""Statements seen from the lowerer: what an access is keyed by (`access_key`), a statement with absent
operands set to their fills (`simplify`, `simplify_stmt`), and what a statement reads and writes
(`stmt_storages`, `written_temps`)."""

from __future__ import annotations

from typing import Optional, Union


from einsparse.compiler import concrete as cin
from einsparse.compiler import fills
from einsparse.compiler import index_ir as ir
from einsparse.compiler.reductions import BY_OP
from einsparse.errors import InternalError


def access_key(access: ir.Access) -> tuple:
    """Accesses of the same operand with the same indices read the same entries, so they share one
    iterator and one position: `(A[i,j] + B[i,j])*(A[i,j] + E[i,j])` co-iterates A, B and E once each."""
    return (access.tensor, access.indices)


# -- absent operands ---------------------------------------------------------------------------
def simplify(expr: ir.Expr, absent: frozenset, fill_of=lambda access: 0) -> ir.Expr:
    """`expr` with the absent iterators set to their operands' fills (`fill_of`), and what that makes
    constant folded (`0*x` is 0 by the structural rule of `fills`; `exp(0)` is 1.0)."""
    if isinstance(expr, ir.Access):
        if access_key(expr) not in absent:
            return expr
        fill = fills.value(fill_of(expr))
        return ir.Literal(fill, expr.tensor if type(fill) is int and fill == 0 else "")
    if isinstance(expr, (ir.Literal, ir.IndexValue)):
        return expr
    if isinstance(expr, ir.TempRef):  # an untouched workspace entry holds its reduction's identity
        untouched = BY_OP[expr.temp.expr.op].untouched
        if ("temp", expr.temp.name) in absent or _is_literal(simplify(expr.temp.expr, absent, fill_of), untouched):
            return ir.Literal(untouched)
        return expr
    parts = [simplify(child, absent, fill_of) for child in ir.children(expr)]
    if isinstance(expr, ir.Sum) and BY_OP[expr.op].arg:  # every term the same constant: the first
        return ir.Literal(0) if isinstance(parts[0], ir.Literal) else ir.Sum(expr.indices, parts[0], expr.op)
    if isinstance(expr, ir.Sum):
        identity = BY_OP[expr.op].identity
        return ir.Literal(identity) if _is_literal(parts[0], identity) else ir.Sum(expr.indices, parts[0], expr.op)
    if isinstance(expr, (ir.Neg, ir.Recip)):
        if isinstance(parts[0], ir.Literal):
            return _constant("negative" if isinstance(expr, ir.Neg) else "reciprocal", parts, expr, fill_of)
        return ir.with_children(expr, tuple(parts))
    if isinstance(expr, ir.Add):
        return _folded(parts, "add", ir.Add, 0, fill_of)
    if isinstance(expr, ir.Mul):
        return _folded(parts, "multiply", ir.Mul, 1, fill_of)
    if isinstance(expr, ir.Call):
        if expr.name == "where" and isinstance(parts[0], ir.Literal):
            return parts[1] if parts[0].value else parts[2]
        if expr.name == "where" and parts[1] == parts[2]:
            return parts[1]
        return _constant(expr.name, parts, expr, fill_of)
    raise InternalError(f"cannot simplify {expr!r}")


def _is_literal(expr: ir.Expr, value) -> bool:
    return isinstance(expr, ir.Literal) and fills.same(expr.value, value)


def _constant(name: str, parts: list, expr: ir.Expr, fill_of) -> ir.Expr:
    """The operator on `parts` as a literal when the literals among them decide it, else rebuilt."""
    known = fills.apply_op(name, [_background(p, fill_of) for p in parts])
    return ir.Literal(known) if not fills.varies(known) else ir.with_children(expr, tuple(parts))


def _background(expr: ir.Expr, fill_of):
    """A literal's value; for anything else a varying value that may take the infinities and nan of
    the constants (fills, literals) that went into it (0 times it is then computed, not taken as 0:
    see `fills`)."""
    if isinstance(expr, ir.Literal):
        return expr.value
    if isinstance(expr, ir.Access):
        return fills.varying(fills.specials(fills.value(fill_of(expr))))
    if isinstance(expr, ir.TempRef):
        return _background(expr.temp.expr, fill_of)
    if isinstance(expr, ir.IndexValue):
        return fills.VARIES
    inner = [_background(child, fill_of) for child in ir.children(expr)]
    return fills.varying(frozenset().union(*(fills.specials(v) for v in inner)) and fills.VARIES_NOT_FINITE.specials)


def _folded(parts: list, name: str, node, identity, fill_of) -> ir.Expr:
    """A sum or product with its literals folded into one (a divisor's too), dropped if it is the
    identity, and the whole a literal if that decides it (a product with a literal 0)."""
    literal = [p.value if isinstance(p, ir.Literal) else fills.apply_op("reciprocal", [p.operand.value])
               for p in parts if isinstance(p, ir.Literal)
               or (isinstance(p, ir.Recip) and isinstance(p.operand, ir.Literal))]
    others = [p for p in parts if not (isinstance(p, ir.Literal)
                                       or (isinstance(p, ir.Recip) and isinstance(p.operand, ir.Literal)))]
    varying = [_background(p, fill_of) for p in others]
    if not literal:
        return node(tuple(others)) if len(others) > 1 else others[0]
    constant = literal[0]
    for v in literal[1:]:
        constant = fills.apply_op(name, [constant, v])
    decided = fills.apply_op(name, [constant, *varying]) if others else constant
    if not fills.varies(decided):
        return ir.Literal(decided)
    if fills.same(constant, identity):
        return node(tuple(others)) if len(others) > 1 else others[0]
    return node((ir.Literal(constant), *others) if name == "multiply" else (*others, ir.Literal(constant)))


def simplify_stmt(stmt: cin.Stmt, absent: frozenset, fill_of=lambda access: 0,
                  target_of=lambda target: 0) -> Optional[cin.Stmt]:
    """`stmt` with the absent iterators set to their fills; None where it writes nothing: an
    accumulation of what its target holds anyway (`target_of`: 0, or a sparse output's fill)."""
    if not absent:
        return stmt
    if isinstance(stmt, cin.Accumulate):
        rhs = simplify(stmt.rhs, absent, fill_of)
        if isinstance(rhs, ir.Literal) and fills.same(rhs.value, target_of(stmt.target)):
            return None
        return cin.Accumulate(stmt.target, rhs)
    if isinstance(stmt, cin.Forall):
        body = simplify_stmt(stmt.body, absent, fill_of, target_of)
        return None if body is None else cin.Forall(stmt.index, body)
    if isinstance(stmt, cin.Seq):
        parts = tuple(p for p in (simplify_stmt(s, absent, fill_of, target_of) for s in stmt.stmts)
                      if p is not None)
        return None if not parts else (parts[0] if len(parts) == 1 else cin.Seq(parts))
    if isinstance(stmt, cin.Where):
        consumer = simplify_stmt(stmt.consumer, absent, fill_of, target_of)
        if consumer is None:
            return None
        producer = simplify_stmt(stmt.producer, absent, fill_of, target_of)
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
