"""Masks moved into the reductions they select from, so the mask drives the reduction's loops.

`C[i,j] = M[i,j] * sum[k](A[i,k]*B[k,j])` read as written computes the whole product row into a
workspace and then keeps the entries M stores: the product is computed in full. Moved inside,
`sum[k](M[i,j]*A[i,k]*B[k,j])`, the loop over j intersects M's row with B's, so only the entries M
stores are ever computed (masked SpGEMM, as GraphBLAS's `C<M> = A*B`). The same holds for
`where(M[i,j], min[k](...), inf)`: the untaken branch is the reduction's identity, so
`min[k](where(M[i,j], ..., inf))` is the same value.

A factor moves only when it is a sparse operand with fill 0 (absent entries annihilate the product)
and every index it has is one the reduction keeps, so the reduction is not recomputed for more
coordinates than before. Moving a factor into a sum multiplies each term instead of the total: equal
up to rounding (exactly equal for a mask of ones), as in the Einstein form `M[i,j]*A[i,k]*B[k,j]`,
which einsparse and NumPy's einsum already compute that way.
"""

from __future__ import annotations

from einsparse.compiler import fills as fl
from einsparse.compiler import index_ir as ir
from einsparse.compiler.reductions import BY_OP


def moved_into_reductions(assignment: ir.Assignment, formats: dict, fills: dict) -> ir.Assignment:
    """`assignment` with every mask moved into the reduction beside it (see the module's docstring)."""
    def is_mask(expr: ir.Expr, reduction: ir.Sum) -> bool:
        return (isinstance(expr, ir.Access) and not formats[expr.tensor].is_dense
                and fl.same(fills.get(expr.tensor, 0), 0)
                and set(expr.indices) <= ir.free_indices(reduction))

    def moved(expr: ir.Expr) -> ir.Expr:
        expr = ir.with_children(expr, tuple(moved(child) for child in ir.children(expr)))
        if isinstance(expr, ir.Mul):
            return _moved_factors(expr, is_mask)
        if isinstance(expr, ir.Call) and expr.name == "where":
            return _moved_where(expr, is_mask)
        return expr

    return ir.Assignment(assignment.output, assignment.op, moved(assignment.rhs), assignment.index_origin)


def _moved_factors(product: ir.Mul, is_mask) -> ir.Expr:
    """`M*sum[k](X)` as `sum[k](M*X)`: the masks of the first sum among the factors moved into it."""
    reduction = next((f for f in product.factors if isinstance(f, ir.Sum) and f.op == "add"), None)
    if reduction is None:
        return product
    masks = tuple(f for f in product.factors if is_mask(f, reduction))
    if not masks:
        return product
    body = reduction.body.factors if isinstance(reduction.body, ir.Mul) else (reduction.body,)
    inner = ir.Sum(reduction.indices, ir.Mul(masks + body), reduction.op)
    rest = tuple(inner if f is reduction else f for f in product.factors if f not in masks)
    return rest[0] if len(rest) == 1 else ir.Mul(rest)


def _moved_where(call: ir.Call, is_mask) -> ir.Expr:
    """`where(M, red[k](X), identity)` as `red[k](where(M, X, identity))`."""
    condition, taken, untaken = call.args
    if not (isinstance(taken, ir.Sum) and is_mask(condition, taken)):
        return call
    constant = _constant(untaken)
    if constant is None or not fl.same(constant, BY_OP[taken.op].identity):
        return call
    return ir.Sum(taken.indices, ir.Call("where", (condition, taken.body, untaken), call.span), taken.op)


def _constant(expr: ir.Expr):
    if isinstance(expr, ir.Literal):
        return expr.value
    if isinstance(expr, ir.Neg) and isinstance(expr.operand, ir.Literal):
        return -expr.operand.value
    return None
