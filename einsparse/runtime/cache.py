"""The kernel cache: generated modules on disk, so Numba's own cache can keep their machine code.

Numba cannot cache a function made with `exec`, so each kernel's source is written to a real file,
`<cache dir>/einsparse_<hash>.py`, imported as a module, and compiled with `njit(cache=True)`; Numba
stores the machine code beside it (in `__pycache__`) and a later process loads it without compiling.
The hash covers the source and the einsparse, Numba and Python versions, so an upgrade never loads a
stale kernel. A file is written once, to a temporary name then renamed, so a concurrent reader never
sees half of it. Without a usable directory, kernels are compiled in memory only (and a warning says
so once).

Cache directory: `$EINSPARSE_CACHE_DIR`, else `$XDG_CACHE_HOME/einsparse`, else `~/.cache/einsparse`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from einsparse.compiler.emit import DECORATOR
from einsparse.version import __version__ as VERSION

_lock = threading.Lock()
_warned = False


def cache_dir() -> Path:
    configured = os.environ.get("EINSPARSE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "einsparse"


def kernel_key(source: str) -> str:
    import numba  # here, not at the top: `import einsparse` does not load Numba until a kernel runs

    stamp = f"einsparse {VERSION}\nnumba {numba.__version__}\npython {sys.version_info[:3]}\n{source}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:24]


def load_kernel(source: str):
    """The Numba dispatcher of the kernel in `source`, from the disk cache when possible."""
    module_name = f"einsparse_{kernel_key(source)}"
    with _lock:
        module = sys.modules.get(module_name)
        if module is None:
            module = _import_from_disk(module_name, source) or _import_in_memory(module_name, source)
            sys.modules[module_name] = module
    return module.kernel


def _import_from_disk(module_name: str, source: str):
    directory = cache_dir()
    path = directory / f"{module_name}.py"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _write_atomically(path, source)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except OSError as error:
        _warn_once(f"einsparse: kernel cache directory {directory} is not usable ({error.strerror}); "
                   f"kernels are compiled in memory for this process only")
        return None


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _import_in_memory(module_name: str, source: str):
    import types

    module = types.ModuleType(module_name)
    code = compile(source.replace(DECORATOR, DECORATOR.replace("cache=True", "cache=False")),
                   f"<{module_name}>", "exec")
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
    files = list(directory.glob("einsparse_*.py")) if directory.is_dir() else []
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) if directory.is_dir() else 0
    return {"directory": str(directory), "kernels": len(files), "bytes": size}
