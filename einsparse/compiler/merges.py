"""Merges: a loop that several iterators drive (intersections and unions), advancing them in step. A
union with a dense operand is a range loop that checks each iterator at every coordinate
(`_dense_merge`); a large lattice is one while loop (`_single_merge`); otherwise each lattice point gets
a while loop of its own (`_sparse_merge`), which gallops when it intersects two operands of very
different lengths (see `lookahead`) and, for a two-way union that appends a sum, does not branch on
which operands are present (`_branch_free_union`).
"""

from __future__ import annotations

from itertools import combinations
from typing import Optional

from einsparse.compiler import concrete as cin
from einsparse.compiler import fills
from einsparse.compiler import index_ir as ir
from einsparse.compiler import lattice as lat
from einsparse.compiler import lookahead
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.simplify import access_key

def subsets(items):
    """Every non-empty subset, largest first: the first whose members are all present is exact."""
    for size in range(len(items), 0, -1):
        yield from combinations(items, size)



class Merges:
    """The `Lowerer`'s merges of several iterators (a mixin: `Lowerer.__init__` documents the state it
    shares)."""

    def _dense_merge(self, var, v, iterators, region) -> loop.For:
        """A range loop over every coordinate, checking which iterators sit on it."""
        body: list[loop.Node] = []
        here = {}
        for it in iterators:
            here[it.key] = self.names.once(("here", it.key, it.label), f"{it.label}_here")
            body.append(loop.Line(f"{here[it.key]} = {it.position} < {it.end} and {it.coordinate} == {var}"))
            if not it.unique:
                body.append(loop.If(((here[it.key], tuple(it.find_run(var))),)))
        branches = []
        fallback = region(())
        for present in subsets(iterators):
            nodes = region(present)
            if nodes is None and fallback is not None:  # nothing to write, but not what no operand gives
                nodes = [loop.Line("pass")]  # (`(x - 3)*C` with C absent is 0; with x absent too, inf*0)
            if nodes is not None:
                branches.append((" and ".join(here[it.key] for it in present), tuple(nodes)))
        if branches:
            body.append(loop.If(tuple(branches), tuple(fallback) if fallback else None))
        elif fallback:
            body += fallback
        for it in iterators:
            body.append(it.advance_if(here[it.key]))
        return loop.For(var, "0", self.extent(v), tuple(body))

    def _single_merge(self, var, v, points, iterators, region) -> loop.While:
        """One while loop for a large lattice (a union of many operands): an exhausted iterator sits on
        the sentinel coordinate n_v, past every real one, so one loop serves every lattice point and the
        code grows with the combinations of present operands, not with the points times them."""
        live = " or ".join("(" + " and ".join(f"{it.position} < {it.end}" for it in iterators if it.key in point)
                           + ")" for point in lat.ordered(points))
        body: list[loop.Node] = []
        coords = {}
        for it in iterators:
            coords[it.key] = self.names.once(("crd", it.key, var), f"{var}{it.label}")
            body.append(loop.Line(f"{coords[it.key]} = {it.coordinate} if {it.position} < {it.end} "
                                  f"else {self.extent(v)}"))
        body.append(loop.Line(f"{var} = min({', '.join(coords[it.key] for it in iterators)})"))
        for it in iterators:
            if not it.unique:
                body.append(loop.If(((f"{coords[it.key]} == {var}", tuple(it.find_run(var))),)))
        branches = []
        for present in subsets(iterators):
            nodes = region(present)
            if nodes is not None:
                branches.append((" and ".join(f"{coords[it.key]} == {var}" for it in present), tuple(nodes)))
        if branches:
            body.append(loop.If(tuple(branches)))
        for it in iterators:
            body.append(it.advance_if(f"{coords[it.key]} == {var}"))
        return loop.While(live, tuple(body))

    def _sparse_merge(self, var, v, points, found, region, body_stmt) -> list[loop.Node]:
        """One while loop per lattice point, largest first, each until one of its iterators ends."""
        nodes: list[loop.Node] = []
        for point in lat.ordered(points):
            members = [found[k] for k in sorted(point, key=repr)]
            condition = " and ".join(f"{it.position} < {it.end}" for it in members)
            body: list[loop.Node] = []
            coords = {}
            for it in members:
                coords[it.key] = self.names.once(("crd", it.key, var), f"{var}{it.label}")
                body.append(loop.Line(f"{coords[it.key]} = {it.coordinate}"))
            if len(members) == 1:
                body.append(loop.Line(f"{var} = {coords[members[0].key]}"))
            else:
                body.append(loop.Line(f"{var} = min({', '.join(coords[it.key] for it in members)})"))
            for it in members:
                body += it.find_run(coords[it.key])
            summed = self._appends_a_sum_of(body_stmt, members, v)
            if summed is not None:
                body += self._branch_free_union(var, members, coords, region, summed)
                first, second = members
                self.merge_notes[f"loop over {v}: union of {first.label} and {second.label} without branches: 0 "
                                 f"for the one not on the coordinate, the sum written at every step and "
                                 f"counted when it is not zero"] = None
                nodes.append(loop.While(condition, tuple(body)))
                continue
            branches, regions = [], 0
            for present in subsets(members):
                region_nodes = region(present)
                if region_nodes is not None:
                    branches.append((" and ".join(f"{coords[it.key]} == {var}" for it in present),
                                     tuple(region_nodes)))
                    regions += 1 if len(present) == len(members) else 2
            if not branches:
                continue  # nothing is nonzero here, nor in any smaller point
            if len(members) == 1:
                body += branches[0][1]
                body.append(members[0].advance())
            else:
                body.append(loop.If(tuple(branches)))
                for it in members:
                    body.append(it.advance_if(f"{coords[it.key]} == {var}"))
            merge = loop.While(condition, tuple(body))
            if len(members) == 2 and regions == 1 and all(it.unique and it.crd for it in members):  # A ∩ B only
                merge, note = lookahead.galloping(var, v, members, coords, condition, branches[0][1], merge)
                self.lookahead_notes[note] = None
            nodes.append(merge)
        return nodes

    def _appends_a_sum_of(self, body: cin.Stmt, members: list, v: str) -> Optional[dict]:
        """Whether `body` appends to the sparse output's last level, over `v`, a sum in which each of
        the two `members` appears only as a term of its own, scaled by literals (`A + B`, `2*A - B/2`;
        a dense term would make the loop a dense merge): putting 0 for an absent one then gives exactly
        what the region without it computes (but for the sign of a zero, which is not stored). A dense
        factor would not do: 0 * Inf is NaN, where the region without the operand computes nothing.
        Returns the two accesses by key, or None. Each member must walk its operand's last level, where
        the values are."""
        if (len(members) != 2 or not all(it.unique and it.crd and not it.placed for it in members)
                or not self.sparse_output or self.fills or not fills.same(self.output_fill, 0)
                or not isinstance(body, cin.Accumulate) or not self.is_output(body.target)):
            return None
        storage = self.storage(body.target)
        # The last level stores each coordinate (a run would have to fill its gaps: see `assemble`).
        if storage.levels[-1].room is None or storage.level_indices[-1] != v:
            return None
        keys = {it.key for it in members}
        accesses = {access_key(a): a for a in ir.accesses(body.rhs) if access_key(a) in keys}
        if any(it.level != (it.key, len(self.storage(accesses[it.key]).levels) - 1) for it in members
               if it.key in accesses):
            return None
        seen = set()
        for term in body.rhs.terms if isinstance(body.rhs, ir.Add) else (body.rhs,):
            inner = term.operand if isinstance(term, ir.Neg) else term
            factors = inner.factors if isinstance(inner, ir.Mul) else (inner,)
            found = {access_key(a) for a in ir.accesses(term)} & keys
            if not found:
                continue
            scale = [f for f in factors if not isinstance(f, ir.Access)]
            literal = [isinstance(f, ir.Literal) or (isinstance(f, ir.Recip) and isinstance(f.operand, ir.Literal))
                       for f in scale]
            if len(found) > 1 or len(factors) - len(scale) != 1 or not all(literal):
                return None
            seen |= found
        return accesses if seen == keys else None

    def _branch_free_union(self, var: str, members: list, coords: dict, region, accesses: dict) -> list[loop.Node]:
        """The step of a two-way union that appends a sum (see `_appends_a_sum_of`) without branching
        on which operands sit on the coordinate: each value is read, and 0 taken for an absent one; the
        entry is written, and counted only when it is not zero. Which operand comes next is data the
        processor cannot predict: branching on it took SpAdd 1.7x longer."""
        nodes, values = [], {}
        for it in members:
            here = self.names.once(("here", it.key, it.label), f"{it.label}_here")
            read = self.names.once(("read", it.key), f"{it.label}_read")
            value = self.names.once(("select", it.key), f"{it.label}_value")
            storage = self.storage(accesses[it.key])
            nodes += [loop.Line(f"{here} = {coords[it.key]} == {var}"),
                      loop.Line(f"{read} = {loop.subscript(storage.vals, it.position)}"),
                      loop.Line(f"{value} = pick({here}, {read}, zero)")]
            values[("value", it.key)] = value
        self.appending_unconditionally = True
        try:
            nodes += region(tuple(members), values)
        finally:
            self.appending_unconditionally = False
        for it in members:
            nodes.append(it.advance_if(self.names.once(("here", it.key, it.label), f"{it.label}_here")))
        return nodes
