"""The compressed level (`c`, and `u` when coordinates may repeat): `pos` and `crd` arrays.

Parent p has the children pos[p] .. pos[p+1]-1, whose coordinates are crd[q]: strictly increasing
within a parent when unique, non-decreasing when non-unique (COO's top level `u`, where every stored
entry gets a position of its own and singletons below it store the other coordinates). A compressed
level is walked by position inside its parent, cannot locate a coordinate in O(1), and as an output is
appended to: a coordinate is stored when something below it is, and its parent's count goes up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import ShapeError
from einsparse.levels.base import (LevelCode, LevelKind, LevelParam, LevelStorage, child_range, children_of,
                                   guard_memory, subscript)


@dataclass(frozen=True)
class Compressed(LevelKind):
    unique: bool = True
    appended = True
    counts_children = True
    entry_arrays = ("crd",)

    @property
    def letter(self) -> str:
        return "c" if self.unique else "u"

    @property
    def name(self) -> str:
        return "compressed" if self.unique else "compressed-nonunique"

    def merged(self) -> "Compressed":
        return Compressed()

    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        """One position per entry at most, and per distinct tuple of its run's coordinates."""
        return min(entries, parents * int(np.prod(run_extents, dtype=object)))

    def assembled(self, extent: int, arrays) -> "CompressedLevel":
        pos, crd = arrays
        return CompressedLevel(pos, crd, self.unique)

    def code(self, operand: str, level: int, extent: str, names) -> "CompressedCode":
        return CompressedCode(operand, level, names.array(f"{operand}{level + 1}_pos"),
                              names.array(f"{operand}{level + 1}_crd"), self.unique)

    def build(self, k: int, building, parent, count: int):
        """A new position starts where the parent or the coordinates of the level's run change."""
        keys, n = building.keys, building.keys.shape[1]
        run = keys[k : building.run_end(k) + 1]
        new = np.ones(n, bool)
        new[1:] = (parent[1:] != parent[:-1]) | (run[:, 1:] != run[:, :-1]).any(axis=0)
        guard_memory(count + 1, building.idx, building.shape, f"format {building.fmt} of a tensor")
        pos = np.zeros(count + 1, building.idx)
        np.cumsum(np.bincount(parent[new], minlength=count), out=pos[1:])
        level = CompressedLevel(pos, keys[k][new].astype(building.idx), self.unique)
        return level, np.cumsum(new) - 1, int(new.sum())


@dataclass(frozen=True)
class CompressedCode(LevelCode):
    operand: str
    level: int
    pos: str
    crd: str
    unique: bool = True
    appended = True

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        return child_range(self.pos, parent)

    def coordinate(self, position: str, parent: str = "0") -> str:
        return subscript(self.crd, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.pos, self.operand, self.level, "pos"),
                LevelParam(self.crd, self.operand, self.level, "crd"))

    # Output assembly: `pos` holds counts of children per parent while the kernel runs (the runtime
    # turns them into offsets), `crd` the appended coordinates; the kernel returns both.
    def store(self, position: str, coordinate: str) -> str:
        return f"{self.crd}[u({position})] = {coordinate}"

    def add_children(self, parent: str, amount: str) -> str:
        return f"{self.pos}[u({parent} + 1)] += {amount}"

    @property
    def room(self) -> str:
        """The array whose length bounds the positions appended."""
        return self.crd

    @property
    def parent_room(self) -> str:
        """The array whose length bounds the parents counted."""
        return self.pos

    @property
    def returned(self) -> tuple[str, str]:
        return self.pos, self.crd


@dataclass(frozen=True, eq=False)  # eq=False: never compare numpy arrays with ==
class CompressedLevel(LevelStorage):
    pos: np.ndarray
    crd: np.ndarray
    unique: bool = True

    @classmethod
    def wrapping(cls, pos: np.ndarray, crd: np.ndarray) -> "CompressedLevel":
        """A unique level over arrays known to be consistent (a canonical scipy matrix's), made without
        the dataclass's checks and field-by-field setting: it is made on every call of a kernel."""
        level = object.__new__(cls)
        level.__dict__.update(pos=pos, crd=crd, unique=True)
        return level

    @property
    def kind(self) -> Compressed:
        return Compressed(self.unique)

    def positions(self, parent_count: int) -> int:
        return len(self.crd)

    def parent_count(self) -> int:
        """How many parent positions `pos` describes."""
        return len(self.pos) - 1

    def check(self, k: int, extent: int, parent_count: int) -> None:
        if self.parent_count() != parent_count:
            raise ShapeError(f"level {k} has pos of length {len(self.pos)}, expected {parent_count + 1}")

    def walk(self, parent, coords):
        q, lens = children_of(self.pos, parent)
        return q, [c.repeat(lens) for c in coords] + [self.crd[q].astype(np.int64)]

    def children(self, lo: int, hi: int) -> tuple[int, int]:
        return int(self.pos[lo]), int(self.pos[hi])

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        first, last = int(self.pos[0]), int(self.pos[1])
        coordinates = self.crd[first:last]
        # Bounds in the coordinates' dtype when they fit: else NumPy converts the coordinates to compare.
        fits = hi <= np.iinfo(coordinates.dtype).max
        found = np.searchsorted(coordinates, np.array([lo, hi], dtype=coordinates.dtype) if fits else [lo, hi])
        return first + int(found[0]), first + int(found[1])

    def work_pointer(self):
        return self.pos

    def top_window(self, lo: int, hi: int) -> tuple["CompressedLevel", int, int]:
        first, last = self.span(lo, hi)
        pos = np.array([0, last - first], dtype=self.pos.dtype)
        return CompressedLevel(pos, (self.crd[first:last] - lo).astype(self.crd.dtype), self.unique), first, last

    def child_bounds(self, bounds: np.ndarray) -> np.ndarray:
        return self.pos[bounds].astype(np.int64)

    def window(self, lo: int, hi: int) -> tuple["CompressedLevel", int, int]:
        first, last = int(self.pos[lo]), int(self.pos[hi])
        return CompressedLevel(self.pos[lo:hi + 1] - self.pos[lo], self.crd[first:last], self.unique), first, last
