"""The graph algorithms of examples/graphs.py against scipy.sparse.csgraph, networkx and NumPy, on
real graphs from ../shared/data (karate, the US power grid, PGP's web of trust, wiki-Vote)."""

import importlib.util
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
_spec = importlib.util.spec_from_file_location("graphs_example", ROOT / "examples" / "graphs.py")
graphs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graphs)


def load(name: str) -> sp.csr_matrix:
    path = DATA / f"{name}.mtx"
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data sits beside the repository)")
    return graphs.symmetric_pattern(scipy.io.mmread(path))


def weighted(graph, seed=0):
    weights = graph.copy()
    weights.data = np.random.default_rng(seed).uniform(1, 10, weights.nnz)
    return ((weights + weights.T) / 2).tocsr()


@pytest.mark.parametrize("name", ["karate", "power", "PGPgiantcompo"])
def test_bfs_levels_match_csgraph(name):
    graph = load(name)
    hops = csgraph.shortest_path(graph, unweighted=True, indices=3)
    expected = np.where(np.isinf(hops), -1, hops).astype(np.int64)
    np.testing.assert_array_equal(graphs.bfs_levels(graph, 3), expected)


@pytest.mark.parametrize("name", ["karate", "power"])
def test_bellman_ford_matches_csgraph(name):
    weights = weighted(load(name))
    np.testing.assert_allclose(graphs.shortest_paths(weights, 0), csgraph.shortest_path(weights, indices=0),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["karate", "power", "PGPgiantcompo"])
def test_triangle_count_matches_networkx(name):
    graph = load(name)
    expected = sum(nx.triangles(nx.from_scipy_sparse_array(graph)).values()) // 3
    assert graphs.triangle_count(graph) == expected


@pytest.mark.parametrize("name", ["karate", "power"])
def test_connected_components_match_csgraph(name):
    graph = load(name)
    graph = graph[:3000, :3000].tocsr()  # a cut of the grid falls into several components
    count, labels = csgraph.connected_components(graph, directed=False)
    ours = graphs.connected_components(graph)
    # The same partition: each of our labels is its component's smallest vertex.
    smallest = np.array([np.flatnonzero(labels == labels[v])[0] for v in range(graph.shape[0])])
    np.testing.assert_array_equal(ours, smallest)
    assert len(np.unique(ours)) == count


def test_pagerank_matches_networkx_on_a_directed_graph_with_dangling_vertices():
    path = DATA / "wiki-Vote.mtx"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    adjacency = sp.csr_matrix(scipy.io.mmread(path), dtype=np.float64)
    adjacency.data[:] = 1.0
    expected = nx.pagerank(nx.from_scipy_sparse_array(adjacency, create_using=nx.DiGraph), alpha=0.85, tol=1e-13)
    ours = graphs.pagerank(adjacency)
    np.testing.assert_allclose(ours, [expected[v] for v in range(adjacency.shape[0])], rtol=1e-6, atol=1e-12)


def test_gnn_max_aggregation_matches_numpy():
    graph = load("karate")
    features = np.random.default_rng(1).standard_normal((graph.shape[0], 5))
    dense = graph.toarray()
    expected = np.maximum(np.max(np.where(dense[:, :, None] != 0, dense[:, :, None] + features[None], -np.inf),
                                 axis=1), 0)
    np.testing.assert_allclose(graphs.gnn_max_layer(graph, features), expected, rtol=1e-12)
