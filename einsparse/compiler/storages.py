"""What the lowerer reads and writes through levels (`Storage`), and how far the positions of its
levels are known.

The lowerer threads a `positions` dict through the statement it lowers, holding what is known at the
current point of the loop nest:
- `(storage.key, level)`: the variable holding that level's position;
- `(storage.key, level, "end")`: for a non-unique level, the end of the run of equal coordinates;
- `("value", storage.key)`: a variable holding the operand's value, read before the loop (`_hoist`)
  or chosen without a branch (`_branch_free_union`);
- `assemble.OUTPUT_FLAG`: the flag of the innermost open output level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Storage:
    """Anything read or written through levels: an operand access, or a dense workspace."""

    key: object                    # access_key(access), or ("temp", name)
    label: str                     # the operand name used to build variable names
    levels: tuple                  # level code generators, outermost first
    level_indices: tuple[str, ...]  # the index bound at each level
    vals: str

    def ready_level(self, positions: dict) -> Optional[int]:
        """The outermost level whose position is not known yet (None when all are)."""
        for level in range(len(self.levels)):
            if (self.key, level) not in positions:
                return level
        return None

    def parent(self, level: int, positions: dict) -> tuple[str, Optional[str]]:
        """The parent position of `level`, and the end of its run when the parent is non-unique."""
        if level == 0:
            return "0", None
        return positions[(self.key, level - 1)], positions.get((self.key, level - 1, "end"))
