"""Per-call overhead: SpMV on a small matrix (100 x 100 CSR, 500 entries), where the call path, not the
loop, is the time. einsparse as users call it (`evaluate`, `einsum`, a compiled `Kernel`) against scipy's
`A @ x` and NumPy's `einsum` on the dense matrix, and an einsparse tensor's `A @ x`, timed in the same rounds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks.timing import interleaved

# Issue targets: each call's time over scipy's `A @ x`.
TARGETS = {"es.evaluate": 3.0, "es.einsum": 3.0, "Kernel call": 2.0, "tensor A @ x": 3.0}


def measure(repeat: int = 20, budget_s: float = 0.3) -> dict:
    import einsparse as es

    rng = np.random.default_rng(0)
    cells = rng.choice(100 * 100, size=500, replace=False)
    A = sp.csr_matrix((rng.random(500), (cells // 100, cells % 100)), shape=(100, 100))
    A.sort_indices()
    x, dense = rng.random(100), A.toarray()
    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    tensor = es.tensor(A)
    calls = {
        "scipy A @ x": lambda: A @ x,
        "np.einsum (dense A)": lambda: np.einsum("ij,j->i", dense, x),
        "es.evaluate": lambda: es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=x),
        "es.einsum": lambda: es.einsum("ij,j->i", A, x),
        "Kernel call": lambda: kernel(A=A, x=x),
        "tensor A @ x": lambda: tensor @ x,
    }
    for name, call in calls.items():
        if not np.allclose(call(), A @ x):
            raise AssertionError(f"{name} gives a wrong SpMV")
    timed = interleaved(list(calls.values()), repeat=repeat, budget_s=budget_s, max_runs=5000)
    base = timed[0][0]
    return {name: {"median_s": median, "vs_scipy": median / base, "target": TARGETS.get(name)}
            for name, (median, _, _) in zip(calls, timed)}


def overhead_lines(figures: dict) -> list[str]:
    lines = ["== per-call overhead: SpMV, 100 x 100 CSR with 500 entries, 1 thread (same rounds)",
             f"{'call':22s} {'median us':>10s} {'vs scipy':>9s} {'target':>7s}"]
    for name, f in figures.items():
        target = f"{f['target']:.1f}" if f["target"] else ""
        lines.append(f"{name:22s} {f['median_s'] * 1e6:10.1f} {f['vs_scipy']:9.2f} {target:>7s}")
    return lines
