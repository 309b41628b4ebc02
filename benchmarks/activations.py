"""Fused operators against NumPy and scipy doing the same in steps (`python -m benchmarks.activations`):
a graph layer's `relu(A @ X + b)` and attention's `exp` of an SDDMM on A's pattern, on a 100,000-row
CSR matrix with 10 entries a row, one thread, each pair timed in the same interleaved rounds.

einsparse runs each as one kernel through `evaluate` (the call users make); the peers compute the
product, then the bias, then the function, each a pass over a temporary of the output's size.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks.timing import interleaved

ROWS, PER_ROW, FEATURES = 100_000, 10, 16


def _matrix(seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(ROWS), PER_ROW)
    matrix = sp.csr_matrix((rng.random(ROWS * PER_ROW) - 0.5, (rows, rng.integers(0, ROWS, ROWS * PER_ROW))),
                           shape=(ROWS, ROWS))
    matrix.sum_duplicates()
    return matrix


def _relu_layer(A, X, b):
    """NumPy/scipy in steps: SpMM, add the bias, clip at 0."""
    H = A @ X
    H += b
    return np.maximum(H, 0, out=H)


def _sddmm_exp(A, U, V):
    """scipy/NumPy in steps: the rows and columns of A's entries, their dot products, times A, exp;
    the result as a CSR matrix of A's pattern (its fill, exp(0) = 1, left implicit)."""
    coo_rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    dots = np.einsum("ij,ij->i", U[coo_rows], V[A.indices])
    return sp.csr_matrix((np.exp(A.data * dots), A.indices, A.indptr), shape=A.shape)


def measure(repeat: int = 7) -> dict:
    import einsparse as es

    rng = np.random.default_rng(3)
    A = _matrix(1)
    X, b = rng.random((ROWS, FEATURES)), rng.random(FEATURES) - 0.5
    U, V = rng.random((ROWS, FEATURES)), rng.random((ROWS, FEATURES))
    relu = "H[i,j] = relu(A[i,k]*X[k,j] + b[j])"
    sddmm = "P[i,j] = exp(A[i,j]*U[i,k]*V[j,k])"
    ours_relu = lambda: es.evaluate(relu, A=A, X=X, b=b)  # noqa: E731
    ours_sddmm = lambda: es.evaluate(sddmm, A=A, U=U, V=V)  # noqa: E731
    if not np.allclose(ours_relu(), _relu_layer(A, X, b), rtol=1e-12, atol=1e-12):
        raise AssertionError("relu layer differs from NumPy's")
    expected, got = _sddmm_exp(A, U, V), ours_sddmm()
    if got.fill != 1.0 or not np.allclose(got.vals, expected.data, rtol=1e-12):
        raise AssertionError("exp of SDDMM differs from scipy's")
    figures = {}
    for name, peer, ours in (("relu(A @ X + b)", lambda: _relu_layer(A, X, b), ours_relu),
                             ("exp(A .* (U V^T))", lambda: _sddmm_exp(A, U, V), ours_sddmm)):
        (peer_s, _, _), (ours_s, _, _) = interleaved([peer, ours], repeat=repeat)
        figures[name] = (peer_s, ours_s)
    return figures


if __name__ == "__main__":
    print(f"{'operation':22s} {'steps ms':>9s} {'einsparse ms':>13s} {'ratio':>6s}")
    for name, (peer_s, ours_s) in measure().items():
        print(f"{name:22s} {peer_s * 1e3:9.3f} {ours_s * 1e3:13.3f} {ours_s / peer_s:6.2f}")
