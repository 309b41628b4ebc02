"""Level kinds as code generators: the lowering asks a level for code and never tests its kind.

A level answers:
- `locate(parent, coordinate)`: the position of a coordinate in O(1), or None if it cannot;
- `bounds(parent, parent_end)`: the first and one-past-last positions of the children of a parent
  (`parent_end` is the end of the parent's run when the parent level is non-unique), or None when the
  level is never iterated by position;
- `coordinate(position)`: the coordinate stored at a position;
- `unique`: False when equal coordinates may follow each other, so iteration groups them into runs;
and names the arrays the kernel receives for it (`params`). Output levels are assembled by the lowering:
a dense level is located, a compressed level is appended to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from einsparse.compiler.formats import DENSE, is_compressed, is_singleton, is_unique
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
    unique: bool = True

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return coordinate if parent == "0" else f"{parent} * {self.extent} + {coordinate}"

    def bounds(self, parent: str, parent_end: Optional[str] = None):
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
    unique: bool = True

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return None

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        after = "1" if parent == "0" else f"{parent} + 1"
        return subscript(self.pos, parent), subscript(self.pos, after)

    def coordinate(self, position: str) -> str:
        return subscript(self.crd, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.pos, self.operand, self.level, "pos"),
                LevelParam(self.crd, self.operand, self.level, "crd"))


@dataclass(frozen=True)
class SingletonLevelCode:
    """One coordinate per parent position: the children of a parent run [p, end) are p..end-1."""

    crd: str
    operand: str
    level: int
    unique: bool = True

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        return None

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        return parent, parent_end if parent_end is not None else f"{parent} + 1"

    def coordinate(self, position: str) -> str:
        return subscript(self.crd, position)

    @property
    def params(self) -> tuple[LevelParam, ...]:
        return (LevelParam(self.crd, self.operand, self.level, "crd"),)


def level_code(kind: str, operand: str, level: int, extent: str, names):
    """The code generator for level `level` (0-based) of kernel operand `operand`."""
    if kind == DENSE:
        return DenseLevelCode(extent)
    if is_compressed(kind):
        return CompressedLevelCode(names.array(f"{operand}{level + 1}_pos"),
                                   names.array(f"{operand}{level + 1}_crd"), operand, level, is_unique(kind))
    if is_singleton(kind):
        return SingletonLevelCode(names.array(f"{operand}{level + 1}_crd"), operand, level, is_unique(kind))
    raise AssertionError(f"unknown level kind {kind!r}")
