"""Compile and run a fused sparse statement on a real matrix, check it, and show the kernel.

    python examples/spmm.py

Reads examples/data/662_bus.mtx (Matrix Market), computes C = A @ B + D with one einsparse kernel,
compares with scipy.sparse, and prints the generated kernel and its schedule.
"""

from pathlib import Path
import time

import numpy as np
import scipy.io
import scipy.sparse as sp

import einsparse as es

here = Path(__file__).parent
A = sp.csr_matrix(scipy.io.mmread(here / "data" / "662_bus.mtx"))
rng = np.random.default_rng(0)
B = rng.random((A.shape[1], 32))
D = rng.random((A.shape[0], 32))

statement = "C[i,j] = A[i,k]*B[k,j] + D[i,j]"
kernel = es.compile(statement, formats={"A": "csr", "B": "dense", "D": "dense", "C": "dense"})

start = time.perf_counter()
C = kernel(A=A, B=B, D=D)
first = time.perf_counter() - start
start = time.perf_counter()
kernel(A=A, B=B, D=D)
again = time.perf_counter() - start

expected = A @ B + D
print(f"A: {A.shape[0]} x {A.shape[1]}, {A.nnz} stored entries (csr); B, D: dense {B.shape}")
print(f"{statement}")
print(f"first call (compile, or load from the kernel cache): {first * 1e3:.1f} ms; next call: {again * 1e3:.3f} ms")
print(f"max |C - (A @ B + D)| = {np.abs(C - expected).max():.3e}")
print()
print(kernel.explain())
print()
print(kernel.source)
assert np.allclose(C, expected)
