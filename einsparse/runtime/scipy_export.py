"""A 2-d tensor as a scipy.sparse matrix, sharing its arrays where the formats agree."""

from __future__ import annotations

import numpy as np

from einsparse.compiler.formats import parse_format
from einsparse.errors import ShapeError


def to_scipy(t):
    """A csc_matrix for format csc, a coo_matrix for coo (either mode order), else a csr_matrix.

    csr, csc and coo share the tensor's arrays; other formats are converted to csr first.
    """
    import scipy.sparse as sp

    if t.ndim != 2:
        raise ShapeError(f"only a 2-d tensor becomes a scipy.sparse matrix; this one has shape {t.shape}")
    if t.format.levels == parse_format("coo", 2).levels:
        return _to_scipy_coo(t)
    name = t.format.name if t.format.name in ("csr", "csc") else "csr"
    source = t if name == t.format.name else t.asformat("csr")
    cls = sp.csr_matrix if name == "csr" else sp.csc_matrix
    pos, crd = source.levels[1].pos, source.levels[1].crd
    matrix = cls((source.vals, crd, pos), shape=t.shape, copy=False)
    if not np.shares_memory(matrix.indices, crd):  # scipy narrows int64 indices that fit in int32
        matrix.indices, matrix.indptr = crd, pos
    return matrix


def _to_scipy_coo(t: Tensor):
    """A coo_matrix sharing the crd arrays as row and col, and the values as data."""
    import scipy.sparse as sp

    by_mode = [None, None]
    for level, mode in zip(t.levels, t.format.mode_order):
        by_mode[mode] = level.crd
    matrix = sp.coo_matrix((t.vals, tuple(by_mode)), shape=t.shape, copy=False)
    if not np.shares_memory(matrix.row, by_mode[0]):  # scipy narrows int64 indices that fit in int32
        matrix.coords = tuple(by_mode)
    matrix.has_canonical_format = t.format.mode_order == (0, 1)  # "us:1,0" is sorted column-major
    return matrix
