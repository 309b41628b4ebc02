"""`es.show_config()` and `einsparse info`: the versions, platform, kernel cache and thread settings."""

from __future__ import annotations

import importlib.util
import os
import platform
import sys

import lark
import llvmlite
import numba
import numpy as np
import pytest
import scipy

import einsparse as es
from einsparse import cli, diagnostics
from einsparse.runtime import cache


def test_versions_are_the_installed_packages():
    report = es.show_config(mode="dicts")
    assert report["einsparse"] == es.__version__
    assert report["python"]["version"] == platform.python_version()
    assert report["python"]["executable"] == sys.executable
    packages = report["packages"]
    assert (packages["numpy"], packages["numba"], packages["llvmlite"], packages["lark"], packages["scipy"]) == (
        np.__version__, numba.__version__, llvmlite.__version__, lark.__version__, scipy.__version__)
    for distribution, module in [("dask", "dask"), ("distributed", "distributed"),
                                 ("python-graphblas", "graphblas"), ("sparse", "sparse")]:
        if importlib.util.find_spec(module) is None:
            assert packages[distribution] == "not installed"
        else:
            assert packages[distribution] == importlib.import_module(module).__version__


def test_a_package_that_is_not_installed():
    assert diagnostics.installed_version("no-such-distribution-xyz", "no_such_module_xyz") == "not installed"


def test_kernel_cache_figures_are_the_cache_modules(tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    es.compile("y[i] = 53*x[i]")(x=np.ones(2))
    (tmp_path / "einsparse_extra.py").write_text("x = 1\n")
    report = es.show_config(mode="dicts")["kernel_cache"]
    assert report == cache.info()
    assert report["directory"] == str(tmp_path) and report["kernels"] == 2
    assert report["bytes"] == sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())


def test_thread_settings(monkeypatch):
    monkeypatch.setenv("EINSPARSE_THREADS", "3")
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    threads = es.show_config(mode="dicts")["threads"]
    assert threads["EINSPARSE_THREADS"] == "3" and threads["default"] == 3
    assert threads["NUMBA_NUM_THREADS"] is None and threads["cpu_count"] == os.cpu_count()
    monkeypatch.setenv("EINSPARSE_THREADS", "many")
    assert "EINSPARSE_THREADS must be a whole number" in es.show_config(mode="dicts")["threads"]["default"]


def test_show_config_prints(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("EINSPARSE_THREADS", raising=False)
    assert es.show_config() is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"einsparse {es.__version__}"
    assert f"  numba             {numba.__version__}" in lines
    assert f"  directory  {tmp_path}" in lines and "  size       0 bytes (0 bytes)" in lines
    assert "  EINSPARSE_THREADS      not set (a call uses 1 thread unless told otherwise)" in lines


def test_show_config_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match=r"^show_config\(mode='json'\): expected one of 'stdout', 'dicts'$"):
        es.show_config(mode="json")


def test_einsparse_info(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    assert cli.main(["info"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"einsparse {es.__version__}" and err == ""
    assert out == diagnostics.format_config(diagnostics.config()) + "\n"
