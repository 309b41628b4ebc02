"""Packaging: the sdist holds what a build needs, the wheel built from it holds the whole package and no
tests, and that wheel runs a statement and the `einsparse` command from a virtual environment of its own;
the version is the same wherever it is read."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse import cli

ROOT = Path(__file__).resolve().parents[1]
VERSION = es.__version__

# Every module of the source tree, the grammar the parser loads and the PEP 561 marker, as archive paths.
PACKAGE_FILES = sorted({p.relative_to(ROOT).as_posix() for p in (ROOT / "einsparse").rglob("*.py")}
                       | {"einsparse/grammar/einsum.lark", "einsparse/py.typed"})


def build_installed() -> bool:
    # build.__main__, not build: a build/ folder left in the source tree imports as a namespace package
    try:
        return importlib.util.find_spec("build.__main__") is not None
    except ModuleNotFoundError:
        return False


needs_build = pytest.mark.skipif(not build_installed(), reason="the 'build' package is not installed (the "
                                                               "test extra has it: pip install '.[test]')")

# Run by the fresh environment's Python, from a folder outside the repository.
SPMV = """
import importlib.metadata, json
import numpy as np, scipy.sparse as sp
import einsparse as es
A = sp.random(40, 30, density=0.2, format="csr", random_state=0)
y = es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=np.arange(30.0))
print(json.dumps({"file": es.__file__, "version": es.__version__,
                  "metadata": importlib.metadata.version("einsparse"), "y": y.tolist()}))
"""


def test_versions_agree(capsys):
    assert re.fullmatch(r"\d+(\.\d+)+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", VERSION)
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["einsparse", VERSION]
    try:
        installed = importlib.metadata.version("einsparse")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("einsparse is not installed, so there is no metadata version to compare")
    assert installed == VERSION


@needs_build
def test_sdist_and_wheel_build_install_and_run(tmp_path):
    # One test, one build: parallel workers building at once would share the source tree's egg-info.
    sdist, wheel = build(tmp_path / "dist")
    check_sdist(sdist)
    check_wheel(wheel)
    install_and_run(wheel, tmp_path)


def build(out: Path) -> tuple[Path, Path]:
    """`python -m build`: the sdist, then the wheel built from the unpacked sdist (so the sdist is proven
    to be enough to build). Without isolation, to stay offline and fast, with this environment's
    setuptools."""
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = out.glob(f"einsparse-{VERSION}.tar.gz")
    (wheel,) = out.glob(f"einsparse-{VERSION}-py3-none-any.whl")
    return sdist, wheel


def check_sdist(sdist: Path):
    top = f"einsparse-{VERSION}/"
    with tarfile.open(sdist) as archive:
        names = {name.removeprefix(top) for name in archive.getnames()}
    needed = {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "MANIFEST.in", *PACKAGE_FILES}
    assert needed - names == set()
    assert not any(name.startswith(("tests", "examples", "benchmarks")) for name in names)


def check_wheel(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    info = f"einsparse-{VERSION}.dist-info/"
    assert set(PACKAGE_FILES) - names == set()
    assert {info + "licenses/LICENSE", info + "entry_points.txt"} <= names
    # only the package and its metadata: no tests, examples, benchmarks or docs
    assert {name for name in names if not name.startswith(("einsparse/", info))} == set()


def install_and_run(wheel: Path, tmp: Path):
    env_dir, work = tmp / "venv", tmp / "work"
    work.mkdir()
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    paths = json.loads(run([python, "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"],
                           work))
    # --system-site-packages reaches the base interpreter's packages, not those of the environment running
    # the tests (NumPy, Numba, SciPy, pip): add them after the new environment's own site-packages, so the
    # einsparse installed there comes first.
    ours = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    Path(paths["purelib"], "test-runner.pth").write_text("\n".join(ours) + "\n")
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "--quiet", str(wheel)],
        work)

    cache = tmp / "cache"  # empty: the installed copy generates and compiles the kernel itself
    got = json.loads(run([python, "-c", SPMV], work, EINSPARSE_CACHE_DIR=str(cache)))
    assert Path(got["file"]).resolve().is_relative_to(env_dir.resolve())
    assert got["version"] == got["metadata"] == VERSION
    A = sp.random(40, 30, density=0.2, format="csr", random_state=0)
    np.testing.assert_allclose(got["y"], A.toarray() @ np.arange(30.0), rtol=1e-13)
    assert any(cache.iterdir())

    script = Path(paths["scripts"], "einsparse")
    assert run([script, "--version"], work).startswith(f"einsparse {VERSION} (numba ")


def run(argv, cwd: Path, **extra) -> str:
    """Run a command of the fresh environment; its stdout. PYTHONPATH and pip's settings of the calling
    shell are left out: they could put the source tree back on the path or redirect the install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PIP_")}
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**env, **extra, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout
