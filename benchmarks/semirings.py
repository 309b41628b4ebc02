"""Semiring steps against python-graphblas (SuiteSparse:GraphBLAS), one thread, interleaved rounds
(`python -m benchmarks.semirings`, needs the bench extra):

- a BFS step: the frontier's rows ORed (any_pair), masked by the complement of the visited set;
- a Bellman-Ford relaxation: min(d, d min.+ W) over a weight matrix whose absent entries are +inf, the
  distances a sparse vector of fill +inf on both sides (20% finite);
- triangle counting: the sum of L .* (L @ L), the product masked by L's pattern;
- min-plus SpGEMM W min.+ W.

On the wiki-Vote and astro-ph graphs of ../shared/data and a 100,000-row random matrix with 10 entries a
row. einsparse runs each through `evaluate` (the call users make) on the same scipy/einsparse operands
every round; GraphBLAS on its own matrices, built once outside the timing. Results are checked equal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

from benchmarks.timing import interleaved

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _graphs() -> dict:
    graphs = {}
    for name in ("wiki-Vote", "astro-ph"):
        path = DATA / f"{name}.mtx"
        if path.exists():
            matrix = sp.csr_matrix(scipy.io.mmread(path), dtype=np.float64)
            graphs[name] = ((matrix + matrix.T) > 0).astype(np.float64).tocsr()
    rng = np.random.default_rng(1)
    rows = 100_000
    random = sp.csr_matrix((np.ones(rows * 10), (np.repeat(np.arange(rows), 10), rng.integers(0, rows, rows * 10))),
                           shape=(rows, rows))
    random.sum_duplicates()
    random.data[:] = 1.0
    graphs["random 100k"] = random
    return graphs


def measure(repeat: int = 7) -> dict:
    import graphblas as gb

    import einsparse as es

    gb.ss.config["nthreads"] = 1
    figures = {}
    for name, graph in _graphs().items():
        n = graph.shape[0]
        rng = np.random.default_rng(2)
        weights = graph.copy()
        weights.data = rng.uniform(1, 10, weights.nnz)
        W = es.tensor(weights, "csr", fill=np.inf)
        A = es.tensor(graph, "csr")
        gA = gb.io.from_scipy_sparse(graph)
        gW = gb.io.from_scipy_sparse(weights)
        visited = rng.random(n) < 0.3
        frontier = (rng.random(n) < 0.01) & ~visited
        F = es.tensor(frontier, "c")
        gF = gb.Vector.from_coo(np.flatnonzero(frontier), True, size=n)
        gV = gb.Vector.from_coo(np.flatnonzero(visited), True, size=n)
        distance = np.where(rng.random(n) < 0.2, rng.uniform(0, 50, n), np.inf)
        gd = gb.Vector.from_coo(np.flatnonzero(np.isfinite(distance)), distance[np.isfinite(distance)], size=n)
        low = sp.tril(graph, -1).tocsr()
        L = es.tensor(low, "csr")
        gL = gb.io.from_scipy_sparse(low)

        def ours_bfs():
            return es.evaluate("N[j] = any[k](F[k] and A[k,j] != 0) and not V[j]", F=F, A=A, V=visited)

        def peer_bfs():
            out = gb.Vector(bool, n)
            out(~gV.S, replace=True) << gF.vxm(gA, gb.semiring.any_pair)
            return out

        D = es.tensor(distance, "c", fill=np.inf)  # as GraphBLAS's vector: the finite distances stored

        def ours_relax():
            return es.evaluate("D[j] = min(d[j], min[k](d[k] + W[k,j]))", d=D, W=W)

        def peer_relax():
            out = gd.dup()
            out(gb.binary.min) << gd.vxm(gW, gb.semiring.min_plus)
            return out

        def ours_triangles():
            return es.evaluate("t = L[i,j]*L[i,k]*L[k,j]", L=L)

        def peer_triangles():
            product = gb.Matrix(float, n, n)
            product(gL.S) << gL.mxm(gL, gb.semiring.plus_pair)
            return product.reduce_scalar(gb.monoid.plus).value

        def ours_minplus():
            return es.evaluate("C[i,j] = min[k](W[i,k] + W[k,j])", W=W)

        def peer_minplus():
            return gW.mxm(gW, gb.semiring.min_plus).new()

        _check(ours_bfs(), peer_bfs(), n, ours_relax(), peer_relax(), ours_triangles(), peer_triangles())
        cases = [("bfs step", peer_bfs, ours_bfs), ("bellman-ford step", peer_relax, ours_relax),
                 ("triangle count", peer_triangles, ours_triangles)]
        if graph.nnz < 300_000:
            cases.append(("min-plus spgemm", peer_minplus, ours_minplus))
        for case, peer, ours in cases:
            (peer_s, _, _), (ours_s, _, _) = interleaved([peer, ours], repeat=repeat)
            figures[(name, case)] = (peer_s, ours_s)
    return figures


def _check(bfs, peer_bfs, n, relax, peer_relax, triangles, peer_triangles) -> None:
    expected = np.zeros(n, bool)
    indices, _ = peer_bfs.to_coo()
    expected[indices] = True
    got = bfs.to_numpy() if hasattr(bfs, "to_numpy") else np.asarray(bfs)
    if not np.array_equal(got.astype(bool), expected):
        raise AssertionError("BFS step differs from GraphBLAS")
    indices, values = peer_relax.to_coo()
    expected = np.full(n, np.inf)
    expected[indices] = values
    if not np.array_equal(relax.to_numpy() if hasattr(relax, "to_numpy") else relax, expected):
        raise AssertionError("Bellman-Ford step differs from GraphBLAS")
    if round(triangles) != round(peer_triangles):
        raise AssertionError(f"triangles {triangles} differ from GraphBLAS's {peer_triangles}")


if __name__ == "__main__":
    print(f"{'graph':12s} {'step':18s} {'GraphBLAS ms':>12s} {'einsparse ms':>13s} {'ratio':>6s}")
    for (graph, case), (peer_s, ours_s) in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7).items():
        print(f"{graph:12s} {case:18s} {peer_s * 1e3:12.3f} {ours_s * 1e3:13.3f} {ours_s / peer_s:6.2f}")
