"""Long products planned against the best pairwise order (`python -m benchmarks.chains`, needs the bench
extra for opt_einsum): chains of 3 to 6 factors with sparse and dense ones, one thread, interleaved
rounds.

For each case: einsparse's `einsum` as users call it (planned, the default), the same with
`optimize=False` (one fused nest), every pairwise order of the factors run with scipy/NumPy (the best
one's time), and opt_einsum's path (found from the shapes) run pairwise with scipy/NumPy. Results are
checked equal to the first peer's.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import scipy.sparse as sp

from benchmarks.timing import interleaved

LARGEST = 2 * 10 ** 7  # dense intermediate entries past which a pairwise order is not tried


def _sparse(rows, cols, per_row, seed):
    rng = np.random.default_rng(seed)
    matrix = sp.csr_matrix((rng.uniform(-1, 1, rows * per_row),
                            (np.repeat(np.arange(rows), per_row), rng.integers(0, cols, rows * per_row))),
                           shape=(rows, cols))
    matrix.sum_duplicates()
    return matrix


def _cases():
    rng = np.random.default_rng(0)
    n, m = 100_000, 20_000
    A, B = _sparse(n, n, 10, 1), _sparse(m, m, 10, 2)
    x, d = rng.uniform(-1, 1, n), rng.uniform(0.5, 1.5, n)
    return [
        ("A A x (SpMV chain)", "ij,jk,k->i", [A, A, x]),
        ("A^T D A x", "ij,i,ik,k->j", [A, d, A, x]),
        ("A A A x", "ij,jk,kl,l->i", [A, A, A, x]),
        ("A B C, C 20000x64", "ij,jk,kl->il", [B, rng.uniform(-1, 1, (m, 64)), rng.uniform(-1, 1, (64, 64))]),
        ("sparse-sparse-dense", "ij,jk,kl->il", [B, _sparse(m, m, 10, 3), rng.uniform(-1, 1, (m, 8))]),
        ("x^T A^T A y (scalar)", "i,ji,jk,k->", [rng.uniform(-1, 1, m), B, B, rng.uniform(-1, 1, m)]),
        ("5 dense (network)", "ab,bc,cd,de,ef->af", [rng.uniform(-1, 1, s) for s in
                                                      ((400, 30), (30, 400), (400, 20), (20, 400), (400, 400))]),
        ("6 factors, 3 sparse", "ij,jk,kl,lm,mn,n->i", [B, rng.uniform(-1, 1, (m, 16)), rng.uniform(-1, 1, (16, m)),
                                                        _sparse(m, m, 5, 4), rng.uniform(-1, 1, (m, 8)),
                                                        rng.uniform(-1, 1, 8)]),
    ]


def _pair(x, xs: str, y, ys: str, keep: set):
    """x times y summed over the indices they share that are not kept, for operands of rank 0 to 2, with
    scipy's and NumPy's products: (result, its indices)."""
    summed = [i for i in xs if i in ys and i not in keep]
    if not summed and len(ys) == 1 and ys in xs and len(xs) > 1:  # a diagonal scaling
        return _scaled(x, xs, y, ys), xs
    if not summed and len(xs) == 1 and xs in ys and len(ys) > 1:
        return _scaled(y, ys, x, xs), ys
    if len(summed) > 1 or any(i in ys and i in keep for i in xs):
        raise ValueError(f"not a matrix product: {xs},{ys}")
    if not summed:  # an outer product of vectors or a scaling
        if len(xs) + len(ys) > 2:
            raise ValueError(f"not a matrix product: {xs},{ys}")
        if not xs or not ys:
            return x * y, xs + ys
        return np.multiply.outer(np.asarray(x), np.asarray(y)), xs + ys
    (k,) = summed
    size = np.prod([n for part, indices in ((x, xs), (y, ys)) for n, i in zip(np.shape(part), indices) if i != k])
    if sp.issparse(x) and sp.issparse(y):  # a sparse product's terms: its size's bound
        size = x.nnz * y.nnz / max(1, np.shape(y)[0 if ys[0] == k else 1])
    if size > LARGEST:
        raise ValueError(f"a product of about {size:.3g} entries")  # an order no one would take
    left = x if xs[-1] == k else x.T
    right = y if ys[0] == k else y.T
    return left @ right, xs.replace(k, "") + ys.replace(k, "")


def _scaled(matrix, indices: str, vector, index: str):
    """`matrix` with each row (or column) scaled by `vector`'s entry."""
    along = np.asarray(vector)[:, None] if indices.index(index) == 0 else np.asarray(vector)[None, :]
    return matrix.multiply(along).tocsr() if sp.issparse(matrix) else matrix * along


def _run_path(subscripts: str, operands: list, path) -> object:
    """Operands multiplied in pairs along a contraction path (NumPy's form), the result in the output's
    index order."""
    terms, out = subscripts.split("->")
    parts = list(zip(operands, terms.split(",")))
    for step in path:
        a, b = sorted(step)
        (x, xs), (y, ys) = parts[a], parts[b]
        parts = [p for k, p in enumerate(parts) if k not in (a, b)]
        keep = set(out) | {i for _, s in parts for i in s}
        parts.append(_pair(x, xs, y, ys, keep))
    (result, indices), = parts
    result = result.toarray() if sp.issparse(result) else np.asarray(result)
    return result if indices == out else result.T


def _paths(count: int):
    """Every pairwise contraction path of `count` operands (any pair at each step)."""
    if count == 1:
        yield []
        return
    for pair in itertools.combinations(range(count), 2):
        for rest in _paths(count - 1):
            yield [pair] + rest


def _best_pairwise(subscripts, operands):
    """The fastest of every pairwise order that scipy/NumPy can run, timed once each, then its runner."""
    import time
    best = None
    for path in _paths(len(operands)):
        try:
            start = time.perf_counter()
            _run_path(subscripts, operands, path)
            elapsed = time.perf_counter() - start
        except (ValueError, MemoryError):
            continue
        if best is None or elapsed < best[0]:
            best = (elapsed, path)
    return best[1]


def measure(repeat: int = 7) -> list:
    import opt_einsum

    import einsparse as es

    rows = []
    for name, subscripts, operands in _cases():
        best = _best_pairwise(subscripts, operands)
        shapes = [np.shape(o) for o in operands]
        opt_path, _ = opt_einsum.contract_path(subscripts, *shapes, shapes=True)
        runners = [lambda: _run_path(subscripts, operands, best),
                   lambda: es.einsum(subscripts, *operands)]
        print(f"  {name}", file=sys.stderr, flush=True)
        try:
            _run_path(subscripts, operands, opt_path)
            runners.append(lambda: _run_path(subscripts, operands, opt_path))
        except ValueError:  # a path step scipy cannot take as a matrix product
            opt_path = None
        expected = runners[0]()
        got = es.einsum(subscripts, *operands)
        got = got.to_numpy() if hasattr(got, "to_numpy") else np.asarray(got)
        if not np.allclose(got, expected, rtol=1e-8, atol=1e-8 * max(1.0, float(np.abs(expected).max()))):
            raise AssertionError(f"{name}: einsparse differs from scipy/NumPy")
        fused = None
        if len(operands) <= 4:  # the fused nest of the longer ones runs for minutes (what planning avoids)
            runners.append(lambda: es.einsum(subscripts, *operands, optimize=False))
            fused = len(runners) - 1
        times = interleaved(runners, repeat=repeat, budget_s=0.3, max_runs=40)
        rows.append((name, times[0][0], times[1][0], times[2][0] if opt_path is not None else None,
                     times[fused][0] if fused is not None else None))
    return rows


def fused_kept(repeat: int = 7) -> list:
    """K6 (SDDMM) and K7 (MTTKRP) of the suite through `evaluate`, planned (the default: the planner
    keeps them one kernel, so only its per-call look-up is added) against `optimize=False`."""
    import einsparse as es

    rng = np.random.default_rng(5)
    n, rank = 100_000, 16
    A = _sparse(n, n, 10, 6)
    U, V = rng.uniform(-1, 1, (n, rank)), rng.uniform(-1, 1, (n, rank))
    m, stored = 200, 400_000
    coords = rng.integers(0, m, (3, stored))
    T = es.tensor((coords, rng.uniform(-1, 1, stored)), "csf", shape=(m, m, m))
    P, Q = rng.uniform(-1, 1, (m, rank)), rng.uniform(-1, 1, (m, rank))
    cases = [("K6 SDDMM", "C[i,j] = A[i,j]*U[i,k]*V[j,k]", dict(A=A, U=U, V=V), {"C": "csr"}),
             ("K7 MTTKRP", "M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", dict(T=T, U=P, V=Q), {})]
    rows = []
    for name, statement, operands, formats in cases:
        planned = lambda: es.evaluate(statement, formats, **operands)
        fused = lambda: es.evaluate(statement, formats, optimize=False, **operands)
        (p, _, _), (f, _, _) = interleaved([planned, fused], repeat=repeat)
        rows.append((name, p, f))
    return rows


def planning_times() -> list:
    """Milliseconds to plan a chain of k matrices times a vector (k + 1 factors), best of 20."""
    import time

    from einsparse.compiler.normalize import normalize
    from einsparse.compiler.parse import parse
    from einsparse.compiler.planner import Stats, plan_product

    rows = []
    for count in range(3, 9):
        letters = "abcdefghij"[:count]
        factors = [f"M{k}[{letters[k]},{letters[k + 1]}]" for k in range(count - 1)]
        statement = normalize(parse(f"y[a] = {'*'.join(factors)}*x[{letters[count - 1]}]"))
        stats = {f"M{k}": Stats((50_000, 50_000), 500_000, False) for k in range(count - 1)}
        stats["x"] = Stats((50_000,), 50_000, True)
        best = float("inf")
        for _ in range(20):
            start = time.perf_counter()
            plan_product(statement, stats, set(stats))
            best = min(best, time.perf_counter() - start)
        rows.append((count, best))
    return rows


if __name__ == "__main__":
    print(f"{'case':24s} {'best pair ms':>12s} {'einsparse ms':>12s} {'ratio':>6s} {'opt_einsum ms':>13s} "
          f"{'ratio':>6s} {'fused ms':>9s}")
    for name, best_s, ours_s, opt_s, fused_s in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        opt = f"{opt_s * 1e3:13.2f} {ours_s / opt_s:6.2f}" if opt_s else f"{'-':>13s} {'-':>6s}"
        fused = f"{fused_s * 1e3:9.2f}" if fused_s else f"{'-':>9s}"
        print(f"{name:24s} {best_s * 1e3:12.2f} {ours_s * 1e3:12.2f} {ours_s / best_s:6.2f} {opt} {fused}")
    print()
    print(f"{'fused kernel':24s} {'planned ms':>12s} {'optimize=False ms':>18s} {'ratio':>6s}")
    for name, planned_s, fused_s in fused_kept(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(f"{name:24s} {planned_s * 1e3:12.3f} {fused_s * 1e3:18.3f} {planned_s / fused_s:6.2f}")
    print()
    for count, seconds in planning_times():
        print(f"planning {count} factors: {seconds * 1e3:.3f} ms")
