"""`--sweep`: K1, K2 and K3 over growing sizes, and the fitted exponent of time against work.

Work is A's stored entries for SpMV and SpMM and the multiplications of Gustavson's algorithm for SpGEMM.
An exponent near 1 means cost grows linearly with the work; above 1, something grows faster (a workspace
cleared per row, a sort, cache misses once the operands leave the cache).
"""

from __future__ import annotations

import numpy as np

from benchmarks import inputs, kernels
from benchmarks.systems.einsparse_system import EinsparseSystem
from benchmarks.systems.scipy_peer import ScipyPeer
from benchmarks.timing import first_call, interleaved

SWEPT = ("K1 SpMV", "K2 SpMM", "K3 SpGEMM")
ENTRIES_PER_ROW = 10


def fitted_exponent(work, seconds) -> float:
    """Slope of log(time) against log(work), by least squares."""
    return float(np.polyfit(np.log(work), np.log(seconds), 1)[0])


def run_sweep(largest: int, steps: int = 5, threads: int = 1, repeat: int = 5) -> dict:
    """Sizes n = largest / 2^k for k = steps-1 ... 0, ENTRIES_PER_ROW entries per row."""
    systems = [EinsparseSystem(), ScipyPeer()]
    for system in systems:
        system.set_threads(threads)
    sizes = [max(64, largest >> k) for k in range(steps - 1, -1, -1)]
    results = {}
    for label in SWEPT:
        spec = kernels.SPECS[label]
        points = {system.name: [] for system in systems}
        for n in sizes:
            size = inputs.Size(n=n, nnz=n * ENTRIES_PER_ROW, tensor_dim=2, tensor_nnz=1)
            A, B = inputs.uniform(n, size.nnz, 1), inputs.uniform(n, size.nnz, 2)
            case = kernels.make_case(spec, f"uniform {n}^2", A, B if spec.key == "K3" else None, 10, size)
            work = case.flops if spec.key == "K3" else A.nnz
            runners = [first_call(system.prepare(case).make_runner)[1] for system in systems]
            for system, (median, _, _) in zip(systems, interleaved(runners, repeat, budget_s=0.2)):
                points[system.name].append({"n": n, "work": work, "median_s": median})
        results[label] = {
            "work": "multiplications" if spec.key == "K3" else "stored entries of A",
            "points": points,
            "exponent": {name: fitted_exponent([p["work"] for p in pts], [p["median_s"] for p in pts])
                         for name, pts in points.items()},
        }
    return results


def sweep_lines(results: dict) -> list[str]:
    lines = ["sweep: time ~ work^exponent (uniform random, 10 entries per row)"]
    for label, result in results.items():
        exps = ", ".join(f"{name} {value:.2f}" for name, value in result["exponent"].items())
        lines.append(f"  {label:12s} work = {result['work']:22s} exponent: {exps}")
        for name, points in result["points"].items():
            row = "  ".join(f"{p['work']:>9d}:{p['median_s'] * 1e3:8.3f}ms" for p in points)
            lines.append(f"    {name:10s} {row}")
    return lines
