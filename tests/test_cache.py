"""The on-disk kernel cache: a second process reuses the machine code of the first, without compiling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import einsparse as es
from einsparse.runtime import cache

SCRIPT = """
import json, numpy as np, scipy.sparse as sp, einsparse as es
A = sp.random(50, 40, density=0.1, format="csr", random_state=0)
kernel = es.compile("y[i] = A[i,j]*x[j] + z[i]", formats={"A": "csr"})
y = kernel(A=A, x=np.ones(40), z=np.ones(50))
stats = kernel.dispatcher.stats
print(json.dumps({"hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values()),
                  "ok": bool(np.allclose(y, A @ np.ones(40) + 1))}))
"""


def run_in_new_process(cache_dir: Path) -> dict:
    env = dict(os.environ, EINSPARSE_CACHE_DIR=str(cache_dir))
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_second_process_hits_the_disk_cache(tmp_path):
    first = run_in_new_process(tmp_path)
    second = run_in_new_process(tmp_path)
    assert first == {"hits": 0, "misses": 1, "ok": True}
    assert second == {"hits": 1, "misses": 0, "ok": True}
    assert len(list(tmp_path.glob("einsparse_*.py"))) == 1


def test_cache_key_depends_on_versions(monkeypatch):
    source = "def kernel():\n    pass\n"
    before = cache.kernel_key(source)
    import numba

    monkeypatch.setattr(numba, "__version__", "0.0.0-other")
    assert cache.kernel_key(source) != before


def test_unusable_cache_directory_falls_back_to_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(cache, "_warned", False)
    kernel = es.compile("y[i] = 3*x[i] - x[i]")
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernel(x=np.arange(4.0))
    np.testing.assert_array_equal(result, [0.0, 2.0, 4.0, 6.0])
    assert any("not usable" in str(w.message) for w in caught)


def test_cache_info_counts_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    es.compile("y[i] = 5*x[i]")(x=np.ones(2))
    info = cache.info()
    assert info["directory"] == str(tmp_path) and info["kernels"] == 1 and info["bytes"] > 0
