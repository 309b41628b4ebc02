"""The public API's modules pass `mypy --strict` (configured in pyproject.toml, [tool.mypy]), and a
user's code sees their types: a result is not taken for an int."""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (pip install 'einsparse[test]')")


def run_mypy(*arguments, cache_dir):
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache_dir), *arguments],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_public_modules_pass_mypy_strict(tmp_path):
    checked = run_mypy(cache_dir=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success: no issues found")


def test_a_user_sees_the_types_of_the_lazily_imported_names(tmp_path):
    user = tmp_path / "user.py"
    user.write_text("import numpy as np\n"
                    "import einsparse as es\n"
                    "x = np.arange(3.0)\n"
                    "kernel = es.compile('y[i] = A[i,j]*x[j]')\n"
                    "source: str = kernel.source\n"
                    "wrong: int = es.evaluate('y[i] = A[i,j]*x[j]', A=np.eye(3), x=x)\n"
                    "i, j = es.indices('i j')\n"
                    "A, C = es.tensor(np.eye(3)), es.empty((3, 3))\n"
                    "C[i, j] = (A[i, j] > 0) * A[j, i] ** 2 + es.exp(A[i, j]) - i\n")
    checked = run_mypy("--strict", "--follow-imports", "silent", "--ignore-missing-imports",
                       "--config-file", "", str(user), cache_dir=tmp_path / "cache")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, checked.stdout
    assert errors[0].startswith(f"{user}:6: error: Incompatible types in assignment")
    assert '"int"' in errors[0] and "Tensor" in errors[0]
