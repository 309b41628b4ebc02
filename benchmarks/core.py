"""Core figures: compile cost, warm-cache first call, SpMV/SpMM, and sparse outputs (SpGEMM, SpAdd,
SDDMM) against scipy.sparse.

    python benchmarks/core.py [--size small|large] [--repeat 7]

Inputs are generated with a fixed seed (uniform random CSR matrices) plus the largest matrices of
../shared/data when that folder is present. Times are medians of `--repeat` runs after a warm-up, both
systems measured side by side in one process; the ratio is einsparse / scipy (below 1: einsparse faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EINSPARSE_CACHE_DIR", tempfile.mkdtemp(prefix="einsparse-bench-"))

import einsparse as es  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SIZES = {"small": (20_000, 200_000), "large": (200_000, 2_000_000)}


def uniform_csr(n: int, nnz: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, n, nnz)
    matrix = sp.coo_matrix((rng.random(nnz), (rows, cols)), shape=(n, n)).tocsr()
    matrix.sum_duplicates()
    return matrix


def median_time(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_figures() -> list[str]:
    lines = []
    A = uniform_csr(1000, 10_000, 1)
    B = np.ones((1000, 32))
    for statement, operands in [("y[i] = A[i,j]*x[j]", {"A": A, "x": np.ones(1000)}),
                                ("C[i,j] = A[i,k]*B[k,j]", {"A": A, "B": B}),
                                ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", {"A": A, "B": B, "D": B.copy()})]:
        kernel = es.compile(statement, {"A": "csr"})
        start = time.perf_counter()
        kernel(**operands)
        first = time.perf_counter() - start
        steady = median_time(lambda: kernel(**operands), 5)
        lines.append(f"cold compile   {statement:38s} {first - steady:7.3f} s")
    return lines


WARM_SCRIPT = """
import time
t0 = time.perf_counter()
import numpy as np, scipy.sparse as sp, einsparse as es
t1 = time.perf_counter()
A = sp.random(1000, 1000, density=0.01, format="csr", random_state=0)
kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
t2 = time.perf_counter()
kernel(A=A, x=np.ones(1000))
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t3 - t2:.3f} {sum(kernel.dispatcher.stats.cache_hits.values())}")
"""


def warm_cache_figures() -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", WARM_SCRIPT], env=env, capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(3)]
    imports, first, hits = runs[-1]
    return [f"fresh process, warm cache: import einsparse {float(imports):.3f} s, first SpMV call "
            f"{float(first):.3f} s (cache hits: {hits})"]


def matrices(size: str):
    n, nnz = SIZES[size]
    yield f"uniform {n}x{n}, {nnz} nnz", uniform_csr(n, nnz, 0)
    if SHARED.is_dir():
        for name in ["wiki-Vote.mtx", "astro-ph.mtx", "pushpull.mtx", "pyamg_helmholtz_2D.mtx"]:
            path = SHARED / name
            if path.exists():
                matrix = sp.csr_matrix(scipy.io.mmread(path))
                if np.iscomplexobj(matrix.data):
                    matrix = sp.csr_matrix((matrix.data.real, matrix.indices, matrix.indptr), shape=matrix.shape)
                yield f"{name} ({matrix.nnz} nnz)", matrix


def steady_figures(size: str, repeat: int) -> list[str]:
    spmv = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    spmm = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr"})
    lines = [f"{'kernel':6s} {'matrix':44s} {'einsparse':>11s} {'scipy':>11s} {'ratio':>7s}"]
    for label, A in matrices(size):
        x = np.random.default_rng(0).random(A.shape[1])
        B = np.random.default_rng(1).random((A.shape[1], 32))
        assert np.allclose(spmv(A=A, x=x), A @ x)
        assert np.allclose(spmm(A=A, B=B), A @ B)
        for kernel_name, ours, theirs in [("SpMV", lambda: spmv(A=A, x=x), lambda: A @ x),
                                          ("SpMM", lambda: spmm(A=A, B=B), lambda: A @ B)]:
            t_ours, t_theirs = median_time(ours, repeat), median_time(theirs, repeat)
            lines.append(f"{kernel_name:6s} {label:44s} {t_ours * 1e3:9.3f}ms {t_theirs * 1e3:9.3f}ms "
                         f"{t_ours / t_theirs:7.2f}")
    return lines


def sddmm_scipy(A: sp.csr_matrix, U: np.ndarray, V: np.ndarray) -> sp.csr_matrix:
    """The fastest scipy formulation found: gather the rows of U and V at A's entries."""
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    values = A.data * np.einsum("ij,ij->i", U[rows], V[A.indices])
    return sp.csr_matrix((values, A.indices, A.indptr), shape=A.shape)


def sparse_output_figures(size: str, repeat: int) -> list[str]:
    n, nnz = SIZES[size]
    A, B = uniform_csr(n, nnz, 1), uniform_csr(n, nnz, 2)
    rng = np.random.default_rng(3)
    U, V = rng.random((n, 32)), rng.random((n, 32))
    spgemm = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"})
    spadd = es.compile("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr", "C": "csr"})
    sddmm = es.compile("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "csr"})
    assert abs(spgemm(A=A, B=B).to_scipy() - A @ B).max() < 1e-9
    assert abs(spadd(A=A, B=B).to_scipy() - (A + B)).max() < 1e-12
    assert abs(sddmm(A=A, U=U, V=V).to_scipy() - sddmm_scipy(A, U, V)).max() < 1e-9

    def scipy_sorted_product():
        product = A @ B
        product.sort_indices()
        return product

    rows = [("SpGEMM", lambda: spgemm(A=A, B=B), lambda: A @ B, "scipy A @ B (unsorted rows)"),
            ("SpGEMM", lambda: spgemm(A=A, B=B), scipy_sorted_product, "scipy A @ B + sort_indices"),
            ("SpAdd", lambda: spadd(A=A, B=B), lambda: A + B, "scipy A + B"),
            ("SDDMM", lambda: sddmm(A=A, U=U, V=V), lambda: sddmm_scipy(A, U, V), "scipy gather + einsum")]
    lines = [f"sparse outputs on uniform {n}x{n}, {nnz} nnz per matrix (CSR results)"]
    for kernel_name, ours, theirs, peer in rows:
        t_ours, t_theirs = median_time(ours, repeat), median_time(theirs, repeat)
        lines.append(f"{kernel_name:6s} vs {peer:30s} {t_ours * 1e3:9.1f}ms {t_theirs * 1e3:9.1f}ms "
                     f"{t_ours / t_theirs:7.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"einsparse {es.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, 1 thread")
    for line in (compile_figures() + warm_cache_figures() + steady_figures(args.size, args.repeat)
                 + sparse_output_figures(args.size, max(5, args.repeat))):
        print(line)


if __name__ == "__main__":
    main()
