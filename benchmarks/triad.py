"""A STREAM-like triad `a = b + s*c`, compiled with Numba, and the bandwidth SpMV achieves against it.

The triad is a Numba loop rather than NumPy's `b + s*c`, which makes a temporary and so streams more
bytes than it counts. Its parallel form (prange) runs with the thread count asked for.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import steady

TRIAD_ELEMENTS = 20_000_000   # 3 arrays of 160 MB: far beyond any cache


def _kernels():
    import numba

    @numba.njit(cache=False)
    def triad(a, b, c, s):
        for i in range(a.size):
            a[i] = b[i] + s * c[i]

    @numba.njit(parallel=True, cache=False)
    def triad_parallel(a, b, c, s):
        for i in numba.prange(a.size):
            a[i] = b[i] + s * c[i]

    return triad, triad_parallel


def measure_triad(threads: int = 1, elements: int = TRIAD_ELEMENTS, repeat: int = 10) -> dict:
    """Bytes moved per run are 3 * 8 * elements (read b and c, write a), as STREAM counts them."""
    import numba

    triad, triad_parallel = _kernels()
    a, b, c = np.zeros(elements), np.random.default_rng(0).random(elements), np.ones(elements)
    if threads > 1:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        run = lambda: triad_parallel(a, b, c, 3.0)  # noqa: E731
    else:
        run = lambda: triad(a, b, c, 3.0)  # noqa: E731
    median, best, runs = steady(run, repeat=repeat, budget_s=0.0)
    assert np.allclose(a[:1000], b[:1000] + 3.0 * c[:1000])
    moved = 3 * 8 * elements
    return {"implementation": "numba loop" + (" (prange)" if threads > 1 else ""), "threads": threads,
            "elements": elements, "bytes": moved, "median_s": median,
            "gbps_median": moved / median / 1e9, "gbps_best": moved / best / 1e9}


def spmv_bytes(case) -> int:
    """What a CSR SpMV must stream at least once: values, column indices, row pointers, x and y."""
    A, x = case.data["A"], case.data["x"]
    return A.data.nbytes + A.indices.nbytes + A.indptr.nbytes + x.nbytes + 8 * A.shape[0]
