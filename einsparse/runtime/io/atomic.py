"""Atomic writes: a file appears at its path complete or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile

from einsparse.errors import FileFormatError


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
