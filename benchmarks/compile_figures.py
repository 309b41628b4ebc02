"""Compile and start-up figures, each measured in a fresh Python process.

- cold: every suite kernel compiled into an empty cache (after Numba's own start-up is paid by a trivial
  function, so it is not charged to the first kernel);
- warm: a new process on that now-filled cache: `import einsparse` (and whether it pulled in Numba or
  SciPy), the first cached kernel's first call (includes Numba's one-time start-up in the process), then
  each further cached kernel's first call, and the overhead of a call on tiny operands;
- the command line: `einsparse --help`, and `einsparse run` of SpMV on a small .mtx with a warm cache.

Run as a module (`python -m benchmarks.compile_figures cold|warm`) it prints one JSON object; `measure`
starts those processes and gathers the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL_MTX = ROOT / "examples" / "data" / "662_bus.mtx"


def _tiny_cases():
    from benchmarks import inputs, kernels

    tiny = inputs.Size(n=200, nnz=1000, tensor_dim=20, tensor_nnz=500)
    seen, cases = set(), []
    for case in kernels.standard_cases(tiny, shared=False):
        if case.kernel not in seen:
            seen.add(case.kernel)
            cases.append(case)
    return cases


def _first_calls() -> list[dict]:
    """Each suite kernel: compile (plan) plus first call, and a steady call, on tiny operands."""
    from benchmarks.systems.einsparse_system import EinsparseSystem
    from benchmarks.timing import steady

    system = EinsparseSystem()
    rows = []
    for case in _tiny_cases():
        prepared = system.prepare(case)
        start = time.perf_counter()
        runner = prepared.make_runner()
        runner()
        first = time.perf_counter() - start
        median, _, _ = steady(runner, repeat=5, budget_s=0.05)
        rows.append({"kernel": case.kernel, "first_call_s": first, "steady_s": median})
    return rows


def cold() -> dict:
    import numba

    numba.njit(lambda x: x + 1)(1)   # Numba's one-time start-up, kept out of the first kernel's figure
    return {"kernels": _first_calls()}


def warm() -> dict:
    start = time.perf_counter()
    import einsparse as es

    import_s = time.perf_counter() - start
    loaded = {name: name in sys.modules for name in ("numba", "scipy")}
    import numpy as np
    import scipy.sparse as sp

    from benchmarks.timing import steady

    rows = _first_calls()
    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    A, x = sp.random(4, 4, density=0.5, format="csr", random_state=0), np.ones(4)
    tiny_call, _, _ = steady(lambda: kernel(A=A, x=x), repeat=50, budget_s=0.2)
    return {"import_s": import_s, "import_loads": loaded, "kernels": rows, "tiny_call_s": tiny_call}


def _run_json(mode: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.compile_figures", mode], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _wall(command: list[str], env: dict, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(runs: int = 3) -> dict:
    """All compile and start-up figures, with a cache directory of their own."""
    cache = tempfile.mkdtemp(prefix="einsparse-bench-compile-")
    env = dict(os.environ, EINSPARSE_CACHE_DIR=cache,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    cold_figures = _run_json("cold", env)
    warm_runs = [_run_json("warm", env) for _ in range(runs)]
    per_kernel = {}
    for row in cold_figures["kernels"]:
        per_kernel[row["kernel"]] = {"cold_compile_s": row["first_call_s"] - row["steady_s"]}
    # In each warm process the first kernel carries Numba's start-up; the others are "further" loads.
    first_loads = [r["kernels"][0]["first_call_s"] - r["kernels"][0]["steady_s"] for r in warm_runs]
    further = [k["first_call_s"] - k["steady_s"] for r in warm_runs for k in r["kernels"][1:]]
    for row in warm_runs[-1]["kernels"]:
        per_kernel[row["kernel"]]["warm_first_call_s"] = row["first_call_s"]
    cold_times = [v["cold_compile_s"] for v in per_kernel.values()]
    figures = {
        "cache_dir": cache,
        "per_kernel": per_kernel,
        "cold_compile_median_s": statistics.median(cold_times),
        "cold_compile_max_s": max(cold_times),
        "warm_first_cached_kernel_s": statistics.median(first_loads),
        "warm_further_kernel_median_s": statistics.median(further) if further else None,
        "import_einsparse_s": statistics.median(r["import_s"] for r in warm_runs),
        "import_loads": warm_runs[-1]["import_loads"],
        "tiny_call_s": statistics.median(r["tiny_call_s"] for r in warm_runs),
        "python_startup_s": _wall([sys.executable, "-c", "pass"], env),
        "help_s": _wall([sys.executable, "-m", "einsparse", "--help"], env),
    }
    if SMALL_MTX.exists():
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, "-m", "einsparse", "run", "y(i) = A(i,j)*x(j)", f"A={SMALL_MTX}",
                       "x=ones", "-o", str(Path(out) / "y.npy")]
            subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)   # fills the cache
            figures["run_spmv_s"] = _wall(command, env, runs)
            figures["run_spmv_matrix"] = SMALL_MTX.name
    return figures


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("cold", "warm"):
        sys.exit("usage: python -m benchmarks.compile_figures cold|warm")
    if "EINSPARSE_CACHE_DIR" not in os.environ:   # never fill (or time against) the user's own cache
        sys.exit("set EINSPARSE_CACHE_DIR to a folder of its own (measure() does)")
    print(json.dumps(cold() if mode == "cold" else warm()))
