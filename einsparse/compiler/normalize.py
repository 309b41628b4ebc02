"""Surface syntax -> index notation with explicit reductions.

The meaning of a statement is Einstein summation term by term: expand the right side into a sum of
products, reduce each product over its indices that are not on the left, add the products. Without
expanding anything: walk the tree carrying the indices used outside the current node (the output's, plus
those of the sibling factors of every enclosing product; an addition passes its own outer set to each
term unchanged). A node sums the indices it uses that are not in that set, so a reduction lands on the
smallest product holding all its uses within one term, and an addition never shares a reduction.
A product summed over an index that no factor uses in every term (`(a[i] + 1)*(b[i] + 1)`) would sum
its terms without the index too, so one factor is split into its terms first (`_distributed`).
"""

from __future__ import annotations

import itertools

from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.reductions import REDUCTIONS
from einsparse.errors import StatementError, point_at


def normalize(statement: syn.Statement) -> ir.Assignment:
    text = statement.text or syn.deparse(statement)
    output = statement.output
    _check_output(statement, text)
    _check_reductions(statement, statement.rhs, text)
    counter = itertools.count(1)
    output_access = ir.Access(output.name, tuple(i.name for i in output.indices), 0, output.span)
    reducing = statement.op not in ("=", "+=")
    if reducing:  # `C[i] min= e` is `C[i] = min[...](e)` over every index e uses that C does not
        uses = _ordered(list(syn.index_uses(statement.rhs)))
        rhs = _place(statement.rhs, frozenset(uses) | frozenset(output_access.indices), counter)
        reduced = tuple(i for i in uses if i not in output_access.indices)
        rhs = ir.Sum(reduced, rhs, REDUCTIONS[statement.op[:-1]].op) if reduced else rhs
    else:
        rhs = _place(statement.rhs, frozenset(output_access.indices), counter)
    rhs, origin = _rename_reductions(rhs, set(output_access.indices), _all_names(statement))
    return ir.Assignment(output_access, "=" if reducing else statement.op, rhs, tuple(sorted(origin.items())))


def _check_reductions(statement: syn.Statement, node: syn.Expr, text: str, enclosing: dict = {}) -> None:
    """An explicit reduction reduces indices its body uses, none of the output's, none an enclosing
    reduction already reduces."""
    if isinstance(node, syn.Reduce):
        body_uses = set(syn.index_uses(node.body))
        for index in node.indices:
            culprit = None
            if index.name in {i.name for i in statement.output.indices}:
                culprit = (f"{node.name}[{index.name}] reduces {index.name}, an index of the output "
                           f"{syn.deparse(statement.output)}")
            elif index.name in enclosing:
                culprit = f"{index.name} is already reduced by the enclosing {enclosing[index.name]}"
            elif index.name not in body_uses:
                culprit = f"{node.name}[{index.name}] reduces {index.name}, which its body does not use"
            if culprit:
                raise StatementError(point_at(culprit, text, index.span.start, index.span.end))
        enclosing = {**enclosing, **{index.name: node.name for index in node.indices}}
    for child in syn.children(node):
        _check_reductions(statement, child, text, enclosing)


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
    return frozenset(syn.index_uses(node))


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
    if isinstance(node, syn.IndexValue):
        value = ir.IndexValue(node.name, node.span)
        return _with_sum(value, frozenset((node.name,)), outer, [node.name])
    if isinstance(node, syn.Access):
        names = [i.name for i in node.indices]
        access = ir.Access(node.name, tuple(names), next(counter), node.span)
        return _with_sum(access, frozenset(names), outer, _ordered(names))
    if isinstance(node, syn.Reduce):  # its indices are its own; what else its body alone uses, summed in it
        names = tuple(index.name for index in node.indices)
        body = _place(node.body, outer | frozenset(names), counter)
        return ir.Sum(names, body, REDUCTIONS[node.name].op)
    if isinstance(node, syn.Neg):
        return ir.Neg(_place(node.operand, outer, counter))
    if syn.operator(node) is not None:
        return _place_call(node, outer, counter)
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
        for index in _ordered(list(syn.index_uses(node))):
            # Summed over this product (two factors use it), which needs a factor using it in every term.
            if (index not in outer and sum(index in u for u in uses) > 1
                    and all(_optional(factor, index) for factor, _ in pairs)):
                return _place(_distributed(pairs, index), outer, counter)
        placed = []
        for position, (factor, divides) in enumerate(pairs):
            siblings = frozenset().union(*(u for k, u in enumerate(uses) if k != position))
            # A divisor is an elementwise operand (a/b is a times 1/b): nothing is summed inside it.
            inner_outer = outer | siblings | (uses[position] if divides else frozenset())
            inner = _place(factor, inner_outer, counter)
            placed.append(ir.Recip(inner, factor.span) if divides else inner)
        product = ir.Mul(tuple(placed))
        used = frozenset().union(*(ir.free_indices(f) for f in placed))
        order = _ordered([i for f, _ in pairs for i in syn.index_uses(f)])
        return _with_sum(product, used, outer, order)
    raise TypeError(f"not a syntax node: {node!r}")


def _place_call(node: syn.Expr, outer: frozenset[str], counter) -> ir.Expr:
    """An operator other than + - * / is opaque: each argument sums what no other argument and nothing
    outside uses (`exp(A[i,k]*B[k,j])` into C[i,j] is the exp of a sum), and the call sums what its
    arguments share and nothing outside uses (`max(a[k], b[k])` into a scalar is a sum of maxima)."""
    name, args = syn.operator(node)
    uses = [_uses(arg) for arg in args]
    placed = []
    for position, arg in enumerate(args):
        siblings = frozenset().union(*(u for k, u in enumerate(uses) if k != position))
        placed.append(_place(arg, outer | siblings, counter))
    call = ir.Call(name, tuple(placed), node.span)
    used = frozenset().union(*(ir.free_indices(arg) for arg in placed))
    return _with_sum(call, used, outer, _ordered(list(syn.index_uses(node))))


def _optional(node: syn.Expr, index: str) -> bool:
    """Whether some term of `node`, expanded into a sum of products, does not use `index`."""
    if isinstance(node, syn.Number):
        return True
    if isinstance(node, syn.Access):
        return all(i.name != index for i in node.indices)
    if isinstance(node, syn.IndexValue):
        return node.name != index
    if isinstance(node, syn.Neg):
        return _optional(node.operand, index)
    if syn.operator(node) is not None or isinstance(node, syn.Reduce):  # opaque: no term without its uses
        return index not in _uses(node)
    if node.op in "+-":
        return _optional(node.left, index) or _optional(node.right, index)
    return _optional(node.left, index) and _optional(node.right, index)


def _distributed(pairs: list[tuple[syn.Expr, bool]], index: str) -> syn.Expr:
    """A product that sums over `index` although no factor uses it in every term, as a sum of products:
    the first factor that uses `index` is split into its terms. Summing the whole product would also sum
    the terms without `index` over it: `(a[i] + 1)*(b[i] + 1)` is `sum(a*b + a + b) + 1`, not
    `sum((a + 1)*(b + 1))`. A factor that is one negated product is flattened into its factors first."""
    k = next(k for k, (factor, divides) in enumerate(pairs) if not divides and index in _uses(factor))
    factor, negations = pairs[k][0], 0
    while isinstance(factor, syn.Neg):
        factor, negations = factor.operand, negations + 1
    if isinstance(factor, syn.BinOp) and factor.op in "*/":
        sign = [(syn.Number(-1), False)] if negations % 2 else []
        return _product(pairs[:k] + sign + _factors(factor) + pairs[k + 1:])
    terms = [_product(pairs[:k] + [(term, False)] + pairs[k + 1:]) for term in _terms(pairs[k][0])]
    total = terms[0]
    for term in terms[1:]:
        total = syn.BinOp("+", total, term)
    return total


def _terms(node: syn.Expr) -> list[syn.Expr]:
    """`node` as the terms of a sum, its negations pushed into them."""
    if isinstance(node, syn.BinOp) and node.op in "+-":
        right = _terms(node.right)
        return _terms(node.left) + (right if node.op == "+" else [syn.Neg(t) for t in right])
    if isinstance(node, syn.Neg):
        return [syn.Neg(t) for t in _terms(node.operand)]
    return [node]


def _product(pairs: list[tuple[syn.Expr, bool]]) -> syn.Expr:
    """The product of `pairs` (see `_factors`), without factors of 1 a distribution left."""
    kept = [(f, d) for f, d in pairs if not (isinstance(f, syn.Number) and f.value == 1)] or pairs[:1]
    if kept[0][1]:  # a divisor cannot come first
        kept.insert(0, (syn.Number(1), False))
    product = kept[0][0]
    for factor, divides in kept[1:]:
        product = syn.BinOp("/" if divides else "*", product, factor)
    return product


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
        if isinstance(node, ir.IndexValue):
            return ir.IndexValue(renames.get(node.index, node.index), node.span)
        if isinstance(node, ir.Neg):
            return ir.Neg(walk(node.operand, renames))
        if isinstance(node, ir.Recip):
            return ir.Recip(walk(node.operand, renames), node.span)
        if isinstance(node, ir.Add):
            return ir.Add(tuple(walk(t, renames) for t in node.terms))
        if isinstance(node, ir.Mul):
            return ir.Mul(tuple(walk(f, renames) for f in node.factors))
        if isinstance(node, ir.Call):
            return ir.Call(node.name, tuple(walk(a, renames) for a in node.args), node.span)
        if isinstance(node, ir.Sum):
            inner = dict(renames)
            new_names = []
            for name in node.indices:
                new = name if name not in bound else fresh(name)
                bound.add(new)
                origin[new] = name
                inner[name] = new
                new_names.append(new)
            return ir.Sum(tuple(new_names), walk(node.body, inner), node.op)
        raise TypeError(f"not an index-notation node: {node!r}")

    renamed = walk(rhs, {})
    return renamed, {new: old for new, old in origin.items() if new != old}
