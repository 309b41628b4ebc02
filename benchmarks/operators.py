"""Tensor operators against scipy doing the same (`python -m benchmarks.operators`): 100,000 x 100,000
CSR matrices with 10 entries a row, one thread, each pair timed in the same interleaved rounds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks.timing import interleaved

ROWS, PER_ROW = 100_000, 10


def _matrix(seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(ROWS), PER_ROW)
    matrix = sp.csr_matrix((rng.random(ROWS * PER_ROW), (rows, rng.integers(0, ROWS, ROWS * PER_ROW))),
                           shape=(ROWS, ROWS))
    matrix.sum_duplicates()
    return matrix


def _agree(expected, got) -> bool:
    """Equal results, compared without making a 100,000^2 matrix dense."""
    if sp.issparse(expected):
        got = sp.csr_matrix(got.to_scipy()) if hasattr(got, "to_scipy") else sp.csr_matrix(np.asarray(got))
        if expected.dtype == bool:
            return (expected != got).nnz == 0
        return abs(expected - got).max() <= 1e-12 * max(1.0, abs(expected).max())
    expected = np.asarray(expected).reshape(-1)
    got = got.to_numpy() if hasattr(got, "to_numpy") else np.asarray(got)
    return np.allclose(got.reshape(-1), expected, rtol=1e-12, atol=1e-12)


def measure(repeat: int = 7) -> dict:
    import einsparse as es

    A, B, x = _matrix(1), _matrix(2), np.random.default_rng(3).random(ROWS)
    a, b = es.tensor(A), es.tensor(B)
    cases = {
        "A @ x": (lambda: A @ x, lambda: a @ x),
        "A + B": (lambda: A + B, lambda: a + b),
        "A * B (elementwise)": (lambda: A.multiply(B), lambda: a * b),
        "A * 2.5": (lambda: A * 2.5, lambda: a * 2.5),
        "A.T @ x": (lambda: A.T @ x, lambda: a.T @ x),
        "A.sum(0)": (lambda: A.sum(0), lambda: a.sum(0)),
        "A > 0.5": (lambda: A > 0.5, lambda: a > 0.5),
    }
    figures = {}
    for name, (scipy_call, einsparse_call) in cases.items():
        if not _agree(scipy_call(), einsparse_call()):
            raise AssertionError(f"{name} differs from scipy's")
        (scipy_s, _, _), (ours_s, _, _) = interleaved([scipy_call, einsparse_call], repeat=repeat)
        figures[name] = (scipy_s, ours_s)
    return figures


if __name__ == "__main__":
    print(f"{'operation':22s} {'scipy ms':>9s} {'einsparse ms':>13s} {'ratio':>6s}")
    for name, (scipy_s, ours_s) in measure().items():
        print(f"{name:22s} {scipy_s * 1e3:9.3f} {ours_s * 1e3:13.3f} {ours_s / scipy_s:6.2f}")
