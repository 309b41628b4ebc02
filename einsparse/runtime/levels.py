"""The level kinds of TACO's storage model, and the index dtype rule.

A tensor stores one level per mode, outermost first. Level 0 has a single parent position, 0.

- A dense level of size N gives parent position p the children p*N + c for every coordinate c < N.
- A compressed level gives parent p the children pos[p] .. pos[p+1]-1, whose coordinates are crd[q]:
  strictly increasing within a parent when unique, non-decreasing when non-unique (COO's top level,
  where every stored entry gets a position of its own).
- A singleton level gives parent p exactly one child, p itself, with coordinate crd[p]: it only has
  a crd array, as long as its parent level has positions (COO's lower levels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from einsparse.compiler.formats import COMPRESSED, COMPRESSED_NONUNIQUE, DENSE, SINGLETON, SINGLETON_NONUNIQUE

INT32_MAX = int(np.iinfo(np.int32).max)


@dataclass(frozen=True, eq=False)  # eq=False: never compare numpy arrays with ==
class DenseLevel:
    size: int

    kind = DENSE

    def positions(self, parent_count: int) -> int:
        """How many positions this level has under `parent_count` parent positions."""
        return parent_count * self.size


@dataclass(frozen=True, eq=False)
class CompressedLevel:
    pos: np.ndarray
    crd: np.ndarray
    unique: bool = True

    @property
    def kind(self) -> str:
        return COMPRESSED if self.unique else COMPRESSED_NONUNIQUE

    def positions(self, parent_count: int) -> int:
        return len(self.crd)

    def parent_count(self) -> int:
        """How many parent positions `pos` describes."""
        return len(self.pos) - 1


@dataclass(frozen=True, eq=False)
class SingletonLevel:
    crd: np.ndarray
    unique: bool = True

    @property
    def kind(self) -> str:
        return SINGLETON if self.unique else SINGLETON_NONUNIQUE

    def positions(self, parent_count: int) -> int:
        return parent_count  # one child per parent position

    def parent_count(self) -> int:
        """How many parent positions `crd` describes: one coordinate each."""
        return len(self.crd)


def index_dtype(*bounds: int) -> np.dtype:
    """int32 when every value an index array may hold (all <= max(bounds)) fits in int32, else int64."""
    return np.dtype(np.int32) if max(bounds, default=0) <= INT32_MAX else np.dtype(np.int64)
