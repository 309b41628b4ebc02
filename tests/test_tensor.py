"""Runtime storage: every format round-trips exactly, conversions share memory where promised."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from einsparse.compiler.formats import Format, parse_format
from einsparse.errors import DTypeError, FormatError, OperandError, ShapeError
from einsparse.runtime import convert
from einsparse.runtime.convert import (
    as_tensor,
    from_coo,
    from_numpy,
    from_pydata,
    from_scipy,
    natural_format,
    tensor,
)
from einsparse.levels import base as level_base
from einsparse.levels import (Band, BandLevel, Bitmap, BitmapLevel, Compressed, CompressedLevel, Dense, DenseLevel,
                              Singleton, SingletonLevel)
from einsparse.runtime.tensor import Tensor

DENSE, COMPRESSED, COMPRESSED_NONUNIQUE = Dense(), Compressed(), Compressed(unique=False)
SINGLETON, SINGLETON_NONUNIQUE = Singleton(), Singleton(unique=False)


def all_formats(rank, letters="dcus"):
    """Every string over `letters` that `Format` accepts, with every mode order."""
    for letters in itertools.product(letters, repeat=rank):
        for order in itertools.permutations(range(rank)):
            try:
                yield parse_format("".join(letters) + ":" + ",".join(map(str, order)), rank)
            except FormatError:
                pass  # e.g. a `u` with no singleton under it


FORMATS = {rank: list(all_formats(rank)) for rank in range(4)}
# Formats with a band or bitmap level (the kinds beyond TACO's d, c, u, s)
NEWER = {rank: [f for f in all_formats(rank, "dcusbm") if f not in FORMATS[rank]] for rank in range(4)}


def check_structure(t: Tensor):
    """The storage invariants, checked independently of the conversion code.

    Besides each level's arrays: expanding the levels by hand, the coordinate prefixes down to a unique
    level are strictly increasing over its positions (distinct and sorted in level order), down to a
    non-unique level non-decreasing; the last level's positions are the values, in order.
    """
    prefixes = [((), 0)]  # (coordinates in level order, position) of every position of the level
    index_dtypes = set()
    for k, level in enumerate(t.levels):
        kind, extent = t.format.levels[k], t.shape[t.format.mode_order[k]]
        assert level.kind == kind
        count = len(prefixes)
        if isinstance(level, DenseLevel):
            assert kind == DENSE and level.size == extent
            prefixes = [(c + (i,), p * extent + i) for c, p in prefixes for i in range(extent)]
            continue
        if isinstance(level, BandLevel):  # one run [lo, lo + length) per parent, dense within
            pos, lo = level.pos, level.lo
            assert kind == Band() and len(pos) == count + 1 and len(lo) == count and pos[0] == 0
            assert np.all(np.diff(pos) >= 0) and np.all(lo + np.diff(pos) <= extent) and np.all(lo >= 0)
            index_dtypes.update({pos.dtype, lo.dtype})
            prefixes = [(c + (int(lo[p] + q - pos[p]),), q) for c, p in prefixes for q in range(pos[p], pos[p + 1])]
            continue
        if isinstance(level, BitmapLevel):  # dense positions; tbl marks exactly the listed coordinates
            pos, crd, tbl = level.pos, level.crd, level.tbl
            assert kind == Bitmap() and len(pos) == count + 1 and len(tbl) == count * extent and pos[-1] == len(crd)
            index_dtypes.update({pos.dtype, crd.dtype})
            marked = np.zeros(count * extent, bool)
            for p in range(count):
                listed = crd[pos[p] : pos[p + 1]]
                assert np.all(np.diff(listed) > 0) and np.all((listed >= 0) & (listed < extent))
                marked[p * extent + listed] = True
            assert np.array_equal(marked, tbl.astype(bool))
            prefixes = [(c + (i,), p * extent + i) for c, p in prefixes for i in range(extent)]
            continue
        crd = level.crd
        index_dtypes.add(crd.dtype)
        assert crd.ndim == 1 and np.all((crd >= 0) & (crd < extent))
        if isinstance(level, SingletonLevel):
            assert kind in (SINGLETON, SINGLETON_NONUNIQUE) and not hasattr(level, "pos")
            assert len(crd) == count  # one coordinate per parent position
            assert t.format.levels[k - 1] in (COMPRESSED_NONUNIQUE, SINGLETON_NONUNIQUE)
            prefixes = [(c + (int(crd[p]),), p) for c, p in prefixes]
        else:
            assert kind in (COMPRESSED, COMPRESSED_NONUNIQUE)
            pos = level.pos
            index_dtypes.add(pos.dtype)
            assert pos.ndim == 1 and len(pos) == count + 1
            assert pos[0] == 0 and np.all(np.diff(pos) >= 0) and pos[-1] == len(crd)
            for p in range(count):  # within each parent: strictly increasing if unique, else sorted
                step = np.diff(crd[pos[p] : pos[p + 1]])
                assert np.all(step > 0) if kind.unique else np.all(step >= 0)
            prefixes = [(c + (int(crd[q]),), q) for c, p in prefixes for q in range(pos[p], pos[p + 1])]
        assert [p for _, p in prefixes] == list(range(len(prefixes)))  # each position reached once
        coords = [c for c, _ in prefixes]
        if kind.unique:
            assert all(a < b for a, b in zip(coords, coords[1:])), f"level {k} of {t.format}"
        else:
            assert coords == sorted(coords)
    assert len(index_dtypes) <= 1 and index_dtypes <= {np.dtype(np.int32), np.dtype(np.int64)}
    assert t.vals.ndim == 1 and len(t.vals) == len(prefixes) == t.nnz


def sample(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    values = rng.integers(-3, 4, size=shape) * (rng.random(shape) < 0.4)
    return values.astype(dtype)


# ------------------------------------------------------------------------------------ round trips

SHAPES = {0: [()], 1: [(0,), (1,), (7,)], 2: [(0, 3), (1, 1), (4, 5)], 3: [(2, 0, 3), (3, 4, 2)]}
CASES = [(shape, fmt) for rank, shapes in SHAPES.items() for shape in shapes
         for fmt in FORMATS[rank] + NEWER[rank]]


def test_format_enumeration():
    # d and c anywhere; u followed by a run of s: 2, 5 and 13 letter strings of ranks 1, 2 and 3
    assert [len(FORMATS[rank]) for rank in range(4)] == [1, 2, 2 * 5, 6 * 13]
    assert parse_format("coo", 3) in FORMATS[3] and parse_format("us:1,0") in FORMATS[2]


@pytest.mark.parametrize("shape,fmt", CASES, ids=[f"{s}-{f}" for s, f in CASES])
def test_numpy_round_trip_every_format(shape, fmt):
    for array in (sample(shape), np.zeros(shape), np.ones(shape)):
        t = from_numpy(array, fmt)
        check_structure(t)
        assert t.format == fmt and t.shape == shape
        assert np.array_equal(t.to_numpy(), array)
        assert np.array_equal(np.asarray(t), array)
        # stored values: every nonzero, plus only the padding a dense innermost level implies
        if fmt.rank and fmt.levels[-1] in (COMPRESSED, COMPRESSED_NONUNIQUE, SINGLETON, SINGLETON_NONUNIQUE):
            assert t.nnz == np.count_nonzero(array)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_asformat_pairs(rank):
    """Every pair of formats: 78 * 78 of rank 3, about 2 s."""
    array = sample((3, 4, 2)[:rank], seed=rank)
    tensors = {fmt: from_numpy(array, fmt) for fmt in FORMATS[rank]}
    for source, target in itertools.product(FORMATS[rank], repeat=2):
        converted = tensors[source].asformat(target)
        check_structure(converted)
        assert converted.format == target
        assert np.array_equal(converted.to_numpy(), array)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_asformat_with_band_and_bitmap_levels(rank):
    """Every format with a band or bitmap level, to and from csf, coo, dense and each other."""
    array = sample((3, 4, 2)[:rank], seed=rank + 7)
    hubs = [parse_format(name, rank) for name in ("csf", "coo", "dense")]
    for fmt in NEWER[rank]:
        t = from_numpy(array, fmt)
        for target in hubs + [NEWER[rank][0], NEWER[rank][-1]]:
            for converted in (t.asformat(target), from_numpy(array, target).asformat(fmt)):
                check_structure(converted)
                assert np.array_equal(converted.to_numpy(), array)


def test_coo_layout():
    # TACO's COO: one position per entry at the `u` level, its coordinate repeated per entry
    t = tensor(([[0, 2, 0], [1, 0, 3]], [1.0, 3.0, 2.0]), shape=(3, 4), format="coo")
    check_structure(t)
    top, bottom = t.levels
    assert isinstance(top, CompressedLevel) and top.kind == COMPRESSED_NONUNIQUE
    assert isinstance(bottom, SingletonLevel) and bottom.kind == SINGLETON
    assert top.pos.tolist() == [0, 3] and top.crd.tolist() == [0, 0, 2]
    assert bottom.crd.tolist() == [1, 3, 0] and t.vals.tolist() == [1.0, 2.0, 3.0]
    assert t.format.name == "coo" and repr(t).startswith("Tensor(shape=(3, 4), format='coo'")
    # column-major COO sorts by column first
    t = t.asformat("us:1,0")
    assert t.levels[0].crd.tolist() == [0, 1, 3] and t.levels[1].crd.tolist() == [2, 0, 0]


def test_nonunique_run_merges_below():
    # `usc`: the run u+s holds distinct (i, j) pairs; the compressed level under it holds the k's
    coords = [[0, 0, 0, 1], [1, 1, 2, 0], [0, 2, 0, 1]]
    t = tensor((coords, [1.0, 2.0, 3.0, 4.0]), shape=(2, 3, 3), format="usc")
    check_structure(t)
    assert t.levels[0].pos.tolist() == [0, 3] and t.levels[0].crd.tolist() == [0, 0, 1]
    assert t.levels[1].crd.tolist() == [1, 2, 0]
    assert t.levels[2].pos.tolist() == [0, 2, 3, 4] and t.levels[2].crd.tolist() == [0, 2, 0, 1]
    # `dus`: the run restarts under each dense parent
    t = t.asformat("dus")
    assert t.levels[1].pos.tolist() == [0, 3, 4] and t.levels[1].crd.tolist() == [1, 1, 2, 0]
    # `uss`: both singletons have the top level's positions
    t = t.asformat("coo")
    assert [level.kind for level in t.levels] == [COMPRESSED_NONUNIQUE, SINGLETON_NONUNIQUE, SINGLETON]
    assert [len(level.crd) for level in t.levels] == [4, 4, 4]


def test_singleton_with_two_coordinates_under_one_parent():
    # only a malformed format (a singleton under a unique level) can ask for this; build refuses
    malformed = object.__new__(Format)
    object.__setattr__(malformed, "levels", (COMPRESSED, SINGLETON))
    object.__setattr__(malformed, "mode_order", (0, 1))
    keys = np.array([[0, 0], [1, 2]])
    with pytest.raises(FormatError, match="singleton level 1 would need two coordinates"):
        convert.build(malformed, (1, 3), keys, np.ones(2))


def test_tensor_checks_singleton_length():
    pos, crd = np.array([0, 2], np.int32), np.array([0, 1], np.int32)
    levels = [CompressedLevel(pos, crd, False), SingletonLevel(np.array([0], np.int32))]
    with pytest.raises(ShapeError, match="singleton level 1 has 1 coordinates, expected 2"):
        Tensor((2, 2), parse_format("coo", 2), levels, np.ones(2))
    with pytest.raises(FormatError, match="level 0 is compressed but format us says compressed-nonunique"):
        Tensor((2, 2), parse_format("coo", 2), [CompressedLevel(pos, crd), levels[1]], np.ones(2))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_tensor_coo_any_rank_sums_duplicates(rank):
    rng = np.random.default_rng(rank)
    shape = (3, 4, 2)[:rank]
    coords = np.array([rng.integers(0, n, 20) for n in shape])
    values = rng.integers(1, 5, 20).astype(np.float64)
    expected = np.zeros(shape)
    np.add.at(expected, tuple(coords), values)
    t = tensor((coords, values), shape=shape, format="coo")
    check_structure(t)
    assert t.format == parse_format("coo", rank) and t.format.name == ("coo" if rank > 1 else "c")
    assert np.array_equal(t.to_numpy(), expected) and t.nnz == np.count_nonzero(expected)


@pytest.mark.parametrize("shape", [(2**40, 2**20), (2**62, 2**62)])
def test_tensor_coo_with_huge_extents_sums_duplicates_and_sorts(shape):
    # Linear keys too large to carry the entry number (a stable sort), or too large for int64 (lexsort).
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 5, 30) * (shape[0] // 7), rng.integers(0, 5, 30) * (shape[1] // 9)
    values = rng.integers(1, 5, 30).astype(np.float64)
    t = tensor((np.array([rows, cols]), values), shape=shape, format="dcsr")
    check_structure(t)
    expected = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), values.tolist()):
        expected[(r, c)] = expected.get((r, c), 0.0) + v
    coords, vals = t.to_coo()
    assert [tuple(x) for x in coords.T.tolist()] == sorted(expected)
    assert vals.tolist() == [expected[key] for key in sorted(expected)]


def test_format_strings_and_same_format():
    array = sample((3, 4))
    t = from_numpy(array, "csr")
    assert t.asformat("dc") is t
    assert t.asformat("csc").format == parse_format("dc:1,0")
    with pytest.raises(FormatError):
        t.asformat("ccc")


def test_rank0():
    for value in (0, 2.5, 1 + 2j):
        t = as_tensor(value)
        assert t.ndim == 0 and t.nnz == 1 and t.to_numpy() == value
        coords, values = t.to_coo()
        assert coords.shape == (0, 1) and values.tolist() == [value]
    t = from_coo(np.zeros((0, 3), int), [1.0, 2.0, 4.0], ())
    assert t.to_numpy() == 7.0


# ------------------------------------------------------------------------------------ numpy


def test_from_numpy_dense_no_copy():
    array = sample((3, 4))
    t = from_numpy(array)
    assert t.format == Format.dense(2) and np.shares_memory(t.vals, array)
    assert np.shares_memory(t.to_numpy(), array)
    # a transposed format copies into the level order
    t = from_numpy(array, "dd:1,0")
    assert np.array_equal(t.vals, array.T.ravel())
    # a non-contiguous input is copied once, correctly
    view = sample((4, 6))[:, ::2]
    assert np.array_equal(from_numpy(view).to_numpy(), view)


def test_array_protocol_copy_semantics():
    array = sample((3, 4))
    dense = from_numpy(array)
    assert np.shares_memory(np.asarray(dense), array)
    assert not np.shares_memory(np.array(dense, copy=True), array)
    assert np.array_equal(np.asarray(dense, dtype=np.complex128), array)
    with pytest.raises(ValueError):
        np.array(from_numpy(array, "csr"), copy=False)


def test_repr():
    t = from_numpy(np.eye(3), "csr")
    assert repr(t) == "Tensor(shape=(3, 3), format='csr', dtype=float64, nnz=3)"


# ------------------------------------------------------------------------------------ coo


def test_from_coo_sums_duplicates_and_sorts():
    coords = [[2, 0, 2, 1, 0], [1, 3, 1, 0, 3]]
    t = from_coo(coords, [1.0, 2.0, 3.0, 4.0, 5.0], (3, 4))
    check_structure(t)
    assert t.format == parse_format("csf", 2)
    expected = np.zeros((3, 4))
    expected[2, 1], expected[0, 3], expected[1, 0] = 4.0, 7.0, 4.0
    assert np.array_equal(t.to_numpy(), expected)
    assert t.nnz == 3
    for fmt in all_formats(2):
        assert np.array_equal(from_coo(coords, [1.0, 2.0, 3.0, 4.0, 5.0], (3, 4), fmt).to_numpy(), expected)


def test_from_coo_keeps_dtype_when_summing():
    t = from_coo([[0, 0, 1]], np.array([1, 2, 3], np.int32), (2,))
    assert t.dtype == np.int32 and t.to_numpy().tolist() == [3, 3]


def test_from_coo_sequence_of_arrays_and_empty():
    t = from_coo((np.array([1, 0]), np.array([0, 2])), np.array([5, 6]), (2, 3), "csr")
    assert np.array_equal(t.to_numpy(), [[0, 0, 6], [5, 0, 0]])
    empty = from_coo(np.zeros((2, 0), int), np.zeros(0), (2, 3))
    check_structure(empty)
    assert empty.nnz == 0 and np.array_equal(empty.to_numpy(), np.zeros((2, 3)))


def test_from_coo_out_of_range():
    with pytest.raises(ShapeError, match=r"coordinate 5 of mode 1 of operand is out of range 0\.\.3"):
        from_coo([[0, 1], [2, 5]], [1.0, 2.0], (2, 4))
    with pytest.raises(ShapeError, match=r"coordinate -1 of mode 0"):
        from_coo([[-1, 1], [2, 3]], [1.0, 2.0], (2, 4))
    with pytest.raises(ShapeError, match=r"expected \(2, 3\)"):
        from_coo([[0, 1, 1]], [1.0, 2.0, 3.0], (2, 4))
    with pytest.raises(OperandError, match="must be integers"):
        from_coo([[0.5, 1.0]], [1.0, 2.0], (4,))


def test_to_coo_is_row_major_over_modes():
    array = sample((3, 4, 2), seed=3)
    expected_coords = np.array(np.nonzero(array))
    for fmt in all_formats(3):
        coords, values = from_numpy(array, fmt).to_coo()
        assert coords.dtype == np.int64
        assert np.array_equal(coords, expected_coords), fmt
        assert np.array_equal(values, array[tuple(expected_coords)])


def test_explicit_zeros():
    # a compressed innermost level stores coordinates on purpose: its zeros survive conversions
    t = from_coo([[0, 1, 2]], [0.0, 1.0, 0.0], (4,))
    assert t.nnz == 3 and t.asformat("c").nnz == 3
    m = sp.csr_matrix((np.array([0.0, 2.0]), np.array([0, 1]), np.array([0, 1, 2])), shape=(2, 2))
    assert from_scipy(m).asformat("dcsc").nnz == 2
    # a dense innermost level pads with zeros: those are dropped
    assert from_numpy(np.array([[0.0, 1.0], [0.0, 0.0]])).asformat("csr").nnz == 1
    assert from_numpy(np.array([[0.0, 1.0], [0.0, 0.0]]), "cd").asformat("dcsr").nnz == 1


# ------------------------------------------------------------------------------------ scipy


@pytest.mark.parametrize("kind", ["csr", "csc"])
@pytest.mark.parametrize("array_api", [False, True])
def test_scipy_zero_copy(kind, array_api):
    array = sample((5, 6), seed=7)
    make = {"csr": sp.csr_array if array_api else sp.csr_matrix, "csc": sp.csc_array if array_api else sp.csc_matrix}
    m = make[kind](array)
    t = from_scipy(m)
    check_structure(t)
    assert t.format == parse_format(kind, 2)
    level = t.levels[1]
    assert np.shares_memory(level.pos, m.indptr) and np.shares_memory(level.crd, m.indices)
    assert np.shares_memory(t.vals, m.data)
    assert np.array_equal(t.to_numpy(), array)
    back = t.to_scipy()
    assert back.format == kind and np.shares_memory(back.data, m.data)
    assert np.shares_memory(back.indices, m.indices) and np.shares_memory(back.indptr, m.indptr)
    assert np.array_equal(back.toarray(), array)


def test_scipy_int64_indices_kept_and_zero_copy_back():
    m = sp.csr_matrix(sample((4, 4), seed=2))
    m.indices, m.indptr = m.indices.astype(np.int64), m.indptr.astype(np.int64)
    t = from_scipy(m)
    assert t.levels[1].crd.dtype == np.int64
    back = t.to_scipy()
    assert np.shares_memory(back.indices, m.indices) and back.indices.dtype == np.int64
    assert np.array_equal(back.toarray(), m.toarray())


@pytest.mark.parametrize("kind", ["csr", "csc"])
def test_scipy_non_canonical_not_mutated(kind):
    # duplicates and unsorted indices within each row (column for csc)
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    indices = np.array([2, 0, 2, 1, 0], np.int32)
    indptr = np.array([0, 3, 3, 5], np.int32)
    cls = sp.csr_matrix if kind == "csr" else sp.csc_matrix
    m = cls((data, indices, indptr), shape=(3, 3))
    assert not m.has_canonical_format
    saved = (m.data.copy(), m.indices.copy(), m.indptr.copy())
    expected = m.toarray()  # scipy sums duplicates when densifying
    t = from_scipy(m)
    check_structure(t)
    assert np.array_equal(t.to_numpy(), expected)
    assert t.nnz == 4
    for before, after in zip(saved, (m.data, m.indices, m.indptr)):
        assert np.array_equal(before, after)
    assert not np.shares_memory(t.vals, m.data)


@pytest.mark.parametrize("kind", ["coo", "bsr", "lil", "dok", "dia"])
@pytest.mark.parametrize("array_api", [False, True])
def test_scipy_other_types(kind, array_api):
    array = sample((4, 6), seed=5)
    ctor = getattr(sp, f"{kind}_{'array' if array_api else 'matrix'}")
    t = from_scipy(ctor(array))
    check_structure(t)
    assert t.format == parse_format(kind if kind == "coo" else "csr", 2)
    assert natural_format(ctor(array)) == t.format
    assert np.array_equal(t.to_numpy(), array)
    # explicit formats
    for fmt in ("csc", "dcsr", "dense", "cd:1,0"):
        assert np.array_equal(from_scipy(ctor(array), fmt).to_numpy(), array)


def test_scipy_coo_duplicates_summed():
    m = sp.coo_matrix(([1.0, 2.0, 3.0], ([0, 0, 1], [1, 1, 0])), shape=(2, 2))
    t = from_scipy(m)
    assert np.array_equal(t.to_numpy(), [[0.0, 3.0], [3.0, 0.0]]) and t.nnz == 2
    assert m.nnz == 3  # not mutated


@pytest.mark.parametrize("array_api", [False, True])
def test_scipy_coo_zero_copy(array_api):
    array = sample((5, 6), seed=4)
    m = (sp.coo_array if array_api else sp.coo_matrix)(array)
    assert m.has_canonical_format
    t = from_scipy(m)
    check_structure(t)
    assert t.format == parse_format("coo", 2)
    assert np.shares_memory(t.levels[0].crd, m.row) and np.shares_memory(t.levels[1].crd, m.col)
    assert np.shares_memory(t.vals, m.data) and t.levels[0].pos.tolist() == [0, m.nnz]
    assert np.array_equal(t.to_numpy(), array)
    back = t.to_scipy()
    assert isinstance(back, sp.coo_matrix) and back.has_canonical_format
    assert np.shares_memory(back.row, m.row) and np.shares_memory(back.col, m.col)
    assert np.shares_memory(back.data, m.data) and np.array_equal(back.toarray(), array)


def test_scipy_coo_sorted_but_not_flagged_is_shared():
    # built from arrays, scipy does not know they are canonical; checking is cheap, copying is not
    row, col = np.array([0, 0, 2], np.int32), np.array([1, 3, 0], np.int32)
    m = sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (row, col)), shape=(3, 4))
    assert not m.has_canonical_format
    t = from_scipy(m)
    assert np.shares_memory(t.levels[0].crd, m.row) and np.shares_memory(t.vals, m.data)


@pytest.mark.parametrize("array_api", [False, True])
def test_scipy_coo_non_canonical_not_mutated(array_api):
    # unsorted, with a duplicate (0, 1)
    row, col = np.array([2, 0, 1, 0], np.int32), np.array([0, 1, 2, 1], np.int32)
    data = np.array([1.0, 2.0, 3.0, 4.0])
    m = (sp.coo_array if array_api else sp.coo_matrix)((data, (row, col)), shape=(3, 3))
    saved = [a.copy() for a in (m.row, m.col, m.data)]
    t = from_scipy(m)
    check_structure(t)
    assert t.format == parse_format("coo", 2) and t.nnz == 3
    assert np.array_equal(t.to_numpy(), m.toarray())
    for before, after in zip(saved, (m.row, m.col, m.data)):
        assert np.array_equal(before, after)
    assert not m.has_canonical_format and not np.shares_memory(t.vals, m.data)


@pytest.mark.parametrize("shape", [(7,), (3, 4, 2)])
def test_scipy_coo_other_ranks(shape):
    array = sample(shape, seed=6)
    m = sp.coo_array(array)
    t = from_scipy(m)
    check_structure(t)
    assert t.format == parse_format("coo", len(shape)) == natural_format(m)
    assert all(np.shares_memory(level.crd, c) for level, c in zip(t.levels, m.coords))
    assert np.array_equal(t.to_numpy(), array)


def test_to_scipy_coo():
    array = sample((4, 5), seed=8)
    for fmt in ("coo", "us:1,0"):
        t = from_numpy(array, fmt)
        back = t.to_scipy()
        assert isinstance(back, sp.coo_matrix) and np.array_equal(back.toarray(), array)
        assert np.shares_memory(back.data, t.vals)
    # column-major COO is shared too, but scipy must not think it sorted row-major
    assert not from_numpy(array, "us:1,0").to_scipy().has_canonical_format
    t = from_coo([[0, 1], [5, 2**31 + 3]], [1.0, 2.0], (2, 2**31 + 10), "coo")
    back = t.to_scipy()
    assert back.col.dtype == np.int64 and np.shares_memory(back.col, t.levels[1].crd)
    assert back.row.dtype == np.int64 and np.shares_memory(back.row, t.levels[0].crd)


def test_scipy_csr_to_other_format():
    array = sample((4, 5), seed=11)
    for fmt in all_formats(2):
        t = from_scipy(sp.csr_matrix(array), fmt)
        check_structure(t)
        assert t.format == fmt and np.array_equal(t.to_numpy(), array)
        assert np.array_equal(t.to_scipy().toarray(), array)


def test_to_scipy_rejects_other_ranks():
    with pytest.raises(ShapeError, match="2-d"):
        from_numpy(np.zeros(3)).to_scipy()


# ------------------------------------------------------------------------------------ pydata


def test_pydata_round_trip():
    sparse = pytest.importorskip("sparse")
    array = sample((3, 4, 5), seed=9)
    coo = sparse.COO.from_numpy(array)
    t = from_pydata(coo)
    check_structure(t)
    assert t.format == parse_format("coo", 3) == natural_format(coo)
    assert np.array_equal(t.to_numpy(), array)
    assert np.array_equal(as_tensor(coo, "dcd:2,0,1").to_numpy(), array)
    for axes in [(0,), (1,)]:
        matrix = sample((4, 6), seed=1)
        gcxs = sparse.GCXS.from_numpy(matrix, compressed_axes=axes)
        t = as_tensor(gcxs)
        assert t.format == parse_format("csr" if axes == (0,) else "csc", 2)
        assert np.array_equal(t.to_numpy(), matrix)
    gcxs3 = sparse.GCXS.from_numpy(array, compressed_axes=(1,))
    assert np.array_equal(as_tensor(gcxs3).to_numpy(), array)
    filled = from_pydata(sparse.COO.from_numpy(np.eye(2) + 1, fill_value=1.0))  # keeps its fill
    assert filled.fill == 1.0 and filled.nnz == 2 and np.array_equal(filled.to_numpy(), np.eye(2) + 1)


@pytest.mark.parametrize("shape", [(7,), (4, 6), (3, 4, 5)])
def test_pydata_coo_zero_copy(shape):
    sparse = pytest.importorskip("sparse")
    array = sample(shape, seed=2)
    coo = sparse.COO.from_numpy(array)
    t = from_pydata(coo)
    check_structure(t)
    assert np.array_equal(t.to_numpy(), array)
    assert t.format == parse_format("coo", len(shape)) == natural_format(coo)
    assert all(np.shares_memory(level.crd, coo.coords) for level in t.levels)
    assert np.shares_memory(t.vals, coo.data) and t.levels[0].crd.dtype == coo.coords.dtype
    for fmt in ("dense", "csf"):  # other formats convert
        assert np.array_equal(from_pydata(coo, fmt).to_numpy(), array)


def test_pydata_coo_non_canonical_not_mutated():
    sparse = pytest.importorskip("sparse")
    # told it is sorted without duplicates, pydata keeps these as given: einsparse checks
    coords = np.array([[1, 0, 1], [0, 2, 0]])
    coo = sparse.COO(coords, np.array([1.0, 2.0, 3.0]), shape=(2, 3), sorted=True, has_duplicates=False)
    t = from_pydata(coo)
    check_structure(t)
    assert np.array_equal(t.to_numpy(), [[0.0, 0.0, 2.0], [4.0, 0.0, 0.0]]) and t.nnz == 2
    assert coo.coords.tolist() == [[1, 0, 1], [0, 2, 0]] and coo.data.tolist() == [1.0, 2.0, 3.0]
    assert not np.shares_memory(t.levels[0].crd, coo.coords)
    # nor does pydata check the range then
    coo = sparse.COO(np.array([[0, 1], [0, 3]]), [1.0, 2.0], shape=(2, 3), sorted=True, has_duplicates=False)
    with pytest.raises(ShapeError, match=r"coordinate 3 of mode 1 of array is out of range 0\.\.2"):
        from_pydata(coo)


# ------------------------------------------------------------------------------------ dtypes


def test_index_dtype_selection():
    small = from_coo([[1, 3]], [1.0, 2.0], (5,))
    assert small.levels[0].crd.dtype == np.int32 and small.levels[0].pos.dtype == np.int32
    big = 2**31 + 10  # an extent past int32: coordinates need int64
    t = from_coo([[1, big - 1]], [1.0, 2.0], (big,))
    assert t.levels[0].crd.dtype == np.int64 and t.levels[0].pos.dtype == np.int64
    assert t.levels[0].crd.tolist() == [1, big - 1]
    coords, values = t.to_coo()
    assert coords.tolist() == [[1, big - 1]] and values.tolist() == [1.0, 2.0]
    # one dtype per tensor, even for a small mode next to a big one
    t = from_coo([[0, 1], [5, big - 1]], [1.0, 2.0], (2, big), "dcsr")
    assert {t.levels[0].crd.dtype, t.levels[1].crd.dtype} == {np.dtype(np.int64)}
    check_structure(t)


@pytest.mark.parametrize(
    "given,stored",
    [
        (np.bool_, np.bool_),
        (np.int8, np.int8),
        (np.int16, np.int16),
        (np.uint8, np.uint8),
        (np.uint16, np.uint16),
        (np.uint32, np.uint32),
        (np.uint64, np.uint64),
        (np.float16, np.float32),  # kernels compute half precision in float32
        (np.complex64, np.complex64),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int32, np.int32),
        (np.int64, np.int64),
        (np.complex128, np.complex128),
        (">f8", np.float64),
    ],
)
def test_dtype_normalization(given, stored):
    array = np.array([[1, 0], [0, 1]], dtype=given)
    for fmt in ("dense", "csr", "csf"):
        t = as_tensor(array, fmt)
        assert t.dtype == np.dtype(stored)
        assert np.array_equal(t.to_numpy(), array.astype(stored))
    if np.dtype(given) != np.float16:  # scipy.sparse cannot hold float16
        m = sp.csr_matrix(array.astype(np.dtype(given).newbyteorder("=")))
        assert from_scipy(m).dtype == np.dtype(stored)
    assert from_coo([[0, 1]], np.array([1, 1], dtype=given), (2,)).dtype == np.dtype(stored)


def test_dtype_errors_name_the_operand():
    with pytest.raises(DTypeError, match=f"operand B has dtype {np.dtype(np.longdouble)}"):
        as_tensor(np.array([1, 2], np.longdouble), name="operand B")
    with pytest.raises(DTypeError, match="operand A has dtype object"):
        as_tensor(np.array([1, None], dtype=object), name="operand A")
    with pytest.raises(DTypeError, match="<U1"):
        as_tensor(np.array(["a"]), name="operand A")


def test_operand_errors():
    for bad in ({"a": 1}, "text", ["a", "b"], [[1, 2], [3]], object()):
        with pytest.raises(OperandError, match=r"operand A: cannot read a \w+ as a tensor; pass a NumPy array"):
            as_tensor(bad, name="operand A")
    with pytest.raises(FormatError, match="format of operand A"):
        as_tensor(np.zeros((2, 2)), "ccc", name="operand A")


def test_as_tensor_dispatch():
    array = sample((3, 4))
    t = from_numpy(array, "csr")
    assert as_tensor(t) is t and as_tensor(t, "dc") is t
    assert np.array_equal(as_tensor(t, Format((COMPRESSED, COMPRESSED), (1, 0))).to_numpy(), array)
    assert np.array_equal(as_tensor([[1, 2], [3, 4]]).to_numpy(), [[1, 2], [3, 4]])
    assert as_tensor(np.float32(2.0)).dtype == np.float32


def test_tensor_constructor():
    t = tensor(([[0, 2], [1, 1]], [1.0, 2.0]), shape=(3, 2), format="csr")
    assert np.array_equal(t.to_numpy(), [[0, 1], [0, 0], [0, 2]])
    with pytest.raises(OperandError, match="needs shape="):
        tensor(([[0, 2], [1, 1]], [1.0, 2.0]))
    with pytest.raises(ShapeError, match="does not match"):
        tensor(np.zeros((2, 2)), shape=(2, 3))
    assert tensor(np.eye(2), shape=(2, 2)).shape == (2, 2)


# ------------------------------------------------------------------------------------ memory


def test_memory_guard():
    huge = (10**6, 10**6)  # 7.3 TiB of float64
    t = from_coo([[0], [0]], [1.0], huge, "csr")
    with pytest.raises(ShapeError, match=r"\(1000000, 1000000\) needs 7450\.6 GiB"):
        t.to_numpy()
    with pytest.raises(ShapeError, match="GiB"):
        t.asformat("dense")
    with pytest.raises(ShapeError, match="GiB"):
        from_coo([[0], [0]], [1.0], huge, "dd")


def test_memory_guard_uses_bound(monkeypatch):
    monkeypatch.setattr(level_base, "_memory_bound", lambda: 100)
    from_numpy(np.zeros(12))  # 96 bytes: fine
    with pytest.raises(ShapeError, match=r"shape \(13,\)"):
        from_coo([[0]], [1.0], (13,), "d")


# ------------------------------------------------------------------------------------ property tests


@st.composite
def arrays_and_formats(draw, count=1):
    rank = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=rank, max_size=rank)))
    dtype = draw(st.sampled_from([np.float64, np.int32, np.complex128]))
    flat = draw(st.lists(st.sampled_from([0, 0, 0, 1, -2, 3]), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    array = np.array(flat, dtype=dtype).reshape(shape)
    formats = [draw(st.sampled_from(FORMATS[rank])) for _ in range(count)]
    return array, formats


@settings(max_examples=300, deadline=None)
@given(arrays_and_formats(count=2))
def test_random_asformat(case):
    array, (first, second) = case
    t = from_numpy(array, first)
    check_structure(t)
    u = t.asformat(second)
    check_structure(u)
    assert u.dtype == array.dtype and np.array_equal(u.to_numpy(), array)
    coords, values = u.to_coo()
    if array.ndim:
        assert np.array_equal(coords, np.array(np.nonzero(array)).reshape(array.ndim, -1))
    assert np.array_equal(from_coo(coords, values, array.shape, second).to_numpy(), array)
    if array.ndim == 2:
        assert np.array_equal(u.to_scipy().toarray(), array)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda rank: st.tuples(
            st.lists(st.integers(1, 4), min_size=rank, max_size=rank),
            st.lists(st.lists(st.integers(0, 3), min_size=rank, max_size=rank), max_size=12),
            st.sampled_from(FORMATS[rank]),
        )
    )
)
def test_random_coo_with_duplicates(case):
    shape, entries, fmt = case
    entries = [[min(c, n - 1) for c, n in zip(entry, shape)] for entry in entries]
    values = np.arange(1, len(entries) + 1, dtype=np.float64)
    expected = np.zeros(shape)
    for entry, value in zip(entries, values):
        expected[tuple(entry)] += value
    coords = np.array(entries, dtype=np.int64).reshape(-1, len(shape)).T
    t = from_coo(coords, values, tuple(shape), fmt)
    check_structure(t)
    assert np.array_equal(t.to_numpy(), expected)
