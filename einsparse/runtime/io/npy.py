"""NumPy `.npy` and scipy.sparse `.npz` files: reading them without pickles. A tensor whose fill is not
0 is written as scipy's arrays plus a `fill` entry, which scipy's `load_npz` ignores and `read` gives
back as an es.Tensor with that fill."""

from __future__ import annotations

import io
import zipfile
from typing import NamedTuple

import numpy as np

from einsparse.errors import FileFormatError


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


class FilledMatrix(NamedTuple):
    matrix: object  # the scipy.sparse matrix of the stored entries
    fill: object


def _write_filled_npz(handle, value: FilledMatrix) -> None:
    import scipy.sparse as sp

    scipy_arrays = io.BytesIO()
    sp.save_npz(scipy_arrays, value.matrix)
    scipy_arrays.seek(0)
    with np.load(scipy_arrays, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez_compressed(handle, **arrays, fill=np.asarray(value.fill))


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
        matrix = sp.load_npz(path)
        if "fill" not in keys:
            return matrix
        with np.load(path, allow_pickle=False) as archive:
            fill = archive["fill"][()]
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise FileFormatError(f"{path}: not a readable scipy.sparse .npz file ({error})") from None
    from einsparse.runtime.convert import from_scipy

    return from_scipy(matrix, name=path).with_fill(fill)
