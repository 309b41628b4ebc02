"""The bitmap level (`m`): a dense mask of which coordinates each parent stores, the values dense beside
it, and the sorted list of the stored coordinates for iteration (Finch's SparseByteMap).

Arrays: `tbl`, one byte per (parent, coordinate), 1 where stored; `pos` and `crd`, the stored
coordinates of each parent as a compressed level lists them. Positions are a dense level's: the child of
parent p with coordinate c sits at p*N + c, stored or not, so the values (or the levels below) take
N positions per parent. Two ways in:

- **walked**: the loop over a parent's children runs over crd[pos[p]] .. crd[pos[p+1]-1], each child's
  position computed from its coordinate (`listed`: the walk's position is not the child's);
- **located, then tested**: any coordinate c is found in O(1) at p*N + c, stored when tbl says so. In
  an intersection with another sparse operand the other one drives the loop and the bitmap is only
  tested: no merge of two coordinate lists.

As an output, a bitmap level is computed as a dense one (a value located at every coordinate, the way a
dense level is assembled, so coordinates may arrive in any order) and then marked where something
nonzero was stored beneath: the kernel assembles the format with `d` in place of `m`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import ShapeError
from einsparse.levels.base import (LevelCode, LevelKind, LevelParam, LevelStorage, child_range, children_of,
                                   guard_memory, subscript)
from einsparse.levels.dense import Dense


@dataclass(frozen=True)
class Bitmap(LevelKind):
    letter = "m"
    counts_children = True

    @property
    def name(self) -> str:
        return "bitmap"

    def assembled_as(self, above: tuple, last: bool) -> Dense:
        """Computed as a dense level, marked afterwards."""
        return Dense()

    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        return parents * run_extents[0]

    def code(self, operand: str, level: int, extent: str, names) -> "BitmapCode":
        prefix = f"{operand}{level + 1}"
        return BitmapCode(operand, level, extent, names.array(f"{prefix}_tbl"), names.array(f"{prefix}_pos"),
                          names.array(f"{prefix}_crd"))

    def build(self, k: int, building, parent, count: int):
        """Positions are dense ones; a (parent, coordinate) is marked and listed once (entries below a
        non-last level repeat it)."""
        crd, n = building.keys[k], building.keys.shape[1]
        extent = building.extents[k]
        new = np.ones(n, bool)
        new[1:] = (parent[1:] != parent[:-1]) | (crd[1:] != crd[:-1])
        positions = parent * extent + crd
        guard_memory(count * extent, np.float64, building.shape, f"format {building.fmt} of a tensor")
        tbl = np.zeros(count * extent, np.uint8)
        tbl[positions[new]] = 1
        pos = np.zeros(count + 1, building.idx)
        np.cumsum(np.bincount(parent[new], minlength=count), out=pos[1:])
        return BitmapLevel(pos, crd[new].astype(building.idx), tbl), positions, count * extent


@dataclass(frozen=True)
class BitmapCode(LevelCode):
    operand: str
    level: int
    extent: str
    tbl: str
    pos: str
    crd: str
    listed = True

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        return child_range(self.pos, parent)

    def coordinate(self, position: str, parent: str = "0") -> str:
        return subscript(self.crd, position)

    def locate_tested(self, parent: str, coordinate: str) -> tuple[str, str]:
        position = coordinate if parent == "0" else f"{parent} * {self.extent} + {coordinate}"
        return position, self.stored_at(position)

    def stored_at(self, position: str) -> str:
        return subscript(self.tbl, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.pos, self.operand, self.level, "pos"),
                LevelParam(self.crd, self.operand, self.level, "crd"),
                LevelParam(self.tbl, self.operand, self.level, "tbl"))


@dataclass(frozen=True, eq=False)  # eq=False: never compare numpy arrays with ==
class BitmapLevel(LevelStorage):
    pos: np.ndarray
    crd: np.ndarray
    tbl: np.ndarray

    kind = Bitmap()

    def positions(self, parent_count: int) -> int:
        return len(self.tbl)

    def check(self, k: int, extent: int, parent_count: int) -> None:
        if len(self.pos) != parent_count + 1 or len(self.tbl) != parent_count * extent:
            raise ShapeError(f"bitmap level {k} has pos of length {len(self.pos)} and tbl of length "
                             f"{len(self.tbl)}, expected {parent_count + 1} and {parent_count * extent}")

    def walk(self, parent, coords):
        q, lens = children_of(self.pos, parent)
        crd = self.crd[q].astype(np.int64)
        extent = len(self.tbl) // max(len(self.pos) - 1, 1)
        return parent.repeat(lens) * extent + crd, [c.repeat(lens) for c in coords] + [crd]

    def children(self, lo: int, hi: int) -> tuple[int, int]:
        extent = len(self.tbl) // max(len(self.pos) - 1, 1)
        return lo * extent, hi * extent

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        return lo, hi

    def work_pointer(self):
        return self.pos
