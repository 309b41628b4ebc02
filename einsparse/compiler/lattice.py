"""Merge lattices: which operands' stored coordinates a loop must visit, and in which combinations.

At a loop over index v, an access whose next level is indexed by v and cannot locate coordinates (a
compressed level) is an *iterator*. A product is nonzero only where all its factors are, so it iterates
the intersection of their iterators; a sum iterates the union, with one region per combination of
present operands. A lattice is the set of its points, each the set of iterators (their keys) that must
all be present; the empty point means "every coordinate" (a dense operand, an index used as a value,
or an access that cannot drive this loop).

Absent entries are an operand's fill, not always 0, so whether a loop may skip them is asked of the
algebra (`analyze`): each expression has a background, its value where none of its iterators is
present, computed from the fills; a product whose background is 0 intersects (0 annihilates), an
operator without an annihilator unites, and an accumulation skips only where its value is what the
target holds anyway. `exp(A)` of a fill-0 A has background 1: into a sparse output of fill 1 it
iterates A; into a dense output it visits every coordinate.
"""

from __future__ import annotations

from typing import Callable, Optional

from einsparse.compiler import concrete as cin
from einsparse.compiler import fills
from einsparse.compiler import index_ir as ir
from einsparse.compiler.reductions import BY_OP

Point = frozenset  # of iterator keys
# An access or a workspace -> the key of the iterator it offers at this loop, or None if it offers none.
IteratorOf = Callable[[object], Optional[object]]
# An access -> its operand's fill (the value of every entry not stored).
FillOf = Callable[[ir.Access], object]


def zero_fill(access) -> int:
    return 0


def expr_lattice(expr: ir.Expr, iterator_of: IteratorOf, fill_of: FillOf = zero_fill, target=0) -> set[Point]:
    """The points where `expr` may differ from `target`, what the loop leaves where it skips (0 for a
    sum or a dense output, the fill of a sparse output)."""
    return relative(analyze(expr, iterator_of, fill_of), target)


def relative(analysis: tuple[set, object], target) -> set[Point]:
    """Points where an expression of `analysis` (points, background) may differ from `target`: its own
    points if its background is the target, else every coordinate too."""
    points, background = analysis
    return set(points) if fills.same(background, target) else set(points) | {Point()}


def analyze(expr: ir.Expr, iterator_of: IteratorOf, fill_of: FillOf) -> tuple[set, object]:
    """(points, background) of `expr` at this loop: its *background* is its value where none of the
    iterators it reads sits on the coordinate (every operand at its fill), or VARIES when that depends
    on dense values; its points are where it may differ from its background."""
    points, background, _ = _analyze(expr, iterator_of, fill_of)
    return points, background


def _analyze(expr: ir.Expr, iterator_of: IteratorOf, fill_of: FillOf) -> tuple[set, object, frozenset]:
    """`analyze`'s (points, background) and the infinities and nan `expr` may take at any coordinate
    (its *specials*): stored values are finite by the structural rule, constants are exact. Only a
    value without specials is annihilated by 0 (`0*x`), one without -inf or nan by inf (`inf + x`)."""
    if isinstance(expr, ir.Access):
        key = iterator_of(expr)
        fill = fills.value(fill_of(expr))
        if key is not None:
            return {Point({key})}, fill, fills.specials(fill)
        # Read at this loop without skipping; what a deeper loop finds absent is its fill.
        return {Point()}, _varying(fill), fills.specials(fill)
    if isinstance(expr, ir.Literal):
        return set(), expr.value, fills.specials(expr.value)
    if isinstance(expr, ir.IndexValue):
        return {Point()}, fills.VARIES, frozenset()
    if isinstance(expr, ir.TempRef):
        key = iterator_of(expr)  # a workspace walks the coordinates it touched; the rest hold its identity
        if key is not None:  # (its reduction's own iterators are not this loop's: none is asked for)
            found = _analyze(expr.temp.expr, lambda node: None, fill_of)[2]
            untouched = BY_OP[expr.temp.expr.op].untouched
            return {Point({key})}, untouched, found | fills.specials(untouched)
        return _analyze(expr.temp.expr, iterator_of, fill_of)
    if isinstance(expr, ir.Sum):
        points, background, found = _analyze(expr.body, iterator_of, fill_of)
        return points, fills.reduced(expr.op, background), fills.reduced_specials(expr.op, found)
    parts = [_analyze(child, iterator_of, fill_of) for child in ir.children(expr)]
    name = ("negative" if isinstance(expr, ir.Neg) else "reciprocal" if isinstance(expr, ir.Recip)
            else "add" if isinstance(expr, ir.Add) else "multiply" if isinstance(expr, ir.Mul) else expr.name)
    if isinstance(expr, ir.Call) and name == "where":
        points, result = _where(*parts)
        return points, result, parts[1][2] | parts[2][2]
    if len(parts) == 1:  # f(x) is f(background) wherever x is
        (points, background, _), = parts
        result = fills.apply_op(name, [background])
    else:
        points, result = _fold(parts, name)
    found = fills.combined_specials(name, [_stand_in(part) for part in parts])
    return points, result, found | fills.specials(result)


def _stand_in(part):
    """Any value an analyzed part may take: finite, or one of its specials."""
    return fills.varying(part[2] | fills.specials(part[1]))


def _fold(parts: list, name: str) -> tuple[set, object]:
    """Combine operands left to right. Where an operand sits at its background and that decides the
    operator whatever the other is (`0*x` of a finite x, `False and x`, `max(inf, x)`, `inf + x`: see
    `fills.kills`), the result is that background: where both operands may, it differs only where
    both do (an intersection); where one only, only where that one does (the other still walked, for
    its values); otherwise a union."""
    points, background, found = parts[0]
    for other in parts[1:]:
        other_points, other_background, other_found = other
        left = (points, background, found)
        left_kills = (fills.annihilates(name, background)
                      and fills.kills(name, background, _stand_in(other)))
        right_kills = (fills.annihilates(name, other_background)
                       and fills.kills(name, other_background, _stand_in(left)))
        if left_kills and right_kills:
            points = conjunction(points, other_points)
        elif left_kills:
            points = conjunction(points, other_points | {Point()})
        elif right_kills:
            points = conjunction(other_points, points | {Point()})
        else:
            points = disjunction(points, other_points)
        combined = fills.apply_op(name, [background, other_background])
        found = fills.combined_specials(name, [_stand_in(left), _stand_in(other)]) | fills.specials(combined)
        background = combined
    return points, background


def _where(condition, chosen, other) -> tuple[set, object]:
    """where(c, a, b): where c sits at its background the result is the branch it picks."""
    (c_points, c_background, _), (a_points, a_background, _), (b_points, b_background, _) = condition, chosen, other
    if fills.varies(c_background):
        if fills.same(a_background, b_background):  # c decides nothing where both branches sit there
            # (its iterators are still walked, for its values where a branch is stored)
            return conjunction(disjunction(a_points, b_points), c_points | {Point()}), a_background
        return disjunction(c_points, disjunction(a_points, b_points)), _varying(a_background, b_background)
    picked_points, background = (chosen if c_background else other)[:2]
    either = disjunction(a_points, b_points) | (set() if fills.same(a_background, b_background) else {Point()})
    return disjunction(conjunction(c_points, either), picked_points), background


def _varying(*backgrounds):
    """Not a constant: finite but for the specials of `backgrounds`."""
    return fills.varying(frozenset().union(*(fills.specials(b) for b in backgrounds)))


def stmt_lattice(stmt: cin.Stmt, iterator_of: IteratorOf, fill_of: FillOf = zero_fill,
                 target_of: Callable = lambda target: 0) -> set[Point]:
    """The points a loop over `stmt` must visit; `target_of(target)` is what an accumulation's target
    holds where nothing is written."""
    if isinstance(stmt, cin.Accumulate):
        return expr_lattice(stmt.rhs, iterator_of, fill_of, target_of(stmt.target))
    if isinstance(stmt, cin.Forall):
        return stmt_lattice(stmt.body, iterator_of, fill_of, target_of)
    if isinstance(stmt, cin.Where):
        return disjunction(stmt_lattice(stmt.producer, iterator_of, fill_of, target_of),
                           stmt_lattice(stmt.consumer, iterator_of, fill_of, target_of))
    if isinstance(stmt, cin.Seq):
        if not stmt.stmts:
            return set()  # nothing to compute: no point needs visiting
        points = stmt_lattice(stmt.stmts[0], iterator_of, fill_of, target_of)
        for part in stmt.stmts[1:]:
            points = disjunction(points, stmt_lattice(part, iterator_of, fill_of, target_of))
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
    common = sorted(frozenset.intersection(*points), key=repr)
    if common:  # a mask: every point holds it
        rest = ", ".join(label(i) for i in iterators if i not in common)
        return f"intersect {', '.join(label(i) for i in common)} with the union of {rest}"
    return f"union {names}"
