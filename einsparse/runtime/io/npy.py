"""NumPy `.npy` and scipy.sparse `.npz` files: reading them without pickles."""

from __future__ import annotations

import zipfile

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
