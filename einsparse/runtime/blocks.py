"""Operands cut into blocks along one mode, and blocks' results put back together (`compiler.partition`
says along which index and how): ranges balanced by stored entries, slices of NumPy arrays, scipy.sparse
matrices, pydata/sparse arrays and tensors, outputs joined in order, partial results combined."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from einsparse.errors import NotSupportedError
from einsparse.runtime.convert import as_tensor, build, from_coo
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
        counts = _counts_from_levels(value, extent) if value.format.mode_order[0] == mode else None
        return counts if counts is not None else np.bincount(value.to_coo()[0][mode], minlength=extent)
    if is_scipy(value):
        matrix = value.tocsr() if mode == 0 else value.tocsc()
        return np.diff(matrix.indptr)
    if hasattr(value, "coords") and hasattr(value, "fill_value"):  # pydata/sparse
        return np.bincount(np.asarray(value.coords[mode], dtype=np.int64), minlength=extent)
    shape = np.shape(value)
    return np.full(extent, math.prod(shape) // max(extent, 1), dtype=np.int64)


def _counts_from_levels(value: Tensor, extent: int) -> "np.ndarray | None":
    """Entries stored under each coordinate of the mode stored first, from the levels' positions."""
    top = value.levels[0]
    found = top.top_window(0, extent)
    if found is None:
        return None
    _, first, last = found
    bounds = np.arange(first, last + 1, dtype=np.int64)
    for level in value.levels[1:]:
        bounds = level.child_bounds(bounds)
        if bounds is None:
            return None
    runs = np.diff(bounds)
    if len(runs) == extent:  # a dense top level: one run per coordinate
        return runs
    # a compressed top level: runs of its stored coordinates (repeated ones in a COO's)
    return np.bincount(top.crd[first:last], weights=runs, minlength=extent).astype(np.int64)


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


def slices(value, mode: int, ranges: list) -> list:
    """`value` restricted to each range lo..hi-1 of coordinates of `mode`, as objects of its kind (a
    sparse tensor of 2 modes as a scipy matrix: the worker reads it in the tensor's format)."""
    if isinstance(value, Tensor) and not value.format.is_dense:
        if value.ndim == 2 and value.fill == 0:
            value = value.to_scipy()
        else:
            return _tensor_slices(value, mode, ranges)
    if isinstance(value, Tensor):
        value = value.to_numpy()
    if is_scipy(value):
        matrix = value.tocsr() if mode == 0 else value.tocsc()
        return [matrix[lo:hi] if mode == 0 else matrix[:, lo:hi] for lo, hi in ranges]
    index = [(slice(None),) * mode + (slice(lo, hi),) for lo, hi in ranges]
    if hasattr(value, "coords") and hasattr(value, "fill_value"):  # pydata/sparse
        return [value[i] for i in index]
    array = np.asarray(value)
    return [np.ascontiguousarray(array[i]) for i in index]


def _windows(value: Tensor, lo: int, hi: int) -> "Tensor | None":
    """`value` cut to coordinates [lo, hi) of the mode it stores first, from its levels' arrays (each
    level kind says how it is cut), or None when a level cannot be cut so."""
    found = value.levels[0].top_window(lo, hi)
    if found is None:
        return None
    level, first, last = found
    levels = [level]
    for below in value.levels[1:]:
        found = below.window(first, last)
        if found is None:
            return None
        level, first, last = found
        levels.append(level)
    mode = value.format.mode_order[0]
    shape = value.shape[:mode] + (hi - lo,) + value.shape[mode + 1:]
    return Tensor(shape, value.format, tuple(levels), value.vals[first:last], fill=value._fill)


def _tensor_slices(value: Tensor, mode: int, ranges: list) -> list:
    """Slices of a sparse tensor: windows of its levels when `mode` is stored first, else the entries of
    each range sorted again."""
    if value.format.mode_order[0] == mode:
        windows = [_windows(value, lo, hi) for lo, hi in ranges]
        if all(window is not None for window in windows):
            return windows
    coords, vals = value.to_coo()  # sorted in storage order
    first = value.format.mode_order[0] == mode
    made = []
    for lo, hi in ranges:
        if first:
            start, stop = np.searchsorted(coords[mode], [lo, hi])
            keys, kept = coords[:, start:stop].copy(), vals[start:stop]
        else:
            keep = (coords[mode] >= lo) & (coords[mode] < hi)
            keys, kept = coords[:, keep], vals[keep]
        keys[mode] -= lo
        shape = value.shape[:mode] + (hi - lo,) + value.shape[mode + 1:]
        part = (build(value.format, shape, keys[list(value.format.mode_order)], kept) if first
                else from_coo(keys, kept, shape, value.format))
        made.append(part if value.fill == 0 else part.with_fill(value.fill))
    return made


def joined(parts: list, mode: int):
    """The blocks' results, each over the next range of `mode`, as one result. Tensors stored with
    `mode` first are joined without sorting (each block's entries follow the last's)."""
    if not isinstance(parts[0], Tensor):
        return np.concatenate([np.asarray(part) for part in parts], axis=mode)
    fmt, fill = parts[0].format, parts[0].fill
    if fill == 0 and fmt.name in ("csr", "csc") and fmt.mode_order[0] == mode:  # scipy stacks the arrays
        stack = sp.vstack if mode == 0 else sp.hstack
        return as_tensor(stack([part.to_scipy() for part in parts], format=fmt.name), fmt)
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
