"""How many entries a sparse output may need, guessed from its sparse operands' entries.

A call sizes each chunk's part of a sparse output before the kernel runs (see `runtime.kernel`): a
guess from the expression, built once per kernel, so a call only adds and compares. A guess, not a
bound: a kernel that needs more room stops and goes on in new arrays.
"""

from __future__ import annotations

from typing import Callable

from einsparse.compiler import index_ir as ir


def output_room(assignment: ir.Assignment) -> Callable[[dict], "int | None"]:
    """A function from the entries of a kernel's sparse operands (by name; dense ones are left out, as
    they say nothing of it) to how many entries the sparse output of `assignment` may need, or None when
    no operand tells."""
    return _room(assignment.rhs, set(assignment.output.indices))


def _room(expr, whole: set):
    """The room function of `expr`: a product needs no more than its sparsest factor indexed by every
    output index (`whole`; a broadcast factor bounds nothing), a sum no more than its sparse terms
    together (a union of two CSR rows fits; the old output of `+=` is one of the terms). Where no factor
    bounds a product (SpGEMM) it counts them all."""
    if isinstance(expr, ir.Access):
        name = expr.tensor
        return lambda entries: entries.get(name)
    if isinstance(expr, (ir.Neg, ir.Recip)):
        return _room(expr.operand, whole)
    if isinstance(expr, ir.Sum):
        return _room(expr.body, whole)
    if isinstance(expr, ir.TempRef):
        return _room(expr.temp.expr, whole)
    if isinstance(expr, (ir.Add, ir.Mul)):
        parts = [(_room(part, whole), isinstance(expr, ir.Mul) and _indexed_by(part) >= whole)
                 for part in (expr.terms if isinstance(expr, ir.Add) else expr.factors)]

        def room(entries):
            known = [(size, bounds) for size, bounds in ((part(entries), bounds) for part, bounds in parts)
                     if size is not None]
            bounded = [size for size, bounds in known if bounds]
            return min(bounded) if bounded else sum(size for size, _ in known) if known else None
        return room
    return lambda entries: None


def _indexed_by(expr) -> set:
    """The indices an operand (or its negation) is indexed by; none for anything else."""
    if isinstance(expr, (ir.Neg, ir.Recip)):
        return _indexed_by(expr.operand)
    return set(expr.indices) if isinstance(expr, ir.Access) else set()
