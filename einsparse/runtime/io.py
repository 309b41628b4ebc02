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
- `.npy`: a NumPy array. `.npz`: a scipy.sparse matrix saved by `scipy.sparse.save_npz`.

Every problem is a `FileFormatError` naming the file, and for a text file the line (`bad.mtx:7: ...`).
Text files are parsed vectorized; only when something is wrong are the lines scanned one by one to find
the culprit. Writing goes to a temporary file in the target's directory, renamed over the target when
complete, so a failure never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
import warnings
import zipfile

import numpy as np

from einsparse.errors import EinsparseError, FileFormatError, ShapeError

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


def _read_text(path: str) -> str:
    if path.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        except (gzip.BadGzipFile, EOFError, zipfile.BadZipFile) as error:
            raise FileFormatError(f"{path}: not a readable gzip file ({error})") from None
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    if b"\0" in data[:4096]:
        raise FileFormatError(f"{path}: a binary file, not text")
    return data.decode("latin-1")


# ---------------------------------------------------------------------------------------------- lines


class _Lines:
    """The data lines of a text file: `numbers` parses them vectorized, and on any trouble scans them
    one by one to report the first bad line."""

    def __init__(self, path: str, lines: list[str], first: int, comment: str):
        self.path = path
        self.first = first          # the 1-based line number of lines[0]
        self.comment = comment
        # (line number, text) of every line holding data
        self.lines = lines
        stripped = [line.split(comment, 1)[0] if comment in line else line for line in lines]
        self.data = [(first + k, text) for k, text in enumerate(stripped) if text.strip()]

    def __len__(self) -> int:
        return len(self.data)

    def line_of(self, entry: int) -> int:
        return self.data[entry][0]

    def numbers(self, fields: tuple[str, ...], integer: tuple[bool, ...], dtype, described: str = "") -> np.ndarray:
        """An array (entries, len(fields)) of `dtype`; FileFormatError at the first bad line."""
        per = len(fields)
        text = "\n".join(t for _, t in self.data)
        array = None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                array = np.fromstring(text, dtype=dtype, sep=" ") if text else np.zeros(0, dtype)
            except (ValueError, DeprecationWarning):
                array = None
        if array is not None and array.size == per * len(self.data):
            array = array.reshape(len(self.data), per)
            if dtype != np.int64:
                columns = [k for k, must in enumerate(integer) if must]
                if not columns or np.array_equal(array[:, columns], np.rint(array[:, columns])):
                    return array
            else:
                return array
        self._scan(fields, integer, dtype, described or ", ".join(fields))
        raise FileFormatError(f"{self.path}: cannot read the entries")  # _scan found nothing: unexpected

    def _scan(self, fields, integer, dtype, names: str) -> None:
        for number, text in self.data:
            tokens = text.split()
            if len(tokens) != len(fields):
                raise FileFormatError(f"{self.path}:{number}: expected {len(fields)} fields ({names}), "
                                      f"found {len(tokens)}: {text.strip()!r}")
            for name, must, token in zip(fields, integer, tokens):
                try:
                    if must or dtype == np.int64:
                        int(token)
                    else:
                        float(token)
                except ValueError:
                    kind = "an integer" if must or dtype == np.int64 else "a number"
                    raise FileFormatError(f"{self.path}:{number}: {name} {token!r} is not {kind}") from None

    def check_range(self, coords, extents, names) -> None:
        """FileFormatError at the first entry whose 1-based coordinate is outside 1..extent (only below
        1 when the extent is None)."""
        for crd, extent, name in zip(coords, extents, names):
            bad = (crd < 1) if extent is None else (crd < 1) | (crd > extent)
            if bad.any():
                entry = int(bad.argmax())
                value = int(crd[entry])
                where = f"{self.path}:{self.line_of(entry)}: {name} {value}"
                if extent is None:
                    raise FileFormatError(f"{where} is out of range: coordinates are 1-based")
                why = " (coordinates are 1-based)" if value < 1 else ""
                raise FileFormatError(f"{where} is out of range 1..{extent}{why}")


# ---------------------------------------------------------------------------------------------- mtx

_FIELDS = ("real", "double", "integer", "complex", "pattern")
_SYMMETRIES = ("general", "symmetric", "skew-symmetric", "hermitian")
_HEADER = "%%MatrixMarket matrix coordinate|array real|integer|complex|pattern general|symmetric|..."


def mtx_header(path) -> tuple[str, str, str]:
    """(layout, field, symmetry) of a Matrix Market file, read from its first line only."""
    path = os.fspath(path)
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            line = handle.readline(1024).decode("latin-1")
    except (OSError, EOFError):
        raise FileFormatError(f"{path}: cannot read") from None
    return _parse_header(path, line)


def _parse_header(path: str, line: str) -> tuple[str, str, str]:
    tokens = line.split()
    if not tokens or tokens[0].lower() != "%%matrixmarket":
        raise FileFormatError(f"{path}:1: not a Matrix Market file: the first line must be '{_HEADER}'")
    if len(tokens) != 5 or tokens[1].lower() != "matrix":
        raise FileFormatError(f"{path}:1: malformed Matrix Market header {line.strip()!r}: "
                              f"expected '{_HEADER}'")
    layout, field, symmetry = (t.lower() for t in tokens[2:])
    if layout not in ("coordinate", "array"):
        raise FileFormatError(f"{path}:1: unknown Matrix Market format {tokens[2]!r}: expected "
                              f"coordinate or array")
    if field not in _FIELDS:
        raise FileFormatError(f"{path}:1: unknown Matrix Market field {tokens[3]!r}: expected real, "
                              f"integer, complex or pattern")
    if symmetry not in _SYMMETRIES:
        raise FileFormatError(f"{path}:1: unknown Matrix Market symmetry {tokens[4]!r}: expected general, "
                              f"symmetric, skew-symmetric or hermitian")
    if layout == "array" and field == "pattern":
        raise FileFormatError(f"{path}:1: a Matrix Market array file cannot have field pattern")
    if symmetry == "hermitian" and field != "complex":
        symmetry = "symmetric"  # a real Hermitian matrix is symmetric
    return layout, "real" if field == "double" else field, symmetry


def _read_mtx(path: str, as_tensor: bool = False):
    text = _read_text(path)
    lines = text.replace("\r", "").split("\n")
    layout, field, symmetry = _parse_header(path, lines[0])
    k = 1
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith("%")):
        k += 1
    count = 3 if layout == "coordinate" else 2
    what = "rows columns entries" if layout == "coordinate" else "rows columns"
    if k == len(lines):
        raise FileFormatError(f"{path}: no size line ('{what}') after the header")
    tokens = lines[k].split()
    try:
        sizes = [int(t) for t in tokens]
    except ValueError:
        sizes = None
    if sizes is None or len(sizes) != count:
        raise FileFormatError(f"{path}:{k + 1}: the size line must be '{what}' ({count} integers), "
                              f"found {lines[k].strip()!r}")
    if any(n < 0 for n in sizes):
        raise FileFormatError(f"{path}:{k + 1}: negative size in {lines[k].strip()!r}")
    m, n = sizes[:2]
    if symmetry != "general" and m != n:
        raise FileFormatError(f"{path}:{k + 1}: a {symmetry} matrix must be square, not {m} x {n}")
    data = _Lines(path, lines[k + 1:], k + 2, "%")
    if layout == "coordinate":
        expected = sizes[2]
    else:
        expected = {"general": m * n, "skew-symmetric": n * (n - 1) // 2}.get(symmetry, n * (n + 1) // 2)
    if len(data) != expected:
        data_check = _count_problem(data, expected, k + 1, layout)
        if data_check:
            raise FileFormatError(data_check)
    if layout == "coordinate":
        return _mtx_coordinate(path, data, field, symmetry, m, n, as_tensor)
    return _mtx_array(path, data, field, symmetry, m, n)


def _count_problem(data: _Lines, expected: int, size_line: int, layout: str) -> str:
    entries = "entries" if layout == "coordinate" else "values"
    found = len(data)
    more = "more than" if found > expected else "only"
    return (f"{data.path}: the size line (line {size_line}) announces {expected} {entries}, but {more} "
            f"{found} follow" + (f" (the last at line {data.line_of(found - 1)})" if found else ""))


def _mtx_coordinate(path: str, data: _Lines, field: str, symmetry: str, m: int, n: int,
                    as_tensor: bool = False):
    fields = {"pattern": ("row", "column"), "complex": ("row", "column", "real part", "imaginary part")}
    names = fields.get(field, ("row", "column", "value"))
    integer = (True, True) + (False,) * (len(names) - 2)
    dtype = np.int64 if field == "integer" else np.float64
    array = data.numbers(names, integer, dtype)
    rows, cols = array[:, 0].astype(np.int64), array[:, 1].astype(np.int64)
    data.check_range((rows, cols), (m, n), ("row", "column"))
    if field == "pattern":
        vals = np.ones(len(rows))
    elif field == "complex":
        vals = array[:, 2] + 1j * array[:, 3]
    else:
        vals = array[:, 2]
    rows, cols, vals = _expand(rows - 1, cols - 1, vals, symmetry)
    # CSR would hold a row pointer per declared row (10**12 rows: 8 TB); doubly compressed rows hold
    # only the rows that have entries.
    huge = m > 4 * len(vals) + 65536
    if huge or as_tensor:
        from einsparse.runtime.convert import from_coo

        return from_coo(np.stack([rows, cols]), vals, (m, n), "dcsr" if huge else "csr", name=path)
    import scipy.sparse as sp

    index = np.int32 if max(m, n, len(vals)) < 2**31 else np.int64
    matrix = sp.coo_matrix((vals, (rows.astype(index), cols.astype(index))), shape=(m, n))
    return matrix.tocsr()  # sums duplicates


def _expand(rows, cols, vals, symmetry: str):
    """Both triangles of a symmetric, skew-symmetric or hermitian matrix stored as one."""
    if symmetry == "general":
        return rows, cols, vals
    off = rows != cols
    mirrored = _mirrored(vals[off], symmetry)
    return (np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]]),
            np.concatenate([vals, mirrored]))


def _mirrored(values, symmetry: str):
    """The values of the unstored triangle: equal, negated (skew-symmetric) or conjugated (hermitian)."""
    if symmetry == "skew-symmetric":
        return -values
    if symmetry == "hermitian":
        return np.conj(values)
    return values


def _mtx_array(path: str, data: _Lines, field: str, symmetry: str, m: int, n: int) -> np.ndarray:
    names = ("real part", "imaginary part") if field == "complex" else ("value",)
    dtype = np.int64 if field == "integer" else np.float64
    array = data.numbers(names, (False,) * len(names), dtype)
    vals = array[:, 0] + 1j * array[:, 1] if field == "complex" else array[:, 0]
    if symmetry == "general":
        return np.ascontiguousarray(vals.reshape(n, m).T)  # column-major in the file
    # the lower triangle column by column = the upper triangle of the transpose row by row
    upper_rows, upper_cols = np.triu_indices(n, 1 if symmetry == "skew-symmetric" else 0)
    out = np.zeros((n, n), vals.dtype)
    out[upper_cols, upper_rows] = vals
    off = upper_cols != upper_rows
    mirrored = _mirrored(vals[off], symmetry)
    out[upper_rows[off], upper_cols[off]] = mirrored
    return out


# ---------------------------------------------------------------------------------------------- tns


def _read_tns(path: str, shape):
    from einsparse.runtime.convert import from_coo, parse_format

    text = _read_text(path)
    data = _Lines(path, text.replace("\r", "").split("\n"), 1, "#")
    if not len(data):
        shape = shape if shape is not None else _shape_comment(text, None)
        if shape is None:
            raise FileFormatError(f"{path}: no entries, so its shape is unknown; give the shape")
        return from_coo(np.zeros((len(shape), 0), np.int64), np.zeros(0), shape,
                        parse_format("coo", len(shape)) if shape else None, name=path)
    first_line, first_text = data.data[0]
    rank = len(first_text.split()) - 1
    if shape is not None and len(shape) != rank:
        raise ShapeError(f"{path}:{first_line}: entries have {rank} coordinate{'s' if rank != 1 else ''}, "
                         f"but the shape given, {shape}, has rank {len(shape)}")
    names = tuple(f"mode {k} coordinate" for k in range(rank))
    described = f"{rank} coordinate{'s' if rank != 1 else ''} and a value"
    array = data.numbers(names + ("value",), (True,) * rank + (False,), np.float64, described)
    coords = array[:, :rank].T.astype(np.int64)
    vals = array[:, rank]
    if shape is None:
        shape = _shape_comment(text, rank)
    if shape is None:
        shape = tuple(int(c.max()) if len(c) else 0 for c in coords)
        data.check_range(coords, (None,) * rank, names)
    else:
        data.check_range(coords, shape, names)
    if rank == 0:
        return from_coo(np.zeros((0, len(vals)), np.int64), vals, (), name=path)
    return from_coo(coords - 1, vals, shape, parse_format("coo", rank), name=path)


def _shape_comment(text: str, rank: int):
    """The shape from a leading `# shape: d0 d1 ...` comment (as `write` puts there), if any."""
    import re

    match = re.match(r"\s*#\s*shape:?((?:\s+\d+)*)\s*(?:\n|$)", text[:4096], re.IGNORECASE)
    if match is None:
        return None
    shape = tuple(int(n) for n in match.group(1).split())
    return shape if rank is None or len(shape) == rank else None


# ---------------------------------------------------------------------------------------------- binary


def _read_npy(path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        message = str(error).splitlines()[0] if str(error) else "malformed"
        if "pickle" in message.lower():
            message = "holds Python objects, not numbers"
        raise FileFormatError(f"{path}: not a readable .npy file: {message}") from None
    except (EOFError, zipfile.BadZipFile):
        raise FileFormatError(f"{path}: not a readable .npy file: truncated") from None


def _read_npz(path: str):
    import scipy.sparse as sp

    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.files)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise FileFormatError(f"{path}: not a readable .npz file ({error})") from None
    if "format" not in keys or "shape" not in keys:
        raise FileFormatError(f"{path}: not a scipy.sparse matrix saved by scipy.sparse.save_npz "
                              f"(it holds {', '.join(sorted(keys)) or 'nothing'})")
    try:
        return sp.load_npz(path)
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise FileFormatError(f"{path}: not a readable scipy.sparse .npz file ({error})") from None


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


@contextlib.contextmanager
def atomic_file(path: str):
    """A binary file handle whose contents appear at `path` only once the block finishes: written to
    a temporary file beside it, then renamed over it, so a failure never leaves half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as error:
        raise FileFormatError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise FileFormatError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # already gone, or never written
        os.unlink(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    elif kind == "npz":
        sp.save_npz(handle, value)
    elif kind == "tns":
        _write_tns(handle, *value)
    elif sp.issparse(value):
        _write_mtx_coordinate(handle, value)
    else:
        _write_mtx_array(handle, value)


def _field(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return "complex"
    if dtype.kind in "iub":
        return "integer"
    if dtype.kind == "f":
        return "real"
    raise FileFormatError(f"cannot write values of dtype {dtype} to a text file")


def _value_format(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        return "%d"
    return "%.9g" if dtype.itemsize <= 4 or dtype == np.complex64 else "%.17g"


def _lines(handle, columns: list, formats: list) -> None:
    """One line per entry; the columns share one array so savetxt formats them in one go."""
    if not columns or not len(columns[0]):
        return
    table = np.empty((len(columns[0]), len(columns)), dtype=object if len(set(c.dtype for c in columns)) > 1
                     else columns[0].dtype)
    for k, column in enumerate(columns):
        table[:, k] = column
    np.savetxt(handle, table, fmt=formats, delimiter=" ")


def _text(handle, line: str) -> None:
    handle.write(line.encode())


def _write_mtx_coordinate(handle, matrix) -> None:
    coo = matrix.tocoo()
    coo.sum_duplicates()
    field = _field(coo.data.dtype)
    _text(handle, f"%%MatrixMarket matrix coordinate {field} general\n")
    _text(handle, "% written by einsparse\n")
    _text(handle, f"{coo.shape[0]} {coo.shape[1]} {coo.nnz}\n")
    rows, cols = coo.row.astype(np.int64) + 1, coo.col.astype(np.int64) + 1
    fmt = _value_format(coo.data.dtype)
    if field == "complex":
        _lines(handle, [rows, cols, coo.data.real, coo.data.imag], ["%d", "%d", fmt, fmt])
    else:
        _lines(handle, [rows, cols, coo.data], ["%d", "%d", fmt])


def _write_mtx_array(handle, array: np.ndarray) -> None:
    array = np.asarray(array)
    if array.ndim < 2:
        array = array.reshape(-1, 1)
    field = _field(array.dtype)
    _text(handle, f"%%MatrixMarket matrix array {field} general\n")
    _text(handle, "% written by einsparse\n")
    _text(handle, f"{array.shape[0]} {array.shape[1]}\n")
    vals = array.T.ravel()  # column-major
    fmt = _value_format(array.dtype)
    if field == "complex":
        _lines(handle, [vals.real, vals.imag], [fmt, fmt])
    else:
        _lines(handle, [vals], [fmt])


def _write_tns(handle, coords: np.ndarray, vals: np.ndarray, shape) -> None:
    field = _field(vals.dtype)
    if field == "complex":
        raise FileFormatError("a .tns file holds real values; write complex values to .npy or .mtx")
    _text(handle, f"# shape: {' '.join(map(str, shape))}\n# written by einsparse: 1-based coordinates, then the value\n")
    columns = [c.astype(np.int64) + 1 for c in coords] + [vals]
    _lines(handle, columns, ["%d"] * len(coords) + [_value_format(vals.dtype)])
