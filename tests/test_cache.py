"""The on-disk kernel cache: reuse across processes, and behaviour under faults (concurrent writers,
corrupted or tampered files, unusable directories, version changes, threads)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse import api
from einsparse.runtime import cache

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys, warnings, numpy as np, scipy.sparse as sp, einsparse as es
warnings.simplefilter("error")  # the cache must never warn when its directory is usable
A = sp.random(50, 40, density=0.1, format="csr", random_state=0)
kernel = es.compile("y[i] = A[i,j]*x[j] + z[i]", formats={"A": "csr"})
y = kernel(A=A, x=np.ones(40), z=np.ones(50))
stats = kernel.dispatcher.stats
print(json.dumps({"hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values()),
                  "ok": bool(np.allclose(y, A @ np.ones(40) + 1))}))
"""
STATEMENT = "y[i] = A[i,j]*x[j] + z[i]"


def environment(cache_dir: Path) -> dict:
    env = dict(os.environ, EINSPARSE_CACHE_DIR=str(cache_dir))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_in_new_process(cache_dir: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=environment(cache_dir), capture_output=True,
                          text=True, check=True)
    assert done.stderr == ""
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_file(cache_dir: Path) -> Path:
    files = [f for f in cache_dir.glob("einsparse_*.py") if not f.name.startswith("einsparse_helpers_")]
    assert len(files) == 1, files
    return files[0]


def expected_source() -> str:
    return es.compile(STATEMENT, formats={"A": "csr"}).source


def test_second_process_hits_the_disk_cache(tmp_path):
    first = run_in_new_process(tmp_path)
    second = run_in_new_process(tmp_path)
    assert first == {"hits": 0, "misses": 1, "ok": True}
    assert second == {"hits": 1, "misses": 0, "ok": True}
    assert kernel_file(tmp_path).read_text() == expected_source()


def test_eight_processes_compiling_at_once(tmp_path):
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT], env=environment(tmp_path),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0 and err == "", err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["ok"] for r in results)
    assert kernel_file(tmp_path).read_text() == expected_source()  # one entry, complete
    assert not list(tmp_path.glob(".tmp-*"))                       # no temporary left behind
    assert run_in_new_process(tmp_path) == {"hits": 1, "misses": 0, "ok": True}


@pytest.mark.parametrize("damage", ["truncate module", "garble module", "truncate index",
                                    "truncate machine code", "empty index"])
def test_damaged_entry_is_rebuilt_silently(tmp_path, damage):
    run_in_new_process(tmp_path)
    module = kernel_file(tmp_path)
    pycache = tmp_path / "__pycache__"
    target = {"truncate module": module, "garble module": module,
              "truncate index": next(pycache.glob(f"{module.stem}.*.nbi")),
              "truncate machine code": next(pycache.glob(f"{module.stem}.*.nbc")),
              "empty index": next(pycache.glob(f"{module.stem}.*.nbi"))}[damage]
    data = target.read_bytes()
    if damage == "garble module":
        target.write_bytes(b"\xff\xfe" + data[2:])
    else:
        target.write_bytes(b"" if damage == "empty index" else data[: len(data) // 2])
    assert run_in_new_process(tmp_path) == {"hits": 0, "misses": 1, "ok": True}  # rebuilt, no warning
    assert module.read_text() == expected_source()
    assert run_in_new_process(tmp_path) == {"hits": 1, "misses": 0, "ok": True}  # and cached again


HELPERS_SCRIPT = """
import json, sys, warnings, scipy.sparse as sp, einsparse as es
from einsparse.compiler.emit import HELPERS_MODULE
warnings.simplefilter("error")
A = sp.random(50, 50, density=0.1, format="csr", random_state=0)
C = es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"A": sys.argv[1], "C": sys.argv[1]}, A=A, B=A)
helper = sys.modules[HELPERS_MODULE].sort_touched
print(json.dumps({"hits": sum(helper.stats.cache_hits.values()), "misses": sum(helper.stats.cache_misses.values()),
                  "ok": bool(abs(C.to_scipy() - A @ A).max() < 1e-12)}))
"""


def test_kernels_share_the_helpers_compiled_once(tmp_path):
    """SpGEMM into CSR, then into DCSR in another process: a new kernel, whose sort of touched columns
    comes from the helpers' machine code on disk instead of being compiled again."""
    def run(fmt):
        done = subprocess.run([sys.executable, "-c", HELPERS_SCRIPT, fmt], env=environment(tmp_path),
                              capture_output=True, text=True, check=True)
        assert done.stderr == ""
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert run("csr") == {"hits": 0, "misses": 1, "ok": True}
    assert run("dcsr") == {"hits": 1, "misses": 0, "ok": True}
    assert len(list(tmp_path.glob("einsparse_helpers_*.py"))) == 1
    # the helpers, CSR's two passes (two-phase assembly) and DCSR's one kernel
    assert len(list(tmp_path.glob("einsparse_*.py"))) == 4


def test_tampered_module_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    statement = "y[i] = 7*x[i] - x[i]*3"  # not compiled elsewhere in this process
    source = es.compile(statement).source
    path = tmp_path / f"einsparse_{cache.kernel_key(source)}.py"
    marker = tmp_path / "marker"
    path.write_text(source + f"\nopen({str(marker)!r}, 'w').write('pwned')\n")
    result = es.evaluate(statement, x=np.arange(3.0))
    assert not marker.exists()
    assert path.read_text() == source
    np.testing.assert_array_equal(result, [0.0, 4.0, 8.0])


def test_directory_is_created_private(tmp_path, monkeypatch):
    directory = tmp_path / "new" / "cache"
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(directory))
    np.testing.assert_array_equal(es.evaluate("y[i] = x[i]*11", x=np.ones(2)), [11.0, 11.0])
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(kernel_file(directory).stat().st_mode) == 0o600


def recorded_warnings(run) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught]


def test_missing_cache_directory_falls_back_to_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(cache, "_warned", False)
    results = []
    messages = recorded_warnings(lambda: results.extend([es.evaluate("y[i] = 3*x[i] - x[i]", x=np.arange(4.0)),
                                                         es.evaluate("y[i] = 3*x[i] - 5*x[i]", x=np.arange(4.0))]))
    np.testing.assert_array_equal(results[0], [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(results[1], [0.0, -2.0, -4.0, -6.0])
    assert messages == [f"einsparse: kernel cache directory {blocker / 'cache'} is not usable (Not a directory); "
                        f"kernels are compiled in memory for this process only"]


def test_read_only_cache_directory_falls_back_to_memory(tmp_path, monkeypatch):
    def read_only(path, text):
        raise OSError(30, "Read-only file system")

    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "_write_atomically", read_only)
    monkeypatch.setattr(cache, "_warned", False)
    results = []
    messages = recorded_warnings(lambda: results.extend([es.evaluate("y[i] = 13*x[i]", x=np.ones(2)),
                                                         es.evaluate("y[i] = 17*x[i]", x=np.ones(2))]))
    np.testing.assert_array_equal(results[0], [13.0, 13.0])
    np.testing.assert_array_equal(results[1], [17.0, 17.0])
    assert messages == [f"einsparse: kernel cache directory {tmp_path} is not usable (Read-only file system); "
                        f"kernels are compiled in memory for this process only"]
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_permissions(tmp_path, monkeypatch):
    tmp_path.chmod(0o500)
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "_warned", False)
    try:
        messages = recorded_warnings(lambda: np.testing.assert_array_equal(
            es.evaluate("y[i] = 19*x[i]", x=np.ones(2)), [19.0, 19.0]))
    finally:
        tmp_path.chmod(0o700)
    assert len(messages) == 1 and "is not usable (Permission denied)" in messages[0]


def test_directory_writable_by_others_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(shared))
    monkeypatch.setattr(cache, "_warned", False)
    messages = recorded_warnings(lambda: np.testing.assert_array_equal(
        es.evaluate("y[i] = 23*x[i]", x=np.ones(2)), [23.0, 23.0]))
    assert messages == [f"einsparse: kernel cache directory {shared} is not usable (it is not a private "
                        f"directory of this user (create it with mode 0700)); kernels are compiled in memory "
                        f"for this process only"]
    assert not list(shared.iterdir())


def test_cache_key_depends_on_versions(monkeypatch):
    source = "def kernel():\n    pass\n"
    before = cache.kernel_key(source)
    monkeypatch.setattr(cache, "_numba_version", lambda: "0.0.0-other")
    assert cache.kernel_key(source) != before


def test_version_change_never_loads_a_stale_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    statement = "y[i] = 29*x[i]"
    np.testing.assert_array_equal(es.evaluate(statement, x=np.ones(2)), [29.0, 29.0])
    old = kernel_file(tmp_path)
    real = cache.versions()
    monkeypatch.setattr(cache, "versions", lambda: real.replace("numba ", "numba 999.") + "\neinsparse 999")
    monkeypatch.setattr(api, "_kernels", {})  # as in a new process after the upgrade
    kernel = es.compile(statement)
    np.testing.assert_array_equal(kernel(x=np.ones(2)), [29.0, 29.0])
    stats = kernel.dispatcher.stats
    assert sum(stats.cache_hits.values()) == 0 and sum(stats.cache_misses.values()) == 1  # compiled anew
    assert len(list(tmp_path.glob("einsparse_*.py"))) == 2 and old.exists()


def test_kernels_called_from_many_threads():
    rng = np.random.default_rng(0)
    matrices = [sp.random(60, 50, density=0.1, format="csr", random_state=seed) for seed in range(8)]
    vectors = [rng.random(50) for _ in range(8)]
    spmv = es.compile("y[i] = A[i,j]*x[j]", formats={"A": "csr"})
    add = es.compile("C[i,j] = A[i,j] + B[i,j]", formats={"A": "csr", "B": "csr", "C": "csr"})
    failures = []
    start = threading.Barrier(8)

    def work(t):
        try:
            start.wait()
            for _ in range(20):
                np.testing.assert_allclose(spmv(A=matrices[t], x=vectors[t]), matrices[t] @ vectors[t])
                other = matrices[(t + 1) % 8]
                np.testing.assert_allclose(add(A=matrices[t], B=other).to_numpy(), (matrices[t] + other).toarray())
        except Exception as error:  # noqa: BLE001 - reported below, with the thread's number
            failures.append(f"thread {t}: {error!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_import_does_not_import_numba():
    done = subprocess.run([sys.executable, "-c", "import sys, einsparse; print('numba' in sys.modules)"],
                          env=environment(ROOT / "unused"), capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_cache_info_counts_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    es.compile("y[i] = 5*x[i]")(x=np.ones(2))
    info = cache.info()
    assert info["directory"] == str(tmp_path) and info["kernels"] == 1 and info["bytes"] > 0
