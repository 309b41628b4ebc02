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

import numpy as np

from einsparse.compiler import concrete as cin
from einsparse.compiler import fills
from einsparse.compiler import index_ir as ir

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


def _analyze(expr: ir.Expr, iterator_of: IteratorOf, fill_of: FillOf) -> tuple[set, object, bool]:
    """`analyze`'s (points, background) and whether every value `expr` takes, at any coordinate, is
    finite by the structural rule (stored values are; a constant inf or nan that went in is not): only
    such a value may be annihilated (`0*x` is 0), as `simplify` folds it."""
    if isinstance(expr, ir.Access):
        key = iterator_of(expr)
        fill = fills.value(fill_of(expr))
        if key is not None:
            return {Point({key})}, fill, not fills.not_finite(fill)
        # Read at this loop without skipping; what a deeper loop finds absent is its fill.
        return {Point()}, _varying(fill), not fills.not_finite(fill)
    if isinstance(expr, ir.Literal):
        return set(), expr.value, not fills.not_finite(expr.value)
    if isinstance(expr, ir.IndexValue):
        return {Point()}, fills.VARIES, True
    if isinstance(expr, ir.TempRef):
        key = iterator_of(expr)  # a workspace walks the coordinates it touched; the rest hold 0
        if key is not None:  # (its reduction's own iterators are not this loop's: none is asked for)
            return {Point({key})}, 0, _analyze(expr.temp.expr, lambda node: None, fill_of)[2]
        return _analyze(expr.temp.expr, iterator_of, fill_of)
    if isinstance(expr, ir.Sum):  # a sum of a background other than 0 depends on the extent
        points, background, finite = _analyze(expr.body, iterator_of, fill_of)
        return points, 0 if fills.same(background, 0) else _varying(background), finite
    parts = [_analyze(child, iterator_of, fill_of) for child in ir.children(expr)]
    if isinstance(expr, (ir.Neg, ir.Recip)):
        (points, background, finite), = parts
        result = fills.apply_op("negative" if isinstance(expr, ir.Neg) else "reciprocal", [background])
    elif isinstance(expr, ir.Add):
        points, result = _fold(parts, "add", None)
    elif isinstance(expr, ir.Mul):
        points, result = _fold(parts, "multiply", 0)
    elif isinstance(expr, ir.Call) and expr.name == "where":
        points, result = _where(*parts)
    elif isinstance(expr, ir.Call) and len(parts) == 1:  # f(x) is f(background) wherever x is
        (points, background, _), = parts
        result = fills.apply_op(expr.name, [background])
    elif isinstance(expr, ir.Call):
        points, result = _fold(parts, expr.name, fills.ANNIHILATORS.get(expr.name))
    else:
        raise TypeError(f"not an index-notation node: {expr!r}")
    finite = all(part[2] for part in parts) and not fills.not_finite(result)
    return points, result, finite


def _fold(parts: list, name: str, annihilator) -> tuple[set, object]:
    """Combine operands left to right. Where an operand holds the operator's annihilator (`0*x`,
    `False and x`, `max(inf, x)`) and the other is finite (or the operator is logic), the result is the
    annihilator: where both may, it differs from it only where both do (an intersection); where one
    only, only where that one does (the other still walked, for its values); otherwise a union."""
    points, background, finite = parts[0]
    for other_points, other_background, other_finite in parts[1:]:
        combined = fills.apply_op(name, [background, other_background])
        logic = name in ("and", "or")
        left_kills = right_kills = False
        if annihilator is not None and fills.same(combined, annihilator):
            left_kills, right_kills = other_finite or logic, finite or logic
        left, right = (points, background), (other_points, other_background)
        if left_kills and right_kills:
            points = conjunction(relative(left, annihilator), relative(right, annihilator))
        elif left_kills:
            points = conjunction(relative(left, annihilator), other_points | {Point()})
        elif right_kills:
            points = conjunction(relative(right, annihilator), points | {Point()})
        else:
            points = disjunction(points, other_points)
        background, finite = combined, finite and other_finite
    return points, background


def _where(condition, chosen, other) -> tuple[set, object]:
    """where(c, a, b): where c sits at its background the result is the branch it picks."""
    (c_points, c_background, _), (a_points, a_background, _), (b_points, b_background, _) = condition, chosen, other
    if fills.varies(c_background):
        background = a_background if fills.same(a_background, b_background) else _varying(a_background, b_background)
        return disjunction(c_points, disjunction(a_points, b_points)), background
    picked_points, background = (chosen if c_background else other)[:2]
    either = disjunction(a_points, b_points) | (set() if fills.same(a_background, b_background) else {Point()})
    return disjunction(conjunction(c_points, either), picked_points), background


def _varying(*backgrounds):
    """Not a constant: finite unless one of `backgrounds` is known not to be."""
    finite = all(b.finite if fills.varies(b) else np.isfinite(b) for b in backgrounds)
    return fills.VARIES if finite else fills.VARIES_NOT_FINITE


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
    return f"union {names}"
