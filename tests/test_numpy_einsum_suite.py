"""NumPy's own einsum tests (numpy/_core/tests/test_einsum.py, shipped with NumPy) with every
`np.einsum` call mirrored through `es.einsum`.

Each call runs NumPy's einsum first; then einsparse's on the same arguments must give the same shape,
dtype and values (integers and booleans exactly), or refuse with a documented error (`DTypeError` for
types the kernels cannot compute: extended precision, object), or, where NumPy raises, raise an
einsparse error too. NumPy's own assertions then run on NumPy's result (on `out=` they see einsparse's).
The tally of agreements and refusals is printed at the end of the session (`-s` shows it).
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import einsparse as es

numpy_tests = pytest.importorskip("numpy._core.tests.test_einsum")

REAL_EINSUM = np.einsum
TALLY: collections.Counter = collections.Counter()
# by dtype char; an `out=` of extended precision or object type receives float64 or complex128 values
TOLERANCE = {"e": 1e-2, "f": 1e-5, "d": 1e-11, "F": 1e-5, "D": 1e-11, "g": 1e-11, "G": 1e-11, "O": 1e-11}


def _dense(value):
    return value.to_numpy() if isinstance(value, es.Tensor) else np.asarray(value)


def _compare(got, expected, call) -> None:
    got, expected = _dense(got), np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape}, NumPy {expected.shape}: {call}"
    assert got.dtype == expected.dtype, f"dtype {got.dtype}, NumPy {expected.dtype}: {call}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=call)
    else:
        tolerance = TOLERANCE[expected.dtype.char]
        if expected.dtype.kind == "O":
            got, expected = got.astype(np.complex128), expected.astype(np.complex128)
        scale = float(np.max(np.abs(expected), initial=1.0))
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * scale, err_msg=call)


def mirrored_einsum(*args, **kwargs):
    call = f"einsum({args[0] if args and isinstance(args[0], str) else 'sublists'!r}, ...)"
    out = kwargs.get("out")
    if out is not None:  # NumPy may write into an operand (`out=a`): einsparse gets the operands as they were
        args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    try:
        expected = REAL_EINSUM(*args, **kwargs)
    except Exception:
        with pytest.raises(es.EinsparseError):
            es.einsum(*args, **kwargs)
        TALLY["both refuse"] += 1
        raise
    snapshot = None if out is None else np.array(out, copy=True)
    try:
        got = es.einsum(*args, **kwargs)
    except (es.DTypeError, es.NotSupportedError) as error:
        TALLY[f"refused: {type(error).__name__}"] += 1
        if out is not None:
            out[...] = snapshot
        return expected
    _compare(got if out is None else out, expected if out is None else snapshot, call)
    TALLY["agree"] += 1
    return expected


@pytest.fixture(autouse=True)
def _through_einsparse(monkeypatch):
    monkeypatch.setattr(np, "einsum", mirrored_einsum)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(f"\nNumPy's einsum tests through einsparse: {dict(TALLY)}")


class TestNumpyEinsumThroughEinsparse(numpy_tests.TestEinsum):
    """Every test of NumPy's TestEinsum, with np.einsum mirrored (see the module docstring)."""

    def test_einsum_0d_out(self):
        # NumPy writes a float64 sum into an int64 0-d `out` when optimize='optimal' (gh-31350) but
        # refuses the same call under its documented default casting='safe' without optimize. einsparse
        # follows the documented rule whatever `optimize` is; with casting='unsafe' it writes 7.
        a, out = np.ones(7), np.array(0)
        with pytest.raises(es.OperandError, match="cannot write the float64 result into out of dtype int64"):
            es.einsum("i,i->", a, a, out=out, optimize="optimal")
        assert es.einsum("i,i->", a, a, out=out, casting="unsafe") is out
        assert out == 7
