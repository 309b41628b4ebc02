"""Level storage in bulk: building a tensor's levels from coordinates, and walking them back.

Every format goes through two general routines instead of one function per pair of formats: `build`
turns coordinates sorted in level order into levels, top down, each level kind building its own (see
`einsparse.levels`); `walk` expands levels back into coordinates, top down. Converting between any two
formats of one rank is walk + build. Both are vectorized: the only Python loop is over levels.

These functions take and return plain storage (a format, a shape, levels, values), not `Tensor`s: the
tensor class sits above them and wraps what they return.
"""

from __future__ import annotations

import math

import numpy as np

from einsparse.levels import index_dtype
from einsparse.levels.base import Building, guard_memory, run_end


def build(fmt, shape, keys: np.ndarray, vals: np.ndarray) -> tuple[list, np.ndarray]:
    """The levels and values of the tensor holding `vals` at `keys` (rank, n): coordinates in level
    order, sorted and unique.

    Each level maps every entry to its position there; the positions stay sorted along the entries, so
    the children of one parent are consecutive. A dense innermost level pads the values with zeros.
    """
    shape = tuple(shape)
    n = keys.shape[1]
    extents = tuple(shape[m] for m in fmt.mode_order)
    building = Building(fmt, shape, keys, extents, index_dtype(n, *extents, *_position_bounds(fmt, extents, n)))
    parent, count, levels = np.zeros(n, np.int64), 1, []
    for k, kind in enumerate(fmt.levels):
        level, parent, count = kind.build(k, building, parent, count)
        levels.append(level)
    if count == n:  # one value per position, in order: the values are already laid out
        return levels, vals
    guard_memory(count, vals.dtype, shape, f"format {fmt} of a tensor")
    out = np.zeros(count, vals.dtype)
    out[parent] = vals
    return levels, out


def _position_bounds(fmt, extents: tuple, n: int):
    """An upper bound on the positions of each level: what its index arrays may have to hold."""
    count = 1
    for k, kind in enumerate(fmt.levels):
        count = kind.max_positions(count, n, list(extents[k : run_end(fmt.levels, k) + 1]))
        yield count


def walk(levels, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Every stored position: (coordinates in level order (rank, n) int64, last-level positions).

    The coordinates come out sorted lexicographically in level order.
    """
    parent, coords = np.zeros(1, np.int64), []
    for level in levels:
        parent, coords = level.walk(parent, coords)
    keys = np.array(coords, np.int64).reshape(rank, len(parent))
    return keys, parent


def entries(fmt, levels, vals, order, fill=None) -> tuple[np.ndarray, np.ndarray]:
    """The entries (padding zeros dropped; entries equal to a fill other than 0 too, for an all-dense
    tensor) with coordinates in level order of `order`, sorted."""
    keys, positions = walk(levels, fmt.rank)
    vals = vals[positions]
    if fmt.rank > 0 and fmt.levels[-1].pads:  # zeros a dense (or band) last level stores are padding
        keep = (vals != 0) if fill is None else ~_equal(vals, fill)
        keys, vals = keys[:, keep], vals[keep]
    by_mode = np.empty_like(keys)
    by_mode[list(fmt.mode_order)] = keys
    return sorted_unique(by_mode[list(order)], vals)


def dense_array(fmt, shape, levels, vals, fill=None) -> np.ndarray:
    """The dense array of a tensor's storage, `fill` (None: 0) where nothing is stored; for an all-full
    format a view of `vals` (no copy)."""
    guard_memory(np.prod(shape, dtype=object), vals.dtype, shape, "a dense array")
    if fmt.is_dense:  # vals is the array with its modes in level order
        level_shape = [shape[m] for m in fmt.mode_order]
        return vals.reshape(level_shape).transpose(np.argsort(fmt.mode_order))
    out = np.zeros(shape, vals.dtype) if fill is None else np.full(shape, fill, vals.dtype)
    keys, positions = walk(levels, fmt.rank)
    by_mode = np.empty_like(keys)
    by_mode[list(fmt.mode_order)] = keys
    out[tuple(by_mode)] = vals[positions]
    return out


def _equal(values: np.ndarray, fill) -> np.ndarray:
    """Where `values` equal `fill`, nan equal to nan."""
    return (values != values) if fill != fill else (values == fill)


def sorted_unique(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort the columns of `keys` (rank, n) lexicographically and sum the values of equal columns."""
    rank, n = keys.shape
    if rank == 0:  # every entry of a 0-d tensor is its one value
        return np.zeros((0, 1), np.int64), np.atleast_1d(vals.sum(dtype=vals.dtype))
    if n <= 1:
        return keys, vals
    linear, bounds = _linear_keys(keys)
    if linear is None:  # coordinates too large for one int64: compare rows
        if strictly_sorted(keys):
            return keys, vals
        order = np.lexsort(keys[::-1])  # lexsort's last key is the primary one
        keys, vals = keys[:, order], vals[order]
        first = np.ones(n, bool)
        first[1:] = (keys[:, 1:] != keys[:, :-1]).any(axis=0)
        starts = np.flatnonzero(first)
        return keys[:, starts], np.add.reduceat(vals, starts, dtype=vals.dtype)
    if (linear[1:] > linear[:-1]).all():
        return keys, vals
    if int(linear.max()) < 2**63 // n:
        # Each key with its column number appended is unique, so sorting these numbers (np.sort is
        # vectorized, several times faster than argsort) gives the keys in order, duplicates in their
        # original order, and the permutation itself as the remainders.
        combined = linear * n + np.arange(n)
        combined.sort()
        linear = combined // n
        order = combined - linear * n
    else:
        order = np.argsort(linear, kind="stable")
        linear = linear[order]
    first = np.ones(n, bool)
    np.not_equal(linear[1:], linear[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return _split_keys(linear[starts], bounds, keys.dtype), np.add.reduceat(vals[order], starts, dtype=vals.dtype)


def _split_keys(linear: np.ndarray, bounds: list, dtype) -> np.ndarray:
    """The coordinate columns (rank, n) that `_linear_keys` turned into `linear` (which is overwritten)."""
    keys = np.empty((len(bounds), linear.size), dtype)
    quotient = np.empty_like(linear)
    for row in range(len(bounds) - 1, 0, -1):
        np.floor_divide(linear, bounds[row], out=quotient)
        linear -= quotient * bounds[row]
        keys[row] = linear
        linear, quotient = quotient, linear
    keys[0] = linear
    return keys


def _linear_keys(keys: np.ndarray):
    """Each column of `keys` as one int64, ordered as the columns are lexicographically, and the bound
    of each row; (None, None) when the coordinates are negative or their ranges multiply past int64."""
    bounds = [int(b) + 1 for b in keys.max(axis=1)]
    if int(keys.min()) < 0 or math.prod(bounds) >= 2**63:
        return None, None
    linear = np.zeros(keys.shape[1], np.int64)
    for row, bound in zip(keys, bounds):
        linear *= bound
        linear += row
    return linear, bounds


def strictly_sorted(keys: np.ndarray) -> bool:
    """Whether consecutive columns strictly increase lexicographically (so no sort is needed)."""
    step = np.diff(keys, axis=1)
    differs = step != 0
    first = differs.argmax(axis=0)  # the row deciding each comparison
    return bool((differs.any(axis=0) & (step[first, np.arange(step.shape[1])] > 0)).all())
