"""The shim (one generated Python function per kernel for the common call) gives exactly what the
general path gives, and hands every other call to it, mistakes included."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.runtime import kernel as kernel_module
from einsparse.runtime.shim import FULL

RNG = np.random.default_rng(9)
A = sp.random(7, 5, density=0.4, format="csr", random_state=2)
B = RNG.random((5, 3))
X = RNG.random(5)


def full_path(kernel, **operands):
    saved = kernel_module.SHIMS
    kernel_module.SHIMS = False
    try:
        return kernel(**operands)
    finally:
        kernel_module.SHIMS = saved


CASES = [
    ("y[i] = A[i,j]*x[j]", {"A": "csr"}, {"A": A, "x": X}),
    ("y[i] = A[i,j]*x[j]", {"A": "csc"}, {"A": A.tocsc(), "x": X}),
    ("y[i] = A[i,j]*x[j]", {"A": "dm"}, {"A": es.tensor(A, format="dm"), "x": X}),
    ("C[i,k] = A[i,j]*B[j,k]", {"A": "csr"}, {"A": A, "B": B}),
    ("C[k,i] = A[i,j]*B[j,k]", {"A": "csr", "C": "dense"}, {"A": A, "B": B}),
    ("C[i,k] = A[i,j]*B[j,k]", {"A": "csr", "C": "dd:1,0"}, {"A": A, "B": B}),
    ("s = A[i,j]*A[i,j]", {"A": "csr"}, {"A": A}),
    ("y[j] = A[i,j]*x[i]", {"A": "csr"}, {"A": A, "x": RNG.random(7)}),
]


@pytest.mark.parametrize("statement, formats, operands", CASES, ids=[f"{s} {f}" for s, f, _ in CASES])
def test_shim_gives_what_the_general_path_gives(statement, formats, operands):
    kernel = es.compile(statement, formats)
    first = kernel(**operands)      # the general path, which makes the shim
    assert kernel._shim is not None
    assert kernel._shim(operands) is not FULL
    again = kernel(**operands)
    np.testing.assert_array_equal(np.asarray(again), np.asarray(full_path(kernel, **operands)))
    np.testing.assert_array_equal(np.asarray(again), np.asarray(first))
    assert np.shape(again) == np.shape(first) and np.asarray(again).dtype == np.asarray(first).dtype


def test_other_calls_go_the_general_way():
    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    kernel(A=A, x=X)
    shim = kernel._shim
    unsorted = sp.csr_matrix((A.data[::-1].copy(), A.indices[::-1].copy(), A.indptr), shape=A.shape)
    unsorted.has_canonical_format = False
    for operands in ({"A": A.tocoo(), "x": X},             # another type: converted
                     {"A": unsorted, "x": X},               # not canonical: canonicalized on a copy
                     {"A": A, "x": X[::-1]},                # not contiguous
                     {"A": A, "x": X.astype(np.float32)},   # a new dtype, once
                     {"A": A, "x": list(X)}):               # a list
        assert shim(operands) is FULL
        expected = operands["A"].toarray() @ np.asarray(operands["x"], float)
        np.testing.assert_allclose(kernel(**operands), expected, rtol=1e-6)
    assert shim({"A": A, "x": X.astype(np.float32)}) is not FULL  # the dtype is known now
    with pytest.raises(es.ShapeError):
        kernel(A=A, x=np.ones(6))
    with pytest.raises(es.OperandError, match="unexpected operand z"):
        kernel(A=A, x=X, z=X)
    with pytest.raises(es.OperandError, match="missing operand x"):
        kernel(A=A)
