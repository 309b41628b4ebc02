"""The kernel cache: generated modules on disk, so Numba's own cache can keep their machine code.

Numba cannot cache a function made from a string, so each kernel's source is written to a real file,
`<cache dir>/einsparse_<hash>.py`, and compiled with `njit(cache=True)`; Numba stores the machine code
beside it (in `__pycache__`) and a later process loads it without compiling. The helpers kernels call
(`compiler.emit.HELPERS_SOURCE`) live the same way in `einsparse_helpers_<digest>.py`, compiled once.

The cache is a place where code is run from, so:
- the hash covers the source and the einsparse, Numba and Python versions: an upgrade never loads a
  stale kernel;
- a file is written to a temporary name and renamed, so a concurrent reader never sees half of it;
- the file is read once and executed only if it is exactly the source its hash was made from; anything
  else (truncated, corrupted, tampered with) is replaced, together with Numba's machine code for it;
- the directory is created private to the user (0700); one that other users can write to is not used.
Without a usable directory, kernels are compiled in memory only, and a warning says so once.

Cache directory: `$EINSPARSE_CACHE_DIR`, else `$XDG_CACHE_HOME/einsparse`, else `~/.cache/einsparse`.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import importlib.metadata
import os
import stat
import sys
import tempfile
import threading
import types
import warnings
from pathlib import Path

from einsparse.runtime.compile_log import log_compiles
from einsparse.version import __version__ as VERSION

_lock = threading.Lock()
_warned = False


def cache_dir() -> Path:
    configured = os.environ.get("EINSPARSE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "einsparse"


def versions() -> str:
    """What a compiled kernel depends on besides its source."""
    return f"einsparse {VERSION}\nnumba {_numba_version()}\npython {sys.version_info[:3]}"


@functools.lru_cache(maxsize=None)
def _numba_version() -> str:
    """From the installed package's metadata, so that `import einsparse` does not import Numba."""
    try:
        return importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:  # not installed as a distribution: ask Numba
        import numba

        return numba.__version__


def kernel_key(source: str) -> str:
    return hashlib.sha256(f"{versions()}\n{source}".encode()).hexdigest()[:24]


def load_kernel(source: str, label: "str | None" = None):
    """The Numba dispatcher of the kernel in `source`, from the disk cache when possible. With `label`
    (the statement and its formats), its cache hits, misses and compiles are logged (`compile_log`)."""
    from einsparse.compiler.emit import HELPERS_MODULE, HELPERS_SOURCE

    with _lock:
        _load(HELPERS_MODULE, HELPERS_SOURCE)  # what kernel modules import their helpers from
        dispatcher = _load(f"einsparse_{kernel_key(source)}", source).kernel
        if label is not None:
            log_compiles(dispatcher, label)
        return dispatcher


def helpers():
    """The module of kernel helpers (`compiler.emit.HELPERS_SOURCE`), loaded as kernel modules load it;
    the runtime calls some of them itself."""
    from einsparse.compiler.emit import HELPERS_MODULE, HELPERS_SOURCE

    module = sys.modules.get(HELPERS_MODULE)
    if module is None:
        with _lock:
            module = _load(HELPERS_MODULE, HELPERS_SOURCE)
    return module


def _load(module_name: str, source: str):
    module = sys.modules.get(module_name)
    if module is None:
        module = _load_from_disk(module_name, source) or _load_in_memory(module_name, source)
        sys.modules[module_name] = module
    return module


def _load_from_disk(module_name: str, source: str):
    directory = cache_dir()
    path = directory / f"{module_name}.py"
    try:
        _make_private_directory(directory)
        if _read(path) != source:  # missing, or not what its name promises: never executed
            _discard_machine_code(directory, module_name)
            _write_atomically(path, source)
    except OSError as error:
        _warn_once(f"einsparse: kernel cache directory {directory} is not usable "
                   f"({error.strerror or error}); kernels are compiled in memory for this process only")
        return None
    # Run the text just checked, not whatever the file holds by now; Numba keys its machine code
    # on the file named here.
    module = _module(module_name, compile(source, str(path), "exec"), path)
    for dispatcher in _dispatchers(module):
        _rebuild_unreadable_machine_code(dispatcher, directory, module_name)
    return module


def _dispatchers(module) -> list:
    return [value for value in vars(module).values() if hasattr(getattr(value, "_cache", None), "load_overload")]


def _rebuild_unreadable_machine_code(dispatcher, directory: Path, module_name: str) -> None:
    """Numba raises on a truncated or corrupted index or machine-code file (its own cache only skips
    missing or stale ones); here such files are discarded and the kernel compiled again, silently."""
    load = dispatcher._cache.load_overload

    def load_or_discard(*args, **kwargs):
        try:
            return load(*args, **kwargs)
        except Exception:  # noqa: BLE001 - whatever the broken file made the unpickler raise
            _discard_machine_code(directory, module_name)
            return None  # a cache miss: Numba compiles and writes a fresh entry

    dispatcher._cache.load_overload = load_or_discard


def _make_private_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    # Kernels are code run by this user: a directory another user can write to would let them run theirs.
    others_write = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not stat.S_ISDIR(info.st_mode) or others_write or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise OSError(errno.EPERM, "it is not a private directory of this user (create it with mode 0700)")


def _read(path: Path) -> "str | None":
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return None


def _discard_machine_code(directory: Path, module_name: str) -> None:
    """Numba's index and machine code for a module file that is about to be replaced."""
    pycache = directory / "__pycache__"
    for stale in pycache.glob(f"{module_name}.*") if pycache.is_dir() else ():
        try:
            stale.unlink()
        except FileNotFoundError:
            pass  # another process discarded it first


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _load_in_memory(module_name: str, source: str):
    # Numba caches only functions defined in a file; helpers such as `grow` are decorated too.
    code = compile(source.replace("numba.njit(cache=True", "numba.njit(cache=False"), f"<{module_name}>", "exec")
    return _module(module_name, code, None)


def _module(module_name: str, code, path: "Path | None"):
    module = types.ModuleType(module_name)
    if path is not None:
        module.__file__ = str(path)
    exec(code, module.__dict__)
    return module


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def info() -> dict:
    """Directory, number of kernels and total size of the on-disk cache."""
    directory = cache_dir()
    files = [f for f in directory.glob("einsparse_*.py") if not f.name.startswith("einsparse_helpers_")] \
        if directory.is_dir() else []
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) if directory.is_dir() else 0
    return {"directory": str(directory), "kernels": len(files), "bytes": size}
