"""Reading and writing tensors in files: Matrix Market, FROSTT, NumPy `.npy` and scipy `.npz`.

    A = read("bcsstk.mtx")          # scipy CSR matrix (coordinate file) or NumPy array (array file)
    T = read("t.tns", shape=(2000, 2000, 2000))   # es.Tensor in format coo
    write("C.mtx", C)               # chosen by the extension: .mtx, .mtx.gz, .tns, .npy, .npz

What each file type reads as:

- Matrix Market (`.mtx`, `.mtx.gz`): a `coordinate` file is a `scipy.sparse.csr_matrix` (duplicates
  summed), or an `es.Tensor` in format dcsr when the declared rows far outnumber the entries (CSR would
  allocate a pointer per row); an `array` file a NumPy array. Fields real, integer, complex and pattern (values 1.0);
  symmetric, skew-symmetric and hermitian files are expanded to both triangles.
- FROSTT `.tns` (also `.tns.gz`): one entry per line, 1-based coordinates then the value, any rank, `#`
  comments. An `es.Tensor` in format coo (duplicates summed); the shape is the largest coordinate of
  each mode unless `shape=` gives it.
- `.npy`: a NumPy array. `.npz`: a scipy.sparse matrix saved by `scipy.sparse.save_npz`; one that
  einsparse wrote from a tensor whose fill is not 0 also holds the fill and reads as that es.Tensor.

Every problem is a `FileFormatError` naming the file, and for a text file the line (`bad.mtx:7: ...`).
Text files are parsed vectorized; only when something is wrong are the lines scanned one by one to find
the culprit. Writing goes to a temporary file in the target's directory, renamed over the target when
complete, so a failure never leaves a half-written file behind.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from einsparse.errors import EinsparseError, FileFormatError, ShapeError
from einsparse.runtime.io.atomic import atomic_file
from einsparse.runtime.io.mtx import _read_mtx, _write_mtx_array, _write_mtx_coordinate, mtx_header
from einsparse.runtime.io.npy import FilledMatrix, _read_npy, _read_npz, _write_filled_npz
from einsparse.runtime.io.tns import _read_tns, _write_tns

# extension -> kind; longest first so ".mtx.gz" wins over ".gz"
_EXTENSIONS = ((".mtx.gz", "mtx"), (".tns.gz", "tns"), (".mtx", "mtx"), (".tns", "tns"),
               (".npy", "npy"), (".npz", "npz"))
KNOWN = ".mtx, .mtx.gz, .tns, .tns.gz, .npy or .npz"


def file_kind(path) -> str | None:
    """'mtx', 'tns', 'npy' or 'npz' from the file name's extension; None when unknown."""
    name = os.fspath(path).lower()
    for ext, kind in _EXTENSIONS:
        if name.endswith(ext):
            return kind
    return None


def _kind(path, verb: str) -> str:
    kind = file_kind(path)
    if kind is None:
        raise FileFormatError(f"cannot {verb} {os.fspath(path)}: unknown file type; use {KNOWN}")
    return kind


# ============================================================================================== reading


def read(path, *, shape=None, as_tensor: bool = False):
    """The tensor stored in the file at `path` (see the module docstring for what each type gives).

    `shape` gives the shape of a `.tns` file (default: the largest coordinate of each mode); for other
    types it must agree with the file's, except that a one-column or one-row matrix may be read as a
    vector with `shape=(n,)`. `as_tensor=True` returns a Matrix Market coordinate file as an es.Tensor
    in format csr (as the command line does: it then does not import scipy.sparse, about 0.1 s).
    """
    path = os.fspath(path)
    kind = _kind(path, "read")
    if shape is not None:
        try:
            shape = tuple(int(n) for n in shape)
        except (TypeError, ValueError):
            raise ShapeError(f"shape for {path} must be a tuple of ints, not {shape!r}") from None
        if any(n < 0 for n in shape):
            raise ShapeError(f"shape {shape} for {path} has a negative extent")
    if not os.path.exists(path):
        raise FileFormatError(f"{path}: no such file")
    if os.path.isdir(path):
        raise FileFormatError(f"{path}: is a directory, not a file")
    try:
        if kind == "mtx":
            value = _read_mtx(path, as_tensor)
        elif kind == "tns":
            return _read_tns(path, shape)
        elif kind == "npy":
            value = _read_npy(path)
        else:
            value = _read_npz(path)
    except OSError as error:
        raise FileFormatError(f"{path}: cannot read: {error.strerror or error}") from None
    return _with_shape(value, shape, path)


def _with_shape(value, shape, path: str):
    if shape is None or tuple(value.shape) == shape:
        return value
    if isinstance(value, np.ndarray) and len(shape) == 1 and value.ndim == 2 and 1 in value.shape \
            and value.size == shape[0]:
        return value.reshape(shape)
    raise ShapeError(f"{path} holds shape {tuple(value.shape)}, but the shape given is {shape}")


# ============================================================================================== writing


def write(path, value) -> None:
    """Write `value` (a NumPy array or number, a scipy.sparse matrix or an es.Tensor) to `path`, the
    file type chosen by the extension. The file appears complete or not at all."""
    path = os.fspath(path)
    kind = _kind(path, "write")
    value = _writable(value, kind, path)
    with atomic_file(path) as raw:
        if path.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="wb", filename="") as handle:
                _write_kind(handle, kind, value)
        else:
            _write_kind(raw, kind, value)


def _writable(value, kind: str, path: str):
    """`value` as what the writer of `kind` takes: an ndarray, a scipy matrix, or (coords, vals, shape)."""
    import scipy.sparse as sp

    from einsparse.runtime.convert import as_tensor
    from einsparse.runtime.tensor import Tensor

    if not isinstance(value, (Tensor, np.ndarray)) and not sp.issparse(value):
        try:
            value = as_tensor(value, name=f"the value written to {path}")
        except EinsparseError:
            raise
    if isinstance(value, Tensor):
        if value._fill is not None and kind == "npz" and value.ndim == 2:  # scipy's arrays, and the fill
            return FilledMatrix(value.with_fill(None).to_scipy(), value._fill)
        if value._fill is not None and kind != "npy" and not (kind == "mtx" and value.format.is_dense):
            raise FileFormatError(f"cannot write a tensor of fill {value._fill} to {path}: the file keeps "
                                  f"no fill, so its unstored entries would read back as 0; use .npy or .npz")
        if kind == "npy" or (kind == "mtx" and value.format.is_dense):
            return np.asarray(value.to_numpy())
        if kind == "tns":
            coords, vals = value.to_coo()
            return coords, vals, value.shape
        if value.ndim != 2:
            raise FileFormatError(f"cannot write a tensor of shape {value.shape} to {path}: a "
                                  f"{'.mtx' if kind == 'mtx' else '.npz'} file holds a matrix; use .tns or .npy")
        return value.to_scipy()
    if sp.issparse(value):
        if kind == "npy":
            return value.toarray()
        if kind == "tns":
            coo = value.tocoo()
            return np.array(coo.coords, np.int64).reshape(coo.ndim, -1), coo.data, coo.shape
        return value
    array = np.asarray(value)
    if kind == "tns":
        keys = np.nonzero(array)
        return np.array(keys, np.int64).reshape(array.ndim, -1), array[keys], array.shape
    if kind == "npz":
        if array.ndim != 2:
            raise FileFormatError(f"cannot write an array of shape {array.shape} to {path}: a .npz file "
                                  f"holds a scipy.sparse matrix; use .npy or .tns")
        return sp.csr_matrix(array)
    if kind == "mtx" and array.ndim > 2:
        raise FileFormatError(f"cannot write an array of shape {array.shape} to {path}: a .mtx file holds "
                              f"a matrix; use .tns or .npy")
    return array


def _write_kind(handle, kind: str, value) -> None:
    import scipy.sparse as sp

    if kind == "npy":
        np.save(handle, value, allow_pickle=False)
    elif kind == "npz" and isinstance(value, FilledMatrix):
        _write_filled_npz(handle, value)
    elif kind == "npz":
        sp.save_npz(handle, value)
    elif kind == "tns":
        _write_tns(handle, *value)
    elif sp.issparse(value):
        _write_mtx_coordinate(handle, value)
    else:
        _write_mtx_array(handle, value)
