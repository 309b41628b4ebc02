"""pydata/sparse's own einsum tests (sparse/numba_backend/tests/test_einsum.py, shipped with sparse)
with every `sparse.einsum` call mirrored through `es.einsum`.

Each call runs pydata/sparse's einsum first; einsparse's must then give the same shape and values on
the same pydata operands, and again with each operand converted to an einsparse tensor in another
format (COO, CSF, dense in turn), or refuse with a documented error; where pydata/sparse raises,
einsparse must raise its own error too. pydata/sparse's assertions then run on its own result. The
tally is printed at the end of the session (`-s` shows it).
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import einsparse as es

sparse = pytest.importorskip("sparse")
pydata_tests = pytest.importorskip("sparse.numba_backend.tests.test_einsum")

REAL_EINSUM = sparse.einsum
TALLY: collections.Counter = collections.Counter()
FORMATS = ("coo", "csf", "dense")


def _dense(value):
    if isinstance(value, (es.Tensor, sparse.SparseArray)):
        return np.asarray(value.todense())
    return np.asarray(value)


def _as_einsparse(operand, position: int):
    if not isinstance(operand, sparse.SparseArray) or operand.ndim == 0:
        return operand
    fmt = FORMATS[position % len(FORMATS)]
    return es.tensor(operand, format="d" * operand.ndim if fmt == "dense" else fmt)


def mirrored_einsum(*args, **kwargs):
    call = f"einsum({args[0] if args and isinstance(args[0], str) else 'sublists'!r}, ...)"
    try:
        expected = REAL_EINSUM(*args, **kwargs)
    except Exception:
        with pytest.raises(es.EinsparseError):
            es.einsum(*args, **kwargs)
        TALLY["both refuse"] += 1
        raise
    converted = tuple(_as_einsparse(a, k) for k, a in enumerate(args))
    for variant, arguments in (("pydata operands", args), ("einsparse tensors", converted)):
        try:
            got = es.einsum(*arguments, **kwargs)
        except (es.DTypeError, es.NotSupportedError):
            TALLY[f"refused ({variant})"] += 1
            continue
        got, want = _dense(got), _dense(expected)
        assert got.shape == want.shape, f"shape {got.shape}, pydata/sparse {want.shape}: {call} on {variant}"
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f"{call} on {variant}")
        TALLY[f"agree ({variant})"] += 1
    return expected


@pytest.fixture(autouse=True)
def _through_einsparse(monkeypatch):
    monkeypatch.setattr(sparse, "einsum", mirrored_einsum)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(f"\npydata/sparse's einsum tests through einsparse: {dict(TALLY)}")


@pytest.fixture
def rng():
    return np.random.default_rng(42)


test_einsum = pydata_tests.test_einsum
test_einsum_nosubscript = pydata_tests.test_einsum_nosubscript
test_einsum_input_fill_value = pydata_tests.test_einsum_input_fill_value
test_einsum_no_input = pydata_tests.test_einsum_no_input
test_einsum_invalid_input = pydata_tests.test_einsum_invalid_input
test_einsum_type_error = pydata_tests.test_einsum_type_error
test_einsum_format = pydata_tests.test_einsum_format
test_einsum_shape_check = pydata_tests.test_einsum_shape_check


@pytest.mark.parametrize("dtype", [np.int64, np.complex128])
def test_einsum_dtype(dtype):
    """pydata/sparse's test_einsum_dtype passes a (3, 1) operand for the subscript 'i' and casts float64
    to int64 under the default casting='safe'; NumPy refuses both, and so does einsparse. The same
    check with an operand of the right rank, and casting='unsafe' where the cast needs it:"""
    x = (sparse.random((3, 3), density=0.5, random_state=1) * 10.0).astype(np.float64)
    y = sparse.COO.from_numpy(np.ones((3, 1), dtype=np.float64))
    with pytest.raises(es.OperandError, match="einsum operand 1 has rank 2"):
        es.einsum("ij,i->j", x, y, dtype=dtype, casting="unsafe")
    vector = sparse.COO.from_numpy(np.ones(3))
    result = mirrored_einsum("ij,i->j", x, vector, dtype=dtype, casting="unsafe")
    assert result.dtype == dtype
    assert es.einsum("ij,i->j", x, vector, dtype=dtype, casting="unsafe").dtype == dtype
