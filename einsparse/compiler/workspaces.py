"""Workspaces: how a `where` statement's temporary is lowered (cleared, written, read back), and how
a one-index workspace keeps what it touched.

How a one-index workspace accumulates (see `lower`): a dense row with a list of the coordinates it
touched, or, when a dense row would be too large, a list of (coordinate, value) pairs sorted and merged
before it is read. The runtime chooses per call from the extents (`runtime.kernel`)."""

from __future__ import annotations

from dataclasses import dataclass

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.simplify import stmt_storages
from einsparse.compiler.storages import Storage
from einsparse.levels import DENSE, LevelCode

DENSE_ROW = "dense"
PAIR_LIST = "list"


@dataclass(frozen=True)
class ListLevelCode(LevelCode):
    """The one level of a list accumulator: coordinates at positions 0..count-1, never located."""

    crd: str


# The start of a count passed to a helper. Numba types a variable first as the literal it starts at and
# compiles a helper called with it for that literal too, before the count's increments make it int64:
# a second compile of sort_touched and its sort (0.9 s of SpGEMM's 2.8 s).
UNTYPED_ZERO = "np.int64(0)"


class Workspaces:
    """The `Lowerer`'s workspaces (a mixin: `Lowerer.__init__` documents the state it shares)."""

    def _workspace_storage(self, temp: ir.Temp) -> Storage:
        """The storage of a workspace: a dense array over its indices, or a pair list (see `storage`)."""
        name = self.temp_name(temp)
        self.temp_arrays[name] = temp
        if len(temp.indices) == 1 and self._sparse_over(temp):
            self.tracked.add(name)
            if self.workspace == PAIR_LIST:
                crd, vals, _ = self._pairs(name)
                return Storage(("temp", temp.name), name, (ListLevelCode(crd),), temp.indices, vals)
        levels = tuple(DENSE.code(name, l, self.extent(i), self.names) for l, i in enumerate(temp.indices))
        return Storage(("temp", temp.name), name, levels, temp.indices, name)

    def _sparse_over(self, temp: ir.Temp) -> bool:
        """Whether some operand of the workspace's reduction is sparse over its index, so that the
        producer touches only some coordinates and a list of them pays (SpGEMM's B[k,j]). Where every
        operand is dense over it (relu(A[i,k]*X[k,j] + b[j]): X), every coordinate is written: a plain
        row, zeroed before the producer."""
        (index,) = temp.indices
        for access in ir.accesses(temp.expr):
            fmt = self.operands[access.tensor]
            if any(access.indices[mode] == index and not fmt.levels[level].full
                   for level, mode in enumerate(fmt.mode_order)):
                return True
        return False

    def _pairs(self, name: str) -> tuple[str, str, str]:
        """The arrays and count of a pair-list workspace."""
        return (self.names.array(f"{name}_crd"), self.names.array(f"{name}_vals"),
                self.names.once(("count", name), f"{name}_n"))

    def _where(self, stmt: cin.Where, bound, positions, depth) -> list[loop.Node]:
        temp = stmt.temp
        name = self.temp_name(temp)
        self.resume = None  # the producer writes to the workspace
        if not temp.indices:
            return self._scalar_where(stmt, bound, positions, depth)
        self.storage(ir.TempRef(temp))
        if name in self.tracked and self.workspace == PAIR_LIST:
            crd, vals, count = self._pairs(name)
            return ([loop.Line(f"{count} = {UNTYPED_ZERO}")] + self._stmt(stmt.producer, bound, positions, depth)
                    + [loop.Line(f"{count} = merge_pairs({crd}, {vals}, {count})")]
                    + self._stmt(stmt.consumer, bound, positions, depth))
        start = self.identity_of(temp)
        if name not in self.tracked:
            return ([loop.Line(f"{name}[:] = {start}")] + self._stmt(stmt.producer, bound, positions, depth)
                    + self._stmt(stmt.consumer, bound, positions, depth))
        count, listed, seen, summary = self._tracking(name)
        q = self.names.once(("clear", name), "q")
        merged = any(isinstance(node, ir.Access) and not self.is_output(node)
                     for node in stmt_storages(stmt.consumer))
        if self.counting and not merged:  # only the touched coordinates matter: marks cleared, unsorted
            clear = loop.For(q, "0", count, (loop.Line(f"{seen}[u({listed}[{q}]) >> u(6)] = 0"),))
            return ([loop.Line(f"{count} = {UNTYPED_ZERO}")] + self._stmt(stmt.producer, bound, positions, depth)
                    + [clear] + self._stmt(stmt.consumer, bound, positions, depth))
        # The values only: sort_touched leaves the bitmaps cleared. (A consumer that merges the list
        # with an operand, `M[i,j]*t0[j]`, needs it sorted in the counting pass too.)
        clear = [] if self.counting else [
            loop.For(q, "0", count, (loop.Line(f"{name}[u({listed}[{q}])] = {start}"),))]
        return ([loop.Line(f"{count} = {UNTYPED_ZERO}")] + self._stmt(stmt.producer, bound, positions, depth)
                + [loop.Line(f"sort_touched({listed}, {count}, {seen}, {summary})")]
                + self._stmt(stmt.consumer, bound, positions, depth)
                + clear)

    def _tracking(self, name: str) -> tuple[str, str, str, str]:
        """The variables of a workspace's touched list: count, coordinates, a bitmap of the coordinates
        touched (64 per word) and a bitmap of its nonzero words (4096 coordinates per word, marked by
        `sort_touched`), which let `sort_touched` read them back in order."""
        return (self.names.once(("count", name), f"{name}_n"), self.names.array(f"{name}_list"),
                self.names.array(f"{name}_seen"), self.names.array(f"{name}_summary"))

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
