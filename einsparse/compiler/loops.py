"""Loops: each `forall v` becomes the loop its merge lattice asks for (`_loop`), driven by the
iterators the operands offer for `v` (`Iterator`, `_iterator`). A loop with no iterator runs over the
range of `v`, one with a single iterator over its positions; several iterators are merged (see
`merges`). In the body, the levels the new index lets us locate are located (`_locate`); values that do
not change in the loop are read before it (`_hoist`), and the rows of large operands it will read
further on are prefetched (`_prefetch`, see `lookahead`). The whole statement's outermost loop over an
output index may be cut into chunks (`_splittable`, see `split`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import lattice as lat
from einsparse.compiler import lookahead
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.simplify import simplify_stmt, stmt_storages
from einsparse.compiler.split import Split
from einsparse.compiler.workspaces import PAIR_LIST
from einsparse.errors import NotSupportedError

@dataclass(frozen=True)
class Iterator:
    """Something that drives a loop by walking stored coordinates."""

    key: object        # access_key(access), or ("temp", name) for a workspace's list of touched coordinates
    label: str         # for explain(): `A2`, `t0`
    position: str      # the position variable
    start: str
    stop: str
    end: str           # the variable holding `stop`
    coordinate: str    # expression of the coordinate at `position`
    unique: bool
    run_end: str       # for a non-unique level: the end of the run of equal coordinates
    level: Optional[tuple]  # (storage key, level) whose position this iterator gives, if any
    crd: str = ""      # the array of an operand level's coordinates, if it is one
    offset: str = ""   # for a run (band): the variable holding coordinate minus position along it
    prelude: tuple = ()  # lines before any loop over the iterator (setting `offset`)
    # For a level walked through a list of its coordinates (bitmap): the position of the child at the
    # loop's coordinate, the variable holding it, and the condition that the coordinate is stored there.
    place: str = ""
    placed: str = ""
    stored: str = ""

    def at(self, coordinate: str) -> loop.Line:
        """For a run: the line setting the position of `coordinate`, inside the run."""
        return loop.Line(f"{self.position} = {coordinate} - {self.offset}")

    def advance(self) -> loop.Line:
        return loop.Line(f"{self.position} += 1" if self.unique else f"{self.position} = {self.run_end}")

    def advance_if(self, condition: str) -> loop.Node:
        """Advance when `condition` holds. A unique level adds the condition itself: merges would
        otherwise branch on data, which the processor mispredicts about half the time (1.7x slower)."""
        if self.unique:
            return loop.Line(f"{self.position} += {condition}")
        return loop.If(((condition, (self.advance(),)),))

    def find_run(self, coordinate: str) -> list[loop.Node]:
        """For a non-unique level: find where the run of `coordinate` ends."""
        if self.unique:
            return []
        crd = self.coordinate.replace(f"u({self.position})", f"u({self.run_end})")
        return [loop.Line(f"{self.run_end} = {self.position} + 1"),
                loop.While(f"{self.run_end} < {self.end} and {crd} == {coordinate}",
                           (loop.Line(f"{self.run_end} += 1"),))]

# Co-iterating n sparse operands in one loop takes up to 2**n - 1 branches (one per combination present).
MAX_COITERATED = 6


class Loops:
    """The `Lowerer`'s loops (a mixin: `Lowerer.__init__` documents the state it shares)."""

    def _forall(self, stmt: cin.Forall, bound, positions, depth) -> list[loop.Node]:
        unwritten, covering = self.unwritten, self.covering
        if stmt.index not in self.output_indices:
            self.unwritten = False  # each iteration of a reduction loop writes the same entries again
        sums = self._leaf_sums(stmt.body)  # registers this loop adds to directly: summed in blocks
        self.blocking.update(sums)
        self.leaf_sums = sums
        try:
            nodes = self._loop(stmt, bound, positions, depth)
        finally:
            self.unwritten = unwritten and self._writes_output(stmt.body) is None
            self.covering = covering
            self.blocking.difference_update(sums)
            self.in_order.difference_update(sums)
        return self._blocked(sums, self.names.index(stmt.index), nodes) if sums else nodes

    def _loop(self, stmt: cin.Forall, bound, positions, depth) -> list[loop.Node]:
        v = stmt.index
        var = self.names.index(v)
        found: dict[object, Iterator] = {}

        def key_of(node):
            it = self._iterator(node, v, positions)
            if it is None:
                return None
            found[it.key] = it
            return it.key

        points = lat.stmt_lattice(stmt.body, key_of, self.fill_of, self.target_fill)
        if not points:  # the body writes only what its targets hold anyway (`0*A[i,j]`): nothing to do
            self.plans[(depth, v, "nothing to compute")] = None
            return []
        keys = sorted(set().union(*points), key=repr)
        if len(keys) > MAX_COITERATED:
            raise NotSupportedError(
                f"the loop over {v} would co-iterate {len(keys)} sparse operands at once "
                f"({', '.join(found[k].label for k in keys)}), with one branch per combination of present "
                f"operands; more than {MAX_COITERATED} are not supported: split the statement, or store "
                f"some of these operands dense")
        iterators = [found[k] for k in keys]
        tested = self._tested_instead(points, iterators)
        if tested:
            iterators = [it for it in iterators if it not in tested]
            keys = [it.key for it in iterators]
            points = {lat.Point(keys)}
        if iterators or tested:
            self.covering = False  # the loop visits only some coordinates
        if iterators:  # its terms are gathered at a sparse level's coordinates: added in order
            self.in_order.update(self.leaf_sums)
        described = lat.describe(points, lambda k: found[k].label)
        if tested:
            described += f", locating and testing {', '.join(it.label for it in tested)}"
        self.plans[(depth, v, described)] = None
        inner_bound = bound + (v,)

        def region(present: tuple[Iterator, ...], values: Optional[dict] = None) -> Optional[list[loop.Node]]:
            """The body where exactly `present` sit on the coordinate; `values`: variables that hold
            operands' values at it (the positions dict's ("value", key) entries, see `_hoist`)."""
            # An iterator in no lattice point cannot change the value (`False and A[i]`): its fill stands in.
            absent = frozenset(found) - {it.key for it in (*present, *tested)}
            body = simplify_stmt(stmt.body, absent, self.fill_of, self.target_fill)
            if body is None:
                return None
            local = {**positions, **(values or {})}
            placed = []
            for it in (*present, *tested):
                if it.level is not None:
                    local[it.level] = it.placed or it.position
                    if it.placed:
                        placed.append(loop.Line(f"{it.placed} = {it.place}"))
                    if not it.unique:
                        local[(*it.level, "end")] = it.run_end
            nodes = self._locate(body, inner_bound, local)
            self.resume = None
            if stmt is self.root and self.split is not None and self.sparse_output:
                self.resume = var if self.split.kind == "range" else present[0].position
            opened = self._open_output(body, v, local)
            unwritten = self.unwritten  # regions are alternatives: each starts from the same state
            inner = self._stmt(body, inner_bound, local, depth + 1)
            self.unwritten = unwritten
            self.resume = None
            nodes = nodes + opened[0] + inner + opened[1]
            if tested:
                nodes = [loop.If(((" and ".join(it.stored for it in tested), tuple(nodes)),))]
            return placed + nodes

        if not iterators:
            positions = dict(positions)
            hoisted = self._hoist(stmt.body, positions)
            lo, hi, visits = "0", self.extent(v), self.extent(v)
            if self._splittable(stmt):
                self.split = Split("range", self.origin(v))
                lo, hi, visits = self.split.lo, self.split.hi, f"{self.split.hi} - {self.split.lo}"
            reserve, count = self._reserve(stmt.body, v, visits, positions)
            if self.split is not None and stmt is self.root:
                self.progress = (var, lo, hi)
            return hoisted + reserve + [loop.For(var, lo, hi, tuple(region(()) or []))] + count

        prelude = [line for it in iterators for line in it.prelude]
        runs = [it for it in iterators if it.offset]
        if runs and lat.Point() not in points and not self._splittable(stmt):
            if len(points) == 1:
                interval = self._run_intersection(stmt, v, var, iterators, runs, region, positions)
            else:
                interval = self._run_union(stmt, v, var, points, iterators, region, positions)
            if interval is not None:
                return prelude + interval
        setup = list(prelude)
        for it in iterators:
            setup += [loop.Line(f"{it.position} = {it.start}"), loop.Line(f"{it.end} = {it.stop}")]
        # At most one append per coordinate visited: no more than the iterators' lengths together, or
        # than the shortest of those every point needs (an intersection's shortest operand), or the extent.
        lengths = {it.key: f"({it.end} - {it.position})" for it in iterators}
        needed = [lengths[key] for key in keys if all(key in point for point in points)]
        visits = (self.extent(v) if lat.Point() in points
                  else needed[0] if len(needed) == 1
                  else f"min({', '.join(needed)})" if needed
                  else " + ".join(lengths.values()))

        if lat.Point() not in points and len(points) == 1 and len(iterators) == 1:
            (it,) = iterators
            if it.unique:
                positions = dict(positions)
                hoisted = self._hoist(stmt.body, positions)
                start, stop = it.start, it.stop
                if (self._splittable(stmt) and it.level is not None and it.level[0][0] in self.operands
                        and not it.placed):  # a chunk of a list's positions is no chunk of the level's
                    self.split = Split("positions", it.level[0][0])
                    start, stop = f"max({start}, {self.split.lo})", f"min({stop}, {self.split.hi})"
                reserve, count = self._reserve(stmt.body, v, f"{stop} - {start}", positions)
                if self.split is not None and stmt is self.root:
                    self.progress = (it.position, start, stop)
                body = region((it,)) or []
                far, ahead = self._prefetch(stmt.body, v, it) if body else ([], [])
                return hoisted + prelude + reserve + far + [loop.For(it.position, start, stop,
                                                     (loop.Line(f"{var} = {it.coordinate}"), *ahead, *body))] + count
            reserve, count = self._reserve(stmt.body, v, visits, positions)
            body = region((it,)) or []
            return setup + reserve + [loop.While(f"{it.position} < {it.end}", (
                loop.Line(f"{var} = {it.coordinate}"), *it.find_run(var), *body, it.advance()))] + count

        reserve, count = self._reserve(stmt.body, v, visits, positions)
        setup += reserve
        if lat.Point() in points:
            return setup + [self._dense_merge(var, v, iterators, region)] + count
        if len(points) > 3:
            return setup + [self._single_merge(var, v, points, iterators, region)] + count
        return setup + self._sparse_merge(var, v, points, found, region, stmt.body) + count

    def _splittable(self, stmt: cin.Forall) -> bool:
        """Whether chunks of this loop write disjoint parts of the output: it is the whole statement's
        outermost loop and its index is an output index (a reduction's chunks would meet in the output)."""
        return stmt is self.root and stmt.index in self.output_indices

    def _iterator(self, node, index: str, positions: dict) -> Optional[Iterator]:
        """The iterator `node` offers for a loop over `index`, if it can drive that loop."""
        if isinstance(node, ir.TempRef):
            name = self.temp_name(node.temp)
            if node.temp.indices != (index,) or len(node.temp.indices) != 1:
                return None
            storage = self.storage(node)
            if name not in self.tracked:  # a plain row: every coordinate was written
                return None
            q = self.names.once(("listpos", name), f"q{name}")
            end = self.names.once(("listend", name), f"q{name}_end")
            if self.workspace == PAIR_LIST:  # the pair's position is the workspace's position
                crd, _, count = self._pairs(name)
                return Iterator(storage.key, name, q, "0", count, end, f"{crd}[u({q})]", True, "",
                                (storage.key, 0))
            count, listed, _, _ = self._tracking(name)
            return Iterator(storage.key, name, q, "0", count, end, f"{listed}[u({q})]", True, "", None)
        if self.is_output(node):
            return None
        storage = self.storage(node)
        level = storage.ready_level(positions)
        if level is None or storage.level_indices[level] != index:
            return None
        if level > 0 and (storage.key, level - 1) not in positions:
            return None
        code = storage.levels[level]
        parent, parent_end = storage.parent(level, positions)
        bounds = code.bounds(parent, parent_end)
        if bounds is None:  # can locate: never drives a loop
            return None
        position = self.position_name(storage, level)
        key = storage.key
        label = f"{node.tensor}{level + 1}"
        coordinate, offset, prelude = code.coordinate(position, parent), "", ()
        if code.interval:  # a run: coordinates are positions shifted by one offset per parent
            offset = self.names.once(("offset", key, level), f"{label}_off")
            prelude = (loop.Line(f"{offset} = {code.offset(parent)}"),)
            coordinate = f"{position} + {offset}"
        place = placed = stored = ""
        if code.listed:
            place, _ = code.locate_tested(parent, self.names.index(index))
            placed = self.names.once(("placed", key, level), f"{label}_at")
            stored = code.stored_at(placed)  # the test reads the position computed already
        return Iterator(key, label, position, bounds[0], bounds[1], self.names.end(key, storage.label, level),
                        coordinate, code.unique, self.names.once(("run", key, level), f"{position}_run"),
                        (key, level), code.crd or "", offset, prelude, place, placed, stored)

    @staticmethod
    def _tested_instead(points, iterators: list) -> list:
        """The iterators of an intersection that are better located and tested at the coordinates the
        others give than walked and merged (bitmaps): all of them when another iterator drives the
        loop, else all but the first."""
        if len(points) != 1 or lat.Point() in points or len(iterators) < 2:
            return []
        tested = [it for it in iterators if it.placed]
        return tested[1:] if len(tested) == len(iterators) else tested

    def _prefetch(self, body: cin.Stmt, v: str, it: Iterator) -> tuple[list[loop.Node], list[loop.Node]]:
        """Code before the loop over `v` driven by `it`, and at the top of its body, that prefetches the
        rows of input operands the body will read (see `lookahead.prefetch_rows`)."""
        if not it.crd:
            return [], []
        storages = [self.storage(node) for node in stmt_storages(body)
                    if isinstance(node, ir.Access) and not self.is_output(node)]
        before, rows, notes = lookahead.prefetch_rows(storages, v, it, self.extent, self.names)
        self.lookahead_notes.update(dict.fromkeys(notes))
        return before, rows

    # -- positions ---------------------------------------------------------------------------
    def _locate(self, body: cin.Stmt, bound: tuple, positions: dict) -> list[loop.Node]:
        """Compute the positions of every level that the newly bound index lets us locate."""
        nodes = []
        for node in stmt_storages(body):
            storage = self.storage(node)
            while True:
                level = storage.ready_level(positions)
                if level is None or storage.level_indices[level] not in bound:
                    break
                located = storage.levels[level].locate(
                    storage.parent(level, positions)[0], self.names.index(storage.level_indices[level]))
                if located is None:
                    break
                name = self.position_name(storage, level)
                positions[(storage.key, level)] = name
                nodes.append(loop.Line(f"{name} = {located}"))
        return nodes

    def _hoist(self, body: cin.Stmt, positions: dict) -> list[loop.Node]:
        """Read, before a loop, the values of input operands that its body reads and that are located
        already: they do not change in the loop, and Numba cannot hoist them itself, since the output
        might share their memory as far as it knows (SpMM's inner loop runs 10% faster)."""
        nodes = []
        for node in stmt_storages(body):
            if not isinstance(node, ir.Access) or self.is_output(node):
                continue
            storage = self.storage(node)
            key = ("value", storage.key)
            if key in positions or (storage.levels and (storage.key, len(storage.levels) - 1) not in positions):
                continue
            name = self.names.once(key, f"{storage.label}_value")
            nodes.append(loop.Line(f"{name} = {self._place(node, positions)}"))
            positions[key] = name
        return nodes
