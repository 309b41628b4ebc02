"""Correctness: every system's result against the scipy/NumPy reference of its case."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def as_array(value):
    """A dense NumPy array (or a float) from a scipy matrix, an ndarray or a number."""
    if sp.issparse(value):
        return value.toarray()
    if np.ndim(value) == 0:
        return float(np.asarray(value))
    return np.asarray(value)


def compare(result, expected, rtol: float = 1e-9) -> tuple[bool, str]:
    """(ok, detail). Sparse results are compared entry by entry without densifying; sums may reassociate,
    so values agree to `rtol` relative to the largest reference entry."""
    if sp.issparse(result) and sp.issparse(expected):
        if result.shape != expected.shape:
            return False, f"shape {result.shape} != {expected.shape}"
        scale = max(abs(expected).max() if expected.nnz else 0.0, 1e-300)
        difference = abs(sp.csr_matrix(result) - sp.csr_matrix(expected))
        error = difference.max() if difference.nnz else 0.0
    else:
        got, want = as_array(result), as_array(expected)
        if np.shape(got) != np.shape(want):
            return False, f"shape {np.shape(got)} != {np.shape(want)}"
        if np.ndim(want) == 0:
            scale, error = max(abs(want), 1e-300), abs(got - want)
        else:
            scale = max(float(np.abs(want).max()) if np.size(want) else 0.0, 1e-300)
            error = float(np.abs(got - want).max()) if np.size(want) else 0.0
    if not np.isfinite(error) or error > rtol * scale:
        return False, f"max error {error:.3g} (reference scale {scale:.3g})"
    return True, f"max error {error:.1g}"
