"""The dense level (`d`): every coordinate of the mode under every parent, located by arithmetic.

Parent position p has the children p*N + c for every coordinate c < N. Nothing is stored but the size:
a dense level has no arrays, needs no loop order (any loop may locate into it once its index and the
parent are known), and as an output it is located, never appended to. A dense last level stores a value
at every coordinate under its parent, so its zeros are padding, not entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import ShapeError
from einsparse.levels.base import LevelCode, LevelKind, LevelStorage


@dataclass(frozen=True)
class Dense(LevelKind):
    letter = "d"
    full = True
    locates = True
    pads = True

    @property
    def name(self) -> str:
        return "dense"

    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        return parents * run_extents[0]

    def assembled(self, extent: int, arrays) -> "DenseLevel":
        return DenseLevel(extent)

    def code(self, operand: str, level: int, extent: str, names) -> "DenseCode":
        return DenseCode(extent)

    def build(self, k: int, building, parent, count: int):
        extent = building.extents[k]
        return DenseLevel(extent), parent * extent + building.keys[k], count * extent


@dataclass(frozen=True)
class DenseCode(LevelCode):
    extent: str  # name of the kernel argument holding the level's size
    full = True

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return coordinate if parent == "0" else f"{parent} * {self.extent} + {coordinate}"


@dataclass(frozen=True, eq=False)  # eq=False: never compare numpy arrays with ==
class DenseLevel(LevelStorage):
    size: int

    kind = Dense()

    def positions(self, parent_count: int) -> int:
        return parent_count * self.size

    def check(self, k: int, extent: int, parent_count: int) -> None:
        if self.size != extent:
            raise ShapeError(f"dense level {k} has size {self.size} but its mode has extent {extent}")

    def walk(self, parent, coords):
        size = self.size
        coords = [c.repeat(size) for c in coords] + [np.tile(np.arange(size), len(parent))]
        return (parent[:, None] * size + np.arange(size)).ravel(), coords

    def children(self, lo: int, hi: int) -> tuple[int, int]:
        return lo * self.size, hi * self.size

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        return lo, hi

    def top_window(self, lo: int, hi: int) -> tuple["DenseLevel", int, int]:
        return DenseLevel(hi - lo), lo, hi

    def child_bounds(self, bounds: np.ndarray) -> np.ndarray:
        return bounds * self.size

    def window(self, lo: int, hi: int) -> tuple["DenseLevel", int, int]:
        return self, lo * self.size, hi * self.size
