"""Parallel calls: chunks of the outermost loop on several threads give the 1-thread results exactly."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import einsparse as es
from einsparse.reference import dense_reference as reference
from einsparse.runtime import output, parallel

N = 300
A = sp.random(N, N, density=0.05, format="csr", random_state=1)
B = sp.random(N, N, density=0.05, format="csr", random_state=2)
DENSE = np.random.default_rng(3).random((N, 8))
X = np.random.default_rng(4).random(N)

CASES = [
    ("y[i] = A[i,j]*x[j]", {"A": "csr"}, {"A": A, "x": X}),
    ("y[i] = A[i,j]*x[j]", {"A": "dcsr"}, {"A": A, "x": X}),
    ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", {"A": "csr"}, {"A": A, "B": DENSE, "D": DENSE}),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}, {"A": A, "B": B}),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "dcsr", "B": "csr", "C": "dcsr"}, {"A": A, "B": B}),
    ("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr", "C": "coo"}, {"A": A, "B": B}),
    ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "csr"}, {"A": A, "U": DENSE, "V": DENSE}),
    ("T[i,j,k] = A[i,j]*B[j,k]", {"A": "csr", "B": "csr", "T": "csf"}, {"A": A[:40, :40], "B": B[:40, :40]}),
    # Few rows, many entries: a DCSR output counts per row, not per entry of room.
    ("M[i,j] = T[i,j,k]*c[k]", {"T": "csf", "M": "dcsr"},
     {"T": es.tensor(sp.random(6, N * N, density=0.02, format="coo", random_state=5).toarray().reshape(6, N, N),
                     "csf"), "c": X}),
]


@pytest.fixture
def every_call_in_chunks(monkeypatch):
    """Split even small calls, and record how many chunks each call ran."""
    from einsparse.runtime import kernel

    chunks = []
    run_all = parallel.run_all
    monkeypatch.setattr(kernel, "SHIMS", False)  # a shim calls the kernel itself, through no pool
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    monkeypatch.setattr(parallel, "run_all", lambda tasks, threads: chunks.append(len(tasks)) or run_all(tasks, threads))
    return chunks


def _dense(result):
    return result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)


@pytest.mark.parametrize("statement, formats, operands", CASES, ids=[f"{s} {f}" for s, f, _ in CASES])
def test_two_threads_give_the_one_thread_result_exactly(statement, formats, operands, every_call_in_chunks):
    single = es.compile(statement, formats, threads=1)
    one = single(**operands)
    two = es.compile(statement, formats, threads=2)(**operands)
    passes = 2 if single.plan.count_source else 1  # two-phase assembly: the count, then the values
    assert every_call_in_chunks[:2 * passes] == [1] * passes + [2 * parallel.CHUNKS_PER_THREAD] * passes
    assert type(one) is type(two)
    np.testing.assert_array_equal(_dense(two), _dense(one))
    if isinstance(two, es.Tensor):
        assert two.format == one.format
        for mine, theirs in zip(two.levels, one.levels):
            for name in ("pos", "crd"):
                if hasattr(mine, name):
                    np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))
    dense = {name: value.toarray() if sp.issparse(value) else value for name, value in operands.items()}
    np.testing.assert_allclose(_dense(two), reference(statement, dense), rtol=1e-12, atol=1e-12)


def test_accumulating_into_a_sparse_output_in_chunks(every_call_in_chunks):
    C = es.tensor(B, "csr")
    got = es.compile("C[i,j] += A[i,j]", {"A": "csr", "C": "csr"}, threads=2)(A=A, C=C)
    # The chunks, then their pieces copied into place: a chunk whose rows hold more than its share of
    # the first room stops and goes on in a new piece.
    chunks, pieces = every_call_in_chunks
    assert chunks == 2 * parallel.CHUNKS_PER_THREAD and pieces >= chunks
    np.testing.assert_array_equal(got.to_numpy(), (A + B).toarray())


def test_a_reduction_over_the_outer_loop_runs_on_one_thread(every_call_in_chunks):
    kernel = es.compile("y[j] = A[i,j]*x[i]", {"A": "csr"}, threads=2)
    assert kernel.plan.split is None
    assert "parallel:       no" in kernel.explain()
    np.testing.assert_allclose(kernel(A=A, x=X), A.T @ X)
    assert every_call_in_chunks == [1]


@pytest.mark.parametrize("statement", ["C[i,j] = A[i,j] + B[i,j]", "C[i,j] = A[i,j]*B[i,j]",
                                       "C[i,j] = A[i,j] - A[i,j]"])
def test_chunks_of_an_elementwise_sparse_output_fill_windows_of_one_output(statement, monkeypatch):
    """Each chunk appends to its window, sized by its rows' entries (a union of A's and B's rows fits,
    and an intersection fits the shorter), so no chunk goes on in arrays of its own and the join only
    closes the gaps: nothing is concatenated."""
    from einsparse.runtime import call as kernel_module
    calls, concatenated = [], []
    task = kernel_module.Call._task
    monkeypatch.setattr(kernel_module.Call, "_task", lambda *args: calls.append(args[-1]) or task(*args))
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    concatenate = output._concatenated
    monkeypatch.setattr(output, "_concatenated",
                        lambda columns, threads: concatenated.append(len(columns[0])) or concatenate(columns, threads))
    operands = {"A": A, "B": B} if "B" in statement else {"A": A}
    formats = {**{name: "csr" for name in operands}, "C": "csr"}
    kernel = es.compile(statement, formats, threads=2)
    assert "parallel:       with threads > 1, chunks of the loop over i" in kernel.explain()
    got = kernel(**operands)
    assert len(calls) == 2 * parallel.CHUNKS_PER_THREAD and concatenated == []
    expected = reference(statement, {name: value.toarray() for name, value in operands.items()})
    np.testing.assert_array_equal(got.to_numpy(), expected)
    assert got.nnz == np.count_nonzero(expected)
    one = es.compile(statement, formats, threads=1)(**operands)
    for mine, theirs in zip(got.levels[1:], one.levels[1:]):
        np.testing.assert_array_equal(mine.pos, theirs.pos)
        np.testing.assert_array_equal(mine.crd, theirs.crd)


def test_counts_per_appended_parent_are_as_many_as_the_parents_can_be():
    """A DCSR output with room for 10,000 entries counts entries per row for its 6 rows, not per entry of
    room; windows of it count per row as well, each in its own part of one array."""
    kernel = es.compile("M[i,j] = T[i,j,k]*c[k]", {"T": "csf", "M": "dcsr"})
    whole = output.make_output(kernel.plan, {"i": 6, "j": N, "k": N}, np.dtype(np.float64), None, 10_000)
    assert len(whole.arrays[("pos", 0)]) == 2 and len(whole.arrays[("pos", 1)]) == 7
    windows = whole.windows([4, 3000, 7000], rows_apart=False)
    assert [len(window.arrays[("pos", 1)]) for window in windows] == [5, 7, 7]
    assert len({window.arrays[("pos", 1)].base.ctypes.data for window in windows}) == 1


def test_windows_are_closed_up_in_place_on_several_threads():
    """Pieces written at 0, 10 and 20 of one buffer, 4, 10 and 10 long, move to 0, 4 and 14: the last
    one's destination covers the tail of the middle one's source, which is set aside first; a piece
    written elsewhere (a chunk that outgrew its window) is copied in."""
    buffer = np.full(40, -1.0)
    windows = [buffer[0:4], buffer[10:20], buffer[20:30]]
    for k, (window, first) in enumerate(zip(windows, (100, 200, 300))):
        window[:] = first + np.arange(len(window))
    elsewhere = np.array([7.0, 8.0])
    expected = np.concatenate(windows + [elsewhere])
    (joined,) = output._compacted([windows + [elsewhere]], [buffer], threads=2)
    np.testing.assert_array_equal(joined, expected)
    assert np.shares_memory(joined, buffer)
    # A piece from elsewhere that would land on a window not yet moved: the pieces are concatenated.
    buffer = np.arange(20.0)
    assert output._compacted([[buffer[0:2], np.ones(9), buffer[10:20]]], [buffer], threads=2) is None


def test_pieces_are_concatenated_in_order_on_several_threads():
    pieces = [np.arange(5, dtype=np.int32), np.arange(0, dtype=np.int32), np.arange(7, 10, dtype=np.int32)]
    values = [np.full(5, 1.5), np.empty(0), np.full(3, -2.0)]
    crd, vals = output._concatenated([pieces, values], threads=2)
    np.testing.assert_array_equal(crd, [0, 1, 2, 3, 4, 7, 8, 9])
    assert crd.dtype == np.int32
    np.testing.assert_array_equal(vals, [1.5] * 5 + [-2.0] * 3)


def test_small_calls_stay_on_one_thread(monkeypatch):
    from einsparse.runtime import kernel

    monkeypatch.setattr(kernel, "SHIMS", False)
    counts = []
    run_all = parallel.run_all
    monkeypatch.setattr(parallel, "run_all", lambda tasks, threads: counts.append(len(tasks)) or run_all(tasks, threads))
    es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}, threads=2)(A=A, x=X)
    assert counts == [1]


def test_chunks_follow_the_work_of_the_rows():
    row_pointer = np.array([0, 0, 0, 0, 100, 100, 100, 200, 200])  # two heavy rows among empty ones
    chunks = parallel.chunk_bounds(0, 8, 2, row_pointer)
    assert chunks[0][0] == 0 and chunks[-1][1] == 8
    assert all(a < b for a, b in chunks) and all(x[1] == y[0] for x, y in zip(chunks, chunks[1:]))
    assert chunks == [(0, 4), (4, 8)]
    assert parallel.chunk_bounds(5, 6, 4) == [(5, 6)]
    assert parallel.chunk_bounds(0, 10, 3) == [(0, 3), (3, 7), (7, 10)]


# A shared machine may stall for a second: that is no slow strategy.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60), st.integers(2, 9), st.data())
def test_chunks_cover_the_range_and_share_the_work(row_work, pieces, data):
    """Chunks are non-empty, follow each other over [lo, hi), and each ends at the first row where the
    work before it reaches its share (k/pieces of the range's work, rounded up)."""
    pointer = np.concatenate([[0], np.cumsum(row_work)])
    lo = data.draw(st.integers(0, len(row_work) - 1))
    hi = data.draw(st.integers(lo + 1, len(row_work)))
    chunks = parallel.chunk_bounds(lo, hi, pieces, pointer)
    assert chunks[0][0] == lo and chunks[-1][1] == hi and len(chunks) <= pieces
    assert all(a < b for a, b in chunks) and all(x[1] == y[0] for x, y in zip(chunks, chunks[1:]))
    total = int(pointer[hi] - pointer[lo])
    shares = [int(pointer[lo]) + -(-total * k // pieces) for k in range(1, pieces)]
    cuts = {lo + int(np.argmax(pointer[lo:hi + 1] >= share)) for share in shares} | {lo, hi}
    assert [a for a, _ in chunks] + [hi] == sorted(cuts)


@pytest.mark.parametrize("threads, message", [
    (-1, "threads must be a whole number of threads (0 for every core), not -1"),
    ("two", "threads must be a whole number of threads (0 for every core), not 'two'"),
    (1.5, "threads must be a whole number of threads (0 for every core), not 1.5"),
])
def test_bad_thread_counts(threads, message):
    with pytest.raises(es.OperandError) as error:
        es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}, threads=threads)
    assert str(error.value) == message


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.setenv("EINSPARSE_THREADS", "3")
    assert parallel.thread_count(None) == 3
    monkeypatch.setenv("EINSPARSE_THREADS", "0")
    assert parallel.thread_count(None) >= 1
    monkeypatch.setenv("EINSPARSE_THREADS", "many")
    with pytest.raises(es.OperandError, match="^EINSPARSE_THREADS must be a whole number"):
        parallel.thread_count(None)
