"""The band level (`b`): each parent stores one contiguous run of coordinates [lo, hi), dense within.

A row-wise DIA (Finch's SparseBand). Arrays: `pos`, the first position of each parent's run (so
pos[p+1] - pos[p] is its length), and `lo`, the first coordinate of each parent's run. Parent p has the
children pos[p] .. pos[p+1]-1, the child at position q having coordinate lo[p] + q - pos[p]: no
coordinate array is read, and a loop over the run is a loop over a range. A coordinate c is located in
O(1) at pos[p] + c - lo[p], present when it lies inside the run. Within its run a band level is dense:
an intersection with it shrinks to the run and needs no test there, and the union or intersection of
two band levels is the union or intersection of two intervals.

As the last level of an output under dense levels, a band level is appended to in coordinate order: the
run starts at the first value stored under the parent and ends at the last, zeros between them kept.
Elsewhere in an output it is assembled as a compressed level, and the result converted.
Zeros inside a run are padding, like a dense level's: converting to a format that lists entries drops
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import ShapeError
from einsparse.levels.compressed import Compressed
from einsparse.levels.base import (LevelCode, LevelKind, LevelParam, LevelStorage, child_range, children_of,
                                   guard_memory, subscript)


@dataclass(frozen=True)
class Band(LevelKind):
    letter = "b"
    appended = True
    counts_children = True
    pads = True
    interval = True
    parent_arrays = ("lo",)

    @property
    def name(self) -> str:
        return "band"

    def assembled_as(self, above: tuple, last: bool) -> LevelKind:
        """Appended to as a run when it is the last level under dense ones (db, ddb, db:1,0); elsewhere
        assembled as a compressed level and converted after."""
        return self if last and all(kind.full for kind in above) else Compressed()

    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        return parents * run_extents[0]  # a run may span its whole mode

    def code(self, operand: str, level: int, extent: str, names) -> "BandCode":
        return BandCode(operand, level, names.array(f"{operand}{level + 1}_lo"),
                        names.array(f"{operand}{level + 1}_pos"))

    def build(self, k: int, building, parent, count: int):
        """Each parent's run spans its entries' first to last coordinate (entries are sorted by parent,
        then coordinate); positions inside a run that no entry holds are padding."""
        crd = building.keys[k]
        n = len(crd)
        first = np.ones(n, bool)
        first[1:] = parent[1:] != parent[:-1]
        last = np.ones(n, bool)
        last[:-1] = first[1:]
        lo = np.zeros(count, np.int64)
        hi = np.zeros(count, np.int64)
        lo[parent[first]] = crd[first]
        hi[parent[last]] = crd[last] + 1
        pos = np.zeros(count + 1, np.int64)
        np.cumsum(hi - lo, out=pos[1:])
        guard_memory(pos[-1], np.float64, building.shape, f"format {building.fmt} of a tensor")
        level = BandLevel(pos.astype(building.idx), lo.astype(building.idx))
        return level, pos[parent] + crd - lo[parent], int(pos[-1])

    def assembled(self, extent: int, arrays) -> "BandLevel":
        pos, lo = arrays
        return BandLevel(pos, lo)


@dataclass(frozen=True)
class BandCode(LevelCode):
    operand: str
    level: int
    lo: str
    pos: str
    appended = True
    interval = True

    def _run(self, parent: str) -> tuple[str, str, str]:
        return (*child_range(self.pos, parent), subscript(self.lo, parent))

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        start, stop, _ = self._run(parent)
        return start, stop

    def offset(self, parent: str) -> str:
        """Coordinate minus position, the same along the parent's run: the coordinate at position q is
        q + offset, and coordinate c sits at position c - offset."""
        start, _, lo = self._run(parent)
        return f"{lo} - {start}"

    def coordinate(self, position: str, parent: str = "0") -> str:
        return f"{position} + ({self.offset(parent)})"

    def locate_tested(self, parent: str, coordinate: str) -> tuple[str, str]:
        start, stop, lo = self._run(parent)
        return f"{start} + ({coordinate} - {lo})", f"{lo} <= {coordinate} < {lo} + ({stop} - {start})"

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.pos, self.operand, self.level, "pos"),
                LevelParam(self.lo, self.operand, self.level, "lo"))

    # Output assembly (last level only): `pos` holds counts of positions per parent while the kernel
    # runs, `lo` each parent's first coordinate; positions between two stored values hold zeros.
    def append_run(self, parent: str, start: str, count: str, coordinate: str, vals: str, nodes) -> list:
        """Loop IR (built with `nodes`, the compiler's loop_ir module) that makes `count` the position of
        `coordinate` in the run of `parent`, whose first position is `start`: the first value stored
        starts the run; a gap since the last one is filled with zeros."""
        lo = subscript(self.lo, parent)
        fill = nodes.While(f"{count} < {start} + ({coordinate} - {lo})",
                           (nodes.Line(f"{vals}[u({count})] = zero"), nodes.Line(f"{count} += 1")))
        return [nodes.If(((f"{count} == {start}", (nodes.Line(f"{lo} = {coordinate}"),)),), (fill,))]

    def add_children(self, parent: str, amount: str) -> str:
        return f"{self.pos}[u({parent} + 1)] += {amount}"

    @property
    def returned(self) -> tuple[str, str]:
        return self.pos, self.lo


@dataclass(frozen=True, eq=False)  # eq=False: never compare numpy arrays with ==
class BandLevel(LevelStorage):
    pos: np.ndarray
    lo: np.ndarray

    kind = Band()

    def positions(self, parent_count: int) -> int:
        return int(self.pos[-1]) if len(self.pos) else 0

    def check(self, k: int, extent: int, parent_count: int) -> None:
        if len(self.pos) != parent_count + 1 or len(self.lo) != parent_count:
            raise ShapeError(f"band level {k} has pos of length {len(self.pos)} and lo of length "
                             f"{len(self.lo)}, expected {parent_count + 1} and {parent_count}")

    def walk(self, parent, coords):
        q, lens = children_of(self.pos, parent)
        offset = self.lo[parent].astype(np.int64) - self.pos[parent]  # coordinate minus position
        crd = q + np.repeat(offset, lens)
        return q, [c.repeat(lens) for c in coords] + [crd]

    def children(self, lo: int, hi: int) -> tuple[int, int]:
        return int(self.pos[lo]), int(self.pos[hi])

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        first, length = int(self.lo[0]), int(self.pos[1] - self.pos[0])
        return (int(self.pos[0]) + min(max(lo - first, 0), length),
                int(self.pos[0]) + min(max(hi - first, 0), length))

    def work_pointer(self):
        return self.pos
