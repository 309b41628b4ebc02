"""Differential fuzzing of `es.einsum` against `np.einsum`: random subscripts with repeated letters,
`...` in explicit and implicit mode, extent-1 dimensions to broadcast, NumPy's number types, and
operands as NumPy arrays, scipy matrices and einsparse tensors in random formats.

Every call NumPy answers must give NumPy's shape, dtype and values (integers exactly); where NumPy
raises, einsparse must raise its own error. CI runs a fixed set; `EINSPARSE_FUZZ_EXAMPLES=N` runs N
random ones (`EINSPARSE_FUZZ_SEED` fixes the seed).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from test_random_statements import fuzz_settings, formats_of

import einsparse as es

LETTERS = "abcd"
DTYPES = [np.float64, np.float32, np.int64, np.int8, np.uint8, np.int16, np.complex128, np.complex64, np.bool_]


@st.composite
def einsum_calls(draw):
    """(subscripts, shapes): 1-3 operands over a few letters, sometimes with '...'."""
    extents = {letter: draw(st.sampled_from([1, 2, 3])) for letter in LETTERS}
    dots = draw(st.sampled_from([None, (), (2,), (3, 2), (1, 2)]))
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        letters = draw(st.lists(st.sampled_from(LETTERS), min_size=0, max_size=3))
        shape = [1 if draw(st.integers(0, 5)) == 0 else extents[c] for c in letters]  # broadcast
        term = "".join(letters)
        if dots is not None and draw(st.booleans()):
            kept = dots[len(dots) - draw(st.integers(0, len(dots))):]  # fewer '...' dimensions broadcast
            at = draw(st.integers(0, len(letters)))
            term = term[:at] + "..." + term[at:]
            shape = shape[:at] + [1 if draw(st.integers(0, 4)) == 0 else n for n in kept] + shape[at:]
        terms.append(term)
        shapes.append(tuple(shape))
    subscripts = ",".join(terms)
    if draw(st.booleans()):
        used = sorted({c for t in terms for c in t if c != "."})
        output = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        if any("..." in t for t in terms) and draw(st.booleans()):
            output = "..." + output
        subscripts += "->" + output
    return subscripts, shapes


def _operand(draw, rng, shape, dtype):
    values = rng.integers(-3, 4, shape) * (rng.random(shape) < 0.6)
    array = (values * (1 + 0.5j) if np.dtype(dtype).kind == "c" else values).astype(dtype)
    kind = draw(st.sampled_from(["numpy", "tensor", "scipy"]))
    if kind == "numpy" or array.ndim == 0 or np.dtype(dtype) == np.float16:
        return array
    if kind == "scipy" and array.ndim == 2 and np.dtype(dtype).kind in "fc":
        return sp.csr_matrix(array)
    return es.tensor(array, format=draw(formats_of(array.ndim)))


def _dense(value):
    if sp.issparse(value):
        return value.toarray()
    return value.to_numpy() if isinstance(value, es.Tensor) else np.asarray(value)


@fuzz_settings
@given(call=einsum_calls(), data=st.data())
def test_einsum_matches_numpy(call, data):
    subscripts, shapes = call
    dtypes = [data.draw(st.sampled_from(DTYPES)) for _ in shapes]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    operands = [_operand(data.draw, rng, shape, dtype) for shape, dtype in zip(shapes, dtypes)]
    arrays = [_dense(op) for op in operands]
    context = f"einsum({subscripts!r}) on shapes {shapes}, dtypes {[np.dtype(d).name for d in dtypes]}"
    try:
        expected = np.einsum(subscripts, *arrays)
    except Exception:  # NumPy refuses: so must einsparse, with its own error
        try:
            es.einsum(subscripts, *operands)
        except es.EinsparseError:
            return
        raise AssertionError(f"NumPy refuses but einsparse answers: {context}") from None
    got = _dense(es.einsum(subscripts, *operands))
    expected = np.asarray(expected)
    assert got.shape == expected.shape, context
    assert got.dtype == expected.dtype, f"dtype {got.dtype}, NumPy {expected.dtype}: {context}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=context)
    else:
        tolerance = 1e-5 if expected.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance, err_msg=context)
