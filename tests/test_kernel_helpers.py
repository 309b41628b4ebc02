"""The helper functions kernel modules define (compiler/emit.py), checked against NumPy on random input."""

from __future__ import annotations

import numpy as np
import pytest

from einsparse.compiler import emit


@pytest.fixture(scope="module")
def helpers():
    namespace: dict = {}
    source = "import numba\nimport numpy as np\nu = np.uint64\n" + emit.GROW + emit.SORT_TOUCHED + emit.GALLOP
    exec(source.replace("cache=True", "cache=False"), namespace)
    return namespace


def test_gallop_finds_what_searchsorted_finds(helpers):
    rng = np.random.default_rng(0)
    for _ in range(3000):
        crd = np.unique(rng.integers(0, 200, rng.integers(0, 60))).astype(np.int32)
        lo = int(rng.integers(0, len(crd) + 1))
        hi = int(rng.integers(lo, len(crd) + 1))
        target = int(rng.integers(-5, 210))
        expected = lo + int(np.searchsorted(crd[lo:hi], target, side="left"))
        assert helpers["gallop"](crd, lo, hi, target) == expected, (crd.tolist(), lo, hi, target)


@pytest.mark.parametrize("extent, count", [(100, 1), (100, 2), (5000, 60), (300000, 40), (300000, 5000)])
def test_sort_touched_sorts_and_leaves_its_bitmaps_cleared(helpers, extent, count):
    rng = np.random.default_rng(extent + count)
    touched = rng.choice(extent, count, replace=False).astype(np.int64)
    bits = np.zeros(extent // 64 + 1, np.uint64)
    summary = np.zeros(extent // 4096 + 1, np.uint64)
    for coordinate in touched:
        bits[coordinate >> 6] |= np.uint64(1) << np.uint64(coordinate & 63)
    listed = np.concatenate([touched, np.full(7, -1)])  # room past the count is left alone
    helpers["sort_touched"](listed, count, bits, summary)
    np.testing.assert_array_equal(listed[:count], np.sort(touched))
    np.testing.assert_array_equal(listed[count:], -1)
    assert not bits.any() and not summary.any()
