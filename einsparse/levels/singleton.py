"""The singleton level (`s`): one coordinate per parent position (COO's lower levels).

Parent p has exactly one child, p itself, with coordinate crd[p]: the level has only a crd array, as
long as its parent level has positions. It follows a non-unique level (`u`, or an `s` that another `s`
follows) and shares its positions: iterating a parent run [p, end) visits p .. end-1. It is non-unique
itself when another singleton follows it, so `uss` is 3-d COO.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import FormatError, ShapeError
from einsparse.levels.base import LevelCode, LevelKind, LevelParam, LevelStorage, subscript
from einsparse.levels.compressed import Compressed


@dataclass(frozen=True)
class Singleton(LevelKind):
    unique: bool = True
    continues_run = True
    letter = "s"

    @property
    def name(self) -> str:
        return "singleton" if self.unique else "singleton-nonunique"

    def before(self, below) -> "Singleton":
        return Singleton(unique=False) if below is not None and below.continues_run else self

    def merged(self) -> Compressed:
        return Compressed()

    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        return parents  # one child per parent position

    def code(self, operand: str, level: int, extent: str, names) -> "SingletonCode":
        return SingletonCode(operand, level, names.array(f"{operand}{level + 1}_crd"), self.unique)

    def build(self, k: int, building, parent, count: int):
        """The one coordinate of each parent position's entries, at the parent's position."""
        crd = building.keys[k]
        out = np.zeros(count, building.idx)
        out[parent] = crd
        if (out[parent] != crd).any():  # the run above gives each tuple its own position, so only when
            raise FormatError(  # a singleton sits under a level that merges different coordinates
                f"format {building.fmt}: singleton level {k} would need two coordinates under one parent "
                f"position")
        return SingletonLevel(out, self.unique), parent, count


@dataclass(frozen=True)
class SingletonCode(LevelCode):
    """The children of a parent run [p, end) are p..end-1."""

    operand: str
    level: int
    crd: str
    unique: bool = True

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        return parent, parent_end if parent_end is not None else f"{parent} + 1"

    def coordinate(self, position: str, parent: str = "0") -> str:
        return subscript(self.crd, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.crd, self.operand, self.level, "crd"),)


@dataclass(frozen=True, eq=False)
class SingletonLevel(LevelStorage):
    crd: np.ndarray
    unique: bool = True

    @property
    def kind(self) -> Singleton:
        return Singleton(self.unique)

    def positions(self, parent_count: int) -> int:
        return parent_count  # one child per parent position

    def parent_count(self) -> int:
        """How many parent positions `crd` describes: one coordinate each."""
        return len(self.crd)

    def check(self, k: int, extent: int, parent_count: int) -> None:
        if self.parent_count() != parent_count:
            raise ShapeError(f"singleton level {k} has {len(self.crd)} coordinates, expected {parent_count}")

    def walk(self, parent, coords):
        return parent, coords + [self.crd[parent].astype(np.int64)]

    def children(self, lo: int, hi: int) -> tuple[int, int]:
        return lo, hi

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        raise FormatError("a singleton level is never level 0")

    def child_bounds(self, bounds: np.ndarray) -> np.ndarray:
        return bounds

    def window(self, lo: int, hi: int) -> tuple["SingletonLevel", int, int]:
        return SingletonLevel(self.crd[lo:hi], self.unique), lo, hi
