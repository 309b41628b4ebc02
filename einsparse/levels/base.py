"""What a level kind answers: the protocol every level module implements, written once.

A tensor stores one level per mode, outermost first; level 0 has a single parent position, 0. A level
kind is one module of this package holding everything specific to it, in three parts:

- **The kind** (a subclass of `LevelKind`, frozen and hashable: a `Format` holds one per level): its
  letter in format strings and its properties, which the scheduler, the checks and the runtime ask
  instead of testing which kind it is.
- **Its code** (`kind.code(...)`, a `LevelCode`): the expressions the lowerer emits to iterate a
  parent's children, to locate a coordinate, and, for an output, to assemble it; and the kernel
  arguments (arrays) it reads.
- **Its storage** (`kind.build(...)` makes one, a `LevelStorage`): the level's arrays in a tensor, how
  they are built from coordinates sorted in level order and read back into coordinates (`walk`), how
  they are checked, and how many positions they hold.

`levels/__init__.py` is the registry mapping letters to kinds.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Optional

import numpy as np

from einsparse.errors import ShapeError

INT32_MAX = int(np.iinfo(np.int32).max)


def index_dtype(*bounds: int) -> np.dtype:
    """int32 when every value an index array may hold (all <= max(bounds)) fits in int32, else int64."""
    return np.dtype(np.int32) if max(bounds, default=0) <= INT32_MAX else np.dtype(np.int64)


def children_of(pos: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions pos[p] .. pos[p+1]-1 of the children of every parent position p in `parent`, in
    order, all at once (a global arange shifted per parent), and how many each parent has."""
    starts = pos[parent].astype(np.int64)
    lens = pos[parent + 1] - starts
    offsets = np.cumsum(lens) - lens
    return np.arange(int(lens.sum())) + np.repeat(starts - offsets, lens), lens


def child_range(pos: str, parent: str) -> tuple[str, str]:
    """The first and one-past-the-last position of `parent`'s children, read from the `pos` array
    (compressed, band and bitmap levels all keep one)."""
    after = "1" if parent == "0" else f"{parent} + 1"
    return subscript(pos, parent), subscript(pos, after)


def subscript(array: str, index: str) -> str:
    """`array[u(index)]`: positions are never negative, and an unsigned subscript spares Numba the
    check for Python's negative-index wraparound on every access (it blocks vectorization)."""
    return f"{array}[{index}]" if index.isdigit() else f"{array}[u({index})]"


@dataclass(frozen=True)
class LevelParam:
    """One kernel argument belonging to a level: `kind` names the array ('pos', 'crd', ...)."""

    name: str
    operand: str
    level: int
    kind: str


def guard_memory(count: int, dtype, shape, what: str) -> None:
    """ShapeError before allocating `count` elements of `dtype` when they cannot fit in memory."""
    nbytes = int(count) * np.dtype(dtype).itemsize
    bound = _memory_bound()
    if bound is not None and nbytes > bound:
        raise ShapeError(
            f"{what} of shape {tuple(shape)} needs {nbytes / 2**30:.1f} GiB, more than the "
            f"{bound / 2**30:.1f} GiB of memory on this machine; use a sparse format"
        )


def _memory_bound() -> "int | None":
    """Physical memory in bytes, the most a single array can hope to use; None when unknown."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class Building:
    """A tensor being built from coordinates (see `runtime.storage.build`): its format, its shape, the
    coordinates `keys` (rank, n) in level order, sorted and unique, each level's extent, and the dtype
    of its index arrays."""

    fmt: object
    shape: tuple
    keys: np.ndarray
    extents: tuple
    idx: np.dtype

    def run_end(self, k: int) -> int:
        return run_end(self.fmt.levels, k)


def run_end(levels: tuple, k: int) -> int:
    """The last level sharing positions with level `k`: `k` itself for a unique level; for a non-unique
    one the levels under it, through the first unique one. Together they hold distinct coordinate
    tuples, so `u` of `us` (COO) gets one position per entry."""
    while k + 1 < len(levels) and not levels[k].unique:
        k += 1
    return k


class LevelKind(ABC):
    """A level kind: its letter and what it can do. Subclasses are frozen dataclasses."""

    letter: str = "?"
    # Every coordinate of the mode is stored under every parent (a dense level): it is never absent,
    # needs no order among the loops, and its positions are computed, not stored.
    full: bool = False
    # Finds the position of a coordinate in O(1) (dense by arithmetic).
    locates: bool = False
    # Coordinates never repeat within a parent (COO's top level repeats them).
    unique: bool = True
    # Coordinates increase along a parent's positions.
    ordered: bool = True
    # Must follow a non-unique level, sharing its positions (COO's singletons).
    continues_run: bool = False
    # An output level of this kind is appended to in coordinate order (a full level is located).
    appended: bool = False
    # The level has a `pos` array whose consecutive differences count the positions under each parent
    # (CSR's row pointer): it tells how much work each parent holds, for cutting loops into chunks.
    counts_children: bool = False
    # The arrays an appended output level of this kind holds besides `pos` (counts of children per
    # parent while the kernel runs): one entry per position appended, or one per parent.
    entry_arrays: tuple = ()
    parent_arrays: tuple = ()
    # Zeros stored in a last level of this kind are padding, not entries: listing entries drops them.
    pads: bool = False
    # Each parent's children are one run of consecutive coordinates, dense within (band).
    interval: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """The kind's name in messages: `dense`, `compressed`, `singleton-nonunique`, ..."""

    def before(self, below: "LevelKind | None") -> "LevelKind":
        """This kind as it is when `below` follows it (a singleton followed by a singleton is
        non-unique): letters are read one at a time, then each is told its neighbour."""
        return self

    def merged(self) -> "LevelKind":
        """The kind a kernel assembles for an output of this kind: repeated coordinates merged (a COO
        output is assembled with compressed levels, then converted)."""
        return self

    @abstractmethod
    def max_positions(self, parents: int, entries: int, run_extents: list) -> int:
        """An upper bound on the positions of this level under `parents` parent positions, for a tensor
        of `entries` entries whose levels from this one to the end of its run have `run_extents`."""
        ...

    @abstractmethod
    def code(self, operand: str, level: int, extent: str, names) -> "LevelCode":
        """The code generator of level `level` (0-based) of kernel operand `operand`; `extent` names the
        kernel argument holding its mode's extent, `names` is the kernel's `Namer`."""
        ...

    @abstractmethod
    def build(self, k: int, building: "Building", parent: np.ndarray, count: int):
        """Level `k` of the tensor `building` describes, given each entry's `parent` position and the
        `count` of parent positions. Returns (storage, each entry's position here, count of positions)."""
        ...

    def assembled_as(self, above: tuple, last: bool) -> "LevelKind":
        """The kind a kernel assembles for an output level of this kind, under levels of the kinds
        `above` (themselves as assembled), the last level when `last`: this kind's `merged` one unless
        it has its own way, the runtime converting the result after (COO is assembled as CSF)."""
        return self.merged()

    def assembled(self, extent: int, arrays: "tuple | None") -> "LevelStorage":
        """The storage of an output level from what its kernel returned: `arrays` are the appended
        level's arrays with positions made into offsets (None for a located level)."""
        raise TypeError(f"a {self.name} level is not assembled as an output")

    def __str__(self) -> str:
        return self.letter


class LevelCode(ABC):
    """What the lowerer asks of one level of one operand. Positions and coordinates are Python
    expressions (text); `parent` is the parent level's position ("0" at level 0)."""

    unique: bool = True
    full: bool = False
    appended: bool = False
    interval: bool = False
    # Walked through a list of its coordinates that is not its positions (bitmap): a walk's position
    # gives the coordinate, `locate_tested` then the child's position.
    listed: bool = False
    pos: Optional[str] = None   # the names of the level's arrays, if it has them
    crd: Optional[str] = None

    def locate(self, parent: str, coordinate: str) -> Optional[str]:
        """The position of `coordinate` under `parent` in O(1), or None when the level cannot."""
        return None

    def locate_tested(self, parent: str, coordinate: str) -> Optional[tuple[str, str]]:
        """For a level that locates a coordinate in O(1) but may not hold it: (its position, the
        condition that it is stored); None when the level cannot."""
        return None

    def stored_at(self, position: str) -> str:
        """For a `listed` level: the condition that the child at `position` (located) is stored."""
        raise TypeError(f"a {type(self).__name__} level is not walked through a list")

    def offset(self, parent: str) -> str:
        """For an `interval` level: coordinate minus position along the parent's run."""
        raise TypeError(f"a {type(self).__name__} level has no run of coordinates")

    def bounds(self, parent: str, parent_end: Optional[str] = None):
        """(first, one past the last) position of the children of `parent`, or None when the level is
        never iterated by position; `parent_end` ends the parent's run when the parent is non-unique."""
        return None

    def coordinate(self, position: str, parent: str = "0") -> str:
        """The coordinate stored at `position`, a child of `parent`."""
        raise TypeError(f"a {type(self).__name__} level cannot do this")

    @property
    def params(self) -> tuple[LevelParam, ...]:
        """The kernel arguments this level reads (and, for an output, writes)."""
        return ()

    # -- output assembly: asked only of `appended` levels --------------------------------------------
    # An appended level either stores each coordinate (`store`, into the array `room`, whose length
    # bounds the positions appended) or places values in a run (`append_run`, band); its `pos` array
    # counts children per parent (`add_children`), and `returned` names what the kernel returns.
    room: Optional[str] = None
    parent_room: Optional[str] = None  # the array whose length bounds the parents a level counts

    def store(self, position: str, coordinate: str) -> str:
        """The line storing `coordinate` at `position`."""
        raise TypeError(f"a {type(self).__name__} level does not store coordinates")

    def append_run(self, parent: str, start: str, count: str, coordinate: str, vals: str, nodes) -> list:
        """For a level that stores no coordinates: loop IR that makes `count` the position of
        `coordinate` under `parent` (see `band`)."""
        raise TypeError(f"a {type(self).__name__} level stores its coordinates")

    def add_children(self, parent: str, amount: str) -> str:
        """The line adding `amount` to the count of children of `parent`."""
        raise TypeError(f"a {type(self).__name__} level is not appended to")


class LevelStorage(ABC):
    """A level's arrays in a tensor. `kind` is its `LevelKind`."""

    kind: LevelKind

    @abstractmethod
    def positions(self, parent_count: int) -> int:
        """How many positions this level has under `parent_count` parent positions."""
        ...

    def check(self, k: int, extent: int, parent_count: int) -> None:
        """Cheap consistency checks (O(1)) against the mode's extent and the parent positions; raises
        ShapeError."""

    @abstractmethod
    def walk(self, parent: np.ndarray, coords: list) -> tuple[np.ndarray, list]:
        """Every stored child of the parent positions `parent` (in order): their positions, and the
        coordinate columns so far (one array per level above, aligned with `parent`) extended by this
        level's coordinates."""
        ...

    @abstractmethod
    def children(self, lo: int, hi: int) -> tuple[int, int]:
        """The positions of this level under parent positions [lo, hi)."""
        ...

    @abstractmethod
    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """The positions under parent 0 (level 0 only) of the coordinates in [lo, hi)."""
        ...

    def work_pointer(self):
        """The cumulative positions under each parent (`pos`), or None when the level has none."""
        return None

    def top_window(self, lo: int, hi: int) -> "tuple[LevelStorage, int, int] | None":
        """As level 0: (this level holding only the coordinates in [lo, hi), shifted to start at 0, and
        the positions [first, last) they had), or None when the level cannot be cut so."""
        return None

    def child_bounds(self, bounds: np.ndarray) -> "np.ndarray | None":
        """Below level 0: for parent positions marking runs (b[0], b[1]), (b[1], b[2]), ..., the
        positions of this level marking the runs of their children; None when the level cannot say."""
        return None

    def window(self, lo: int, hi: int) -> "tuple[LevelStorage, int, int] | None":
        """Below level 0: (this level under parent positions [lo, hi) only, renumbered from 0, and the
        positions [first, last) its entries had), or None when the level cannot be cut so."""
        return None
