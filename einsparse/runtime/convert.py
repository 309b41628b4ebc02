"""Getting data into and out of `Tensor`s: NumPy, scipy.sparse, pydata/sparse, coordinate lists.

Every format goes through two general routines instead of one function per pair of formats:
`build` turns coordinates sorted in level order into levels, top down; `walk` expands levels back into
coordinates, top down. `asformat` is walk + build, between any two formats of one rank. Both are
vectorized: the only Python loop is over levels.

Inputs are canonicalized on the way in: entries sorted lexicographically in level order, duplicates
summed, so no tensor stores one full coordinate twice. A non-unique compressed level (`u`) and the
singletons under it form a run: the run gets one position per distinct coordinate tuple over its
levels, so a COO tensor (`us`, `uss`) gets one position per entry. A singleton level (`s`) repeats
its parent's positions and stores one coordinate each.

scipy and pydata COO arrays are read as format `coo` (`c` for one mode, `us`, `uss`, ...), sharing
their coordinate arrays when they are canonical (sorted row-major, no duplicates); scipy CSR/CSC share
theirs as `csr`/`csc`.

Zeros: a dense innermost level stores a value at every coordinate under its parent, so a zero there is
padding, not an entry. When a tensor whose innermost level is dense (a NumPy array, `dense`, `cd`, ...)
is converted to a format with a compressed level, or listed by `to_coo`, values exactly equal to zero
are dropped. A tensor whose innermost level is compressed (csr, csc, csf, a COO list, ...) keeps its
explicitly stored zeros: each of its values sits at a coordinate that was stored on purpose.

Index arrays (pos, crd) share one dtype per tensor: int32 when every coordinate and every position count
fits in int32, else int64; tensors taken from scipy keep scipy's index dtype. Values are normalized by
`normalize_dtype`.
"""

from __future__ import annotations

import math
import os

import numpy as np

from einsparse.compiler.formats import (
    COMPRESSED,
    DENSE,
    Format,
    is_compressed,
    is_singleton,
    is_unique,
    parse_format,
)
from einsparse.errors import DTypeError, FormatError, OperandError, ShapeError
from einsparse.runtime.levels import CompressedLevel, DenseLevel, SingletonLevel, index_dtype
from einsparse.runtime.tensor import VALUE_DTYPES, Tensor

# Input value types the kernels do not compute with, and the supported type each becomes.
_PROMOTE = {
    np.dtype(np.bool_): np.int64,
    np.dtype(np.int8): np.int64,
    np.dtype(np.int16): np.int64,
    np.dtype(np.uint8): np.int64,
    np.dtype(np.uint16): np.int64,
    np.dtype(np.uint32): np.int64,
    np.dtype(np.float16): np.float32,
    np.dtype(np.complex64): np.complex128,
}


# ---------------------------------------------------------------------------------------------- dtypes


def normalize_dtype(dtype, name: str = "operand") -> np.dtype:
    """The supported value dtype an input of `dtype` is stored as; DTypeError naming `name` if none."""
    dtype = np.dtype(dtype)
    native = dtype.newbyteorder("=")  # '>f8' is float64 data in the wrong byte order, not another type
    if native in VALUE_DTYPES:
        return native
    if native in _PROMOTE:
        return np.dtype(_PROMOTE[native])
    raise DTypeError(
        f"{name} has dtype {dtype}, which einsparse does not compute with; "
        f"use float32, float64, int32, int64 or complex128"
    )


def _values(array: np.ndarray, name: str) -> np.ndarray:
    """`array` as a supported dtype, copying only when the dtype must change."""
    return array.astype(normalize_dtype(array.dtype, name), copy=False)


# ---------------------------------------------------------------------------------------------- memory


def _memory_bound() -> int | None:
    """Physical memory in bytes, the most a single array can hope to use; None when unknown."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _guard(count: int, dtype, shape, what: str) -> None:
    """ShapeError before allocating `count` elements of `dtype` when they cannot fit in memory."""
    nbytes = int(count) * np.dtype(dtype).itemsize
    bound = _memory_bound()
    if bound is not None and nbytes > bound:
        raise ShapeError(
            f"{what} of shape {tuple(shape)} needs {nbytes / 2**30:.1f} GiB, more than the "
            f"{bound / 2**30:.1f} GiB of memory on this machine; use a sparse format"
        )


# ---------------------------------------------------------------------------------------------- build


def _default(fmt, rank: int, name: str, kind: str = DENSE) -> Format:
    if fmt is None:
        return Format((kind,) * rank, tuple(range(rank)))
    return parse_format(fmt, rank, what=f"format of {name}")


def _sorted_unique(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort the columns of `keys` (rank, n) lexicographically and sum the values of equal columns."""
    rank, n = keys.shape
    if rank == 0:  # every entry of a 0-d tensor is its one value
        return np.zeros((0, 1), np.int64), np.atleast_1d(vals.sum(dtype=vals.dtype))
    if n <= 1:
        return keys, vals
    linear, bounds = _linear_keys(keys)
    if linear is None:  # coordinates too large for one int64: compare rows
        if _strictly_sorted(keys):
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


def _coo_format(rank: int) -> Format:
    """Format `coo` of `rank`; a 0-d tensor has no levels, so its one value is stored dense."""
    return parse_format("coo", rank) if rank else Format.dense(0)


def _strictly_sorted(keys: np.ndarray) -> bool:
    """Whether consecutive columns strictly increase lexicographically (so no sort is needed)."""
    step = np.diff(keys, axis=1)
    differs = step != 0
    first = differs.argmax(axis=0)  # the row deciding each comparison
    return bool((differs.any(axis=0) & (step[first, np.arange(step.shape[1])] > 0)).all())


def build(fmt: Format, shape, keys: np.ndarray, vals: np.ndarray) -> Tensor:
    """The tensor holding `vals` at `keys` (rank, n): coordinates in level order, sorted and unique.

    Each level maps every entry to its position there; the positions stay sorted along the entries,
    so a compressed level's children of one parent are consecutive and its new positions start where
    the parent or the coordinates of the level's run change (see `_run_end`). A singleton level keeps
    its parent's positions.
    """
    shape = tuple(shape)
    n = keys.shape[1]
    extents = [shape[m] for m in fmt.mode_order]
    idx = index_dtype(n, *extents, *_position_counts(fmt, extents, n))
    parent, count, levels = np.zeros(n, np.int64), 1, []
    for k, (kind, extent, crd) in enumerate(zip(fmt.levels, extents, keys)):
        if kind == DENSE:
            parent, count = parent * extent + crd, count * extent
            levels.append(DenseLevel(extent))
        elif is_singleton(kind):
            levels.append(SingletonLevel(_singleton_crd(parent, count, crd, idx, fmt, k), is_unique(kind)))
        else:
            run = keys[k : _run_end(fmt, k) + 1]
            new = np.ones(n, bool)
            new[1:] = (parent[1:] != parent[:-1]) | (run[:, 1:] != run[:, :-1]).any(axis=0)
            _guard(count + 1, idx, shape, f"format {fmt} of a tensor")
            pos = np.zeros(count + 1, idx)
            np.cumsum(np.bincount(parent[new], minlength=count), out=pos[1:])
            levels.append(CompressedLevel(pos, crd[new].astype(idx), is_unique(kind)))
            parent, count = np.cumsum(new) - 1, int(new.sum())
    if count == n:  # one value per position, in order: the values are already laid out
        out = vals
    else:  # a dense innermost level pads with zeros
        _guard(count, vals.dtype, shape, f"format {fmt} of a tensor")
        out = np.zeros(count, vals.dtype)
        out[parent] = vals
    return Tensor(shape, fmt, levels, out)


def _run_end(fmt: Format, k: int) -> int:
    """The last level sharing positions with level `k`: `k` itself for a unique level; for a non-unique
    one the singletons under it, through the first unique one. Together they hold distinct
    coordinate tuples, so `u` of `us` (COO) gets one position per entry."""
    while k + 1 < fmt.rank and not is_unique(fmt.levels[k]):
        k += 1
    return k


def _singleton_crd(parent, count: int, crd, idx, fmt: Format, k: int) -> np.ndarray:
    """A singleton level's crd: the one coordinate of each parent position's entries."""
    out = np.zeros(count, idx)
    out[parent] = crd
    if (out[parent] != crd).any():  # the run above gives each tuple its own position, so only when
        raise FormatError(  # a singleton sits under a level that merges different coordinates
            f"format {fmt}: singleton level {k} would need two coordinates under one parent position"
        )
    return out


def _position_counts(fmt: Format, extents, n: int):
    """An upper bound on the positions of each level: what its index arrays may have to hold."""
    count = 1
    for k, kind in enumerate(fmt.levels):
        if kind == DENSE:
            count *= extents[k]
        elif is_compressed(kind):  # one position per entry at most, and per distinct tuple of its run
            count = min(n, count * math.prod(extents[k : _run_end(fmt, k) + 1]))
        yield count  # a singleton level has its parent's positions


# ---------------------------------------------------------------------------------------------- walk


def walk(t: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Every stored position of `t`: (coordinates in level order (rank, n) int64, last-level positions).

    The coordinates come out sorted lexicographically in level order.
    """
    parent, coords = np.zeros(1, np.int64), []
    for level in t.levels:
        if isinstance(level, DenseLevel):
            size = level.size
            coords = [c.repeat(size) for c in coords] + [np.tile(np.arange(size), len(parent))]
            parent = (parent[:, None] * size + np.arange(size)).ravel()
            continue
        if isinstance(level, SingletonLevel):  # one child per parent, at the same position
            coords.append(level.crd[parent].astype(np.int64))
            continue
        starts = level.pos[parent].astype(np.int64)
        lens = level.pos[parent + 1] - starts
        # positions of each parent's children, all at once: a global arange shifted per parent
        offsets = np.cumsum(lens) - lens
        q = np.arange(int(lens.sum())) + np.repeat(starts - offsets, lens)
        coords = [c.repeat(lens) for c in coords] + [level.crd[q].astype(np.int64)]
        parent = q
    keys = np.array(coords, np.int64).reshape(t.ndim, len(parent))
    return keys, parent


def _has_padding(fmt: Format) -> bool:
    return fmt.rank > 0 and fmt.levels[-1] == DENSE


def _entries(t: Tensor, order) -> tuple[np.ndarray, np.ndarray]:
    """The entries of `t` (padding zeros dropped) with coordinates in level order of `order`, sorted."""
    keys, positions = walk(t)
    vals = t.vals[positions]
    if _has_padding(t.format):
        keep = vals != 0
        keys, vals = keys[:, keep], vals[keep]
    by_mode = np.empty_like(keys)
    by_mode[list(t.format.mode_order)] = keys
    return _sorted_unique(by_mode[list(order)], vals)


def to_coo(t: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(coords int64 (ndim, n), values) in row-major order of the modes; padding zeros dropped."""
    return _entries(t, range(t.ndim))


def asformat(t: Tensor, format) -> Tensor:
    fmt = parse_format(format, t.ndim, what="target format")
    if fmt == t.format:
        return t
    if fmt.is_dense and t.format.is_dense:  # only a transpose
        return from_numpy(to_numpy(t), fmt)
    keys, vals = _entries(t, fmt.mode_order)
    return build(fmt, t.shape, keys, vals)


def to_numpy(t: Tensor) -> np.ndarray:
    _guard(np.prod(t.shape, dtype=object), t.dtype, t.shape, "a dense array")
    if t.format.is_dense:  # vals is the array with its modes in level order
        level_shape = [t.shape[m] for m in t.format.mode_order]
        return t.vals.reshape(level_shape).transpose(np.argsort(t.format.mode_order))
    out = np.zeros(t.shape, t.dtype)
    keys, positions = walk(t)
    by_mode = np.empty_like(keys)
    by_mode[list(t.format.mode_order)] = keys
    out[tuple(by_mode)] = t.vals[positions]
    return out


# ---------------------------------------------------------------------------------------------- numpy


def from_numpy(array, format=None, *, name: str = "array") -> Tensor:
    """A tensor holding `array`; dense row-major (no copy for a C-contiguous array) unless `format`."""
    array = np.asarray(array)
    fmt = _default(format, array.ndim, name)
    array = _values(array, name)
    by_level = array.transpose(fmt.mode_order)
    if fmt.is_dense:
        _guard(array.size, array.dtype, array.shape, "a dense array")
        vals = np.ascontiguousarray(by_level).ravel()
        return Tensor(array.shape, fmt, [DenseLevel(by_level.shape[k]) for k in range(array.ndim)], vals)
    keys = np.nonzero(by_level)  # row-major over the levels: already sorted for `build`
    return build(fmt, array.shape, np.array(keys, np.int64).reshape(array.ndim, -1), by_level[keys])


# ---------------------------------------------------------------------------------------------- coo


def from_coo(coords, values, shape, format=None, *, name: str = "operand") -> Tensor:
    """A tensor from coordinates (ndim, nnz) and values (nnz,); duplicates summed; default csf."""
    try:
        shape = tuple(int(n) for n in shape)
    except TypeError:
        raise ShapeError(f"shape of {name} must be a tuple of ints, not {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ShapeError(f"shape {shape} of {name} has a negative extent")
    rank = len(shape)
    values = np.asarray(values)
    if values.ndim != 1:
        raise ShapeError(f"values of {name} must be a 1-d array, not of shape {values.shape}")
    keys = _coordinates(coords, rank, len(values), name)
    _check_range(keys, shape, name)
    fmt = _default(format, rank, name, COMPRESSED)
    keys, vals = _sorted_unique(keys[list(fmt.mode_order)], _values(values, name))
    return build(fmt, shape, keys, vals)


def _check_range(keys, shape, name: str) -> None:
    """ShapeError for the first coordinate outside its mode's extent: kernels do not bounds-check."""
    for mode, (crd, extent) in enumerate(zip(keys, shape)):
        bad = (crd < 0) | (crd >= extent)
        if bad.any():
            raise ShapeError(
                f"coordinate {crd[bad.argmax()]} of mode {mode} of {name} is out of range 0..{extent - 1}"
            )


def _coordinates(coords, rank: int, count: int, name: str) -> np.ndarray:
    """`coords` as an int64 array of shape (rank, count)."""
    try:
        keys = np.asarray(coords)
    except ValueError:
        raise ShapeError(f"coordinates of {name} must have one row per mode, all of one length") from None
    if keys.size == 0:
        keys = keys.reshape(rank, count) if rank * count == 0 else keys
    if keys.ndim == 1 and rank == 1:
        keys = keys[None, :]
    if keys.shape != (rank, count):
        raise ShapeError(
            f"coordinates of {name} have shape {keys.shape}, expected ({rank}, {count}): "
            f"one row per mode, one column per value"
        )
    if keys.size and not np.issubdtype(keys.dtype, np.integer):
        raise OperandError(f"coordinates of {name} must be integers, not {keys.dtype}")
    return keys.astype(np.int64, copy=False)


# ---------------------------------------------------------------------------------------------- scipy


def _is_scipy(obj) -> bool:
    return type(obj).__module__.startswith("scipy.sparse")


def from_scipy(matrix, format=None, *, name: str = "matrix") -> Tensor:
    """A tensor from a scipy.sparse matrix or array, by default in its `natural_format`.

    CSR/CSC share their arrays as csr/csc, COO its coords and data as coo (no copy) when canonical.
    """
    import scipy.sparse as sp

    if not sp.issparse(matrix):
        raise OperandError(f"{name}: expected a scipy.sparse matrix, not a {type(matrix).__name__}")
    rank = matrix.ndim
    fmt = natural_format(matrix) if format is None else parse_format(format, rank, what=f"format of {name}")
    if rank == 2 and matrix.format in ("csr", "csc") and fmt == parse_format(matrix.format, 2):
        return _from_compressed(matrix, fmt, name)
    if matrix.format == "coo" and fmt == _coo_format(rank):
        if not (matrix.has_canonical_format or _is_canonical(matrix.coords)):
            matrix = matrix.copy()  # never sort or sum the user's matrix in place
            matrix.sum_duplicates()  # sorts row-major, as coo needs
        return _from_canonical_coo(matrix.coords, matrix.data, matrix.shape, fmt, name)
    coo = matrix.tocoo()
    return from_coo(np.array(coo.coords).reshape(rank, -1), coo.data, matrix.shape, fmt, name=name)


def _from_compressed(matrix, fmt: Format, name: str) -> Tensor:
    """CSR/CSC: scipy's indptr/indices/data are exactly the pos/crd/vals of a dense+compressed tensor."""
    if not matrix.has_canonical_format:
        matrix = matrix.copy()  # never sort or sum the user's matrix in place
        matrix.sum_duplicates()
    pos, crd = matrix.indptr, matrix.indices
    if pos.dtype != crd.dtype:  # scipy keeps them equal, but index arrays must share one dtype
        pos, crd = pos.astype(np.int64), crd.astype(np.int64)
    outer = matrix.shape[fmt.mode_order[0]]
    levels = [DenseLevel(outer), CompressedLevel(pos, crd)]
    return Tensor(matrix.shape, fmt, levels, _values(matrix.data, name))


def _is_canonical(coords) -> bool:
    """Whether coordinate rows (ndim, n) are sorted row-major without duplicates: COO storage as is."""
    keys = np.asarray(coords)  # no copy for pydata's 2-d array; stacks scipy's tuple
    return keys.shape[1] <= 1 or _strictly_sorted(keys)


def _from_canonical_coo(coords, data, shape, fmt: Format, name: str) -> Tensor:
    """Format coo over canonical coordinate rows, sharing them: the top level's pos is [0, nnz]."""
    _check_range(coords, shape, name)  # pydata skips its own check when told the coords are sorted
    n = len(data)
    dtypes = {np.dtype(c.dtype) for c in coords}
    idx = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.int64)
    if idx not in (np.int32, np.int64) or n > np.iinfo(idx).max:  # else keep the source's dtype
        idx = index_dtype(n, *shape)
    crds = [np.ascontiguousarray(c, idx) for c in coords]  # no copy when already contiguous idx
    top = CompressedLevel(np.array([0, n], idx), crds[0], is_unique(fmt.levels[0]))
    below = [SingletonLevel(crd, is_unique(kind)) for kind, crd in zip(fmt.levels[1:], crds[1:])]
    return Tensor(shape, fmt, [top, *below], _values(np.asarray(data), name))


def to_scipy(t: Tensor):
    """A csc_matrix for format csc, a coo_matrix for coo (either mode order), else a csr_matrix.

    csr, csc and coo share the tensor's arrays; other formats are converted to csr first.
    """
    import scipy.sparse as sp

    if t.ndim != 2:
        raise ShapeError(f"only a 2-d tensor becomes a scipy.sparse matrix; this one has shape {t.shape}")
    if t.format.levels == _coo_format(2).levels:
        return _to_scipy_coo(t)
    name = t.format.name if t.format.name in ("csr", "csc") else "csr"
    source = t if name == t.format.name else asformat(t, "csr")
    cls = sp.csr_matrix if name == "csr" else sp.csc_matrix
    pos, crd = source.levels[1].pos, source.levels[1].crd
    matrix = cls((source.vals, crd, pos), shape=t.shape, copy=False)
    if not np.shares_memory(matrix.indices, crd):  # scipy narrows int64 indices that fit in int32
        matrix.indices, matrix.indptr = crd, pos
    return matrix


def _to_scipy_coo(t: Tensor):
    """A coo_matrix sharing the crd arrays as row and col, and the values as data."""
    import scipy.sparse as sp

    by_mode = [None, None]
    for level, mode in zip(t.levels, t.format.mode_order):
        by_mode[mode] = level.crd
    matrix = sp.coo_matrix((t.vals, tuple(by_mode)), shape=t.shape, copy=False)
    if not np.shares_memory(matrix.row, by_mode[0]):  # scipy narrows int64 indices that fit in int32
        matrix.coords = tuple(by_mode)
    matrix.has_canonical_format = t.format.mode_order == (0, 1)  # "us:1,0" is sorted column-major
    return matrix


# ---------------------------------------------------------------------------------------------- pydata


def _is_pydata(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "sparse"


def from_pydata(array, format=None, *, name: str = "array") -> Tensor:
    """A tensor from a pydata/sparse COO or GCXS array (fill value 0), by default in its
    `natural_format`; a COO read as coo shares its coords and data when they are canonical."""
    import sparse

    if array.fill_value != 0:
        raise OperandError(
            f"{name} has fill value {array.fill_value}; einsparse needs arrays that are zero where not stored"
        )
    rank = array.ndim
    fmt = natural_format(array) if format is None else parse_format(format, rank, what=f"format of {name}")
    if isinstance(array, sparse.GCXS) and rank == 2 and array.compressed_axes in ((0,), (1,)):
        return from_scipy(array.to_scipy_sparse(), fmt, name=name)
    coo = array if isinstance(array, sparse.COO) else array.asformat("coo")
    # pydata sorts and sums on construction unless told `sorted=True, has_duplicates=False`, and keeps
    # no flag saying so afterwards: check, and let from_coo canonicalize a copy when needed
    if rank and fmt == _coo_format(rank) and _is_canonical(coo.coords):
        return _from_canonical_coo(coo.coords, coo.data, coo.shape, fmt, name)
    return from_coo(coo.coords, coo.data, coo.shape, fmt, name=name)


# ---------------------------------------------------------------------------------------------- dispatch


def as_tensor(obj, format=None, name: str = "operand") -> Tensor:
    """`obj` as a Tensor, in `format` when given (parsed against the operand's rank)."""
    stored = _as_stored(obj, format)
    if stored is not None:
        return stored
    if isinstance(obj, Tensor):
        if format is None:
            return obj
        return asformat(obj, parse_format(format, obj.ndim, what=f"format of {name}"))
    if _is_scipy(obj):
        return from_scipy(obj, format, name=name)
    if _is_pydata(obj):
        return from_pydata(obj, format, name=name)
    return from_numpy(_readable_array(obj, name), format, name=name)


_SCIPY_COMPRESSED = {"csr_matrix": "csr", "csr_array": "csr", "csc_matrix": "csc", "csc_array": "csc"}
_kind_of_format: dict[Format, str] = {}


def _as_stored(obj, fmt) -> Tensor | None:
    """The most common operands, wrapped as they are stored with no conversion and no checks: a
    C-ordered NumPy array read as dense, a canonical scipy CSR/CSC matrix read as csr/csc. None for
    anything else, which takes the general path."""
    if not isinstance(fmt, Format):
        return None
    kind = _kind_of_format.get(fmt)
    if kind is None:
        kind = _kind_of_format[fmt] = (
            "dense" if fmt.is_dense and fmt.mode_order == tuple(range(fmt.rank))
            else fmt.name if fmt.name in ("csr", "csc") else "other")
    if type(obj) is np.ndarray:
        if (kind == "dense" and obj.ndim == fmt.rank and obj.dtype in VALUE_DTYPES
                and obj.flags.c_contiguous):
            return Tensor.trusted(obj.shape, fmt, tuple(DenseLevel(n) for n in obj.shape), obj.reshape(-1))
        return None
    if _SCIPY_COMPRESSED.get(type(obj).__name__) == kind and _is_scipy(obj):
        pos, crd, data = obj.indptr, obj.indices, obj.data
        if obj.has_canonical_format and pos.dtype == crd.dtype and data.dtype in VALUE_DTYPES:
            outer = obj.shape[fmt.mode_order[0]]
            return Tensor.trusted(obj.shape, fmt, (DenseLevel(outer), CompressedLevel(pos, crd)), data)
    return None


def _readable_array(obj, name: str) -> np.ndarray:
    """`obj` (an array, a number, nested lists) as a NumPy array; OperandError for anything else."""
    try:
        array = np.asarray(obj)
    except (ValueError, TypeError):
        array = None
    if array is None or (not isinstance(obj, (np.ndarray, np.generic)) and array.dtype.kind in "OUSV"):
        raise OperandError(
            f"{name}: cannot read a {type(obj).__name__} as a tensor; pass a NumPy array, "
            f"a scipy.sparse matrix, a pydata/sparse array, an einsparse tensor or a number"
        )
    return array


def operand_shape(obj, name: str = "operand") -> tuple[int, ...]:
    """The shape of anything `as_tensor` reads, without converting it; OperandError if unreadable."""
    if isinstance(obj, Tensor) or _is_scipy(obj) or _is_pydata(obj):
        return tuple(int(n) for n in obj.shape)
    return _readable_array(obj, name).shape


def tensor(data, format=None, shape=None, name=None) -> Tensor:
    """The public constructor: anything `as_tensor` reads, or `(coords, values)` with `shape=`.

    `name` is the tensor's operand name in index notation; a named copy of a Tensor shares its storage.
    """
    if name is not None:
        made = tensor(data, format, shape)
        return Tensor(made.shape, made.format, made.levels, made.vals, name=name)
    if shape is not None and isinstance(data, tuple) and len(data) == 2:
        return from_coo(data[0], data[1], shape, format, name="tensor")
    try:
        result = as_tensor(data, format, name="tensor")
    except OperandError:
        if isinstance(data, tuple) and len(data) == 2 and shape is None:
            raise OperandError("tensor: a (coords, values) tuple needs shape=") from None
        raise
    if shape is not None and tuple(shape) != result.shape:
        raise ShapeError(f"tensor: data of shape {result.shape} does not match shape={tuple(shape)}")
    return result


def natural_format(obj, name: str = "operand") -> Format:
    """The format `obj` is stored in already, so reading it needs no conversion."""
    if isinstance(obj, Tensor):
        return obj.format
    if _is_scipy(obj):
        if obj.format == "coo":
            return _coo_format(obj.ndim)
        if obj.ndim == 2 and obj.format in ("csr", "csc"):
            return parse_format(obj.format, 2)
        return parse_format("csr" if obj.ndim == 2 else "csf", obj.ndim)
    if _is_pydata(obj):
        import sparse

        if isinstance(obj, sparse.COO):
            return _coo_format(obj.ndim)
        if isinstance(obj, sparse.GCXS) and obj.ndim == 2 and obj.compressed_axes == (1,):
            return parse_format("csc", 2)
        return parse_format("csr" if obj.ndim == 2 and isinstance(obj, sparse.GCXS) else "csf", obj.ndim)
    return Format.dense(_readable_array(obj, name).ndim)
