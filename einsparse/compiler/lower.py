"""Concrete index notation -> loop IR.

Each `forall v` becomes the loop its merge lattice asks for:
- no iterator (only dense levels, literals, temporaries): `for v in range(n_v)`;
- one compressed iterator: `for pA2 in range(A2_pos[pA1], A2_pos[pA1 + 1])`, `v = A2_crd[pA2]`;
- several iterators (intersections and unions): `while` loops that advance them in step, one per
  lattice point, with one branch per combination of present operands;
- a union that includes a dense operand: a range loop that checks each iterator at every coordinate.
In each branch the statement is simplified with the absent operands set to zero, so each region
computes only what is nonzero there. Dense levels are located by position arithmetic as soon as their
index is bound. Outputs and temporaries are accumulated into (`+=`): the runtime starts a dense output
at zero (or at its old values for `+=`), and every temporary starts at zero where it is declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Optional, Union

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import lattice as lat
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.formats import DENSE, Format
from einsparse.compiler.levels import level_code
from einsparse.compiler.names import Namer
from einsparse.errors import InternalError


@dataclass(frozen=True)
class Storage:
    """Anything read or written through levels: an operand access, or a dense workspace."""

    key: object                    # the access id, or ("temp", name)
    label: str                     # the operand name used to build variable names
    levels: tuple                  # level code generators, outermost first
    level_indices: tuple[str, ...]  # the index bound at each level
    vals: str


class Lowerer:
    def __init__(self, operands: dict[str, Format], origin, namer: Namer):
        self.operands = operands
        self.origin = origin
        self.names = namer
        self.temp_arrays: dict[str, ir.Temp] = {}
        self.plans: dict[tuple[int, str, str], None] = {}  # (depth, index, co-iteration plan), for explain()

    # -- storages -----------------------------------------------------------------------------
    def storage(self, node: Union[ir.Access, ir.TempRef]) -> Storage:
        if isinstance(node, ir.Access):
            fmt = self.operands[node.tensor]
            levels = tuple(
                level_code(kind, node.tensor, l, self.extent(node.indices[fmt.mode_order[l]]), self.names)
                for l, kind in enumerate(fmt.levels))
            indices = tuple(node.indices[m] for m in fmt.mode_order)
            return Storage(node.id, node.tensor, levels, indices, self.names.vals(node.tensor))
        temp = node.temp
        name = self.names.once(("temp", temp.name), temp.name)
        self.temp_arrays[name] = temp
        levels = tuple(level_code(DENSE, name, l, self.extent(i), self.names) for l, i in enumerate(temp.indices))
        return Storage(("temp", temp.name), name, levels, temp.indices, name)

    def extent(self, index: str) -> str:
        return self.names.extent(self.origin(index))

    def position_name(self, storage: Storage, level: int) -> str:
        return self.names.position(storage.key, storage.label, level)

    # -- entry --------------------------------------------------------------------------------
    def lower(self, stmt: cin.Stmt) -> tuple[loop.Node, ...]:
        return tuple(self._stmt(stmt, (), {}, 0))

    def _stmt(self, stmt: cin.Stmt, bound: tuple, positions: dict, depth: int) -> list[loop.Node]:
        if isinstance(stmt, cin.Forall):
            return self._forall(stmt, bound, positions, depth)
        if isinstance(stmt, cin.Seq):
            return [node for part in stmt.stmts for node in self._stmt(part, bound, positions, depth)]
        if isinstance(stmt, cin.Where):
            temp = stmt.temp
            if temp.indices:
                name = self.storage(ir.TempRef(temp)).vals
                init = loop.Line(f"{name}[:] = zero")
            else:
                init = loop.Line(f"{self.names.once(('temp', temp.name), temp.name)} = zero")
            return ([init] + self._stmt(stmt.producer, bound, positions, depth)
                    + self._stmt(stmt.consumer, bound, positions, depth))
        if isinstance(stmt, cin.Accumulate):
            target = self._target(stmt.target, positions)
            return [loop.Line(f"{target} += {self._expr(stmt.rhs, positions, 0)}")]
        raise InternalError(f"cannot lower {stmt!r}")

    # -- loops --------------------------------------------------------------------------------
    def _ready_level(self, storage: Storage, positions: dict) -> Optional[int]:
        """The outermost level whose position is not known yet (None when all are)."""
        for level in range(len(storage.levels)):
            if (storage.key, level) not in positions:
                return level
        return None

    def _parent(self, storage: Storage, level: int, positions: dict) -> str:
        return "0" if level == 0 else positions[(storage.key, level - 1)]

    def _iterator_level(self, access: ir.Access, index: str, positions: dict) -> Optional[int]:
        storage = self.storage(access)
        level = self._ready_level(storage, positions)
        if level is None or storage.level_indices[level] != index:
            return None
        if level > 0 and (storage.key, level - 1) not in positions:
            return None
        if storage.levels[level].bounds("0") is None:  # can locate: never drives a loop
            return None
        return level

    def _forall(self, stmt: cin.Forall, bound, positions, depth) -> list[loop.Node]:
        v = stmt.index
        var = self.names.index(v)
        accesses = {a.id: a for a in _stmt_accesses(stmt.body)}
        levels = {}

        def iterator_of(access: ir.Access):
            level = self._iterator_level(access, v, positions)
            if level is not None:
                levels[access.id] = level
            return level

        points = lat.stmt_lattice(stmt.body, iterator_of)
        iterators = sorted(set().union(*points))
        self.plans[(depth, v, lat.describe(points, lambda i: self._label(accesses[i], levels[i])))] = None
        inner_bound = bound + (v,)

        def region(present: frozenset) -> Optional[list[loop.Node]]:
            body = simplify_stmt(stmt.body, frozenset(iterators) - present)
            if body is None:
                return None
            local = dict(positions)
            nodes: list[loop.Node] = []
            for i in present:
                local[(i, levels[i])] = self.position_name(self.storage(accesses[i]), levels[i])
            nodes += self._locate(body, inner_bound, local)
            return nodes + self._stmt(body, inner_bound, local, depth + 1)

        if not iterators:
            body = region(frozenset()) or []
            return [loop.For(var, "0", self.extent(v), tuple(body))]

        info = {}
        for i in iterators:
            storage = self.storage(accesses[i])
            level = levels[i]
            lo, hi = storage.levels[level].bounds(self._parent(storage, level, positions))
            info[i] = (self.position_name(storage, level), lo, hi, storage.levels[level],
                       self.names.end(i, storage.label, level))

        if lat.Point() not in points and len(points) == 1 and len(iterators) == 1:
            (i,) = iterators
            p, lo, hi, code, _ = info[i]
            body = region(frozenset(iterators)) or []
            return [loop.For(p, lo, hi, (loop.Line(f"{var} = {code.coordinate(p)}"), *body))]

        setup = []
        for i in iterators:
            p, lo, hi, _, end = info[i]
            setup += [loop.Line(f"{p} = {lo}"), loop.Line(f"{end} = {hi}")]

        if lat.Point() in points:
            return setup + [self._dense_merge(var, v, iterators, info, accesses, levels, region)]
        return setup + self._sparse_merge(var, points, info, accesses, levels, region)

    def _dense_merge(self, var, v, iterators, info, accesses, levels, region) -> loop.For:
        """A range loop over every coordinate, checking which iterators sit on it."""
        body: list[loop.Node] = []
        here = {}
        for i in iterators:
            p, _, _, code, end = info[i]
            here[i] = self.names.present(i, self.storage(accesses[i]).label, levels[i])
            body.append(loop.Line(f"{here[i]} = {p} < {end} and {code.coordinate(p)} == {var}"))
        branches = []
        for present in _subsets(iterators):
            nodes = region(frozenset(present))
            if nodes is not None:
                branches.append((" and ".join(here[i] for i in present), tuple(nodes)))
        fallback = region(frozenset())
        if branches:
            body.append(loop.If(tuple(branches), tuple(fallback) if fallback else None))
        elif fallback:
            body += fallback
        for i in iterators:
            body.append(loop.If(((here[i], (loop.Line(f"{info[i][0]} += 1"),)),)))
        return loop.For(var, "0", self.extent(v), tuple(body))

    def _sparse_merge(self, var, points, info, accesses, levels, region) -> list[loop.Node]:
        """One while loop per lattice point, largest first, each until one of its iterators ends."""
        nodes: list[loop.Node] = []
        for point in lat.ordered(points):
            members = sorted(point)
            condition = " and ".join(f"{info[i][0]} < {info[i][4]}" for i in members)
            body: list[loop.Node] = []
            coords = {}
            for i in members:
                p, _, _, code, _ = info[i]
                coords[i] = self.names.coordinate(i, var, self.storage(accesses[i]).label)
                body.append(loop.Line(f"{coords[i]} = {code.coordinate(p)}"))
            if len(members) == 1:
                body.append(loop.Line(f"{var} = {coords[members[0]]}"))
            else:
                body.append(loop.Line(f"{var} = min({', '.join(coords[i] for i in members)})"))
            branches = []
            for present in _subsets(members):
                region_nodes = region(frozenset(present))
                if region_nodes is not None:
                    branches.append((" and ".join(f"{coords[i]} == {var}" for i in present), tuple(region_nodes)))
            if not branches:
                continue  # nothing is nonzero here, nor in any smaller point
            if len(members) == 1:
                body += branches[0][1]
                body.append(loop.Line(f"{info[members[0]][0]} += 1"))
            else:
                body.append(loop.If(tuple(branches)))
                for i in members:
                    body.append(loop.If(((f"{coords[i]} == {var}", (loop.Line(f"{info[i][0]} += 1"),)),)))
            nodes.append(loop.While(condition, tuple(body)))
        return nodes

    def _label(self, access: ir.Access, level: int) -> str:
        return f"{access.tensor}{level + 1}"

    # -- positions and expressions -------------------------------------------------------------
    def _locate(self, body: cin.Stmt, bound: tuple, positions: dict) -> list[loop.Node]:
        """Compute the positions of every level that the newly bound index lets us locate."""
        nodes = []
        for node in _stmt_storages(body):
            storage = self.storage(node)
            while True:
                level = self._ready_level(storage, positions)
                if level is None or storage.level_indices[level] not in bound:
                    break
                located = storage.levels[level].locate(
                    self._parent(storage, level, positions), self.names.index(storage.level_indices[level]))
                if located is None:
                    break
                name = self.position_name(storage, level)
                positions[(storage.key, level)] = name
                nodes.append(loop.Line(f"{name} = {located}"))
        return nodes

    def _place(self, node, positions) -> str:
        """`vals[position]` of a fully located access or workspace."""
        storage = self.storage(node)
        if not storage.levels:
            return f"{storage.vals}[0]"
        last = (storage.key, len(storage.levels) - 1)
        if last not in positions:
            raise InternalError(f"{ir.show(node)} is read before all its indices are bound")
        return loop.subscript(storage.vals, positions[last])

    def _target(self, target, positions) -> str:
        if isinstance(target, ir.TempRef) and not target.temp.indices:
            return self.names.once(("temp", target.temp.name), target.temp.name)
        return self._place(target, positions)

    def _expr(self, expr: ir.Expr, positions: dict, context: int) -> str:
        if isinstance(expr, ir.Access):
            return self._place(expr, positions)
        if isinstance(expr, ir.TempRef):
            return self._target(expr, positions)
        if isinstance(expr, ir.Literal):
            return repr(expr.value)
        if isinstance(expr, ir.Neg):
            text = "-" + self._expr(expr.operand, positions, 3)
            return f"({text})" if context >= 2 else text
        if isinstance(expr, ir.Add):
            parts = [self._expr(expr.terms[0], positions, 1)]
            for term in expr.terms[1:]:
                if isinstance(term, ir.Neg):
                    parts.append(" - " + self._expr(term.operand, positions, 2))
                else:
                    parts.append(" + " + self._expr(term, positions, 1))
            text = "".join(parts)
            return f"({text})" if context > 1 else text
        if isinstance(expr, ir.Mul):
            numerator = [f for f in expr.factors if not isinstance(f, ir.Recip)]
            divisors = [f.operand for f in expr.factors if isinstance(f, ir.Recip)]
            text = " * ".join(self._expr(f, positions, 2) for f in numerator) or "1"
            for divisor in divisors:
                text += " / " + self._expr(divisor, positions, 3)
            return f"({text})" if context > 2 else text
        if isinstance(expr, ir.Recip):
            return "1 / " + self._expr(expr.operand, positions, 3)
        if isinstance(expr, ir.Sum):
            raise InternalError(f"reduction {ir.show(expr)} reached code generation")
        raise InternalError(f"cannot generate code for {expr!r}")


def _subsets(items):
    """Every non-empty subset, largest first: the first whose members are all present is exact."""
    for size in range(len(items), 0, -1):
        yield from combinations(items, size)


# -- zero simplification ------------------------------------------------------------------------
def simplify(expr: ir.Expr, absent: frozenset) -> Optional[ir.Expr]:
    """`expr` with the absent accesses set to zero; None when the whole expression is zero."""
    if isinstance(expr, ir.Access):
        return None if expr.id in absent else expr
    if isinstance(expr, ir.Literal):
        return expr
    if isinstance(expr, ir.TempRef):
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


def _stmt_accesses(stmt: cin.Stmt) -> list[ir.Access]:
    """Accesses a loop may co-iterate: those read directly and those inside temporaries' reductions."""
    found = []
    for expr in _stmt_exprs(stmt):
        found += ir.accesses(expr)
    return found


def _stmt_storages(stmt: cin.Stmt) -> list[Union[ir.Access, ir.TempRef]]:
    """Accesses and workspaces read or written directly by `stmt` (not through a temporary)."""
    found: dict[object, Union[ir.Access, ir.TempRef]] = {}

    def walk(expr) -> None:
        if isinstance(expr, ir.Access):
            found.setdefault(expr.id, expr)
        elif isinstance(expr, ir.TempRef):
            if expr.temp.indices:
                found.setdefault(("temp", expr.temp.name), expr)
        elif isinstance(expr, (ir.Neg, ir.Recip)):
            walk(expr.operand)
        elif isinstance(expr, ir.Add):
            for term in expr.terms:
                walk(term)
        elif isinstance(expr, ir.Mul):
            for factor in expr.factors:
                walk(factor)
        elif isinstance(expr, ir.Sum):
            walk(expr.body)

    for expr in _stmt_exprs(stmt):
        walk(expr)
    return list(found.values())
