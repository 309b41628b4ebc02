"""Graph algorithms as a few einsparse statements in a Python loop (GraphBLAS style).

    python examples/graphs.py [graph.mtx]

Each function takes a scipy.sparse adjacency matrix. The statements use reductions other than the sum
(`min[k]`, `any[k]`), fill values (a weight matrix whose absent entries are +inf) and masks; the
compiler decides from the fills which entries each loop may skip. Run as a script, it reads a Matrix
Market graph (default: karate from ../shared/data, else examples/data/662_bus.mtx), runs every
algorithm and checks each against scipy.sparse.csgraph or plain NumPy.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

import einsparse as es


def symmetric_pattern(matrix) -> sp.csr_matrix:
    """The undirected graph of a matrix: an edge i-j where either (i, j) or (j, i) is stored; no loops."""
    pattern = sp.csr_matrix(matrix, dtype=np.float64)
    pattern.data[:] = 1.0
    pattern = ((pattern + pattern.T) > 0).astype(np.float64).tocsr()
    pattern.setdiag(0)
    pattern.eliminate_zeros()
    return pattern


def bfs_levels(adjacency, source: int) -> np.ndarray:
    """Breadth-first levels from `source` (-1 where unreached): each step ORs the frontier's rows
    (or_and), masked by the complement of what is visited. The frontier is a sparse vector, so a step
    walks the frontier's rows only."""
    n = adjacency.shape[0]
    graph = es.tensor(adjacency, "csr")
    levels = np.full(n, -1, np.int64)
    visited = np.zeros(n, bool)
    frontier = np.zeros(n, bool)
    frontier[source] = visited[source] = True
    levels[source] = 0
    depth = 0
    while frontier.any():
        depth += 1
        step = es.evaluate("N[j] = any[k](F[k] and A[k,j] != 0) and not V[j]",
                           F=es.tensor(frontier, "c"), A=graph, V=visited)
        frontier = np.asarray(step.to_numpy() if isinstance(step, es.Tensor) else step, dtype=bool)
        visited |= frontier
        levels[frontier] = depth
    return levels


def shortest_paths(weights, source: int) -> np.ndarray:
    """Single-source shortest path lengths by Bellman-Ford: relax with a min-plus product of the
    distances (a sparse vector of fill +inf) and the weights (absent weights are +inf), until nothing
    changes."""
    n = weights.shape[0]
    graph = es.tensor(weights, "csr", fill=np.inf)
    start = np.full(n, np.inf)
    start[source] = 0.0
    distance = es.tensor(start, "c", fill=np.inf)  # only reached vertices stored: a step walks their rows
    for _ in range(n):
        relaxed = es.evaluate("D[j] = min(d[j], min[k](d[k] + W[k,j]))", d=distance, W=graph)
        if relaxed.nnz == distance.nnz and np.array_equal(relaxed.vals, distance.vals):
            break
        distance = relaxed
    return distance.to_numpy()


def pagerank(adjacency, damping: float = 0.85, tolerance: float = 1e-12) -> np.ndarray:
    """PageRank by power iteration; a vertex without out-edges spreads its rank over every vertex."""
    n = adjacency.shape[0]
    graph = es.tensor(adjacency, "csr")
    out_degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out_degree, out=np.zeros(n), where=out_degree > 0)
    dangling = (out_degree == 0).astype(np.float64)
    rank = np.full(n, 1.0 / n)
    for _ in range(1000):
        lost = es.evaluate("s = r[k]*g[k]", r=rank, g=dangling)
        new = es.evaluate("R[j] = c + d*A[k,j]*r[k]*w[k]", c=(1 - damping + damping * lost) / n, d=damping,
                          A=graph, r=rank, w=inverse)
        if np.abs(new - rank).sum() < tolerance:
            return new
        rank = new
    return rank


def triangle_count(adjacency) -> int:
    """Triangles of an undirected graph: the sum of L .* (L @ L) over the strictly lower triangle L,
    a product masked by L's pattern (only entries L stores are computed)."""
    low = sp.tril(symmetric_pattern(adjacency), -1).tocsr()
    L = es.tensor(low, "csr")
    return int(round(es.evaluate("t = L[i,j]*L[i,k]*L[k,j]", L=L)))


def connected_components(adjacency) -> np.ndarray:
    """Component labels by min label propagation: each vertex takes the smallest label among itself
    and its neighbours (the min over a row of where(edge, label, inf)) until nothing changes. A label
    is the smallest vertex number in its component."""
    n = adjacency.shape[0]
    graph = es.tensor(symmetric_pattern(adjacency), "csr")
    labels = np.arange(n, dtype=np.float64)
    while True:
        new = es.evaluate("N[i] = min(l[i], min[j](where(A[i,j] != 0, l[j], inf)))", l=labels, A=graph)
        if np.array_equal(new, labels):
            return labels.astype(np.int64)
        labels = new


def gnn_max_layer(adjacency, features: np.ndarray) -> np.ndarray:
    """One graph network layer with max aggregation: H[i,f] = relu(max over neighbours j of
    (A[i,j] + X[j,f])), A holding an edge bias where it stores an edge and -inf elsewhere, so the
    max walks each row's edges only (a vertex without edges gets relu(-inf) = 0)."""
    edges = es.tensor(adjacency, "csr", fill=-np.inf)
    return es.evaluate("H[i,f] = relu(max[j](A[i,j] + X[j,f]))", A=edges, X=features)


def _load(path: Path) -> sp.csr_matrix:
    return sp.csr_matrix(scipy.io.mmread(path))


def main(argv: list[str]) -> None:
    from scipy.sparse import csgraph

    here = Path(__file__).resolve().parent
    default = here.parent.parent / "shared" / "data" / "karate.mtx"
    path = Path(argv[1]) if len(argv) > 1 else (default if default.exists() else here / "data" / "662_bus.mtx")
    graph = symmetric_pattern(_load(path))
    n = graph.shape[0]
    print(f"{path.name}: {n} vertices, {graph.nnz // 2} edges")
    rng = np.random.default_rng(0)
    weights = graph.copy()
    weights.data = rng.uniform(1, 10, weights.nnz)
    weights = ((weights + weights.T) / 2).tocsr()

    def timed(label, run, check):
        start = time.perf_counter()
        value = run()
        print(f"  {label:<22} {1e3 * (time.perf_counter() - start):8.1f} ms   matches: {check(value)}")

    hops = csgraph.shortest_path(graph, unweighted=True, indices=0)
    timed("bfs levels", lambda: bfs_levels(graph, 0),
          lambda v: np.array_equal(v, np.where(np.isinf(hops), -1, hops).astype(np.int64)))
    timed("shortest paths", lambda: shortest_paths(weights, 0),
          lambda v: np.allclose(v, csgraph.shortest_path(weights, indices=0)))
    timed("triangles", lambda: triangle_count(graph),
          lambda v: v == int(round(np.trace((graph @ graph @ graph).toarray()) / 6)) if n < 5000 else "(not checked)")
    count, labels = csgraph.connected_components(graph, directed=False)
    timed("connected components", lambda: connected_components(graph),
          lambda v: len(np.unique(v)) == count and len(np.unique(np.stack([v, labels]), axis=1)[0]) == count)
    timed("pagerank", lambda: pagerank(graph), lambda v: abs(v.sum() - 1) < 1e-9)
    features = rng.standard_normal((n, 8))
    timed("gnn max layer", lambda: gnn_max_layer(graph, features), lambda v: v.shape == (n, 8) and (v >= 0).all())


if __name__ == "__main__":
    main(sys.argv)
