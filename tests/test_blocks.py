"""Operands cut into blocks and results put back together (`runtime/blocks.py`): every slice equals
NumPy's slice of the dense array, in every format and along every mode; entries per coordinate equal
a count of the coordinates; joined slices and combined partial results give the whole."""

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.runtime.blocks import balanced_ranges, combined, entries_along, joined, slices

RANGES = [(0, 4), (4, 11), (11, 11), (11, 17)]


def _tensor(fmt, fill=None, seed=0):
    rng = np.random.default_rng(seed)
    coords, values = rng.integers(0, 17, (3, 200)), rng.integers(1, 9, 200).astype(np.float64)
    made = es.tensor((coords, values), fmt, shape=(17, 17, 17))
    return made if fill is None else made.with_fill(fill)


def _dense(value):
    return value.to_numpy() if isinstance(value, es.Tensor) else value.toarray() if sp.issparse(value) else \
        np.asarray(value)


@pytest.mark.parametrize("fmt", ["csf", "dcc", "coo", "ccd", "cdc"])
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_tensor_slices_and_counts_along_every_mode(fmt, mode):
    tensor = _tensor(fmt, fill=np.inf if fmt == "csf" else None)
    whole = tensor.to_numpy()
    for part, (lo, hi) in zip(slices(tensor, mode, RANGES), RANGES):
        index = (slice(None),) * mode + (slice(lo, hi),)
        np.testing.assert_array_equal(_dense(part), whole[index])
        assert part.fill == tensor.fill and part.format == tensor.format
    coords = tensor.to_coo()[0]
    stored = np.bincount(coords[mode], minlength=17) if fmt != "ccd" else None
    if stored is not None:
        np.testing.assert_array_equal(entries_along(tensor, mode, 17), stored)
    parts = slices(tensor, mode, [(0, 4), (4, 11), (11, 17)])
    np.testing.assert_array_equal(joined(parts, mode).to_numpy(), whole)


@pytest.mark.parametrize("layout", ["csr", "csc", "coo"])
def test_matrix_slices_join_back(layout):
    matrix = sp.random(17, 13, density=0.3, format=layout, random_state=1)
    for mode in (0, 1):
        parts = slices(matrix, mode, [(0, 5), (5, 13)])
        np.testing.assert_array_equal(np.concatenate([p.toarray() for p in parts], axis=mode),
                                      matrix.toarray()[:, :13] if mode else matrix.toarray()[:13])
    tensors = [es.tensor(p, "csr") for p in slices(matrix, 0, [(0, 5), (5, 17)])]
    np.testing.assert_array_equal(joined(tensors, 0).to_numpy(), matrix.toarray())


def test_balanced_ranges_follow_the_entries():
    counts = np.array([100, 100, 0, 0, 0, 0, 0, 0, 0, 0])  # by rows, the first half would hold everything
    assert balanced_ranges(counts, 2) == [(0, 1), (1, 10)]
    assert balanced_ranges(np.zeros(6, dtype=int), 3) == [(0, 2), (2, 4), (4, 6)]
    assert balanced_ranges(np.zeros(0, dtype=int), 4) == [(0, 0)]


@pytest.mark.parametrize("op,reduce", [("add", np.add), ("min", np.minimum), ("max", np.maximum)])
def test_partial_results_combine_with_their_fills(op, reduce):
    fill = {"add": 0.0, "min": np.inf, "max": -np.inf}[op]
    a, b = _tensor("csf", fill, seed=1), _tensor("csf", fill, seed=2)
    result = combined(a, b, op)
    np.testing.assert_array_equal(result.to_numpy(), reduce(a.to_numpy(), b.to_numpy()))
    assert result.fill == reduce(a.fill, b.fill)
    np.testing.assert_array_equal(combined(np.arange(3.0), np.ones(3), op), reduce(np.arange(3.0), np.ones(3)))


def test_storage_bytes_counts_the_arrays_of_every_kind():
    from einsparse.runtime.stored import storage_bytes

    matrix = sp.random(17, 13, density=0.3, format="csr", random_state=1)
    csr_bytes = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    assert storage_bytes(matrix) == csr_bytes
    coo = matrix.tocoo()
    assert storage_bytes(coo) == coo.data.nbytes + coo.row.nbytes + coo.col.nbytes
    assert storage_bytes(es.tensor(matrix)) == csr_bytes  # shares scipy's arrays
    assert storage_bytes(np.ones((3, 4))) == 96 and storage_bytes(2.5) == 8
    banded = np.diag(np.arange(1.0, 6.0)) + np.diag(np.ones(4), 1)
    band, bitmap = es.tensor(banded, "db"), es.tensor(banded, "dm")
    assert storage_bytes(band) == band.vals.nbytes + band.levels[1].pos.nbytes + band.levels[1].lo.nbytes
    assert storage_bytes(bitmap) == bitmap.vals.nbytes + sum(getattr(bitmap.levels[1], name).nbytes
                                                             for name in ("pos", "crd", "tbl"))
