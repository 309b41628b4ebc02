"""scipy.sparse: CSR matrices; 3-d tensors as a CSR unfolding (MTTKRP) or reshape (TTV)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks.systems import Prepared, System
from benchmarks.systems.timer import timed


def sddmm_gather(A, U, V):
    """The fastest scipy formulation found: gather the rows of U and V at A's entries."""
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    values = A.data * np.einsum("ij,ij->i", U[rows], V[A.indices])
    return sp.csr_matrix((values, A.indices, A.indptr), shape=A.shape)


def unfold(T, row_modes: int) -> sp.csr_matrix:
    """T (a Coo3) as a CSR matrix: the first `row_modes` modes index rows, the rest columns."""
    shape = T.shape
    rows = np.ravel_multi_index(tuple(T.coords[:row_modes]), shape[:row_modes])
    cols = np.ravel_multi_index(tuple(T.coords[row_modes:]), shape[row_modes:])
    matrix = sp.csr_matrix((T.values, (rows, cols)),
                           shape=(int(np.prod(shape[:row_modes])), int(np.prod(shape[row_modes:]))))
    matrix.sort_indices()
    return matrix


class ScipyPeer(System):
    name = "scipy"

    def prepare(self, case) -> Prepared:
        key, d = case.spec.key, case.data
        note = ""
        if key == "K1":
            op = lambda: d["A"] @ d["x"]  # noqa: E731
        elif key in ("K2", "K3"):
            op = lambda: d["A"] @ d["B"]  # noqa: E731
            if key == "K3":
                note = "rows left with unsorted column indices (not canonical)"
        elif key == "K4":
            op = lambda: d["A"] + d["B"]  # noqa: E731
        elif key == "K5":
            op = lambda: d["A"] @ d["B"] + d["D"]  # noqa: E731
        elif key == "K6":
            op = lambda: sddmm_gather(d["A"], d["U"], d["V"])  # noqa: E731
            note = "NumPy gather of U, V rows at A's entries"
        elif key == "K7":
            T1, convert_s = timed(lambda: unfold(d["T"], 1))
            U, V = d["U"], d["V"]
            # Khatri-Rao product, rows ordered (k, l) as the unfolding's columns; built in the timed region.
            op = lambda: T1 @ (U[:, None, :] * V[None, :, :]).reshape(-1, U.shape[1])  # noqa: E731
            return Prepared(lambda: op, lambda r: r, convert_s, "mode-1 unfolding times Khatri-Rao product")
        elif key == "K8":
            T2, convert_s = timed(lambda: unfold(d["T"], 2))
            shape = d["T"].shape[:2]
            op = lambda: (T2 @ d["c"]).reshape(shape)  # noqa: E731
            return Prepared(lambda: op, lambda r: r, convert_s, "(i,j)-by-k reshape times c, dense M")
        elif key == "K9":
            op = lambda: d["A"].multiply(d["B"]).sum()  # noqa: E731
        elif key == "K10":
            op = lambda: d["A"].multiply(d["B"])  # noqa: E731
        else:
            raise ValueError(key)
        return Prepared(lambda: op, lambda r: r, 0.0, note)
