"""Level kinds as code generators: the lowering asks a level for code and never tests its kind.

A level answers three questions:
- `locate(parent, coordinate)`: the position of a coordinate in O(1), or None if it cannot;
- `bounds(parent)`: the first and one-past-last positions of the children of `parent`, when iterable;
- `coordinate(position)`: the coordinate stored at a position.
and names the arrays the kernel receives for it (`params`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from einsparse.compiler.formats import COMPRESSED, DENSE
from einsparse.compiler.loop_ir import subscript


@dataclass(frozen=True)
class LevelParam:
    """One kernel argument belonging to a level: `kind` is 'pos' or 'crd'."""

    name: str
    operand: str
    level: int
    kind: str


@dataclass(frozen=True)
class DenseLevelCode:
    extent: str  # name of the kernel argument holding the level's size

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return coordinate if parent == "0" else f"{parent} * {self.extent} + {coordinate}"

    def bounds(self, parent: str):
        return None

    def coordinate(self, position: str) -> str:
        raise AssertionError("a dense level is located, never iterated by position")

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return ()


@dataclass(frozen=True)
class CompressedLevelCode:
    pos: str
    crd: str
    operand: str
    level: int

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return None

    def bounds(self, parent: str):
        after = "1" if parent == "0" else f"{parent} + 1"
        return subscript(self.pos, parent), subscript(self.pos, after)

    def coordinate(self, position: str) -> str:
        return subscript(self.crd, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.pos, self.operand, self.level, "pos"),
                LevelParam(self.crd, self.operand, self.level, "crd"))


def level_code(kind: str, operand: str, level: int, extent: str, names):
    """The code generator for level `level` (0-based) of kernel operand `operand`."""
    if kind == DENSE:
        return DenseLevelCode(extent)
    if kind == COMPRESSED:
        return CompressedLevelCode(names.array(f"{operand}{level + 1}_pos"),
                                   names.array(f"{operand}{level + 1}_crd"), operand, level)
    raise AssertionError(f"unknown level kind {kind!r}")
