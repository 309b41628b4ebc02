"""Sparse output assembly: the code that appends the output's coordinates and values in order, makes
room for them, and returns the assembled arrays (to the runtime, which may resume a split loop).

A compressed level opens a tentative position and commits it if something below it was written
(`_open_output`), the last level stores a value only when it is not zero (`_append_value`), and room is
reserved before a loop rather than grown in it (`_reserve`).

Two-phase assembly (MKL's, cuSPARSE's and GraphBLAS's): for a CSR-like output whose rows a workspace
gathers (SpGEMM), where no operand bounds the output's size, a symbolic pass (`counting`) runs the same
loops without values and counts each row's entries; the runtime sums them, sizes the arrays exactly and
gives each chunk of rows its window, and the numeric pass (`room_known`) writes there without checking
for room. See `pipeline.two_phase_eligible`.
"""

from __future__ import annotations

from typing import Optional

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.simplify import written_temps
from einsparse.compiler.storages import Storage
from einsparse.compiler.workspaces import PAIR_LIST

OUTPUT_FLAG = ("output", "written")  # positions-dict key: the flag of the innermost open output level


class Assembly:
    """The `Lowerer`'s sparse output assembly (a mixin: `Lowerer.__init__` documents the state it shares)."""

    def output_count(self, level: int) -> str:
        return self.names.once(("count", self.output, level), f"{self.output}{level + 1}_n")

    def output_results(self, output: ir.Access) -> list[tuple[int, str, str, str]]:
        """(level, arrays..., count) of each appended output level: what the kernel returns."""
        storage = self.storage(output)
        return [(level, *code.returned, self.output_count(level))
                for level, code in enumerate(storage.levels) if code.appended]

    def _open_output(self, body: cin.Stmt, v: str, positions: dict):
        """At a loop over a compressed, non-last output level: open a tentative position before the body
        and commit it after, if anything below was written."""
        if not self.sparse_output:
            return [], []
        target = self._writes_output(body)
        if target is None:
            return [], []
        storage = self.storage(target)
        level = storage.ready_level(positions)
        if level is None or level == len(storage.levels) - 1 or storage.level_indices[level] != v:
            return [], []
        code = storage.levels[level]
        if not code.appended:
            return [], []
        parent, _ = storage.parent(level, positions)
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
        if self.counting:  # the symbolic pass: every entry the numeric pass may append is counted
            return [loop.Line(f"{self.output_count(last)} += 1")]
        flag = positions.get(OUTPUT_FLAG)
        mark = [loop.Line(f"{flag} = True")] if flag is not None else []
        if (storage.key, last) in positions:  # the last level is dense: it was located
            if flag is None:
                return [loop.Line(f"{self._place(target, positions)} += {rhs}")]
            # The position above is kept only when a value under it is not zero: no empty fiber (the
            # block of a position not kept holds only zeros, and the next position reuses it).
            value = self.names.once(("value", self.output), f"{self.output}_value")
            return [loop.Line(f"{value} = as_type_of({rhs}, zero)"),
                    loop.Line(f"{self._place(target, positions)} += {value}"),
                    loop.Line(f"{flag} |= {self.differs_from_fill(value)}")]
        code = storage.levels[last]
        count = self.output_count(last)
        value = self.names.once(("value", self.output), f"{self.output}_value")
        if self.appending_unconditionally:  # room for every step was reserved: write, count if not zero
            nonzero = self.differs_from_fill(value)
            return [loop.Line(f"{value} = as_type_of({rhs}, zero)"),
                    loop.Line(code.store(count, self.names.index(storage.level_indices[last]))),
                    loop.Line(f"{storage.vals}[u({count})] = {value}"),
                    loop.Line(f"{count} += {nonzero}"),
                    *([loop.Line(f"{flag} |= {nonzero}")] if flag is not None else [])]
        coordinate = self.names.index(storage.level_indices[last])
        if code.room is None:  # a run (band): the position follows from the coordinate, gaps get zeros
            parent, _ = storage.parent(last, positions)
            place = code.append_run(parent, self._start(last), count, coordinate, storage.vals, loop)
        else:
            place = [loop.Line(code.store(count, coordinate))]
        store = [*place,
                 loop.Line(f"{storage.vals}[u({count})] = {value}"),
                 loop.Line(f"{count} += 1"), *mark]  # the parent's count is added after the loop: see _reserve
        return [loop.Line(f"{value} = as_type_of({rhs}, zero)"), loop.If(((self.differs_from_fill(value), tuple(store)),))]

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
                if code.room is None:  # a run fills its gaps: up to one position per coordinate of v
                    appended.append((storage.vals, None, count, self.extent(v)))
                else:
                    appended.append((code.room, storage.vals, count, visits))
                stop = self._stop(target)
                parent, _ = storage.parent(last, positions)
                start = self._start(last)
                counted.append(loop.Line(f"{start} = {count}"))
                after.append(loop.Line(code.add_children(parent, f"{count} - {start}")))
        if self.workspace == PAIR_LIST:
            for temp in written_temps(body):
                name = self.temp_name(temp)
                if temp.indices == (v,) and name in self.tracked:
                    appended.append((*self._pairs(name), visits))
        nodes = []
        if self.room_known and target is not None:  # sized by the symbolic pass: nothing to check
            appended = [entry for entry in appended if entry[0] not in (code.room, storage.vals)]
        for crd, vals, count, visits in appended:
            size = f"{count} + {visits}" if " " not in visits else f"{count} + ({visits})"
            if stop is not None and crd == appended[0][0]:  # the output's arrays
                nodes.append(loop.If(((f"len({crd}) < {size}", (stop,)),)))
                continue
            projected = size  # no better guess than what is needed now (a literal 0 would compile `extend` again)
            if self.progress is not None:
                var, first, end = self.progress
                projected = f"{count} // ({var} - {first} + 1) * ({end} - {first})"
            grow = [loop.Line(f"{array} = extend({array}, {size}, {projected})") for array in (crd, vals) if array]
            nodes.append(loop.If(((f"len({crd}) < {size}", tuple(grow)),)))
        return nodes + counted, after

    def _start(self, level: int) -> str:
        """The variable holding the count of the output's `level` before the loop appending to it."""
        return self.names.once(("start", self.output, level), f"{self.output}{level + 1}_start")
