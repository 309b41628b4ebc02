"""Outputs: where a kernel writes its result, and how the result reaches the user.

A dense output is one flat array the kernel accumulates into (see `dense_output`). A sparse output is assembled by the kernel itself: it gets
first arrays for each compressed level (`pos` holding counts per parent, `crd`) and the values, grows
them as it appends (or stops for room and is called again for the rest: a new piece), and returns them
with their lengths; the runtime trims them, joins the pieces, turns counts into offsets, and wraps them
in a `Tensor` (converted to the requested format when the kernel assembled its unique-level form, e.g.
CSF for COO).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from einsparse.compiler.plan import Plan
from einsparse.errors import DTypeError
from einsparse.runtime import cache, parallel
from einsparse.runtime.convert import as_tensor
from einsparse.runtime.dense_output import DenseOutput
from einsparse.levels import index_dtype
from einsparse.runtime.tensor import Tensor

def make_output(plan: Plan, extents: dict, dtype: np.dtype, given, capacity: int):
    if plan.kernel_output_format is None or plan.kernel_output_format.is_dense:
        return DenseOutput(plan, extents, dtype, given)
    return SparseOutput(plan, extents, dtype, given, capacity)


class SparseOutput:
    """Arrays a kernel appends a sparse output to, and the Tensor made of them afterwards."""

    def __init__(self, plan: Plan, extents: dict, dtype: np.dtype, given, capacity: int):
        name = plan.output.tensor
        fmt = plan.kernel_output_format
        self.plan = plan
        self.shape = tuple(extents[i] for i in plan.output.indices)
        if plan.statement.op == "+=":
            old = as_tensor(given, name=f"output {name}")
            if not np.can_cast(dtype, old.dtype, "same_kind"):
                raise DTypeError(f"cannot accumulate a {dtype} result into output {name} of dtype {old.dtype}")
            dtype = old.dtype
        self.dtype = np.dtype(dtype)
        capacity = max(16, capacity)
        self.arrays: dict[tuple, np.ndarray] = self._counts(capacity)
        self.entry_keys = [(name, level) for level, kind in enumerate(fmt.levels) for name in kind.entry_arrays]
        for name, level in self.entry_keys:
            # Written before they are read, so left unset (np.zeros of a reused block writes every
            # byte); int32 when the extent allows: less to write, and no conversion afterwards.
            self.arrays[(name, level)] = np.empty(capacity, index_dtype(self.shape[fmt.mode_order[level]]))
        # Values below a compressed last level are appended too; below a dense one they are accumulated.
        appended = fmt.levels[-1].appended
        self.vals = (np.empty if appended else np.zeros)(capacity, self.dtype)
        # Whether every array but the counts holds one entry per appended entry, so that a window of
        # them is room for a window of entries: not when a dense level lies below a compressed one.
        first = next((level for level, kind in enumerate(fmt.levels) if kind.appended), len(fmt.levels))
        self.windowed = first < len(fmt.levels) and not any(kind.full for kind in fmt.levels[first:])

    def _counts(self, capacity: int) -> dict[tuple, np.ndarray]:
        """Zeroed counts of children per parent position for each compressed level: as many as the
        positions above when every level above is dense, else one per parent the room allows (see
        `_parents`)."""
        fmt = self.plan.kernel_output_format
        counts, positions, known = {}, 1, True  # positions above, while every level so far is dense
        self.counted_by_position = set()  # the levels whose parents are the dense positions above
        for level, kind in enumerate(fmt.levels):
            if kind.full:
                positions = positions * self.shape[fmt.mode_order[level]] if known else positions
                continue
            parents = positions if known else self._parents(level, capacity)
            counts[("pos", level)] = np.zeros(parents + 1, np.int64)
            for name in kind.parent_arrays:  # written for the parents that get children
                counts[(name, level)] = np.zeros(parents, index_dtype(self.shape[fmt.mode_order[level]]))
            if known:
                self.counted_by_position.add(level)
            known = False
        return counts

    def _parents(self, level: int, room: int) -> int:
        """How many parents a compressed level below another may count with `room` entries: no more
        than the entries, nor than the coordinates the levels above can tell apart (a DCSR matrix's
        rows: its 2,000 row counts need not be zeroed for 2M entries of room). A kernel that finds no
        room for a parent's count stops there and goes on in a new piece, like for its entries."""
        fmt = self.plan.kernel_output_format
        return min(room, math.prod(self.shape[fmt.mode_order[above]] for above in range(level)))

    def windows(self, rooms: list[int], rows_apart: bool) -> list["SparseOutput"]:
        """Outputs appending to consecutive windows of this one's arrays, `rooms` entries each: the
        chunks of one call fill them, so that when each chunk fits its window the join only closes the
        gaps between them (see `_compacted`) instead of copying every entry. Counts per appended parent
        are windows too (a window's own first count is never written); counts below dense levels only
        are shared when `rows_apart` (each chunk counts its own rows), else each window has its own."""
        # Counts per appended parent: consecutive windows of one zeroed array, as many as each room allows
        # (this output's own when it is long enough).
        parents = {key: [self._parents(key[1], room) for room in rooms] for key in self.arrays
                   if key[0] == "pos" and key[1] not in self.counted_by_position}
        by_parent = {key: (self.arrays[key] if len(self.arrays[key]) > sum(sizes)
                           else np.zeros(sum(sizes) + 1, np.int64)) for key, sizes in parents.items()}
        parts, start, parent_starts = [], 0, dict.fromkeys(parents, 0)
        for window, room in enumerate(rooms):
            part = copy.copy(self)
            part.arrays = {}
            for key, array in self.arrays.items():
                if key in self.entry_keys:
                    part.arrays[key] = array[start:start + room]
                elif key in parents:
                    first, size = parent_starts[key], parents[key][window]
                    part.arrays[key] = by_parent[key][first:first + size + 1]
                    parent_starts[key] = first + size
                else:
                    part.arrays[key] = array if rows_apart else np.zeros_like(array)
            part.vals = self.vals[start:start + room]
            parts.append(part)
            start += room
        return parts

    def argument(self, param):
        return self.vals if param.kind == "vals" else self.arrays[(param.kind, param.level)]

    def result(self, returned) -> Tensor:
        """The Tensor made of what the kernel returned: (pos, crd, count) per compressed level, vals."""
        return self.join([returned])

    def join(self, pieces, threads: int = 1) -> Tensor:
        """The Tensor made of what chunks of the kernel returned, in order (see `parallel`).

        Each piece holds, per compressed level, counts of children per parent position and the
        coordinates appended, plus values. Below dense levels only, parent positions are the same in
        every chunk, and each chunk counted only its own parents, so counts add up; below a compressed
        level, each chunk's parents are its own appended positions, so counts follow each other.
        Pieces written in windows of this output's arrays (see `windows`) are moved together in place;
        others are copied into new arrays by `threads` threads (see `_concatenated`).
        """
        fmt = self.plan.kernel_output_format
        trimmed = [self._trim(list(returned), compact=len(pieces) == 1) for returned in pieces]
        columns = ([[levels_of[level][1][name] for levels_of, _ in trimmed] for name, level in self.entry_keys]
                   + [[vals for _, vals in trimmed]])
        buffers = [self.arrays[key] for key in self.entry_keys] + [self.vals]
        joined = None
        if len(pieces) > 1 and self.windowed:
            joined = _compacted(columns, buffers, threads)
        if joined is None:
            joined = _concatenated(columns, threads)
        vals = joined.pop()
        dtype = index_dtype(len(vals), *self.shape)
        levels, known = [], True
        for level, kind in enumerate(fmt.levels):
            if kind.full:
                levels.append(None)
                continue
            count = _joined_counts([levels_of[level][0] for levels_of, _ in trimmed], known)
            per_parent = [_joined_counts([levels_of[level][2][name] for levels_of, _ in trimmed], known, 0)
                          for name in kind.parent_arrays]
            # Counts per parent -> offsets, in the index type (no conversion afterwards).
            offsets = cache.helpers().prefix_sum(count, np.empty(len(count), dtype))
            per_entry = [joined[self.entry_keys.index((name, level))] for name in kind.entry_arrays]
            levels.append((offsets, *per_entry, *per_parent))
            known = False
        built = [kind.assembled(self.shape[fmt.mode_order[k]],
                                None if arrays is None else tuple(a.astype(dtype, copy=False) for a in arrays))
                 for k, (kind, arrays) in enumerate(zip(fmt.levels, levels))]
        tensor = Tensor.trusted(self.shape, fmt, tuple(built), vals)  # assembled here: consistent by making
        requested = self.plan.formats[self.plan.output.tensor]
        return tensor if requested == fmt else tensor.asformat(requested)

    def _trim(self, returned: list, compact: bool) -> tuple[dict, np.ndarray]:
        """One piece's (counts, {entry arrays}, {parent arrays}) per appended level, and its values, cut
        to their lengths.
        With `compact`, an array using less than half of its buffer is copied, so the result does not
        hold on to the rest (a Hadamard product of two large matrices may have a handful of entries)."""
        fmt = self.plan.kernel_output_format
        cut = _fitted if compact else (lambda array, length: array[:length])
        vals = returned.pop()
        levels, count = {}, 1
        for level, kind in enumerate(fmt.levels):
            if kind.full:
                count *= self.shape[fmt.mode_order[level]]
                continue
            width = 1 + len(kind.entry_arrays) + len(kind.parent_arrays) + 1
            pos, *arrays, n = returned[:width]
            del returned[:width]
            per_entry = dict(zip(kind.entry_arrays, arrays))
            per_parent = dict(zip(kind.parent_arrays, arrays[len(kind.entry_arrays):]))
            levels[level] = (pos[:count + 1],  # counts: made into new offsets anyway
                             {name: cut(array, n) for name, array in per_entry.items()},
                             {name: array[:count] for name, array in per_parent.items()})
            count = n
        return levels, cut(vals, count)


def _joined_counts(counts: list, known: bool, skip: int = 1) -> np.ndarray:
    """Per-parent arrays of the pieces joined: below dense levels only (`known`), every piece has every
    parent and wrote only its own, so they add up (into the first's, once for each array); else each
    piece's parents follow the last piece's (past the first `skip` entries, a count array's leading 0)."""
    if len(counts) == 1:
        return counts[0]
    if known:
        total = counts[0]
        seen = {total.ctypes.data}
        for other in counts[1:]:
            if other.ctypes.data not in seen:
                seen.add(other.ctypes.data)
                np.add(total, other, out=total)
        return total
    return np.concatenate([counts[0][:skip]] + [c[skip:] for c in counts])


def _fitted(array: np.ndarray, length: int) -> np.ndarray:
    """array[:length], copied when that is less than half of it (the copy costs less than what it frees)."""
    return array[:length].copy() if 2 * length < len(array) else array[:length]


def _concatenated(columns: list[list[np.ndarray]], threads: int) -> list[np.ndarray]:
    """Each column's pieces concatenated. The offset of every piece is known from the lengths before
    (their prefix sum), so each piece is copied into place independently, on `threads` threads: the
    copy of a large sparse output (SpGEMM's 20M entries: 240 MB) is most of what joining costs."""
    if all(len(pieces) == 1 for pieces in columns):
        return [pieces[0] for pieces in columns]
    joined = [np.empty(sum(len(piece) for piece in pieces), np.result_type(*pieces)) for pieces in columns]
    offsets = [np.cumsum([0] + [len(piece) for piece in pieces]).tolist() for pieces in columns]

    def copy(k: int):
        for pieces, target, starts in zip(columns, joined, offsets):
            target[starts[k]:starts[k + 1]] = pieces[k]

    parallel.run_all([lambda k=k: copy(k) for k in range(len(columns[0]))], threads)
    return joined


def _compacted(columns: list[list[np.ndarray]], buffers: list[np.ndarray], threads: int
               ) -> "list[np.ndarray] | None":
    """Each column's pieces moved, in order, to follow each other from the start of that column's buffer,
    where they were written in windows, most of them already in place or close to it (a chunk stores
    fewer entries than its window holds only where its operands' entries overlap or cancel); pieces
    written elsewhere (a chunk that outgrew its window) are copied in. None when a move would overwrite
    a piece not yet moved; the pieces are then concatenated instead.

    Pieces move on `threads` threads at once: a piece's destination can overlap only the tail of the
    pieces before it (they move left by no more than it does), so each first sets aside that head of its
    own, moves the rest, and the heads are written once every piece has moved. The buffers keep what
    room is left when that is less than the entries (see `_fitted`)."""
    moves, heads, joined = [], [], []
    for pieces, buffer in zip(columns, buffers):
        starts = [_start_within(piece, buffer) for piece in pieces]
        later = len(buffer)  # the lowest start of a piece after this one
        for piece, start, target in reversed(list(zip(pieces, starts, _targets(pieces)))):
            if target + len(piece) > later:
                return None
            later = min(later, start) if start is not None else later
        end_of_sources = 0  # where the sources of the pieces before this one end
        for piece, start, target in zip(pieces, starts, _targets(pieces)):
            if start != target and len(piece):
                head = min(len(piece), max(0, end_of_sources - target))
                moves.append((buffer, target, piece, head))
            if start is not None:
                end_of_sources = max(end_of_sources, start + len(piece))
        joined.append((buffer, sum(len(piece) for piece in pieces)))

    def move(buffer, target, piece, head):
        kept = piece[:head].copy()
        buffer[target + head:target + len(piece)] = piece[head:]  # 1-d, same direction: overlaps are safe
        heads.append((buffer, target, kept))

    if moves:
        parallel.run_all([lambda m=m: move(*m) for m in moves], threads)
    for buffer, target, kept in heads:
        buffer[target:target + len(kept)] = kept
    return [_fitted(buffer, length) for buffer, length in joined]


def _targets(pieces: list[np.ndarray]) -> list[int]:
    """Where each piece goes when they follow each other from 0."""
    return np.cumsum([0] + [len(piece) for piece in pieces[:-1]]).tolist()


def _start_within(piece: np.ndarray, buffer: np.ndarray) -> "int | None":
    """Where `piece` starts in `buffer` when it is a window of it, else None."""
    if piece.dtype != buffer.dtype or len(piece) == 0:
        return None
    offset = piece.ctypes.data - buffer.ctypes.data
    if offset % buffer.itemsize or not 0 <= offset // buffer.itemsize <= len(buffer) - len(piece):
        return None
    return offset // buffer.itemsize
