"""Text files: reading one whole (gzip too) and parsing its data lines, vectorized, down to the first
bad line; writing rows of numbers."""

from __future__ import annotations

import gzip
import warnings
import zipfile

import numpy as np

from einsparse.errors import FileFormatError


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


# ---------------------------------------------------------------------------------------------- writing


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
