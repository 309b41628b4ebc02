"""Statements on a 2-worker LocalCluster on loopback (`client=`): the golden statements give the
single-process results (exactly for integers), a killed worker is survived, and the failures a user
can meet are one-line errors naming the address, the statement or the block."""

import os
import re
import signal
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es

distributed = pytest.importorskip("distributed")



def _sparse(rows, cols, density, seed, integers=False):
    rng = np.random.default_rng(seed)
    matrix = sp.random(rows, cols, density=density, format="csr", random_state=rng)
    if integers:
        matrix.data = rng.integers(-9, 10, matrix.nnz).astype(np.int64)
    return matrix


def _dense(shape, seed, integers=False):
    rng = np.random.default_rng(seed)
    return rng.integers(-9, 10, shape).astype(np.int64) if integers else rng.uniform(-1, 1, shape)


def _tensor3(seed, integers=False):
    rng = np.random.default_rng(seed)
    coords = rng.integers(0, 30, (3, 400))
    values = rng.integers(-9, 10, 400).astype(np.int64) if integers else rng.uniform(-1, 1, 400)
    return es.tensor((coords, values), "csf", shape=(30, 30, 30))


GOLDEN = {
    "SpMV": ("y[i] = A[i,j]*x[j]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints), x=_dense(200, 2, ints))),
    "SpMV transposed (reduced cut)": ("y[j] = A[i,j]*x[i]",
                                      lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints), x=_dense(300, 2, ints))),
    "SpMM": ("C[i,j] = A[i,k]*B[k,j]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints), B=_dense((200, 8), 3, ints))),
    "SpGEMM": ("C[i,j] = A[i,k]*B[k,j]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints),
                                                           B=_sparse(200, 250, 0.05, 4, ints))),
    "SpAdd": ("C[i,j] = A[i,j] + B[i,j]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints),
                                                            B=_sparse(300, 200, 0.05, 5, ints))),
    "SDDMM": ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints),
                                                                 U=_dense((300, 4), 6, ints), V=_dense((200, 4), 7, ints))),
    "MTTKRP": ("M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", lambda ints: dict(T=_tensor3(8, ints), U=_dense((30, 5), 9, ints),
                                                                    V=_dense((30, 5), 10, ints))),
    "TTV": ("Y[i,j] = T[i,j,k]*v[k]", lambda ints: dict(T=_tensor3(8, ints), v=_dense(30, 11, ints))),
    "inner product (scalar)": ("s = A[i,j]*B[i,j]", lambda ints: dict(A=_sparse(300, 200, 0.05, 1, ints),
                                                                      B=_sparse(300, 200, 0.05, 5, ints))),
}


@pytest.mark.parametrize("integers", [True, False], ids=["int64", "float64"])
@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_statements_give_the_single_process_results(client, name, integers):
    statement, make = GOLDEN[name]
    operands = make(integers)
    alone = es.evaluate(statement, **operands)
    spread = es.evaluate(statement, client=client, **operands)
    assert type(spread) is type(alone)
    if isinstance(alone, es.Tensor):
        assert spread.format == alone.format and spread.shape == alone.shape
        alone, spread = alone.to_numpy(), spread.to_numpy()
    if integers:
        np.testing.assert_array_equal(spread, alone)
    else:
        np.testing.assert_allclose(spread, alone, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("semiring", ["min_plus", "max_times"])
def test_semiring_products_give_the_single_process_results(client, semiring):
    operands = dict(A=_sparse(200, 150, 0.05, 1, True), B=_sparse(150, 100, 0.05, 4, True))
    alone = es.evaluate("C[i,j] = A[i,k]*B[k,j]", semiring=semiring, **operands)
    spread = es.evaluate("C[i,j] = A[i,k]*B[k,j]", semiring=semiring, client=client, **operands)
    np.testing.assert_array_equal(np.asarray(spread.to_numpy() if isinstance(spread, es.Tensor) else spread),
                                  np.asarray(alone.to_numpy() if isinstance(alone, es.Tensor) else alone))


def test_a_min_reduction_over_the_cut_is_combined_with_min(client):
    a = es.tensor(_sparse(200, 50, 0.05, 1), fill=np.inf)
    b = es.tensor(_sparse(200, 40, 0.05, 2), fill=np.inf)
    statement = "M[j,k] = min[i](A[i,j] + B[i,k])"
    alone, spread = es.evaluate(statement, A=a, B=b), es.evaluate(statement, A=a, B=b, client=client)
    assert spread.fill == alone.fill == np.inf
    np.testing.assert_array_equal(spread.to_numpy(), alone.to_numpy())


def test_a_given_output_is_written_and_accumulated_in_place(client):
    a, x = _sparse(300, 200, 0.05, 1), _dense(200, 2)
    y = np.ones(300)
    returned = es.evaluate("y[i] += A[i,j]*x[j]", A=a, x=x, y=y, client=client)
    assert returned is y
    np.testing.assert_allclose(y, 1 + a @ x, rtol=1e-12)


def test_a_tensor_read_with_and_without_the_cut_index_is_sent_sliced_and_whole(client):
    a, x = _sparse(300, 300, 0.02, 1, True), _dense(300, 2, True)
    squared = es.evaluate("C[i,j] = A[i,k]*A[k,j]", A=a, client=client)
    np.testing.assert_array_equal(squared.to_numpy(), (a @ a).toarray())
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*A[j,k]*x[k]", A=a, x=x, client=client), a @ (a @ x))
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*A[j,i]", A=a, client=client), (a.multiply(a.T)).sum(1).A1)


def test_statements_that_cannot_be_cut_say_why(client):
    a, x = _sparse(30, 30, 0.2, 1), _dense(30, 2)
    with pytest.raises(es.NotSupportedError) as raised:
        es.evaluate("y[i] = A[i,i]*x[i]", A=a, x=x, client=client)
    assert str(raised.value) == ("y[i] = A[i,i]*x[i]: cannot run in blocks of its outermost loop over i: A is read "
                                 "on a diagonal of i")
    with pytest.raises(es.NotSupportedError) as raised:
        es.evaluate("y[i] = A[i,j]*i", A=a, client=client)
    assert str(raised.value) == ("y[i] = A[i,j]*i: cannot run in blocks of its outermost loop over i: "
                                 "i is used as a value")


def _compiles_on_workers(client) -> dict:
    """Kernels each worker compiled (Numba's cache misses) and loaded from its disk cache (hits)."""
    def count():
        import sys

        misses = hits = 0
        for name, module in list(sys.modules.items()):
            if name.startswith("einsparse_"):
                for value in vars(module).values():
                    stats = getattr(value, "stats", None)
                    if stats is not None and hasattr(stats, "cache_misses"):
                        misses += sum(stats.cache_misses.values())
                        hits += sum(stats.cache_hits.values())
        return misses, hits
    return client.run(count)


def test_workers_compile_once_and_a_restarted_worker_loads_from_its_disk_cache(client):
    statement = "C[i,j] = A[i,k]*B[k,j] + 2*A[i,j]*B[i,j]"
    es.evaluate(statement, A=_sparse(300, 300, 0.02, 1), B=_sparse(300, 300, 0.02, 2), client=client)
    before = _compiles_on_workers(client)
    result = es.evaluate(statement, A=_sparse(400, 400, 0.02, 3), B=_sparse(400, 400, 0.02, 4), client=client)
    assert _compiles_on_workers(client) == before  # warm: nothing compiled, nothing even loaded again
    client.restart()
    again = es.evaluate(statement, A=_sparse(400, 400, 0.02, 3), B=_sparse(400, 400, 0.02, 4), client=client)
    after = _compiles_on_workers(client)
    assert all(misses == 0 for misses, _ in after.values()) and any(hits > 0 for _, hits in after.values())
    np.testing.assert_array_equal(again.to_numpy(), result.to_numpy())


def test_an_unreachable_scheduler_fails_in_seconds_naming_its_address():
    start = time.perf_counter()
    with pytest.raises(es.ClusterError) as raised:
        es.evaluate("y[i] = A[i,j]*x[j]", A=_sparse(30, 30, 0.2, 1), x=_dense(30, 2), client="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 15
    assert str(raised.value).startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 5 s (")


def test_a_bad_client_is_named():
    with pytest.raises(es.OperandError) as raised:
        es.evaluate("y[i] = A[i,j]*x[j]", A=_sparse(30, 30, 0.2, 1), x=_dense(30, 2), client=42)
    assert str(raised.value) == ("client=42 is not a dask.distributed Client, 'local', 'local:N' or a scheduler "
                                 "address such as 'tcp://host:8786'")


def test_a_block_whose_dense_output_exceeds_a_workers_memory_fails_naming_it(client):
    a = sp.random(200_000, 10, density=0.1, format="csr", random_state=1)
    b = np.ones((10, 60_000))
    with pytest.raises(es.ClusterError) as raised:
        es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"C": "dense"}, A=a, B=b, client=client)
    assert re.fullmatch(r"C\[i,j\] = A\[i,k\]\*B\[k,j\]: block \d \(i in \d+\.\.\d+\) needs 2\d\.\d GiB for its "
                        r"dense output, more than the worker's memory limit of [\d.]+ GiB \(use more blocks or "
                        r"workers, or a sparse output\)", str(raised.value))


def test_a_worker_killed_in_the_middle_of_a_run_is_survived(client):
    a, b = _sparse(6000, 6000, 0.001, 1, True), _sparse(6000, 6000, 0.001, 2, True)
    statement = "C[i,l] = A[i,k]*B[k,j]*B[j,l]"  # three factors: each block plans and runs two kernels
    alone = es.evaluate(statement, A=a, B=b).to_numpy()
    killed = []
    pids = client.run(os.getpid)

    def kill_a_busy_worker():
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and not killed:
            busy = [worker for worker, tasks in client.processing().items()
                    if any("einsparse-" in str(key) and "-block-" in str(key) for key in tasks)]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    spread = es.evaluate(statement, A=a, B=b, client=client)
    killer.join()
    assert killed, "no block was seen running"
    np.testing.assert_array_equal(spread.to_numpy(), alone)


def test_the_command_line_runs_on_the_local_cluster(client, capsys, tmp_path):
    from einsparse.cli import main
    from einsparse.runtime import io

    a = _sparse(300, 300, 0.02, 1)
    io.write(tmp_path / "A.mtx", a)
    status = main(["run", "C[i,j] = A[i,k]*A[k,j]", f"A={tmp_path / 'A.mtx'}", "--cluster", "local",
                   "-o", str(tmp_path / "C.npz")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    np.testing.assert_allclose(sp.load_npz(tmp_path / "C.npz").toarray(), (a @ a).toarray(), rtol=1e-12)
    assert main(["run", "y[i] = A[i,j]*x[j]", f"A={tmp_path / 'A.mtx'}", "x=ones", "--cluster", "nowhere"]) == 2
    assert capsys.readouterr().err == ("einsparse run: error: --cluster nowhere: expected local, local:N or a "
                                       "scheduler address such as tcp://host:8786\n")
    assert main(["run", "y[i] = A[i,j]*x[j]", f"A={tmp_path / 'A.mtx'}", "x=ones", "--cluster",
                 "tcp://127.0.0.1:9"]) == 3
    assert capsys.readouterr().err.startswith("einsparse run: error: cannot reach the Dask scheduler at "
                                              "tcp://127.0.0.1:9 within 5 s (")


def test_einsum_on_dask_arrays_of_scipy_numpy_and_pydata_blocks(client):
    da = pytest.importorskip("dask.array")
    sparse = pytest.importorskip("sparse")
    a, b = _sparse(400, 300, 0.05, 1, True), _sparse(300, 200, 0.05, 2, True)
    x, m = _dense(300, 3, True), _dense((300, 20), 4, True)
    blocks_a = da.from_array(a, chunks=(100, 150), asarray=False)
    y = es.einsum("ij,j->i", blocks_a, da.from_array(x, chunks=150))
    assert isinstance(y, da.Array) and y.chunks == ((100,) * 4,)
    np.testing.assert_array_equal(y.compute(), es.einsum("ij,j->i", a, x))
    np.testing.assert_array_equal(es.einsum("ij,jk->ik", blocks_a, da.from_array(m, chunks=(150, 10))).compute(),
                                  a @ m)
    pa = da.from_array(sparse.COO.from_scipy_sparse(a), chunks=(100, 150))
    pb = da.from_array(sparse.COO.from_scipy_sparse(b), chunks=(150, 100))
    product = es.einsum("ij,jk->ik", pa, pb)
    computed = client.compute(product).result()  # on the cluster's workers
    assert isinstance(computed, sparse.COO)
    np.testing.assert_array_equal(computed.todense(), (a @ b).toarray())
    assert es.einsum("ij,ij", blocks_a, blocks_a).compute() == a.multiply(a).sum()


def test_einsum_on_dask_arrays_refuses_what_it_does_not_do():
    da = pytest.importorskip("dask.array")
    blocks = da.ones((4, 4), chunks=2)
    with pytest.raises(es.NotSupportedError) as raised:
        es.einsum("...j,j->...", blocks, da.ones(4, chunks=2))
    assert str(raised.value) == ("einsum on dask arrays: '...' in the subscripts is not supported; write the "
                                 "indices out")
    with pytest.raises(es.StatementError) as raised:
        es.einsum("ij,j->i", blocks, da.ones(4, chunks=2), out=np.empty(4))
    assert str(raised.value) == "einsum on dask arrays: out= is not supported (a dask array is computed later)"


def test_a_cluster_kernel_explains_its_blocks(client):
    kernel = es.compile("y[j] = A[i,j]*x[i]", {"A": "csr"}, client=client)
    assert kernel.explain().split("\n")[-1] == (
        "cluster:        blocks of the outermost loop over i, balanced by stored entries, two per worker thread "
        "and none under 1 entries (or a persisted operand's own blocks along i); "
        "sliced: A along mode 0, x along mode 0; every other operand sent whole to each worker once; i is "
        "reduced, so each block gives a partial result over the whole output, combined by add in a tree of tasks")
    squared = es.compile("C[i,j] = A[i,k]*A[k,j]", {"A": "csr", "C": "csr"}, client=client)
    assert squared.explain().split("\n")[-1] == (
        "cluster:        blocks of the outermost loop over i, balanced by stored entries, two per worker thread "
        "and none under 1 entries (or a persisted operand's own blocks along i); "
        "sliced: A_i0 along mode 0; every other operand sent whole to each worker once; each block gives the "
        "output's entries in its range of i, joined in order")


def test_an_active_dask_client_changes_nothing_unless_asked(client):
    def einsparse_tasks(dask_scheduler):
        return sum(1 for key in dask_scheduler.tasks if "einsparse" in str(key))

    with distributed.Client(client.scheduler.address, set_as_default=True) as default:
        before = default.run_on_scheduler(einsparse_tasks)
        assert es.evaluate("y[i] = A[i,j]*x[j]", A=_sparse(30, 30, 0.2, 1), x=_dense(30, 2)).shape == (30,)
        assert default.run_on_scheduler(einsparse_tasks) == before


def test_an_address_that_is_not_a_dask_scheduler_is_named_quickly():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_garbage():
        connection, _ = server.accept()
        connection.sendall(b"\xff" * 64)  # no Dask handshake: a frame length no one can allocate
        time.sleep(2)
        connection.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    start = time.perf_counter()
    with pytest.raises(es.ClusterError) as raised:
        es.evaluate("y[i] = A[i,j]*x[j]", A=_sparse(30, 30, 0.2, 1), x=_dense(30, 2), client=address)
    assert time.perf_counter() - start < 15
    assert str(raised.value) == (f"cannot reach the Dask scheduler at {address} within 5 s (the other end did "
                                 f"not answer as a Dask scheduler)")
    server.close()


def test_a_planned_long_product_runs_its_steps_each_cut_on_the_cluster(client):
    rng = np.random.default_rng(7)
    n = 3000
    a = sp.csr_matrix((rng.integers(1, 9, n * 20).astype(np.int64),
                       (np.repeat(np.arange(n), 20), rng.integers(0, n, n * 20))), shape=(n, n))
    x = rng.integers(-9, 10, n).astype(np.int64)
    kernel = es.compile("y[i] = A[i,j]*A[j,k]*x[k]", {"A": "csr"}, client=client)
    with distributed.get_task_stream(client=client) as stream:
        np.testing.assert_array_equal(kernel(A=a, x=x), a @ (a @ x))
    runs = {str(task["key"]).split("-block-")[0] for task in stream.data if "-block-" in str(task["key"])}
    assert len(runs) == 2  # one cut run per step
    plan, measured = kernel.last
    assert [step.statement for step in plan.steps] == ["T0[j] = A[j,k]*x[k]", "y[i] = A[i,j]*T0[j]"]
    assert measured == {"T0": n}


def test_a_block_whose_worker_dies_of_its_memory_fails_naming_it():
    dask = pytest.importorskip("dask")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, memory_limit="700MiB",
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
    small = distributed.Client(cluster, set_as_default=False)
    try:
        rng = np.random.default_rng(0)
        n = 20_000  # A @ A holds about 200M entries: 2.4 GB, far past 700 MiB
        a = sp.csr_matrix((rng.random(n * 100), (np.repeat(np.arange(n), 100), rng.integers(0, n, n * 100))),
                          shape=(n, n))
        with pytest.raises(es.ClusterError) as raised:
            es.evaluate("C[i,j] = A[i,k]*B[k,j]", {"C": "csr"}, A=a, B=a, client=small)
        assert re.fullmatch(r"C\[i,j\] = A\[i,k\]\*B\[k,j\]: block \d \(i in \d+\.\.\d+\) failed: each worker that "
                            r"ran it died and Dask gave up \(a worker past its memory limit is killed; the workers' "
                            r"logs say why\)", str(raised.value))
    finally:
        small.close()
        cluster.close()


def test_a_small_call_runs_in_one_block(client, monkeypatch):
    from einsparse.cluster import sizing

    monkeypatch.setattr(sizing, "SMALLEST_BLOCK", 100_000)
    a, x = _sparse(300, 200, 0.05, 1, True), _dense(200, 2, True)
    with distributed.get_task_stream(client=client) as stream:
        np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x, client=client), a @ x)
    assert sum("-block-" in str(task["key"]) for task in stream.data) == 1
