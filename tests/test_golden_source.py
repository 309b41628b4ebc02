"""Golden files of generated source for a handful of kernels: a code-generation change shows up here as
a reviewable diff. Regenerate them with EINSPARSE_REGENERATE_GOLDEN=1 after checking the change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from einsparse.compiler.pipeline import compile_plan

GOLDEN = Path(__file__).parent / "golden"

KERNELS = {
    "spmv_csr": ("y[i] = A[i,j]*x[j]", {"A": "csr"}),
    "spmm_fused_csr": ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", {"A": "csr"}),
    "inner_product_dcsr": ("s = A[i,j]*B[i,j]", {"A": "dcsr", "B": "dcsr"}),
    "add_csr": ("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr"}),
    "sparse_plus_dense_vector": ("y[i] = a[i] + b[i]", {"a": "c"}),
    "mttkrp_csf": ("M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", {"T": "csf"}),
    "spgemm_csr_to_csr": ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}),
    "add_csr_to_dcsr": ("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr", "C": "dcsr"}),
    "spmv_coo": ("y[i] = A[i,j]*x[j]", {"A": "coo"}),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_generated_source_matches_golden_file(name):
    statement, formats = KERNELS[name]
    source = compile_plan(statement, formats).source
    path = GOLDEN / f"{name}.py.txt"
    if os.environ.get("EINSPARSE_REGENERATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()
