"""Concrete index notation -> loop IR.

Each `forall v` becomes the loop its merge lattice asks for:
- no iterator (only dense levels, literals, temporaries): `for v in range(n_v)`;
- one iterator: `for pA2 in range(A2_pos[pA1], A2_pos[pA1 + 1])`, `v = A2_crd[pA2]`;
- several iterators (intersections and unions): `while` loops that advance them in step, one per
  lattice point, with one branch per combination of present operands;
- a union that includes a dense operand: a range loop that checks each iterator at every coordinate.
In each branch the statement is simplified with the absent operands set to zero, so each region
computes only what is nonzero there. A non-unique level (COO's top level) is walked in runs of equal
coordinates; the singleton level below it iterates the run. Dense levels are located by position
arithmetic as soon as their index is bound.

Two-operand intersections gallop when one side is much longer, and a loop over a sparse operand's
coordinates prefetches the rows of large operands it will read further on (`lookahead`).

A sum over a reduction index accumulates in a register through `sum_add`, an add LLVM may reassociate
(so it can vectorize the sum); no other operation may be reordered.

Outputs: a dense output (and every workspace) is accumulated into (`+=`), starting from zero or from the
old values for `+=`; the first write to entries that still hold their zeros assigns instead (`=`). A
sparse output is assembled in order: a compressed level appends a coordinate when something below it
was written (`open` a tentative position, `commit` it after the loop body), the last level stores a
value only when it is not zero, and arrays grow geometrically; at the head of an iteration of a split
outermost loop, a kernel short of room returns instead, and the runtime goes on from that iteration
into new arrays (`resume`). A workspace over one index keeps the list of coordinates it touched, so its
consumer visits those (sorted) rather than the whole range, and clearing it costs what was touched
(Gustavson's algorithm for SpGEMM).

Parallel chunks: when the outermost loop runs over an output index, by a range or by one operand's
positions, its bounds are clipped to `[chunk_lo, chunk_hi)`, two kernel arguments. Chunks then write
disjoint parts of a dense output, or assemble independent pieces of a sparse one that the runtime joins
in order, so the runtime may run them on several threads (see `compiler.split`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Optional, Union

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import lattice as lat
from einsparse.compiler import lookahead
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.formats import Format
from einsparse.compiler.names import Namer
from einsparse.compiler.split import Split
from einsparse.compiler.workspaces import DENSE_ROW, PAIR_LIST
from einsparse.errors import InternalError, NotSupportedError
from einsparse.levels import DENSE, LevelCode


@dataclass(frozen=True)
class Storage:
    """Anything read or written through levels: an operand access, or a dense workspace."""

    key: object                    # access_key(access), or ("temp", name)
    label: str                     # the operand name used to build variable names
    levels: tuple                  # level code generators, outermost first
    level_indices: tuple[str, ...]  # the index bound at each level
    vals: str


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


OUTPUT_FLAG = ("output", "written")  # positions-dict key: the flag of the innermost open output level


@dataclass(frozen=True)
class ListLevelCode(LevelCode):
    """The one level of a list accumulator: coordinates at positions 0..count-1, never located."""

    crd: str


# The start of a count passed to a helper. Numba types a variable first as the literal it starts at and
# compiles a helper called with it for that literal too, before the count's increments make it int64:
# a second compile of sort_touched and its sort (0.9 s of SpGEMM's 2.8 s).
UNTYPED_ZERO = "np.int64(0)"

# Co-iterating n sparse operands in one loop takes up to 2**n - 1 branches (one per combination present).
MAX_COITERATED = 6



class Lowerer:
    def __init__(self, operands: dict[str, Format], origin, namer: Namer, output: str, sparse_output: bool,
                 workspace: str = DENSE_ROW, output_indices: tuple = (), fresh_output: bool = False):
        self.operands = operands
        self.origin = origin
        self.names = namer
        self.output = output
        self.sparse_output = sparse_output
        self.workspace = workspace
        self.temp_arrays: dict[str, ir.Temp] = {}
        self.tracked: set[str] = set()      # one-index workspaces: touched lists or pair lists
        self.plans: dict[tuple[int, str, str], None] = {}  # (depth, index, co-iteration plan), for explain()
        self.output_indices = output_indices
        # Whether the dense output entries the code being lowered writes still hold the zeros the output
        # starts from (`fresh_output`: `=`, not `+=`): the first write to them is then an assignment, not
        # a read and an add (fused SpMM+D: C = D, then C += A*B).
        self.unwritten = fresh_output and not sparse_output
        self.root = None
        self.split: Optional[Split] = None  # set when the outermost loop can be cut into chunks
        # (variable, first, end) of the outermost loop when it is split: inner loops that append to
        # arrays project their final length from how far it has gone.
        self.progress: Optional[tuple[str, str, str]] = None
        # While lowering the head of an iteration of a split outermost loop, before anything is written:
        # the variable to resume from. A sparse output short of room there returns to the runtime, which
        # goes on from that iteration into new arrays (a new piece, joined like chunks), rather than
        # growing its arrays in the loop: arrays reassigned in a loop cost Numba reference counting on
        # every iteration (a Hadamard product ran 15% slower for it).
        self.resume: Optional[str] = None
        self.appending_unconditionally = False  # see _branch_free_union
        self.lookahead_notes: dict[str, None] = {}  # what prefetches and gallops, for explain()
        self.merge_notes: dict[str, None] = {}      # unions merged without branches, for explain()

    # -- storages -----------------------------------------------------------------------------
    def storage(self, node: Union[ir.Access, ir.TempRef]) -> Storage:
        if isinstance(node, ir.Access):
            fmt = self.operands[node.tensor]
            levels = tuple(
                kind.code(node.tensor, l, self.extent(node.indices[fmt.mode_order[l]]), self.names)
                for l, kind in enumerate(fmt.levels))
            indices = tuple(node.indices[m] for m in fmt.mode_order)
            return Storage(access_key(node), node.tensor, levels, indices, self.names.vals(node.tensor))
        temp = node.temp
        name = self.temp_name(temp)
        self.temp_arrays[name] = temp
        if len(temp.indices) == 1:
            self.tracked.add(name)
            if self.workspace == PAIR_LIST:
                crd, vals, _ = self._pairs(name)
                return Storage(("temp", temp.name), name, (ListLevelCode(crd),), temp.indices, vals)
        levels = tuple(DENSE.code(name, l, self.extent(i), self.names) for l, i in enumerate(temp.indices))
        return Storage(("temp", temp.name), name, levels, temp.indices, name)

    def _pairs(self, name: str) -> tuple[str, str, str]:
        """The arrays and count of a pair-list workspace."""
        return (self.names.array(f"{name}_crd"), self.names.array(f"{name}_vals"),
                self.names.once(("count", name), f"{name}_n"))

    def temp_name(self, temp: ir.Temp) -> str:
        return self.names.once(("temp", temp.name), temp.name)

    def extent(self, index: str) -> str:
        return self.names.extent(self.origin(index))

    def position_name(self, storage: Storage, level: int) -> str:
        return self.names.position(storage.key, storage.label, level)

    def is_output(self, node) -> bool:
        return isinstance(node, ir.Access) and node.tensor == self.output

    # -- entry --------------------------------------------------------------------------------
    def lower(self, stmt: cin.Stmt) -> tuple[loop.Node, ...]:
        self.root = stmt
        return tuple(self._stmt(stmt, (), {}, 0))

    def _splittable(self, stmt: cin.Forall) -> bool:
        """Whether chunks of this loop write disjoint parts of the output: it is the whole statement's
        outermost loop and its index is an output index (a reduction's chunks would meet in the output)."""
        return stmt is self.root and stmt.index in self.output_indices

    def _stmt(self, stmt: cin.Stmt, bound: tuple, positions: dict, depth: int) -> list[loop.Node]:
        if isinstance(stmt, cin.Forall):
            return self._forall(stmt, bound, positions, depth)
        if isinstance(stmt, cin.Seq):
            nodes = []
            for part in stmt.stmts:
                nodes += self._stmt(part, bound, positions, depth)
                if self._writes_output(part) is not None:
                    self.unwritten = False  # the parts after it add to what it wrote
            return nodes
        if isinstance(stmt, cin.Where):
            return self._where(stmt, bound, positions, depth)
        if isinstance(stmt, cin.Accumulate):
            return self._accumulate(stmt, positions)
        raise InternalError(f"cannot lower {stmt!r}")

    def _where(self, stmt: cin.Where, bound, positions, depth) -> list[loop.Node]:
        temp = stmt.temp
        name = self.temp_name(temp)
        self.resume = None  # the producer writes to the workspace
        if not temp.indices:
            return ([loop.Line(f"{name} = zero")] + self._stmt(stmt.producer, bound, positions, depth)
                    + self._stmt(stmt.consumer, bound, positions, depth))
        self.storage(ir.TempRef(temp))
        if name in self.tracked and self.workspace == PAIR_LIST:
            crd, vals, count = self._pairs(name)
            return ([loop.Line(f"{count} = {UNTYPED_ZERO}")] + self._stmt(stmt.producer, bound, positions, depth)
                    + [loop.Line(f"{count} = merge_pairs({crd}, {vals}, {count})")]
                    + self._stmt(stmt.consumer, bound, positions, depth))
        if name not in self.tracked:
            return ([loop.Line(f"{name}[:] = zero")] + self._stmt(stmt.producer, bound, positions, depth)
                    + self._stmt(stmt.consumer, bound, positions, depth))
        count, listed, seen, summary = self._tracking(name)
        q = self.names.once(("clear", name), "q")
        # The values only: sort_touched leaves the bitmaps cleared.
        clear = loop.For(q, "0", count, (loop.Line(f"{name}[u({listed}[{q}])] = zero"),))
        return ([loop.Line(f"{count} = {UNTYPED_ZERO}")] + self._stmt(stmt.producer, bound, positions, depth)
                + [loop.Line(f"sort_touched({listed}, {count}, {seen}, {summary})")]
                + self._stmt(stmt.consumer, bound, positions, depth)
                + [clear])

    def _tracking(self, name: str) -> tuple[str, str, str, str]:
        """The variables of a workspace's touched list: count, coordinates, a bitmap of the coordinates
        touched (64 per word) and a bitmap of its nonzero words (4096 coordinates per word, marked by
        `sort_touched`), which let `sort_touched` read them back in order."""
        return (self.names.once(("count", name), f"{name}_n"), self.names.array(f"{name}_list"),
                self.names.array(f"{name}_seen"), self.names.array(f"{name}_summary"))

    # -- loops --------------------------------------------------------------------------------
    def _ready_level(self, storage: Storage, positions: dict) -> Optional[int]:
        """The outermost level whose position is not known yet (None when all are)."""
        for level in range(len(storage.levels)):
            if (storage.key, level) not in positions:
                return level
        return None

    def _parent(self, storage: Storage, level: int, positions: dict) -> tuple[str, Optional[str]]:
        """The parent position of `level`, and the end of its run when the parent is non-unique."""
        if level == 0:
            return "0", None
        return positions[(storage.key, level - 1)], positions.get((storage.key, level - 1, "end"))

    def _iterator(self, node, index: str, positions: dict) -> Optional[Iterator]:
        """The iterator `node` offers for a loop over `index`, if it can drive that loop."""
        if isinstance(node, ir.TempRef):
            name = self.temp_name(node.temp)
            if node.temp.indices != (index,) or len(node.temp.indices) != 1:
                return None
            storage = self.storage(node)
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
        level = self._ready_level(storage, positions)
        if level is None or storage.level_indices[level] != index:
            return None
        if level > 0 and (storage.key, level - 1) not in positions:
            return None
        code = storage.levels[level]
        parent, parent_end = self._parent(storage, level, positions)
        bounds = code.bounds(parent, parent_end)
        if bounds is None:  # can locate: never drives a loop
            return None
        position = self.position_name(storage, level)
        key = storage.key
        return Iterator(key, f"{node.tensor}{level + 1}", position, bounds[0], bounds[1],
                        self.names.end(key, storage.label, level), code.coordinate(position), code.unique,
                        self.names.once(("run", key, level), f"{position}_run"), (key, level), code.crd or "")

    def _forall(self, stmt: cin.Forall, bound, positions, depth) -> list[loop.Node]:
        unwritten = self.unwritten
        if stmt.index not in self.output_indices:
            self.unwritten = False  # each iteration of a reduction loop writes the same entries again
        try:
            return self._loop(stmt, bound, positions, depth)
        finally:
            self.unwritten = unwritten and self._writes_output(stmt.body) is None

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

        points = lat.stmt_lattice(stmt.body, key_of)
        keys = sorted(set().union(*points), key=repr)
        if len(keys) > MAX_COITERATED:
            raise NotSupportedError(
                f"the loop over {v} would co-iterate {len(keys)} sparse operands at once "
                f"({', '.join(found[k].label for k in keys)}), with one branch per combination of present "
                f"operands; more than {MAX_COITERATED} are not supported: split the statement, or store "
                f"some of these operands dense")
        iterators = [found[k] for k in keys]
        self.plans[(depth, v, lat.describe(points, lambda k: found[k].label))] = None
        inner_bound = bound + (v,)

        def region(present: tuple[Iterator, ...], values: Optional[dict] = None) -> Optional[list[loop.Node]]:
            """The body where exactly `present` sit on the coordinate; `values`: variables that hold
            operands' values at it (the positions dict's ("value", key) entries, see `_hoist`)."""
            body = simplify_stmt(stmt.body, frozenset(keys) - {it.key for it in present})
            if body is None:
                return None
            local = {**positions, **(values or {})}
            for it in present:
                if it.level is not None:
                    local[it.level] = it.position
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
            return nodes + opened[0] + inner + opened[1]

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

        setup = []
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
                if self._splittable(stmt) and it.level is not None and it.level[0][0] in self.operands:
                    self.split = Split("positions", it.level[0][0])
                    start, stop = f"max({start}, {self.split.lo})", f"min({stop}, {self.split.hi})"
                reserve, count = self._reserve(stmt.body, v, f"{stop} - {start}", positions)
                if self.split is not None and stmt is self.root:
                    self.progress = (it.position, start, stop)
                body = region((it,)) or []
                far, ahead = self._prefetch(stmt.body, v, it) if body else ([], [])
                return hoisted + reserve + far + [loop.For(it.position, start, stop,
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

    def _prefetch(self, body: cin.Stmt, v: str, it: Iterator) -> tuple[list[loop.Node], list[loop.Node]]:
        """Code before the loop over `v` driven by `it`, and at the top of its body, that prefetches the
        rows of input operands the body will read (see `lookahead.prefetch_rows`)."""
        if not it.crd:
            return [], []
        storages = [self.storage(node) for node in _stmt_storages(body)
                    if isinstance(node, ir.Access) and not self.is_output(node)]
        before, rows, notes = lookahead.prefetch_rows(storages, v, it, self.extent, self.names)
        self.lookahead_notes.update(dict.fromkeys(notes))
        return before, rows

    def _reserve(self, body: cin.Stmt, v: str, visits: str, positions: dict) -> tuple[list, list]:
        """Code before and after a loop over v that appends. Before: room for everything it may append
        (the output's last level when v indexes it, and pair-list workspaces over v); growing arrays
        inside the loop would make Numba count references to them on every iteration. After: the
        number of entries the loop appended to the output's last level, added to its parent's count
        once (an increment per entry would chain every iteration through memory)."""
        appended, counted, after = [], [], []
        stop = None
        target = self._writes_output(body) if self.sparse_output else None
        if target is not None:
            storage = self.storage(target)
            last = len(storage.levels) - 1
            code = storage.levels[last]
            if code.appended and storage.level_indices[last] == v:
                count = self.output_count(last)
                appended.append((code.room, storage.vals, count))
                stop = self._stop(target)
                parent, _ = self._parent(storage, last, positions)
                start = self.names.once(("start", self.output, last), f"{self.output}{last + 1}_start")
                counted.append(loop.Line(f"{start} = {count}"))
                after.append(loop.Line(code.add_children(parent, f"{count} - {start}")))
        if self.workspace == PAIR_LIST:
            for temp in _written_temps(body):
                name = self.temp_name(temp)
                if temp.indices == (v,) and name in self.tracked:
                    appended.append(self._pairs(name))
        nodes = []
        for crd, vals, count in appended:
            size = f"{count} + {visits}" if " " not in visits else f"{count} + ({visits})"
            if stop is not None and crd == appended[0][0]:  # the output's arrays
                nodes.append(loop.If(((f"len({crd}) < {size}", (stop,)),)))
                continue
            projected = size  # no better guess than what is needed now (a literal 0 would compile `extend` again)
            if self.progress is not None:
                var, first, end = self.progress
                projected = f"{count} // ({var} - {first} + 1) * ({end} - {first})"
            nodes.append(loop.If(((f"len({crd}) < {size}", (
                loop.Line(f"{crd} = extend({crd}, {size}, {projected})"),
                loop.Line(f"{vals} = extend({vals}, {size}, {projected})"))),)))
        return nodes + counted, after

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
        for present in _subsets(iterators):
            nodes = region(present)
            if nodes is not None:
                branches.append((" and ".join(here[it.key] for it in present), tuple(nodes)))
        fallback = region(())
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
        for present in _subsets(iterators):
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
            for present in _subsets(members):
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
        if (len(members) != 2 or not all(it.unique and it.crd for it in members) or not self.sparse_output
                or not isinstance(body, cin.Accumulate) or not self.is_output(body.target)):
            return None
        storage = self.storage(body.target)
        if not storage.levels[-1].appended or storage.level_indices[-1] != v:
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
                      loop.Line(f"{value} = {read} if {here} else zero")]
            values[("value", it.key)] = value
        self.appending_unconditionally = True
        try:
            nodes += region(tuple(members), values)
        finally:
            self.appending_unconditionally = False
        for it in members:
            nodes.append(it.advance_if(self.names.once(("here", it.key, it.label), f"{it.label}_here")))
        return nodes

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
                    self._parent(storage, level, positions)[0], self.names.index(storage.level_indices[level]))
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
        for node in _stmt_storages(body):
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

    def _place(self, node, positions) -> str:
        """`vals[position]` of a fully located access or workspace."""
        storage = self.storage(node)
        if not storage.levels:
            return f"{storage.vals}[0]"
        last = (storage.key, len(storage.levels) - 1)
        if last not in positions:
            raise InternalError(f"{ir.show(node)} is read before all its indices are bound")
        return loop.subscript(storage.vals, positions[last])

    def _accumulate(self, stmt: cin.Accumulate, positions: dict) -> list[loop.Node]:
        self.resume = None
        rhs = self._expr(stmt.rhs, positions, 0)
        target = stmt.target
        if isinstance(target, ir.TempRef) and not target.temp.indices:  # a sum in a register
            name = self.temp_name(target.temp)
            return [loop.Line(f"{name} = sum_add({name}, {rhs})")]
        if self.sparse_output and self.is_output(target):
            return self._append_value(target, rhs, positions)
        nodes = []
        if isinstance(target, ir.TempRef) and self.temp_name(target.temp) in self.tracked:
            if self.workspace == PAIR_LIST:
                return self._append_pair(target, rhs)
            nodes = self._track(target, positions)
        operator = "=" if self.is_output(target) and self.unwritten else "+="
        return nodes + [loop.Line(f"{self._place(target, positions)} {operator} {rhs}")]

    def _append_pair(self, target: ir.TempRef, rhs: str) -> list[loop.Node]:
        crd, vals, count = self._pairs(self.temp_name(target.temp))  # room was reserved before the loop
        return [loop.Line(f"{crd}[u({count})] = {self.names.index(target.temp.indices[0])}"),
                loop.Line(f"{vals}[u({count})] = {rhs}"),
                loop.Line(f"{count} += 1")]

    def _track(self, target: ir.TempRef, positions: dict) -> list[loop.Node]:
        """Record a workspace coordinate the first time it is written."""
        name = self.temp_name(target.temp)
        count, listed, seen, _ = self._tracking(name)
        storage = self.storage(target)
        position = positions[(storage.key, 0)]
        word = self.names.once(("word", name), f"{name}_word")
        bit = self.names.once(("bit", name), f"{name}_bit")
        return [loop.Line(f"{word} = u({position}) >> u(6)"),
                loop.Line(f"{bit} = u(1) << (u({position}) & u(63))"),
                loop.If(((f"not {seen}[{word}] & {bit}", (
            loop.Line(f"{seen}[{word}] |= {bit}"),
            loop.Line(f"{listed}[u({count})] = {self.names.index(target.temp.indices[0])}"),
            loop.Line(f"{count} += 1"))),))]

    # -- sparse output assembly ----------------------------------------------------------------
    def output_count(self, level: int) -> str:
        return self.names.once(("count", self.output, level), f"{self.output}{level + 1}_n")

    def output_results(self, output: ir.Access) -> list[tuple[int, str, str, str]]:
        """(level, arrays..., count) of each appended output level: what the kernel returns."""
        storage = self.storage(output)
        return [(level, *code.returned, self.output_count(level))
                for level, code in enumerate(storage.levels) if code.appended]

    def _writes_output(self, body: cin.Stmt) -> Optional[ir.Access]:
        for node in _stmt_storages(body):
            if self.is_output(node):
                return node
        return None

    def _open_output(self, body: cin.Stmt, v: str, positions: dict):
        """At a loop over a compressed, non-last output level: open a tentative position before the body
        and commit it after, if anything below was written."""
        if not self.sparse_output:
            return [], []
        target = self._writes_output(body)
        if target is None:
            return [], []
        storage = self.storage(target)
        level = self._ready_level(storage, positions)
        if level is None or level == len(storage.levels) - 1 or storage.level_indices[level] != v:
            return [], []
        code = storage.levels[level]
        if not code.appended:
            return [], []
        parent, _ = self._parent(storage, level, positions)
        position = self.position_name(storage, level)
        count = self.output_count(level)
        flag = self.names.once(("written", self.output, level), f"{self.output}{level + 1}_written")
        outer_flag = positions.get(OUTPUT_FLAG)
        positions[(storage.key, level)] = position
        positions[OUTPUT_FLAG] = flag
        opening = [loop.Line(f"{position} = {count}"), loop.Line(f"{flag} = False")]
        opening += self._ensure(code.room, f"{position} + 1", target)
        opening += self._ensure_block(storage, level, position, target)
        commit = [loop.Line(code.store(position, self.names.index(v))),
                  loop.Line(code.add_children(parent, "1")),
                  loop.Line(f"{count} += 1")]
        if outer_flag is not None:
            commit.append(loop.Line(f"{outer_flag} = True"))
        return opening, [loop.If(((flag, tuple(commit)),))]

    def _ensure(self, array: str, size: str, target: ir.Access) -> list[loop.Node]:
        grow = self._stop(target) or loop.Line(f"{array} = grow({array}, {size})")
        return [loop.If(((f"len({array}) < {size}", (grow,)),))]

    def _stop(self, target: ir.Access) -> Optional[loop.Line]:
        """Where a split loop's iteration can stop for room: return what was assembled so far, and the
        iteration to resume from (see `resume`)."""
        return self.output_return(target, self.resume) if self.resume is not None else None

    def output_return(self, output: ir.Access, stop: str) -> loop.Line:
        """The kernel's return: (pos, crd, count) of each compressed output level, the values, and
        where the loop stopped for room (-1 when it finished)."""
        arrays = [name for _, pos, crd, count in self.output_results(output) for name in (pos, crd, count)]
        return loop.Line(f"return ({', '.join(arrays + [self.storage(output).vals, stop])},)")

    def _ensure_block(self, storage: Storage, level: int, position: str, target: ir.Access) -> list[loop.Node]:
        """Room for the positions a new entry at `level` owns in the dense levels below it."""
        block = []
        below = level + 1
        while below < len(storage.levels) and storage.levels[below].full:
            block.append(self.extent(storage.level_indices[below]))
            below += 1
        size = " * ".join([f"({position} + 1)", *block])
        if below == len(storage.levels):
            return self._ensure(storage.vals, size, target)
        return self._ensure(storage.levels[below].parent_room, f"{size} + 1", target)

    def _append_value(self, target: ir.Access, rhs: str, positions: dict) -> list[loop.Node]:
        storage = self.storage(target)
        last = len(storage.levels) - 1
        flag = positions.get(OUTPUT_FLAG)
        mark = [loop.Line(f"{flag} = True")] if flag is not None else []
        if (storage.key, last) in positions:  # the last level is dense: it was located
            return [loop.Line(f"{self._place(target, positions)} += {rhs}"), *mark]
        code = storage.levels[last]
        count = self.output_count(last)
        value = self.names.once(("value", self.output), f"{self.output}_value")
        if self.appending_unconditionally:  # room for every step was reserved: write, count if not zero
            nonzero = f"{value} != 0"
            return [loop.Line(f"{value} = {rhs}"),
                    loop.Line(code.store(count, self.names.index(storage.level_indices[last]))),
                    loop.Line(f"{storage.vals}[u({count})] = {value}"),
                    loop.Line(f"{count} += {nonzero}"),
                    *([loop.Line(f"{flag} |= {nonzero}")] if flag is not None else [])]
        store = [loop.Line(code.store(count, self.names.index(storage.level_indices[last]))),
                 loop.Line(f"{storage.vals}[u({count})] = {value}"),
                 loop.Line(f"{count} += 1"), *mark]  # the parent's count is added after the loop: see _reserve
        return [loop.Line(f"{value} = {rhs}"), loop.If(((f"{value} != 0", tuple(store)),))]

    # -- expressions ---------------------------------------------------------------------------
    def _expr(self, expr: ir.Expr, positions: dict, context: int) -> str:
        if isinstance(expr, ir.Access):
            hoisted = positions.get(("value", access_key(expr)))
            return hoisted if hoisted is not None else self._place(expr, positions)
        if isinstance(expr, ir.TempRef):
            if not expr.temp.indices:
                return self.temp_name(expr.temp)
            return self._place(expr, positions)
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


def access_key(access: ir.Access) -> tuple:
    """Accesses of the same operand with the same indices read the same entries, so they share one
    iterator and one position: `(A[i,j] + B[i,j])*(A[i,j] + E[i,j])` co-iterates A, B and E once each."""
    return (access.tensor, access.indices)


def _subsets(items):
    """Every non-empty subset, largest first: the first whose members are all present is exact."""
    for size in range(len(items), 0, -1):
        yield from combinations(items, size)


# -- zero simplification ------------------------------------------------------------------------
def simplify(expr: ir.Expr, absent: frozenset) -> Optional[ir.Expr]:
    """`expr` with the absent iterators set to zero; None when the whole expression is zero."""
    if isinstance(expr, ir.Access):
        return None if access_key(expr) in absent else expr
    if isinstance(expr, ir.Literal):
        return expr
    if isinstance(expr, ir.TempRef):
        if ("temp", expr.temp.name) in absent:
            return None
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


def _written_temps(stmt: cin.Stmt) -> list[ir.Temp]:
    """Workspaces accumulated into by `stmt`."""
    if isinstance(stmt, cin.Accumulate):
        return [stmt.target.temp] if isinstance(stmt.target, ir.TempRef) else []
    if isinstance(stmt, cin.Forall):
        return _written_temps(stmt.body)
    if isinstance(stmt, cin.Where):
        return _written_temps(stmt.producer) + _written_temps(stmt.consumer)
    if isinstance(stmt, cin.Seq):
        return [t for part in stmt.stmts for t in _written_temps(part)]
    return []


def _stmt_storages(stmt: cin.Stmt) -> list[Union[ir.Access, ir.TempRef]]:
    """Accesses and workspaces read or written directly by `stmt` (not through a temporary)."""
    found: dict[object, Union[ir.Access, ir.TempRef]] = {}

    def walk(expr) -> None:
        if isinstance(expr, ir.Access):
            found.setdefault(access_key(expr), expr)
        elif isinstance(expr, ir.TempRef):
            if expr.temp.indices:
                found.setdefault(("temp", expr.temp.name), expr)
        for child in ir.children(expr):
            walk(child)

    for expr in _stmt_exprs(stmt):
        walk(expr)
    return list(found.values())
