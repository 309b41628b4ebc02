"""Surface syntax -> index notation with explicit reductions.

The meaning of a statement is Einstein summation term by term: expand the right side into a sum of
products, reduce each product over its indices that are not on the left, add the products. Without
expanding anything: walk the tree carrying the indices used outside the current node (the output's, plus
those of the sibling factors of every enclosing product; an addition passes its own outer set to each
term unchanged). A node sums the indices it uses that are not in that set, so a reduction lands on the
smallest product holding all its uses within one term, and an addition never shares a reduction.
"""

from __future__ import annotations

import itertools

from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.errors import StatementError, point_at


def normalize(statement: syn.Statement) -> ir.Assignment:
    text = statement.text or syn.deparse(statement)
    output = statement.output
    _check_output(statement, text)
    counter = itertools.count(1)
    output_access = ir.Access(output.name, tuple(i.name for i in output.indices), 0, output.span)
    rhs = _place(statement.rhs, frozenset(output_access.indices), counter)
    rhs, origin = _rename_reductions(rhs, set(output_access.indices), _all_names(statement))
    return ir.Assignment(output_access, statement.op, rhs, tuple(sorted(origin.items())))


def _check_output(statement: syn.Statement, text: str) -> None:
    seen: set[str] = set()
    for index in statement.output.indices:
        if index.name in seen:
            raise StatementError(
                point_at(f"output index {index.name} appears twice in {statement.output.name}", text,
                         index.span.start, index.span.end)
            )
        seen.add(index.name)
    for access in syn.accesses(statement.rhs):
        if access.name == statement.output.name:
            raise StatementError(
                point_at(f"the output {access.name} also appears on the right side; "
                         f"write the result to a new tensor", text, access.span.start, access.span.end)
            )


def _all_names(statement: syn.Statement) -> set[str]:
    names = {statement.output.name, *(i.name for i in statement.output.indices)}
    for access in syn.accesses(statement.rhs):
        names.add(access.name)
        names.update(i.name for i in access.indices)
    return names


def _uses(node: syn.Expr) -> frozenset[str]:
    return frozenset(i.name for access in syn.accesses(node) for i in access.indices)


def _factors(node: syn.Expr) -> list[tuple[syn.Expr, bool]]:
    """Flatten a chain of `*` and `/` into (factor, divides) pairs, left to right."""
    if isinstance(node, syn.BinOp) and node.op in "*/":
        left = _factors(node.left)
        if node.op == "*":
            return left + _factors(node.right)
        return left + [(node.right, True)]
    return [(node, False)]


def _with_sum(expr: ir.Expr, used: frozenset[str], outer: frozenset[str], order: list[str]) -> ir.Expr:
    reduced = tuple(name for name in order if name in used and name not in outer)
    return ir.Sum(reduced, expr) if reduced else expr


def _place(node: syn.Expr, outer: frozenset[str], counter) -> ir.Expr:
    if isinstance(node, syn.Number):
        return ir.Literal(node.value)
    if isinstance(node, syn.Access):
        names = [i.name for i in node.indices]
        access = ir.Access(node.name, tuple(names), next(counter), node.span)
        return _with_sum(access, frozenset(names), outer, _ordered(names))
    if isinstance(node, syn.Neg):
        return ir.Neg(_place(node.operand, outer, counter))
    if isinstance(node, syn.BinOp) and node.op in "+-":
        left = _place(node.left, outer, counter)
        right = _place(node.right, outer, counter)
        if node.op == "-":
            right = ir.Neg(right)
        terms = (left.terms if isinstance(left, ir.Add) else (left,)) + (right,)
        return ir.Add(terms)
    if isinstance(node, syn.BinOp):
        pairs = _factors(node)
        uses = [_uses(factor) for factor, _ in pairs]
        placed = []
        for position, (factor, divides) in enumerate(pairs):
            siblings = frozenset().union(*(u for k, u in enumerate(uses) if k != position))
            # A divisor is an elementwise operand (a/b is a times 1/b): nothing is summed inside it.
            inner_outer = outer | siblings | (uses[position] if divides else frozenset())
            inner = _place(factor, inner_outer, counter)
            placed.append(ir.Recip(inner, factor.span) if divides else inner)
        product = ir.Mul(tuple(placed))
        used = frozenset().union(*(ir.free_indices(f) for f in placed))
        order = _ordered([i.name for f, _ in pairs for a in syn.accesses(f) for i in a.indices])
        return _with_sum(product, used, outer, order)
    raise TypeError(f"not a syntax node: {node!r}")


def _ordered(names: list[str]) -> list[str]:
    """Names in order of first appearance, each once."""
    return list(dict.fromkeys(names))


def _rename_reductions(rhs: ir.Expr, taken: set[str], all_names: set[str]):
    """Give every Sum its own index names: `a[i] + b[i]` into a scalar sums over `i` and `i1`."""
    origin: dict[str, str] = {}
    bound: set[str] = set(taken)
    reserved = set(all_names)

    def fresh(name: str) -> str:
        for n in itertools.count(1):
            candidate = f"{name}{n}"
            if candidate not in reserved and candidate not in bound:
                return candidate
        raise AssertionError("unreachable")

    def walk(node: ir.Expr, renames: dict[str, str]) -> ir.Expr:
        if isinstance(node, ir.Access):
            return ir.Access(node.tensor, tuple(renames.get(i, i) for i in node.indices), node.id, node.span)
        if isinstance(node, ir.Literal):
            return node
        if isinstance(node, ir.Neg):
            return ir.Neg(walk(node.operand, renames))
        if isinstance(node, ir.Recip):
            return ir.Recip(walk(node.operand, renames), node.span)
        if isinstance(node, ir.Add):
            return ir.Add(tuple(walk(t, renames) for t in node.terms))
        if isinstance(node, ir.Mul):
            return ir.Mul(tuple(walk(f, renames) for f in node.factors))
        if isinstance(node, ir.Sum):
            inner = dict(renames)
            new_names = []
            for name in node.indices:
                new = name if name not in bound else fresh(name)
                bound.add(new)
                origin[new] = name
                inner[name] = new
                new_names.append(new)
            return ir.Sum(tuple(new_names), walk(node.body, inner))
        raise TypeError(f"not an index-notation node: {node!r}")

    renamed = walk(rhs, {})
    return renamed, {new: old for new, old in origin.items() if new != old}
