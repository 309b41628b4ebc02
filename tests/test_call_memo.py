"""The memo of `evaluate` and `einsum` calls: a repeated call neither parses nor plans; it is keyed on
what changes the kernel and nothing else; bounded; safe when threads call at once."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

import einsparse as es
from einsparse import api
from einsparse.memo import CallMemo

RNG = np.random.default_rng(5)


def csr(n, m, density=0.3, seed=0):
    return sp.random(n, m, density=density, format="csr", random_state=seed)


@pytest.fixture
def plans(monkeypatch):
    """Count the statements planned (parse and plan happen together, on the full path only)."""
    planned = []
    kernel_for = api._kernel_for
    monkeypatch.setattr(api, "_kernel_for", lambda *args: planned.append(args[0]) or kernel_for(*args))
    api._calls.clear()
    return planned


def test_a_repeated_call_does_no_planning_and_new_extents_reuse_the_kernel(plans):
    statement = "y[i] = A[i,j]*x[j]"
    for n, m in [(5, 4), (5, 4), (9, 3), (1, 1)]:
        A, x = csr(n, m, seed=n), RNG.random(m)
        np.testing.assert_allclose(es.evaluate(statement, A=A, x=x), A @ x)
    assert plans == [statement]
    A = csr(6, 6, seed=1)
    for _ in range(3):
        np.testing.assert_allclose(es.einsum("ij,jk->ik", A, A.toarray()), A @ A.toarray())
    assert plans == [statement, "out[i,k] = A[i,j]*B[j,k]"]


def test_the_key_is_what_changes_the_kernel(plans):
    statement = "C[i,j] = A[i,j] + B[i,j]"
    A, B = csr(4, 5, seed=1), csr(4, 5, seed=2)
    results = [es.evaluate(statement, A=A, B=B),                  # csr + csr: a csr result
               es.evaluate(statement, A=A.toarray(), B=B),        # an array operand: a new kernel
               es.evaluate(statement, A=A, B=B, formats={"C": "dense"}),
               es.evaluate(statement, A=A.astype(np.float32), B=B),  # a new dtype: the same kernel
               es.evaluate(statement, A=es.tensor(A, format="dm"), B=B)]
    assert len(plans) == 4
    for result in results:
        dense = result.to_numpy() if isinstance(result, es.Tensor) else result
        np.testing.assert_allclose(dense, (A + B).toarray(), rtol=1e-6)
    assert isinstance(results[0], es.Tensor) and isinstance(results[2], np.ndarray)
    assert str(results[4].format) == "dm"


def test_mistakes_are_reported_the_same_after_a_memo_hit():
    statement = "y[i] = A[i,j]*x[j]"
    A = csr(4, 5)
    es.evaluate(statement, A=A, x=np.ones(5))
    with pytest.raises(es.ShapeError) as first:
        es.evaluate(statement, A=A, x=np.ones(6))
    api._calls.clear()
    with pytest.raises(es.ShapeError) as fresh:
        es.evaluate(statement, A=A, x=np.ones(6))
    assert str(first.value) == str(fresh.value)
    with pytest.raises(es.OperandError, match="unexpected operand z"):
        es.evaluate(statement, A=A, x=np.ones(5), z=1)


def test_the_memo_is_bounded_least_recently_used_first_out():
    memo = CallMemo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1      # a is now the most recent
    memo.put("c", 3)               # so b goes
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    assert len(memo) == 2
    assert len(api._calls) <= api._calls.size


def test_eight_threads_with_different_statements_at_once():
    A, B = csr(30, 30, seed=3), csr(30, 30, seed=4)
    x = RNG.random(30)
    Ad, Bd = A.toarray(), B.toarray()
    jobs = [
        (lambda: es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=x), Ad @ x),
        (lambda: es.evaluate("C[i,j] = A[i,j] + B[i,j]", A=A, B=B).to_numpy(), Ad + Bd),
        (lambda: es.evaluate("C[i,j] = A[i,j] * B[i,j]", A=A, B=B).to_numpy(), Ad * Bd),
        (lambda: es.einsum("ij,jk->ik", A, Bd), Ad @ Bd),
        (lambda: es.einsum("ij->j", A), Ad.sum(axis=0)),
        (lambda: es.einsum("ij,ij->", A, B), np.sum(Ad * Bd)),
        (lambda: es.evaluate("y[j] = A[i,j]*x[i]", A=A, x=x), Ad.T @ x),
        (lambda: es.evaluate("s = A[i,j]*A[i,j]", A=A), np.sum(Ad * Ad)),
    ]
    with ThreadPoolExecutor(8) as pool:
        futures = [(pool.submit(job), expected) for _ in range(6) for job, expected in jobs]
        for future, expected in futures:
            np.testing.assert_allclose(future.result(), expected, rtol=1e-12)
