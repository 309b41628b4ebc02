"""What a bug report needs to say about this installation: `es.show_config()` and `einsparse info`.

The versions of einsparse, Python and the packages it runs on or with (read from the installed
packages' metadata, so nothing heavy is imported), the platform, the kernel cache (as
`einsparse cache info` reports it) and the thread settings, as `numpy.show_config()` shows NumPy's.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
from typing import Any

from einsparse.version import __version__

NOT_INSTALLED = "not installed"
# (distribution, module, how the report names it): what einsparse needs, then what it works with.
REQUIRED = (("numpy", "numpy", "numpy"), ("numba", "numba", "numba"), ("llvmlite", "llvmlite", "llvmlite"),
            ("lark", "lark", "lark"), ("scipy", "scipy", "scipy"))
OPTIONAL = (("dask", "dask", "dask"), ("distributed", "distributed", "distributed"),
            ("python-graphblas", "graphblas", "python-graphblas"), ("sparse", "sparse", "sparse (pydata)"))
MODES = ("stdout", "dicts")

# The report: section names to a version string, or to a dict of the section's settings (strings,
# numbers, None), as `show_config(mode="dicts")` documents them.
Report = dict[str, Any]


def show_config(mode: str = "stdout") -> Report | None:
    """Print what a bug report needs: versions, platform, the kernel cache and the thread settings.

    As `numpy.show_config`: the versions of einsparse, Python, NumPy, Numba, llvmlite, lark and scipy
    (and Dask, python-graphblas, pydata/sparse where installed), the platform, the kernel cache's
    directory, kernels and bytes, and the thread settings. `einsparse info` prints the same.

    Parameters
    ----------
    mode : {"stdout", "dicts"}
        Print the report (the default), or return it as a dict: `einsparse`, `python` (version,
        implementation, executable), `platform`, `packages` (distribution name to version, or "not
        installed"), `kernel_cache` (directory, kernels, bytes) and `threads` (EINSPARSE_THREADS and
        NUMBA_NUM_THREADS as set, else None; the threads a call uses by default; Numba's threading
        layer once one has started, else None; cpu_count).

    Returns
    -------
    dict or None
        The report with ``mode="dicts"``, else None.

    Raises
    ------
    ValueError
        For another `mode`.

    Examples
    --------
    >>> import einsparse as es
    >>> report = es.show_config(mode="dicts")
    >>> report["einsparse"] == es.__version__
    True
    >>> sorted(report["kernel_cache"])
    ['bytes', 'directory', 'kernels']
    """
    if mode not in MODES:
        raise ValueError(f"show_config(mode={mode!r}): expected one of {', '.join(map(repr, MODES))}")
    report = config()
    if mode == "dicts":
        return report
    print(format_config(report))
    return None


def config() -> Report:
    from einsparse.runtime import cache

    return {
        "einsparse": __version__,
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "platform": platform.platform(),
        "packages": {distribution: installed_version(distribution, module)
                     for distribution, module, _ in REQUIRED + OPTIONAL},
        "kernel_cache": cache.info(),
        "threads": _threads(),
    }


def installed_version(distribution: str, module: str) -> str:
    """The version of an installed package, from its metadata; a module importable without metadata
    (a source checkout on the path) is asked for its `__version__`."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(distribution)
    try:
        if importlib.util.find_spec(module) is None:
            return NOT_INSTALLED
        return str(getattr(importlib.import_module(module), "__version__", "unknown version"))
    except Exception as error:  # noqa: BLE001 - a broken installation is worth reporting, not raising
        return f"{NOT_INSTALLED} ({type(error).__name__}: {error})"


def _threads() -> dict[str, int | str | None]:
    from einsparse.errors import OperandError
    from einsparse.runtime.parallel import thread_count

    default: int | str
    try:
        default = thread_count(None)
    except OperandError as error:  # a malformed EINSPARSE_THREADS: the report says why calls fail
        default = str(error)
    return {"EINSPARSE_THREADS": os.environ.get("EINSPARSE_THREADS"), "default": default,
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
            "numba_threading_layer": _numba_threading_layer(), "cpu_count": os.cpu_count()}


def _numba_threading_layer() -> "str | None":
    """The layer Numba's parallel loops started with; None when Numba is not loaded or none started
    (einsparse's own chunks run on Python threads: a layer starts only for other parallel code)."""
    numba = sys.modules.get("numba")
    if numba is None:
        return None
    try:
        layer: str = numba.threading_layer()
        return layer
    except ValueError:  # "Threading layer is not initialized."
        return None


def format_config(report: Report) -> str:
    python, cache, threads = report["python"], report["kernel_cache"], report["threads"]
    names = {distribution: name for distribution, _, name in REQUIRED + OPTIONAL}
    width = max(len(name) for name in names.values())
    lines = [f"einsparse {report['einsparse']}",
             f"python {python['version']} ({python['implementation']}, {python['executable']})",
             f"platform {report['platform']}", "packages:"]
    lines += [f"  {names[d]:<{width}}  {version}" for d, version in report["packages"].items()]
    lines += ["kernel cache:",
              f"  directory  {cache['directory']}",
              f"  kernels    {cache['kernels']}",
              f"  size       {cache['bytes']} bytes ({readable_size(cache['bytes'])})",
              "threads:",
              f"  EINSPARSE_THREADS      {_setting(threads['EINSPARSE_THREADS'])} ({_default(threads['default'])})",
              f"  NUMBA_NUM_THREADS      {_setting(threads['NUMBA_NUM_THREADS'])}",
              f"  Numba threading layer  {threads['numba_threading_layer'] or 'not started'}",
              f"  cpu_count              {threads['cpu_count']}"]
    return "\n".join(lines)


def _default(threads: "int | str") -> str:
    if isinstance(threads, str):  # why the setting is refused
        return threads
    return f"a call uses {threads} thread{'s' if threads != 1 else ''} unless told otherwise"


def _setting(value: "str | None") -> str:
    return "not set" if value is None else repr(value)


def readable_size(count: float) -> str:
    """`512 bytes`, `1.5 KB`, `3.2 MB`, `1.0 GB` (powers of 1024)."""
    for unit in ("bytes", "KB", "MB"):
        if count < 1024:
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"
