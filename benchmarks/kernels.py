"""The standard suite K1-K10: statements, einsparse formats, the inputs each runs on, and references.

A `Case` is one kernel on one input. Its `data` is in the neutral forms of `inputs` (scipy CSR, NumPy
arrays, `Coo3`); `reference` computes the expected result with scipy.sparse or NumPy, independently of
every system measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp

from benchmarks import inputs
from benchmarks.inputs import Coo3


@dataclass(frozen=True)
class KernelSpec:
    key: str                 # "K1" ... "K10"
    name: str                # what it is called in the literature
    statement: str           # einsparse statement
    formats: dict            # einsparse formats; tensors not named are dense
    einsum: str              # NumPy einsum subscripts, operands in `operands` order
    operands: tuple          # input names in einsum order
    output: str              # "dense", "sparse" or "scalar": what a result is compared as
    variant: str = ""        # tells two specs of one kernel apart (K8's output format)

    @property
    def label(self) -> str:
        return f"{self.key} {self.name}" + (f" ({self.variant})" if self.variant else "")


SPECS = {spec.label: spec for spec in [
    KernelSpec("K1", "SpMV", "y[i] = A[i,j]*x[j]", {"A": "csr"}, "ij,j->i", ("A", "x"), "dense"),
    KernelSpec("K1", "SpMV", "y[i] = A[i,j]*x[j]", {"A": "db"}, "ij,j->i", ("A", "x"), "dense",
               variant="A band"),
    KernelSpec("K2", "SpMM", "C[i,j] = A[i,k]*B[k,j]", {"A": "csr"}, "ik,kj->ij", ("A", "B"), "dense"),
    KernelSpec("K3", "SpGEMM", "C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"},
               "ik,kj->ij", ("A", "B"), "sparse"),
    KernelSpec("K4", "SpAdd", "C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr", "C": "csr"},
               "", ("A", "B"), "sparse"),
    KernelSpec("K4", "SpAdd", "C[i,j] = A[i,j] + B[i,j]", {"A": "db", "B": "db", "C": "db"},
               "", ("A", "B"), "sparse", variant="band"),
    KernelSpec("K5", "fused SpMM+add", "C[i,j] = A[i,k]*B[k,j] + D[i,j]", {"A": "csr"},
               "", ("A", "B", "D"), "dense"),
    KernelSpec("K6", "SDDMM", "C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "csr"},
               "ij,ik,jk->ij", ("A", "U", "V"), "sparse"),
    KernelSpec("K7", "MTTKRP", "M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", {"T": "csf"},
               "ikl,kj,lj->ij", ("T", "U", "V"), "dense"),
    KernelSpec("K8", "TTV", "M[i,j] = T[i,j,k]*c[k]", {"T": "csf", "M": "dcsr"},
               "ijk,k->ij", ("T", "c"), "dense", variant="M dcsr"),
    KernelSpec("K8", "TTV", "M[i,j] = T[i,j,k]*c[k]", {"T": "csf"},
               "ijk,k->ij", ("T", "c"), "dense", variant="M dense"),
    KernelSpec("K9", "inner product", "s = A[i,j]*B[i,j]", {"A": "csr", "B": "csr"},
               "ij,ij->", ("A", "B"), "scalar"),
    KernelSpec("K10", "Hadamard", "C[i,j] = A[i,j]*B[i,j]", {"A": "csr", "B": "csr", "C": "csr"},
               "ij,ij->ij", ("A", "B"), "sparse"),
]}

# Kernels also run on every matrix of the shared data folder (square or not, A times a matching operand).
ON_SHARED_DATA = ("K1", "K2", "K3", "K5")


@dataclass
class Case:
    spec: KernelSpec
    input: str                      # which input, e.g. "uniform 20000^2, 200000 nnz"
    data: dict                      # operand name -> scipy CSR / ndarray / Coo3
    stored: int = 0                 # stored entries of the sparse inputs
    flops: int = 0                  # multiply-adds of the sparse work
    meta: dict = field(default_factory=dict)

    @property
    def kernel(self) -> str:
        return self.spec.label


def sparse_inputs(data: dict):
    return [v for v in data.values() if sp.issparse(v) or isinstance(v, Coo3)]


def spgemm_flops(A: sp.csr_matrix, B: sp.csr_matrix) -> int:
    """Multiplications of Gustavson's SpGEMM: for each entry A[i,k], the length of B's row k."""
    return int(np.diff(B.indptr)[A.indices].sum())


def make_case(spec: KernelSpec, label: str, A: sp.csr_matrix, B: "sp.csr_matrix | None", seed: int,
              size: inputs.Size) -> Case:
    """A case of a matrix kernel on A (and B for the sparse-sparse kernels), dense operands generated."""
    n, m = A.shape
    w = size.dense_columns
    key = spec.key
    if key == "K1":
        data = {"A": A, "x": inputs.vector(m, seed)}
    elif key == "K2":
        data = {"A": A, "B": inputs.dense(m, w, seed)}
    elif key == "K3":
        if B is None:   # a real matrix times itself (times its transpose when it is not square)
            B = A if n == m else A.T.tocsr()
            B.sort_indices()
        data = {"A": A, "B": B}
    elif key in ("K4", "K9", "K10"):
        data = {"A": A, "B": B}
    elif key == "K5":
        data = {"A": A, "B": inputs.dense(m, w, seed), "D": inputs.dense(n, w, seed + 1)}
    elif key == "K6":
        data = {"A": A, "U": inputs.dense(n, w, seed), "V": inputs.dense(m, w, seed + 1)}
    else:
        raise ValueError(f"{key} is not a matrix kernel")
    case = Case(spec, label, data, stored=sum(s.nnz for s in sparse_inputs(data)))
    dense_columns = {"K2": w, "K5": w, "K6": w}.get(key, 1)
    case.flops = spgemm_flops(data["A"], data["B"]) if key == "K3" else A.nnz * dense_columns
    return case


def make_tensor_case(spec: KernelSpec, T: Coo3, seed: int, size: inputs.Size) -> Case:
    I, K, L = T.shape
    if spec.key == "K7":
        r = size.mttkrp_columns
        data = {"T": T, "U": inputs.dense(K, r, seed), "V": inputs.dense(L, r, seed + 1)}
        flops = T.nnz * r
    else:
        data = {"T": T, "c": inputs.vector(L, seed)}
        flops = T.nnz
    return Case(spec, f"tensor {I}x{K}x{L}, {T.nnz} nnz", data, stored=T.nnz, flops=flops)


def standard_cases(size: inputs.Size, kernels=None, shared: bool = True) -> list[Case]:
    """Every case of the suite at `size`: K1 on three matrix shapes, K2-K10 on uniform random inputs,
    then K1, K2, K3, K5 on every matrix of the shared data folder."""
    wanted = lambda spec: kernels is None or spec.key in kernels  # noqa: E731
    n, nnz = size.n, size.nnz
    A, B = inputs.uniform(n, nnz, 1), inputs.uniform(n, nnz, 2)
    uniform_label = f"uniform {n}^2, {A.nnz} nnz"
    cases = []
    if wanted(SPECS["K1 SpMV"]):
        for label, matrix in [(uniform_label, A),
                              (f"power-law rows {n}^2", inputs.power_law(n, nnz, 3)),
                              (f"banded {n}^2", inputs.banded(n, nnz, 4))]:
            cases.append(make_case(SPECS["K1 SpMV"], label, matrix, None, 10, size))
    # The band level kind on banded matrices of 11 diagonals, against CSR kernels on the same matrices.
    band_label = f"banded {n}^2, 11 diagonals"
    A_band, B_band = inputs.banded(n, 11 * n, 6), inputs.banded(n, 11 * n, 7)
    for spec in SPECS.values():
        if spec.key in ("K1", "K7", "K8") and spec.variant != "A band" or not wanted(spec):
            continue
        if spec.variant in ("A band", "band"):
            cases.append(make_case(spec, band_label, A_band, B_band, 10, size))
        else:
            cases.append(make_case(spec, uniform_label, A, B, 10, size))
    if any(wanted(s) for s in SPECS.values() if s.key in ("K7", "K8")):
        T = inputs.tensor3(size.tensor_dim, size.tensor_nnz, 5)
        for spec in SPECS.values():
            if spec.key in ("K7", "K8") and wanted(spec):
                cases.append(make_tensor_case(spec, T, 20, size))
    if shared:
        matrices = list(inputs.shared_matrices())
        for spec in SPECS.values():
            if spec.key in ON_SHARED_DATA and wanted(spec):
                for name, matrix in matrices:
                    case = make_case(spec, f"{name} {matrix.shape[0]}x{matrix.shape[1]}, {matrix.nnz} nnz",
                                     matrix, None, 30, size)
                    case.meta["shared"] = True
                    cases.append(case)
    return cases


# ---- references: scipy.sparse and NumPy, computed once per case -------------------------------------

def _sddmm(A, U, V):
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    values = A.data * np.einsum("ij,ij->i", U[rows], V[A.indices])
    return sp.csr_matrix((values, A.indices, A.indptr), shape=A.shape)


def _mttkrp_gather(T: Coo3, U, V):
    i, k, l = T.coords
    M = np.zeros((T.shape[0], U.shape[1]))
    np.add.at(M, i, T.values[:, None] * U[k] * V[l])
    return M


def _ttv_gather(T: Coo3, c):
    i, j, k = T.coords
    M = np.zeros(T.shape[:2])
    np.add.at(M, (i, j), T.values * c[k])
    return M


REFERENCES: dict[str, Callable] = {
    "K1": lambda d: d["A"] @ d["x"],
    "K2": lambda d: d["A"] @ d["B"],
    "K3": lambda d: d["A"] @ d["B"],
    "K4": lambda d: d["A"] + d["B"],
    "K5": lambda d: d["A"] @ d["B"] + d["D"],
    "K6": lambda d: _sddmm(d["A"], d["U"], d["V"]),
    "K7": lambda d: _mttkrp_gather(d["T"], d["U"], d["V"]),
    "K8": lambda d: _ttv_gather(d["T"], d["c"]),
    "K9": lambda d: float(d["A"].multiply(d["B"]).sum()),
    "K10": lambda d: d["A"].multiply(d["B"]).tocsr(),
}


def reference(case: Case):
    return REFERENCES[case.spec.key](case.data)
