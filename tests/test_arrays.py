"""Tensors behave like arrays: operators, methods and NumPy's functions give NumPy's answers, sparse
results stay einsparse tensors, dense ones are NumPy arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

A = sp.random(6, 5, density=0.4, format="csr", random_state=1)
B = sp.random(6, 5, density=0.4, format="csr", random_state=2)
DA, DB = A.toarray(), B.toarray()
X = np.arange(5.0)


@pytest.fixture(scope="module")
def a():
    return es.tensor(A)


@pytest.fixture(scope="module")
def b():
    return es.tensor(B, format="csc")


def same(got, want, kind=None):
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.asarray(got).shape == np.shape(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)
    if kind is not None:
        assert isinstance(got, kind), type(got)


def test_arithmetic_operators(a, b):
    same(a + b, DA + DB, es.Tensor)
    same(a - b, DA - DB, es.Tensor)
    same(a * b, DA * DB, es.Tensor)
    same(-a, -DA, es.Tensor)
    same(+a, DA, es.Tensor)
    same(a / 4, DA / 4, es.Tensor)
    same(3 * a, 3 * DA, es.Tensor)
    same(a + DB, DA + DB, np.ndarray)
    same(DB - a, DB - DA, np.ndarray)
    same(a * DB, DA * DB, es.Tensor)


def test_numbers_promote_weakly_and_one_kernel_serves_every_number():
    t = es.tensor(sp.csr_matrix(DA.astype(np.float32)))
    same(t * 2.5, DA.astype(np.float32) * 2.5)
    same(t * 0.5, DA.astype(np.float32) * 0.5)
    i = es.tensor(np.array([1, 2, 3], np.int8), format="c")
    same(i * 100, np.array([1, 2, 3], np.int8) * 100)
    same(i / 2, np.array([1, 2, 3], np.int8) / 2)


def test_broadcasting_as_numpy(a):
    same(a * X, DA * X, es.Tensor)
    same(a + X, DA + X, np.ndarray)
    column = np.arange(6.0).reshape(6, 1)
    same(a * column, DA * column, es.Tensor)
    with pytest.raises(es.ShapeError, match=r"^add: operands of shapes \(6, 5\) and \(4,\) do not broadcast together$"):
        a + np.ones(4)


def test_matmul_dot_and_tensordot(a, b):
    same(a @ X, DA @ X, np.ndarray)
    same(a @ b.T, DA @ DB.T, es.Tensor)
    same(a.T @ b, DA.T @ DB, es.Tensor)
    same(np.arange(6.0) @ a, np.arange(6.0) @ DA, np.ndarray)
    same(a.dot(X), DA.dot(X))
    same(np.dot(a, b.T), DA @ DB.T)
    same(np.tensordot(a, b, axes=([0], [0])), np.tensordot(DA, DB, axes=([0], [0])))
    same(np.tensordot(a, b, axes=2), np.tensordot(DA, DB, axes=2))
    stack = np.arange(24.0).reshape(2, 3, 4)
    same(es.tensor(stack, format="csf") @ np.ones((4, 2)), stack @ np.ones((4, 2)))
    with pytest.raises(es.ShapeError, match=r"^matmul: operand 0 of shape \(6, 5\) has 5 columns but "
                                            r"operand 1 of shape \(6, 5\) has 6 rows$"):
        a @ b


def test_transpose_shares_storage(a):
    t = a.T
    assert t.shape == (5, 6) and t.vals is a.vals and t.format.name == "csc"
    same(t, DA.T)
    cube = np.arange(24.0).reshape(2, 3, 4) * (np.arange(24).reshape(2, 3, 4) % 3 == 0)
    c = es.tensor(cube, format="csf")
    same(c.transpose(2, 0, 1), cube.transpose(2, 0, 1))
    same(c.transpose((1, 2, 0)), cube.transpose(1, 2, 0))
    same(np.transpose(c), cube.T)


def test_sums_follow_numpy_types(a):
    same(a.sum(), DA.sum())
    same(a.sum(axis=0), DA.sum(axis=0))
    same(a.sum(axis=-1, keepdims=True), DA.sum(axis=-1, keepdims=True))
    same(np.sum(a, axis=1), DA.sum(axis=1))
    same(np.add.reduce(a, axis=1), DA.sum(axis=1))
    small = np.array([100, 100, 27], np.int8)
    same(es.tensor(small).sum(), small.sum())  # int64, not a wrapped int8
    same(es.tensor(small.astype(np.uint8)).sum(), small.astype(np.uint8).sum())


def test_reshape_and_astype(a):
    same(a.reshape(5, 6), DA.reshape(5, 6), es.Tensor)
    same(a.reshape(-1), DA.reshape(-1))
    same(np.reshape(a, (3, 10)), DA.reshape(3, 10))
    same(a.astype(np.float32), DA.astype(np.float32))
    with pytest.raises(es.ShapeError, match=r"^reshape: cannot reshape \(6, 5\) \(30 entries\) to \(4, 7\)$"):
        a.reshape(4, 7)


def test_comparisons(a, b):
    same(a > 0.5, DA > 0.5, es.Tensor)  # unstored zeros compare False: sparse
    same(a < 0.5, DA < 0.5, np.ndarray)  # they compare True: dense
    same(0.5 < a, 0.5 < DA, es.Tensor)
    same(a != b, DA != DB, es.Tensor)
    same(a == b, DA == DB, np.ndarray)
    same(a >= DB, DA >= DB, np.ndarray)


def test_numpy_functions_dispatch(a, b):
    same(np.einsum("ij,j->i", a, X), DA @ X)
    same(np.matmul(a, X), DA @ X)
    same(np.add(a, b), DA + DB, es.Tensor)
    same(np.multiply(a, DB), DA * DB, es.Tensor)
    same(np.sqrt(a), np.sqrt(DA), es.Tensor)  # sqrt(0) is 0: stays sparse
    same(np.cos(a), np.cos(DA), es.Tensor)  # the same pattern, with fill cos(0) = 1
    assert np.cos(a).fill == 1.0
    same(np.mean(a), DA.mean())  # not einsparse's: NumPy on the dense array
    same(np.maximum(a, 0.3), np.maximum(DA, 0.3))
    same(np.asarray(a), DA, np.ndarray)
    same(a.todense(), DA, np.ndarray)


def test_operators_run_through_the_call_memo(a):
    from einsparse import api

    a @ X
    before = len(api._calls)
    for _ in range(3):
        a @ X
        a * 2.0
        a * 3.0
    assert len(api._calls) <= before + 1
