"""The helper functions kernel modules define (compiler/emit.py), checked against NumPy on random input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from einsparse.compiler import emit


@pytest.fixture(scope="module")
def helpers():
    namespace: dict = {}
    source = emit.HELPERS_SOURCE + SUM_PRODUCTS
    exec(source.replace("cache=True", "cache=False"), namespace)
    return namespace


# A reduction as kernels write it: a register starting at `zero`, one sum_add per term.
SUM_PRODUCTS = """
@numba.njit(cache=False)
def sum_products(a, b, zero):
    total = zero
    for q in range(len(a)):
        total = sum_add(total, a[q] * b[q])
    return total


@numba.njit(cache=False)
def plain_sum_products(a, b, zero):
    total = zero
    for q in range(len(a)):
        total += a[q] * b[q]
    return total


@numba.njit(cache=False)
def pick_each(flags, chosen, other, out):
    for q in range(len(flags)):
        out[q] = pick(flags[q], chosen[q], other[q])
    return out
"""


SPECIAL = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.complex128])
def test_pick_chooses_as_where_does_bit_for_bit(helpers, dtype):
    rng = np.random.default_rng(7)
    n = 200
    with np.errstate(over="ignore"):  # the largest float64 is inf in float32: one more special value
        chosen = rng.choice(np.array(SPECIAL), n).astype(dtype) if np.dtype(dtype).kind in "fc" else \
            rng.integers(-(2**31), 2**31 - 1, n).astype(dtype)
    other = rng.standard_normal(n).astype(dtype) if np.dtype(dtype).kind in "fc" else \
        rng.integers(-100, 100, n).astype(dtype)
    flags = rng.random(n) < 0.5
    got = helpers["pick_each"](flags, chosen, other, np.empty(n, dtype))
    expected = np.where(flags, chosen, other)
    assert got.dtype == expected.dtype
    assert got.view(np.uint8).tobytes() == expected.view(np.uint8).tobytes()  # NaNs and -0.0 included


def test_gallop_finds_what_searchsorted_finds(helpers):
    rng = np.random.default_rng(0)
    for _ in range(3000):
        crd = np.unique(rng.integers(0, 200, rng.integers(0, 60))).astype(np.int32)
        lo = int(rng.integers(0, len(crd) + 1))
        hi = int(rng.integers(lo, len(crd) + 1))
        target = int(rng.integers(-5, 210))
        expected = lo + int(np.searchsorted(crd[lo:hi], target, side="left"))
        assert helpers["gallop"](crd, lo, hi, target) == expected, (crd.tolist(), lo, hi, target)


# The last two lie too far apart for the bitmap walk, and are sorted (heap sort).
@pytest.mark.parametrize("extent, count", [(100, 1), (100, 2), (5000, 60), (300000, 40), (300000, 5000),
                                           (50_000_000, 3), (50_000_000, 200)])
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


def test_sort_prefix_sorts_the_prefix_only(helpers):
    rng = np.random.default_rng(7)
    for n in [0, 1, 2, 3, 4, 5, 16, 17, 100, 1001]:
        for _ in range(20):
            values = rng.integers(-50, 50, n + 5)  # duplicates too
            expected = np.concatenate([np.sort(values[:n]), values[n:]])
            helpers["sort_prefix"](values, n)
            np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.complex128])
def test_sum_add_sums_every_dtype(helpers, dtype):
    values = np.arange(-40, 61).astype(dtype)  # integer-valued: every order of adding gives the same sum
    if dtype == np.complex128:
        values = values * (1 - 2j)
    function, plain = helpers["sum_products"], helpers["plain_sum_products"]
    assert function(values, values, dtype(0)) == np.sum(values * values)
    plain(values, values, dtype(0))
    assert function.nopython_signatures[-1].return_type == plain.nopython_signatures[-1].return_type


def test_sum_add_unifies_types_and_wraps_integers_like_numpy(helpers):
    halves = np.full(5, 0.5)
    assert helpers["sum_products"](halves, halves, np.float32(0)) == 1.25  # float32 register, float64 terms
    big = np.full(3, 2**62, np.int64)
    ones = np.ones(3, np.int64)
    assert helpers["sum_products"](big, ones, np.int64(0)) == np.sum(big)  # wraps around, as NumPy does


def test_sum_add_lets_only_the_sum_reassociate(helpers):
    function = helpers["sum_products"]
    function(np.ones(3), np.ones(3), 0.0)
    llvm = function.inspect_llvm(function.signatures[-1])
    assert "fadd reassoc double" in llvm
    assert set(re.findall(r"= fmul (\w+)", llvm)) == {"double"}  # the product carries no flag


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_prefix_sum_makes_counts_into_positions(helpers, dtype):
    counts = np.random.default_rng(7).integers(0, 50, 1001)
    counts[0] = 0
    positions = helpers["prefix_sum"](counts, np.empty(len(counts), dtype))
    assert positions.dtype == dtype
    np.testing.assert_array_equal(positions, np.cumsum(counts))
    assert len(helpers["prefix_sum"](counts[:0], np.empty(0, dtype))) == 0
