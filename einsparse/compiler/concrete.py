"""Concrete index notation: the statement as nested loops, given a loop order.

    Forall(i, ...)                  a loop over index i
    Where(consumer, producer, t)    the producer fills temporary t, then the consumer reads it
    Seq(s1, s2, ...)                statements one after another, inside the same loops
    Accumulate(target, rhs)         target += rhs (outputs start at zero, or at their old values for +=)

`concretize` places every part of the right side at the loop depth where its indices are bound:
- a reduction innermost in the loop order becomes a scalar accumulator (`t = 0; for k: t += ...`);
- a reduction that is a top-level term, reached while output indices are still unbound, is scattered
  straight into the output (order i,k,j for CSR SpMM), its sibling terms computed in their own loops
  inside the shared outer ones, so `A*B + D` never builds A*B;
- a reduction nested inside a product with unbound indices goes to a dense workspace over them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Union

from einsparse.compiler import index_ir as ir
from einsparse.compiler.reductions import BY_OP


@dataclass(frozen=True)
class Forall:
    index: str
    body: "Stmt"


@dataclass(frozen=True)
class Where:
    consumer: "Stmt"
    producer: "Stmt"
    temp: ir.Temp


@dataclass(frozen=True)
class Seq:
    stmts: tuple["Stmt", ...]


@dataclass(frozen=True)
class Accumulate:
    target: Union[ir.Access, ir.TempRef]
    rhs: ir.Expr


Stmt = Union[Forall, Where, Seq, Accumulate]


def target_indices(target) -> tuple[str, ...]:
    return target.indices if isinstance(target, ir.Access) else target.temp.indices


def concretize(assignment: ir.Assignment, order: tuple[str, ...], *, sparse_output: bool = False) -> Stmt:
    """Nested loops for `assignment` in loop `order`.

    A sparse output is appended to, each coordinate once and in order, so nothing is ever scattered
    into it: a reduction reached while some of its indices are unbound goes to a workspace instead.
    """
    names = (f"t{n}" for n in itertools.count())
    return _concretize(assignment.output, assignment.rhs, frozenset(), order, names, sparse_output)


def _signed_terms(expr: ir.Expr, sign: bool = False) -> list[tuple[bool, ir.Expr]]:
    """Flatten additions and negations: [(negated?, term), ...]."""
    if isinstance(expr, ir.Add):
        return [pair for term in expr.terms for pair in _signed_terms(term, sign)]
    if isinstance(expr, ir.Neg):
        return _signed_terms(expr.operand, not sign)
    return [(sign, expr)]


def _rebuild(terms: list[tuple[bool, ir.Expr]]) -> ir.Expr:
    parts = tuple(ir.Neg(t) if negated else t for negated, t in terms)
    return parts[0] if len(parts) == 1 else ir.Add(parts)


def _binding_sum(expr: ir.Expr, index: str):
    """The Sum node binding `index` in `expr` (there is exactly one after normalization)."""
    if isinstance(expr, ir.Sum) and index in expr.indices:
        return expr
    for child in ir.children(expr):
        found = _binding_sum(child, index)
        if found is not None:
            return found
    return None


def _replace(expr: ir.Expr, old: ir.Expr, new: ir.Expr) -> ir.Expr:
    if expr is old:
        return new
    return ir.with_children(expr, tuple(_replace(child, old, new) for child in ir.children(expr)))


def _without(sum_node: ir.Sum, index: str) -> ir.Expr:
    rest = tuple(i for i in sum_node.indices if i != index)
    return ir.Sum(rest, sum_node.body, sum_node.op) if rest else sum_node.body


def combining(target) -> str:
    """How an accumulation into `target` combines: a temporary with its reduction's operator, an
    output by adding (to its zeros, or to its old values for `+=`)."""
    return target.temp.expr.op if isinstance(target, ir.TempRef) else "add"


def _concretize(target, rhs: ir.Expr, bound: frozenset, order, names, sparse: bool) -> Stmt:
    wanted = set(target_indices(target)) | ir.index_set(rhs)
    pending = [v for v in order if v in wanted and v not in bound]
    if not pending:
        return Accumulate(target, rhs)
    v = pending[0]
    summed = _binding_sum(rhs, v)
    if summed is None:  # an output index: loop over it
        return Forall(v, _concretize(target, rhs, bound | {v}, order, names, sparse))

    terms = _signed_terms(rhs)
    position = next((k for k, (_, t) in enumerate(terms) if t is summed), None)
    target_bound = set(target_indices(target)) <= bound
    appended = sparse and isinstance(target, ir.Access)
    # Only sums split into terms and scatter into what they are added to; any other reduction is
    # folded into a temporary of its own operator, unless it is all the target reduces with that one.
    linear = summed.op == "add" and combining(target) == "add"
    whole = summed.op == combining(target) and rhs is summed
    if position is None or (appended and not target_bound) or not (linear or whole):
        # Nested in a product: compute it first into a temporary over its still-unbound indices.
        free = ir.free_indices(summed)
        temp = ir.Temp(next(names), tuple(i for i in order if i in free and i not in bound), summed)
        ref = ir.TempRef(temp)
        consumer = _concretize(target, _replace(rhs, summed, ref), bound, order, names, sparse)
        producer = _concretize(ref, summed, bound, order, names, sparse)
        return Where(consumer, producer, temp)

    negated, _ = terms[position]
    others = terms[:position] + terms[position + 1:]
    if target_bound and (isinstance(target, ir.Access) or target.temp.indices) and linear:
        # Accumulate in a register, then add it to the output once.
        temp = ir.Temp(next(names), (), summed)
        ref = ir.TempRef(temp)
        consumer = _concretize(target, _rebuild(others + [(negated, ref)]), bound, order, names, sparse)
        producer = _concretize(ref, summed, bound, order, names, sparse)
        return Where(consumer, producer, temp)
    if others:
        return Seq((
            _concretize(target, _rebuild(others), bound, order, names, sparse),
            _concretize(target, _rebuild([(negated, summed)]), bound, order, names, sparse),
        ))
    inner = _rebuild([(negated, _without(summed, v))])
    return Forall(v, _concretize(target, inner, bound | {v}, order, names, sparse))


def show(stmt: Stmt, indent: int = 0) -> str:
    """Readable text of concrete index notation, one statement per line."""
    pad = "  " * indent
    if isinstance(stmt, Forall):
        return f"{pad}forall {stmt.index}:\n{show(stmt.body, indent + 1)}"
    if isinstance(stmt, Where):
        temp = stmt.temp
        shape = f"[{','.join(temp.indices)}]" if temp.indices else ""
        kind = "workspace" if temp.indices else "scalar"
        start = BY_OP[temp.expr.op].identity
        return (f"{pad}where {kind} {temp.name}{shape} = {start}:\n"
                f"{pad}  producer:\n{show(stmt.producer, indent + 2)}\n"
                f"{pad}  consumer:\n{show(stmt.consumer, indent + 2)}")
    if isinstance(stmt, Seq):
        return "\n".join(show(s, indent) for s in stmt.stmts)
    if isinstance(stmt, Accumulate):
        op = combining(stmt.target)
        if op == "add":
            return f"{pad}{ir.show(stmt.target)} += {ir.show(stmt.rhs)}"
        return f"{pad}{ir.show(stmt.target)} {BY_OP[op].name}= {ir.show(stmt.rhs)}"
    raise TypeError(f"not a concrete statement: {stmt!r}")


def temps(stmt: Stmt) -> list[ir.Temp]:
    """Every temporary introduced in `stmt`, outermost first."""
    if isinstance(stmt, Forall):
        return temps(stmt.body)
    if isinstance(stmt, Where):
        return [stmt.temp, *temps(stmt.producer), *temps(stmt.consumer)]
    if isinstance(stmt, Seq):
        return [t for s in stmt.stmts for t in temps(s)]
    return []
