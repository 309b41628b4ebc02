"""Benchmark inputs: generated matrices and tensors with fixed seeds, and the real ones of ../shared/data.

Everything here is in a neutral form (scipy CSR matrices, NumPy arrays, 3-d COO coordinate lists) from
which each system converts, outside the timed region, to its own format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Size:
    n: int              # rows and columns of every generated matrix
    nnz: int            # stored entries per generated matrix
    tensor_dim: int     # extent of each mode of the 3-d tensor
    tensor_nnz: int     # stored entries of the 3-d tensor
    dense_columns: int = 32   # columns of B in SpMM and of U, V in SDDMM
    mttkrp_columns: int = 16  # columns of U, V in MTTKRP


SIZES = {
    "small": Size(n=20_000, nnz=200_000, tensor_dim=200, tensor_nnz=200_000),
    "medium": Size(n=100_000, nnz=1_000_000, tensor_dim=1000, tensor_nnz=1_000_000),
    "large": Size(n=200_000, nnz=2_000_000, tensor_dim=2000, tensor_nnz=2_000_000),
}


@dataclass
class Coo3:
    """A 3-d tensor as sorted, duplicate-free coordinates and values."""
    coords: np.ndarray   # (3, nnz) int64
    values: np.ndarray   # (nnz,) float64
    shape: tuple

    @property
    def nnz(self) -> int:
        return self.values.size


def _csr(rows, cols, values, shape) -> sp.csr_matrix:
    matrix = sp.coo_matrix((values, (rows, cols)), shape=shape).tocsr()
    matrix.sum_duplicates()   # canonical: sorted columns, no duplicates
    return matrix


def uniform(n: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Entries at uniformly random positions."""
    rng = np.random.default_rng(seed)
    return _csr(rng.integers(0, n, nnz), rng.integers(0, n, nnz), rng.random(nnz), (n, n))


def power_law(n: int, nnz: int, seed: int, exponent: float = 1.8) -> sp.csr_matrix:
    """Row lengths drawn from a Pareto law (a few very long rows, many short ones), columns uniform."""
    rng = np.random.default_rng(seed)
    weights = rng.pareto(exponent - 1.0, n) + 1.0
    rows = rng.choice(n, size=nnz, p=weights / weights.sum())
    return _csr(rows, rng.integers(0, n, nnz), rng.random(nnz), (n, n))


def banded(n: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Diagonals around the main one, as many as give about `nnz` entries."""
    rng = np.random.default_rng(seed)
    half = max(0, round((nnz / n - 1) / 2))
    matrix = sp.diags([rng.random(n - abs(k)) for k in range(-half, half + 1)],
                      list(range(-half, half + 1)), shape=(n, n), format="csr")
    matrix.sort_indices()
    return matrix


def dense(rows: int, cols: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((rows, cols))


def vector(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def tensor3(dim: int, nnz: int, seed: int) -> Coo3:
    """A dim^3 tensor with about `nnz` entries at uniformly random coordinates, sorted lexicographically."""
    rng = np.random.default_rng(seed)
    linear = np.unique(rng.integers(0, dim ** 3, nnz, dtype=np.int64))
    coords = np.stack(np.unravel_index(linear, (dim, dim, dim))).astype(np.int64)
    return Coo3(coords, rng.random(linear.size), (dim, dim, dim))


def shared_matrices(folder: Path = SHARED_DATA):
    """(name, CSR matrix) for every Matrix Market file of the shared data folder, real and float64.

    Pattern matrices get value 1, complex ones keep their real part, symmetric ones are expanded (mmread).
    Nothing is yielded when the folder is absent.
    """
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.mtx")):
        matrix = scipy.io.mmread(str(path))
        matrix = sp.csr_matrix(matrix.real if np.iscomplexobj(matrix) else matrix, dtype=np.float64)
        matrix.sum_duplicates()
        yield path.stem, matrix

