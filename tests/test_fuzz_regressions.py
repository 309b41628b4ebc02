"""Failures the differential fuzzer (test_random_statements.py) found, each kept as a named test."""

from __future__ import annotations

import numpy as np
import pytest

import einsparse as es
from einsparse.reference import dense_reference
from test_tensor import check_structure


def sample(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, shape) * (rng.random(shape) < 0.6)


def check(statement, formats, shapes, seeds=range(5)):
    for seed in seeds:
        operands = {name: sample(shape, seed + k) for k, (name, shape) in enumerate(shapes.items())}
        got = es.evaluate(statement, formats, **operands)
        if isinstance(got, es.Tensor):
            check_structure(got)
        np.testing.assert_allclose(np.asarray(got), dense_reference(statement, operands), atol=1e-12)


@pytest.mark.parametrize("statement, fmt, shape", [
    ("s = T[i,i]", "us", (3, 3)),                          # the diagonal of 2-d COO kept only `u`
    ("y[k] = T[k,i,i]", "uss:2,1,0", (2, 3, 3)),
    ("y[k] = T[k,j,j]", "cus:1,2,0", (2, 3, 3)),           # `cus` lost its `u`, leaving `cs`
    ("y[i,l] = T[i,j,j,l]", "duss:2,1,0,3", (2, 3, 3, 2)),
])
def test_diagonal_of_coordinate_list_operand(statement, fmt, shape):
    check(statement, {"T": fmt}, {"T": shape})


def test_sparse_output_with_dense_middle_levels_is_assembled_in_its_level_order():
    # OUT is cddc:1,3,2,0 (levels k, i, j, l); the loop order k, j, i, l once appended l-fibers of
    # parents (k, i, j) out of position order, giving unsorted and misplaced coordinates.
    check("OUT[l,k,j,i] = T1[l,j] + T2[i,j,k]", {"T1": "cc:1,0", "T2": "ddd:1,2,0", "OUT": "cddc:1,3,2,0"},
          {"T1": (2, 2), "T2": (2, 2, 2)})
    assert "loop order:     k, i, j, l" in es.compile(
        "OUT[l,k,j,i] = T1[l,j] + T2[i,j,k]", {"T1": "cc:1,0", "T2": "ddd:1,2,0", "OUT": "cddc:1,3,2,0"}).explain()


def test_a_product_of_sums_sums_only_its_terms_that_use_the_index():
    # (a[i] + 1)*(b[i] + 1) expands to a*b + a + b + 1: the last term has no i, so it is added once, not
    # once per i. Summing over the whole product gave 209 here instead of 207.
    a, b = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    assert es.evaluate("s = (a[i] + 1)*(b[i] + 1)", a=a, b=b) == 207.0
    assert es.evaluate("s = (a[i] + 1)*(a[i] + 1)", a=a) == 27.0
    np.testing.assert_array_equal(es.evaluate("y[j] = (a[i] + 1)*(b[j] + 1)", a=a, b=b), 7 * (b + 1))
    check("OUT = (T0[k,i,j] - 3)*(T0[k,i,j] + T1[i,i,i]*T2[l,j,j])",
          {"T0": "usc:2,1,0", "T1": "cdd:1,0,2", "T2": "cdd:1,2,0"},
          {"T0": (3, 4, 2), "T1": (4, 4, 4), "T2": (3, 2, 2)})
    check("s = -((A[i,j] + 1)*2)*(B[i,j] - 3)", {"A": "csr", "B": "dcsr"}, {"A": (4, 5), "B": (4, 5)})
