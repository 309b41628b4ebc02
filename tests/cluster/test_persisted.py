"""Operands persisted on a cluster's workers (`es.persist`), on the 2-worker LocalCluster of
conftest.py: the same results as one process, blocks read where they are, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse.cluster.persisted import PersistedTensor

distributed = pytest.importorskip("distributed")



def _ints(rows, cols, density, seed):
    rng = np.random.default_rng(seed)
    matrix = sp.random(rows, cols, density=density, format="csr", random_state=rng)
    matrix.data = rng.integers(-9, 10, matrix.nnz).astype(np.int64)
    return matrix


def test_products_on_a_persisted_matrix_equal_one_process(client):
    a, b = _ints(400, 300, 0.03, 1), _ints(300, 50, 0.05, 2)
    x, y = np.arange(300, dtype=np.int64) - 150, np.arange(400, dtype=np.int64) % 7
    held = es.persist(a, client=client)
    assert held.shape == (400, 300) and held.nnz == a.nnz and held.format.name == "csr"
    assert len(held.parts) == 4 and held.ranges[0][0] == 0 and held.ranges[-1][1] == 400
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=x), a @ x)
    np.testing.assert_array_equal(es.evaluate("z[j] = A[i,j]*y[i]", A=held, y=y), a.T @ y)
    assert held._whole is None  # both calls were cut along i: A's own blocks, never joined
    product = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=held, B=b)
    np.testing.assert_array_equal(product.to_scipy().toarray(), (a @ b).toarray())
    held_b = es.persist(b, client=client)
    product = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=a, B=held_b)
    np.testing.assert_array_equal(product.to_scipy().toarray(), (a @ b).toarray())
    assert held_b._whole is not None  # B is read whole: joined once, on the workers
    both = es.evaluate("C[i,j] = A[i,k]*B[k,j]", A=held, B=held_b)
    np.testing.assert_array_equal(both.to_scipy().toarray(), (a @ b).toarray())


def test_a_persisted_operand_cut_along_another_mode(client):
    d = np.arange(300 * 40, dtype=np.int64).reshape(300, 40) % 11
    b = _ints(200, 300, 0.05, 3)
    held = es.persist(d, client=client, along=1)
    assert held.format.is_dense and [hi - lo for lo, hi in held.ranges] == [10, 10, 10, 10]
    np.testing.assert_array_equal(es.evaluate("C[i,j] = B[i,k]*D[k,j]", B=b, D=held), b @ d)
    np.testing.assert_array_equal(held.gather(), d)


def test_compiled_kernels_einsum_and_on_cluster_take_persisted_operands(client):
    a = _ints(300, 300, 0.02, 4)
    x = np.arange(300, dtype=np.int64) % 5
    with es.on_cluster(client):
        held = es.persist(es.tensor(a, "csr"))
    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}, client=client)
    np.testing.assert_array_equal(kernel(A=held, x=x), a @ x)
    np.testing.assert_array_equal(es.einsum("ij,j->i", held, x), a @ x)
    back = held.gather()
    assert isinstance(back, es.Tensor) and back.format.name == "csr"
    np.testing.assert_array_equal(back.to_scipy().toarray(), a.toarray())


def test_a_long_product_on_a_persisted_matrix_is_planned(client):
    a = _ints(500, 500, 0.04, 5)
    x = np.arange(500, dtype=np.int64) % 3
    held = es.persist(a, client=client)
    np.testing.assert_array_equal(es.evaluate("y[i] = A[i,j]*A[j,k]*x[k]", A=held, x=x), a @ (a @ x))
    kernel = es.compile("y[i] = A[i,j]*A[j,k]*x[k]", {"A": "csr"}, client=client)
    np.testing.assert_array_equal(kernel(A=held, x=x), a @ (a @ x))
    plan, measured = kernel.kernel.last
    # planned from the statistics persist took: both steps are cut on the cluster
    assert [step.statement for step in plan.steps] == ["T0[j] = A[j,k]*x[k]", "y[i] = A[i,j]*T0[j]"]
    assert measured == {"T0": 500}


def test_results_kept_on_the_workers_feed_the_next_call(client):
    a = _ints(400, 400, 0.03, 6)
    x = np.arange(400, dtype=np.int64) % 9 - 4
    held = es.persist(a, client=client)
    y = es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=x, persist=True)  # a power step: y stays on the workers
    assert isinstance(y, PersistedTensor) and y.shape == (400,) and y.dtype == np.int64 and y.along == 0
    assert y.ranges == held.ranges and y.nnz == 400 and y.client is client
    z = es.evaluate("z[i] = A[i,j]*y[j]", A=held, y=y, persist=True)
    np.testing.assert_array_equal(y.gather(), a @ x)
    np.testing.assert_array_equal(z.gather(), a @ (a @ x))
    square = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"},
                        client=client)(A=held, B=a, persist=True)
    assert square.format.name == "csr" and square.nnz == (a @ a).nnz
    np.testing.assert_array_equal(square.gather().to_scipy().toarray(), (a @ a).toarray())
    np.testing.assert_array_equal(es.evaluate("s[j] = A[i,j]*C[i,j]", A=held, C=square),
                                  np.asarray(a.multiply(a @ a).sum(0)).ravel())
    for kept in (y, z, square):
        kept.release()
    empty = es.evaluate("y[i] = A[i,j]*x[j]", A=_ints(0, 5, 0.5, 8), x=np.ones(5, dtype=np.int64), client=client,
                        persist=True)
    assert empty.shape == (0,) and empty.nnz == 0 and "1 block along mode 0" in repr(empty)
    np.testing.assert_array_equal(empty.gather(), np.zeros(0, dtype=np.int64))


def test_results_kept_on_the_workers_refused_with_reasons(client):
    a = _ints(200, 200, 0.05, 7)
    x = np.ones(200, dtype=np.int64)
    with pytest.raises(es.OperandError) as raised:
        es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x, persist=True)
    assert str(raised.value) == ("persist=True leaves the result on a cluster's workers: pass client= (or run "
                                 "inside es.on_cluster, or on a persisted operand)")
    with pytest.raises(es.NotSupportedError) as raised:
        es.evaluate("z[j] = A[i,j]*x[i]", A=a, x=x, client=client, persist=True)
    assert str(raised.value) == ("z[j] = A[i,j]*x[i]: persist=True keeps the output's blocks where they are "
                                 "computed, and this call reduces over the index i it is cut along; run it "
                                 "without persist=True")
    with pytest.raises(es.OperandError, match=r"persist=True makes a new output on the workers; leave the output y"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x, y=np.zeros(200, dtype=np.int64), client=client, persist=True)
    b = _ints(500, 500, 0.04, 5)
    with pytest.raises(es.NotSupportedError) as raised:  # planned as T0 = A x, then A T0
        es.evaluate("y[i] = A[i,j]*A[j,k]*x[k]", A=b, x=np.ones(500, dtype=np.int64), client=client, persist=True)
    assert str(raised.value) == ("y[i] = A[i,j]*A[j,k]*x[k]: persist=True on a product planned in steps (their "
                                 "temporaries come back here); pass optimize=False to run it as one kernel")
    with pytest.raises(es.OperandError, match=r"^persist= takes True or False, not 'yes'$"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x, client=client, persist="yes")


def test_persisted_operands_refused_with_reasons(client):
    a = _ints(50, 40, 0.1, 6)
    held = es.persist(a, client=client)
    with pytest.raises(es.OperandError, match=r"^persist needs a cluster: pass client="):
        es.persist(a)
    with pytest.raises(es.OperandError, match=r"^persist: along=2 is not a mode of a tensor of 2 modes$"):
        es.persist(a, client=client, along=2)
    with pytest.raises(es.OperandError, match=r"^persist: the tensor is persisted already$"):
        es.persist(held, client=client)
    with pytest.raises(es.OperandError, match=r"^client=False: an operand is persisted on a cluster; gather"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(40), client=False)
    with pytest.raises(es.OperandError, match=r"the output y is a persisted tensor"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=np.ones(40), y=es.persist(np.zeros(50), client=client))
    with pytest.raises(es.NotSupportedError, match=r"^semiring= on persisted operands: not supported"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(40), semiring="min_plus")
    with pytest.raises(es.NotSupportedError, match=r"^einsum on persisted operands: name every index"):
        es.einsum("...j,j->...", held, np.ones(40))
    held.release()
    with pytest.raises(es.ClusterError, match=r"^operand A was released from its cluster; persist it again$"):
        es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(40))


def test_blocks_lost_with_their_worker_fail_naming_the_operand(client):
    import os
    import signal
    import time

    a = _ints(300, 200, 0.05, 7)
    held = es.persist(a, client=client)
    address = next(iter(client.who_has(held.parts[0]).values()))[0]
    pid = client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)  # its nanny starts a new worker, without the block
    deadline = time.monotonic() + 30
    while held.parts[0].status == "finished" and time.monotonic() < deadline:
        time.sleep(0.1)
    with pytest.raises(es.ClusterError) as raised:
        es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(200, dtype=np.int64))
    assert str(raised.value) == ("y[i] = A[i,j]*x[j]: persisted operand A lost blocks when a worker died "
                                 "(scattered data is not recomputed); persist it again")
    client.wait_for_workers(2, timeout=60)
