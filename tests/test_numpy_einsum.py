"""`es.einsum` takes what `np.einsum` takes: `...`, broadcasting, the sublist form, `out`, `dtype`,
`order`, `casting`, `optimize`; every result is compared with NumPy's on the same operands."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

RNG = np.random.default_rng(2)


def dense(value):
    return value.to_numpy() if isinstance(value, es.Tensor) else np.asarray(value)


def sparse_or_dense(array, kind):
    """`array` as the operand kind a user might pass."""
    if kind == "numpy" or array.ndim == 0:
        return array
    if kind == "scipy" and array.ndim == 2:
        return sp.csr_matrix(array)
    return es.tensor(array, format="c" * array.ndim if kind == "tensor" else None)


def sparse_array(shape, density=0.5):
    return RNG.standard_normal(shape) * (RNG.random(shape) < density)


CASES = [
    # (subscripts, shapes)
    ("...i->...", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("...,...", [(3,), (2, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (5, 3, 4)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("...ij->ij", [(2, 3)]),
    ("i...i->...", [(3, 2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ij->", [(1, 3)]),
    ("i,i", [(1,), (3,)]),
    ("ij,jk", [(4, 1), (3, 5)]),
    ("ba", [(2, 3)]),
    ("Ba,a", [(2, 3), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,j", [(0,), (3,)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
    ("", [()]),
    (",i->i", [(), (4,)]),
]


@pytest.mark.parametrize("kind", ["numpy", "scipy", "tensor"])
@pytest.mark.parametrize("subscripts, shapes", CASES)
def test_einsum_gives_numpy_s_result(subscripts, shapes, kind):
    arrays = [sparse_array(shape) for shape in shapes]
    got = es.einsum(subscripts, *[sparse_or_dense(a, kind) for a in arrays])
    expected = np.einsum(subscripts, *arrays)
    assert np.shape(got) == expected.shape
    np.testing.assert_allclose(dense(got), expected, rtol=1e-12, atol=1e-12)


def test_python_numbers_and_lists_are_operands():
    np.testing.assert_array_equal(es.einsum(",i->i", 2.5, np.arange(3.0)), [0.0, 2.5, 5.0])
    assert es.einsum("i->", [1.0, 2.0, 3.0]) == 6.0
    total = es.einsum("ij->", [[1, 2], [3, 4]])
    assert total == 10 and np.asarray(total).dtype == np.int64


def test_the_sublist_form_is_the_string_form():
    a, b = sparse_array((2, 3)), sparse_array((3, 4))
    np.testing.assert_allclose(es.einsum(a, [0, 1], b, [1, 2], [0, 2]), a @ b, rtol=1e-12)
    np.testing.assert_allclose(es.einsum(a, [0, 1], b, [1, 2]), np.einsum(a, [0, 1], b, [1, 2]), rtol=1e-12)
    c = sparse_array((5, 2, 3))
    np.testing.assert_allclose(es.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 0, 2]),
                               np.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 0, 2]), rtol=1e-12)
    # 0-25 are A-Z and 26-51 a-z, as in NumPy: implicit outputs sort them the same way
    np.testing.assert_allclose(es.einsum(a, [30, 1]), np.einsum(a, [30, 1]))


def test_out_dtype_order_and_optimize_as_numpy_takes_them():
    a, x = sparse_array((3, 4)), sparse_array((4,))
    out = np.full(3, np.nan)
    assert es.einsum("ij,j->i", a, x, out=out) is out
    np.testing.assert_allclose(out, a @ x, rtol=1e-12)
    out32 = np.zeros(3, np.float32)
    with pytest.raises(es.OperandError, match="cannot write the float64 result into out of dtype float32"):
        es.einsum("ij,j->i", a, x, out=out32)
    es.einsum("ij,j->i", a, x, out=out32, casting="same_kind")
    np.testing.assert_allclose(out32, (a @ x).astype(np.float32), rtol=1e-6)
    ints = np.arange(12).reshape(3, 4)
    as_float = es.einsum("ij->j", ints, dtype=np.float64)
    assert as_float.dtype == np.float64
    np.testing.assert_array_equal(as_float, ints.sum(axis=0))
    assert es.einsum("ij->ji", a, order="F").flags.f_contiguous
    assert es.einsum("ij->ji", a, order="C").flags.c_contiguous
    for optimize in (False, True, "greedy", "optimal", ["einsum_path", (0, 1)]):
        np.testing.assert_allclose(es.einsum("ij,j->i", a, x, optimize=optimize), a @ x, rtol=1e-12)


def test_a_broadcast_sparse_operand_stays_sparse_where_the_result_is():
    row = sp.csr_matrix(np.array([[0.0, 2.0, 0.0, 3.0]]))
    wide = sp.random(5, 4, density=0.5, format="csr", random_state=4)
    got = es.einsum("ij,ij->ij", row, wide)
    assert isinstance(got, es.Tensor)
    np.testing.assert_allclose(got.to_numpy(), row.toarray() * wide.toarray())


def test_a_type_einsparse_cannot_compute_is_named_by_its_position():
    for first in (np.ones((2, 2)), np.ones((2, 2), np.longdouble)):
        with pytest.raises(es.DTypeError, match=rf"^einsum operand {1 if first.dtype == np.float64 else 0} has "
                                                r"dtype float128, which einsparse does not compute with"):
            es.einsum("ij,j->i", first, np.ones(2, np.longdouble))
    es.einsum("ij,j->i", np.ones((2, 2)), np.ones(2))  # memoized: the fast path names it too
    with pytest.raises(es.DTypeError, match=r"^einsum operand 1 has dtype object"):
        es.einsum("ij,j->i", np.ones((2, 2)), np.ones(2, object))
