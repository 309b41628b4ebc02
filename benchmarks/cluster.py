"""Statements on a Dask LocalCluster against one process (`client=`): K1 SpMV, K2 SpMM, K3 SpGEMM and
K7 MTTKRP through `es.evaluate` as users call it, alone and on 1 and 2 worker processes of one thread
each, medians of interleaved rounds; K1 with its matrix already on the workers (dask arrays, es.persist);
five steps x <- A x with x back here after each step or kept on the workers (`persist=True`); the
per-task overhead; and the projection of
`benchmarks.cluster_projection`, calibrated on these runs, against the measured times.

    python -m benchmarks.cluster [scale]     (scale 1: each call about 0.1-0.5 s alone)
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

import einsparse as es
from benchmarks import cluster_projection as projection
from benchmarks.timing import interleaved


def _uniform(n: int, per_row: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    matrix = sp.csr_matrix((rng.uniform(-1, 1, n * per_row),
                            (np.repeat(np.arange(n), per_row), rng.integers(0, n, n * per_row))), shape=(n, n))
    matrix.sum_duplicates()
    return matrix


def cases(scale: float = 1.0) -> list:
    """(name, statement, formats, operands) of K1, K2, K3 and K7."""
    rng = np.random.default_rng(0)
    n1, n2, n3 = int(2_000_000 * scale), int(400_000 * scale), int(150_000 * scale)
    a1, a2, a3, b3 = _uniform(n1, 10, 1), _uniform(n2, 10, 2), _uniform(n3, 10, 3), _uniform(n3, 10, 4)
    dim, entries = int(400 * scale ** (1 / 3)), int(4_000_000 * scale)
    coords = rng.integers(0, dim, (3, entries))
    tensor = es.tensor((coords, rng.uniform(-1, 1, entries)), "csf", shape=(dim,) * 3)
    return [
        ("K1 SpMV", "y[i] = A[i,j]*x[j]", {"A": "csr"}, dict(A=a1, x=rng.uniform(-1, 1, n1))),
        ("K2 SpMM", "C[i,j] = A[i,k]*B[k,j]", {"A": "csr"}, dict(A=a2, B=rng.uniform(-1, 1, (n2, 32)))),
        ("K3 SpGEMM", "C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr", "C": "csr"}, dict(A=a3, B=b3)),
        ("K7 MTTKRP", "M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", {"T": "csf"},
         dict(T=tensor, U=rng.uniform(-1, 1, (dim, 16)), V=rng.uniform(-1, 1, (dim, 16)))),
    ]


def measure(scale: float = 1.0, repeat: int = 5) -> list:
    """(name, seconds alone, on 1 worker, on 2 workers, stats, the driver's own work) for each case."""
    from einsparse.cluster.client import local

    one, two = local(1), local(2)
    rows = []
    for name, statement, formats, operands in cases(scale):
        runners = [lambda c=c: es.evaluate(statement, formats, client=c, **operands) for c in (None, one, two)]
        timed = interleaved(runners, repeat=repeat, budget_s=0.0)
        result = es.evaluate(statement, formats, **operands)
        preparing = projection.preparing_seconds(statement, formats, operands, result)
        rows.append((name, *[median for median, _, _ in timed], projection.statistics(statement, operands, result),
                     preparing))
    return rows


def resident(scale: float = 1.0, repeat: int = 3) -> tuple[float, float, float]:
    """K1 with A already on the 2 workers, against the same call alone: (seconds alone, through
    `es.einsum` on dask arrays persisted there (x too, 4 row blocks of A), through `es.evaluate` on A
    persisted by `es.persist` (x sent at each call))."""
    import dask.array as da

    from einsparse.cluster.client import local

    two = local(2)
    name, statement, formats, operands = cases(scale)[0]
    a, x = operands["A"], operands["x"]
    with warnings.catch_warnings():  # sending A to the workers once, in the graph: what is measured is after
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        blocks = two.persist(da.from_array(a, chunks=(-(-a.shape[0] // 4), a.shape[1]), asarray=False))
        vector = two.persist(da.from_array(x, chunks=len(x)))
    held = es.persist(a, client=two)
    timed = interleaved([lambda: es.evaluate(statement, formats, **operands),
                         lambda: two.compute(es.einsum("ij,j->i", blocks, vector)).result(),
                         lambda: es.evaluate(statement, formats, A=held, x=x)],
                        repeat=repeat, budget_s=0.0)
    held.release()
    return timed[0][0], timed[1][0], timed[2][0]


def iterated(scale: float = 1.0, steps: int = 5, repeat: int = 3) -> tuple[float, float, float]:
    """`steps` SpMV steps x <- A x of K1 (seconds, medians of interleaved rounds): alone; on 2 workers with
    A persisted and x back here after each step; with x kept on the workers too (`persist=True`), gathered
    once at the end. Each result is checked against the one-process run."""
    from einsparse.cluster.client import local

    two = local(2)
    _, statement, formats, operands = cases(scale)[0]
    a, x0 = operands["A"], operands["x"] / 4

    def alone():
        x = x0
        for _ in range(steps):
            x = es.evaluate(statement, formats, A=a, x=x)
        return x

    held = es.persist(a, client=two)

    def back_each_step():
        x = x0
        for _ in range(steps):
            x = es.evaluate(statement, formats, A=held, x=x)
        return x

    def kept():
        x = es.persist(x0, client=two)
        for _ in range(steps):
            x = es.evaluate(statement, formats, A=held, x=x, persist=True)
        return x.gather()

    expected = alone()
    for run in (back_each_step, kept):
        np.testing.assert_allclose(run(), expected, rtol=1e-12, atol=0)
    timed = interleaved([alone, back_each_step, kept], repeat=repeat, budget_s=0.0)
    held.release()
    return timed[0][0], timed[1][0], timed[2][0]


def task_overhead(repeat: int = 20) -> float:
    """Seconds a block adds to a call: a tiny SpMV (one block) on 2 workers against the same call alone."""
    from einsparse.cluster.client import local

    two = local(2)
    a, x = _uniform(1000, 5, 9), np.ones(1000)
    alone, spread = interleaved([lambda: es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x),
                                 lambda: es.evaluate("y[i] = A[i,j]*x[j]", A=a, x=x, client=two)],
                                repeat=repeat, budget_s=0.0)
    return spread[0] - alone[0]


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    start = time.perf_counter()
    overhead = task_overhead()
    rows = measure(scale)
    print(f"per-task overhead: {overhead * 1e3:.2f} ms (a tiny SpMV, one block, on 2 workers, against alone)")
    alone, on_workers, held = resident(scale)
    print(f"K1 SpMV with A on the 2 workers: {on_workers:.3f} s as persisted dask arrays through es.einsum, "
          f"{held:.3f} s persisted by es.persist through es.evaluate; alone {alone:.3f} s")
    steps_alone, steps_back, steps_kept = iterated(scale)
    print(f"5 steps x <- A x of K1: alone {steps_alone:.3f} s; on 2 workers, A persisted, x back here each "
          f"step {steps_back:.3f} s; x kept there too (persist=True) {steps_kept:.3f} s")
    print()
    from einsparse.cluster.client import local

    bandwidth = projection.probe_bandwidth(local(1))
    print(f"driver to worker: {bandwidth / 1e9:.2f} GB/s (a 64 MiB array in a task's arguments)")
    print(f"{'kernel':12s} {'alone s':>8s} {'1 worker s':>10s} {'projected':>9s} {'2 workers s':>11s} "
          f"{'projected':>9s} {'speed-up 2w':>11s}")
    for name, alone, one, two, stats, preparing in rows:
        rates = projection.calibrate(alone, stats, overhead, bandwidth, preparing)
        first, second = (projection.project(stats, n, rates).seconds for n in (1, 2))
        print(f"{name:12s} {alone:8.3f} {one:10.3f} {first:9.3f} {two:11.3f} {second:9.3f} {alone / two:11.2f}")
    print()
    for name, alone, one, two, stats, preparing in rows:
        rates = projection.calibrate(alone, stats, overhead, bandwidth, preparing)
        print(projection.project(stats.scaled_to(10 ** 10), 64, rates).describe(f"{name} at 10^10 entries"))
    name, alone_k1, _, _, stats, preparing = rows[0]
    rates = projection.calibrate(alone_k1, stats, overhead, bandwidth, preparing)
    _, statement, formats, operands = cases(scale)[0]
    result = es.evaluate(statement, formats, **operands)
    for held_names in (("A",), ("A", "x")):
        kept = projection.statistics(statement, operands, result, held=held_names)
        if held_names == ("A",):
            print(f"\nK1 with A persisted on 2 workers: measured {held:.3f} s, projected "
                  f"{projection.project(kept, 2, rates).seconds:.3f} s")
        print(projection.project(kept.scaled_to(10 ** 10), 64, rates).describe(
            f"K1 at 10^10 entries, {' and '.join(held_names)} persisted"))
    print(f"\n(benchmark took {time.perf_counter() - start:.0f} s)")
