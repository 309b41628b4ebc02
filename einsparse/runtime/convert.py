"""Getting data into `Tensor`s: NumPy, scipy.sparse, pydata/sparse, coordinate lists.

Inputs are canonicalized on the way in: entries sorted lexicographically in level order, duplicates
summed, so no tensor stores one full coordinate twice; `storage.build` then makes the levels, each level
kind its own. A non-unique compressed level (`u`) and the singletons under it form a run: the run gets
one position per distinct coordinate tuple over its levels, so a COO tensor (`us`, `uss`) gets one
position per entry. A singleton level (`s`) repeats its parent's positions and stores one coordinate each.

scipy and pydata COO arrays are read as format `coo` (`c` for one mode, `us`, `uss`, ...), sharing
their coordinate arrays when they are canonical (sorted row-major, no duplicates); scipy CSR/CSC share
theirs as `csr`/`csc`.

Zeros: a full (dense) innermost level stores a value at every coordinate under its parent, so a zero
there is padding, not an entry. When a tensor whose innermost level is dense (a NumPy array, `dense`,
`cd`, ...) is converted to a format with a compressed level, or listed by `to_coo`, values exactly equal
to zero are dropped. A tensor whose innermost level is compressed (csr, csc, csf, a COO list, ...) keeps
its explicitly stored zeros: each of its values sits at a coordinate that was stored on purpose.

Index arrays (pos, crd) share one dtype per tensor: int32 when every coordinate and every position count
fits in int32, else int64; tensors taken from scipy keep scipy's index dtype. Values are normalized by
`normalize_dtype`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from einsparse.compiler.formats import Format, parse_format
from einsparse.errors import DTypeError, OperandError, ShapeError
from einsparse.levels import CompressedLevel, DenseLevel, SingletonLevel, index_dtype
from einsparse.levels.base import guard_memory as _guard
from einsparse.runtime import storage
from einsparse.runtime.scipy_export import to_scipy  # noqa: F401  (re-exported)
from einsparse.runtime.storage import sorted_unique as _sorted_unique
from einsparse.runtime.storage import strictly_sorted as _strictly_sorted
from einsparse.runtime.stored import as_stored, is_scipy as _is_scipy
from einsparse.runtime.tensor import SUPPORTED_DTYPES, VALUE_DTYPES, Tensor

if TYPE_CHECKING:
    from einsparse.runtime.annotations import FormatSpec

# Input value types the kernels do not compute with, and the supported type each becomes.
_PROMOTE = {
    np.dtype(np.float16): np.float32,
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
        f"{SUPPORTED_DTYPES}"
    )


def _values(array: np.ndarray, name: str) -> np.ndarray:
    """`array` as a supported dtype, copying only when the dtype must change."""
    return array.astype(normalize_dtype(array.dtype, name), copy=False)


# ---------------------------------------------------------------------------------------------- build


def _default(fmt, rank: int, name: str, letter: str = "d") -> Format:
    if fmt is None:
        return Format.of_letters(letter * rank)
    return parse_format(fmt, rank, what=f"format of {name}")


def build(fmt: Format, shape, keys: np.ndarray, vals: np.ndarray) -> Tensor:
    """The tensor holding `vals` at `keys` (rank, n): coordinates in level order, sorted and unique."""
    return Tensor(tuple(shape), fmt, *storage.build(fmt, shape, keys, vals))


def to_numpy(t: Tensor) -> np.ndarray:
    return t.to_numpy()


def to_coo(t: Tensor) -> tuple[np.ndarray, np.ndarray]:
    return t.to_coo()


def asformat(t: Tensor, format) -> Tensor:
    return t.asformat(format)


def _coo_format(rank: int) -> Format:
    """Format `coo` of `rank`; a 0-d tensor has no levels, so its one value is stored dense."""
    return parse_format("coo", rank) if rank else Format.dense(0)


# ---------------------------------------------------------------------------------------------- numpy


def from_numpy(array, format=None, *, name: str = "array", fill=None) -> Tensor:
    """A tensor holding `array`; dense row-major (no copy for a C-contiguous array) unless `format`,
    which stores the entries that differ from `fill` (None: 0)."""
    array = np.asarray(array)
    fmt = _default(format, array.ndim, name)
    array = _values(array, name)
    by_level = array.transpose(fmt.mode_order)
    if fmt.is_dense:
        _guard(array.size, array.dtype, array.shape, "a dense array")
        vals = np.ascontiguousarray(by_level).ravel()
        return Tensor(array.shape, fmt, [DenseLevel(by_level.shape[k]) for k in range(array.ndim)], vals,
                      fill=fill)
    if fill is None:
        keys = np.nonzero(by_level)  # row-major over the levels: already sorted for `build`
    else:
        keys = np.nonzero(~((by_level != by_level) if fill != fill else (by_level == fill)))
    made = build(fmt, array.shape, np.array(keys, np.int64).reshape(array.ndim, -1), by_level[keys])
    return made if fill is None else made.with_fill(fill)


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
    fmt = _default(format, rank, name, "c")
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
    top = CompressedLevel(np.array([0, n], idx), crds[0], fmt.levels[0].unique)
    below = [SingletonLevel(crd, kind.unique) for kind, crd in zip(fmt.levels[1:], crds[1:])]
    return Tensor(shape, fmt, [top, *below], _values(np.asarray(data), name))


# ---------------------------------------------------------------------------------------------- pydata


def _is_pydata(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "sparse"


def from_pydata(array, format=None, *, name: str = "array") -> Tensor:
    """A tensor from a pydata/sparse COO or GCXS array, keeping its fill value, by default in its
    `natural_format`; a COO read as coo shares its coords and data when they are canonical."""
    import sparse

    fill = None if array.fill_value == 0 else array.fill_value
    if fill is not None:  # the entries are the same; the fill goes with them
        zero_filled = sparse.COO(array.asformat("coo").coords, array.asformat("coo").data, shape=array.shape)
        return from_pydata(zero_filled, format, name=name).with_fill(fill)
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
    stored = as_stored(obj, format) if isinstance(format, Format) else None
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


def tensor(data: Any, format: FormatSpec | None = None, shape: Iterable[int] | None = None,  # noqa: A002
           name: str | None = None, fill: complex | np.generic | None = None) -> Tensor:
    """Make an einsparse tensor from an array, a sparse matrix or coordinates and values.

    The public constructor: anything an operand may be, or ``(coords, values)`` with `shape`.

    Parameters
    ----------
    data : array_like, Tensor, scipy.sparse matrix, pydata/sparse array or (coords, values)
        The entries; ``coords`` is an integer array of shape (ndim, n).
    format : str or Format, optional
        The storage format (``"csr"``, ``"dc:1,0"``, ...); default: the input's own (dense for a
        NumPy array, csr for a scipy CSR matrix, COO for coordinates, ...).
    shape : tuple of int, optional
        Required with ``(coords, values)``; else checked against the data's shape.
    name : str, optional
        The tensor's operand name in index notation; a named copy of a Tensor shares its storage.
    fill : number, optional
        The value of the entries not stored: a dense array's entries equal to it are not stored; a
        sparse input's unstored entries take it (a pydata/sparse array brings its own `fill_value`).

    Returns
    -------
    Tensor

    Raises
    ------
    OperandError
        The data cannot be read, or coordinates come without `shape`.
    ShapeError
        The data's shape is not `shape`.
    FormatError
        The format is malformed or does not fit the data's rank.
    DTypeError
        A value type einsparse does not compute with, or a fill the type cannot hold.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> es.tensor(np.array([[1, 0], [0, 2]]), "csr")
    Tensor(shape=(2, 2), format='csr', dtype=int64, nnz=2)
    >>> es.tensor(sp.csc_matrix(np.eye(3)))
    Tensor(shape=(3, 3), format='csc', dtype=float64, nnz=3)
    >>> t = es.tensor((np.array([[0, 1], [1, 0]]), np.array([5.0, 6.0])), shape=(2, 2))
    >>> t.to_numpy()
    array([[0., 5.],
           [6., 0.]])
    >>> es.tensor(np.array([[1, 9], [9, 9]]), fill=9).nnz
    1
    """
    if fill is not None:
        return _filled(data, format, shape, name, fill)
    if name is not None:
        made = tensor(data, format, shape)
        return Tensor(made.shape, made.format, made.levels, made.vals, name=name, fill=made._fill)
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


def _filled(data, format, shape, name, fill) -> Tensor:
    if _is_pydata(data) and data.fill_value != fill:
        raise OperandError(f"tensor: fill={fill!r} but the pydata/sparse array's fill_value is {data.fill_value}")
    if not isinstance(data, (Tensor, tuple)) and not _is_scipy(data) and not _is_pydata(data):
        array = _readable_array(data, "tensor")
        default = "c" if array.ndim == 1 else "csr" if array.ndim == 2 else "csf" if array.ndim else None
        made = from_numpy(array, format if format is not None else default, name="tensor", fill=fill)
        if shape is not None and tuple(shape) != made.shape:
            raise ShapeError(f"tensor: data of shape {made.shape} does not match shape={tuple(shape)}")
    else:
        made = tensor(data, format, shape)
    return Tensor(made.shape, made.format, made.levels, made.vals, name=name, fill=fill)


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
