"""Matrix Market files (`.mtx`, `.mtx.gz`): the header, reading coordinate and array files, writing them."""

from __future__ import annotations

import gzip
import os

import numpy as np

from einsparse.errors import FileFormatError
from einsparse.runtime.io.text import _field, _lines, _Lines, _read_text, _text, _value_format

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


# ---------------------------------------------------------------------------------------------- writing


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
