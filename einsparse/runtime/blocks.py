"""Operands cut into blocks along one mode, and blocks' results put back together (`compiler.partition`
says along which index and how): ranges balanced by stored entries, slices of NumPy arrays, scipy.sparse
matrices, pydata/sparse arrays and tensors, outputs joined in order, partial results combined."""

from __future__ import annotations

import math

import numpy as np

from einsparse.errors import NotSupportedError
from einsparse.runtime.convert import build, from_coo
from einsparse.runtime.stored import is_scipy
from einsparse.runtime.tensor import Tensor

# The reductions that combine blocks' partial results, as NumPy's functions (min and max pass nan on).
COMBINE = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum,
           "or": np.logical_or, "and": np.logical_and}


def entries_along(value, mode: int, extent: int) -> np.ndarray:
    """How many entries `value` stores at each coordinate of `mode` (a dense array: all of them)."""
    if isinstance(value, Tensor):
        if value.format.is_dense:
            return np.full(extent, math.prod(value.shape) // max(extent, 1), dtype=np.int64)
        return np.bincount(value.to_coo()[0][mode], minlength=extent)
    if is_scipy(value):
        matrix = value.tocsr() if mode == 0 else value.tocsc()
        return np.diff(matrix.indptr)
    if hasattr(value, "coords") and hasattr(value, "fill_value"):  # pydata/sparse
        return np.bincount(np.asarray(value.coords[mode], dtype=np.int64), minlength=extent)
    shape = np.shape(value)
    return np.full(extent, math.prod(shape) // max(extent, 1), dtype=np.int64)


def balanced_ranges(counts: np.ndarray, blocks: int) -> list[tuple[int, int]]:
    """At most `blocks` consecutive ranges of coordinates holding about equal entries (a coordinate
    counts one more than it stores, so long runs of empty rows are split too)."""
    extent = len(counts)
    if extent == 0:
        return [(0, 0)]
    weights = np.cumsum(counts.astype(np.float64) + 1.0)
    targets = weights[-1] * np.arange(1, blocks) / blocks
    cuts = np.unique(np.concatenate([[0], np.searchsorted(weights, targets, side="right"), [extent]]))
    return [(int(lo), int(hi)) for lo, hi in zip(cuts[:-1], cuts[1:]) if hi > lo]


def sliced(value, mode: int, lo: int, hi: int):
    """`value` restricted to coordinates lo..hi-1 of `mode`, as an object of the same kind."""
    if isinstance(value, Tensor):
        if value.format.is_dense:
            return _dense_slice(value, mode, lo, hi)
        coords, vals = value.to_coo()
        keep = (coords[mode] >= lo) & (coords[mode] < hi)
        coords = coords[:, keep]
        coords[mode] -= lo
        shape = value.shape[:mode] + (hi - lo,) + value.shape[mode + 1:]
        made = from_coo(coords, vals[keep], shape, value.format)
        return made if value.fill == 0 else made.with_fill(value.fill)
    if is_scipy(value):
        if mode == 0:
            return value.tocsr()[lo:hi]
        return value.tocsc()[:, lo:hi]
    index = (slice(None),) * mode + (slice(lo, hi),)
    if hasattr(value, "coords") and hasattr(value, "fill_value"):  # pydata/sparse
        return value[index]
    return np.ascontiguousarray(np.asarray(value)[index])


def _dense_slice(value: Tensor, mode: int, lo: int, hi: int) -> np.ndarray:
    index = (slice(None),) * mode + (slice(lo, hi),)
    return np.ascontiguousarray(value.to_numpy()[index])


def joined(parts: list, mode: int):
    """The blocks' results, each over the next range of `mode`, as one result. Tensors stored with
    `mode` first are joined without sorting (each block's entries follow the last's)."""
    if not isinstance(parts[0], Tensor):
        return np.concatenate([np.asarray(part) for part in parts], axis=mode)
    fmt, fill = parts[0].format, parts[0].fill
    shape = parts[0].shape[:mode] + (sum(part.shape[mode] for part in parts),) + parts[0].shape[mode + 1:]
    keys, vals, offset = [], [], 0
    for part in parts:
        coords, values = part.to_coo()
        coords = coords.copy()
        coords[mode] += offset
        offset += part.shape[mode]
        keys.append(coords)
        vals.append(values)
    keys = np.concatenate(keys, axis=1) if keys else np.zeros((len(shape), 0), dtype=np.int64)
    vals = np.concatenate(vals)
    if fmt.mode_order and fmt.mode_order[0] == mode:  # already in storage order
        made = build(fmt, shape, keys[list(fmt.mode_order)], vals)
    else:
        made = from_coo(keys, vals, shape, fmt)
    return made if fill == 0 else made.with_fill(fill)


def combined(a, b, op: str):
    """Two blocks' partial results over the whole output combined by reduction `op`."""
    ufunc = COMBINE.get(op)
    if ufunc is None:
        raise NotSupportedError(f"partial results of a {op} reduction are not combined")
    if not isinstance(a, Tensor):
        result = ufunc(a, b)
        return result.astype(np.result_type(a, b), copy=False) if isinstance(result, np.ndarray) else result
    (ka, va), (kb, vb) = a.to_coo(), b.to_coo()
    keys = np.concatenate([ka, kb], axis=1)
    # An entry stored in one partial meets the other's fill.
    left = np.concatenate([va, np.full(len(vb), a.fill, dtype=va.dtype)])
    right = np.concatenate([np.full(len(va), b.fill, dtype=vb.dtype), vb])
    order = np.lexsort(keys[::-1]) if keys.shape[1] else np.zeros(0, dtype=np.int64)
    keys, left, right = keys[:, order], left[order], right[order]
    first = np.ones(keys.shape[1], dtype=bool)
    if keys.shape[1]:
        first[1:] = np.any(keys[:, 1:] != keys[:, :-1], axis=0)
    starts = np.flatnonzero(first)
    # a coordinate stored in both appears twice: its left value is the first's, its right the second's
    left_values = left[starts]
    right_values = np.where(np.r_[first[1:], True][starts], right[starts], right[np.minimum(starts + 1, len(right) - 1)])
    values = ufunc(left_values, right_values)
    fill = ufunc(a.fill, b.fill)
    made = from_coo(keys[:, starts], values, a.shape, a.format)
    return made if fill == 0 else made.with_fill(fill)
