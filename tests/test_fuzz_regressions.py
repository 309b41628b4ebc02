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
