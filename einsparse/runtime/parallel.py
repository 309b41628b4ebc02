"""Running a kernel in chunks on several threads.

A kernel whose outermost loop runs over an output index takes that loop's bounds as arguments
(`compiler.split`). The runtime cuts the loop into chunks of about equal work, runs them on a pool
of Python threads (kernels are compiled with `nogil=True`, so they run at once), and then joins what
they wrote: chunks of a dense output write disjoint entries of one array, and each chunk of a sparse
output appends to its own window of one set of arrays, sized from its operands' entries, after which
`output.SparseOutput` closes the gaps between the windows (a chunk that outgrows its window goes on in
arrays of its own, copied in). Every output entry is computed by the same operations in the same order
as on one thread, so results do not depend on the number of threads.

Threads: the `threads=` argument of `compile`/`evaluate`; when not given, `$EINSPARSE_THREADS`, else 1.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from einsparse.errors import OperandError

# Below this much work (stored entries plus outer loop iterations) a call runs on one thread: handing
# chunks to threads costs tens of microseconds.
MIN_PARALLEL_WORK = 100_000
# More chunks than threads, so that a thread finishing early takes another chunk.
CHUNKS_PER_THREAD = 2

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def thread_count(threads) -> int:
    """The number of threads to use: `threads`, else `$EINSPARSE_THREADS`, else 1; 0 means every core."""
    source = "threads"
    if threads is None:
        threads = os.environ.get("EINSPARSE_THREADS", "1")
        source = "EINSPARSE_THREADS"
    try:
        count = int(threads)
    except (TypeError, ValueError):
        count = -1
    if isinstance(threads, (bool, float)) or count < 0:
        raise OperandError(f"{source} must be a whole number of threads (0 for every core), not {threads!r}")
    return count if count > 0 else (os.cpu_count() or 1)


def chunk_bounds(lo: int, hi: int, pieces: int, cumulative_work=None) -> list[tuple[int, int]]:
    """[lo, hi) cut into at most `pieces` non-empty chunks. With `cumulative_work` (the work done before
    each point of [lo, hi], such as a CSR row pointer), chunks hold about equal work; else equal length.
    One binary search for all the cuts, the rest in integers: the cut costs nothing next to the call."""
    if hi - lo <= 1 or pieces <= 1:
        return [(lo, hi)]
    if cumulative_work is None:
        cuts = [lo + ((hi - lo) * 2 * k + pieces) // (2 * pieces) for k in range(pieces + 1)]  # rounded
    else:
        first, last = int(cumulative_work[lo]), int(cumulative_work[hi])
        shares = [first - (first - last) * k // pieces for k in range(1, pieces)]  # k/pieces of it, rounded up
        # Shares in the work's own dtype: else NumPy converts the whole row pointer to compare (100 us).
        work = cumulative_work[lo:hi + 1]
        found = np.searchsorted(work, np.array(shares, dtype=work.dtype), side="left").tolist()
        cuts = [lo, *(lo + f for f in found), hi]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if a < b]


def run_all(tasks, threads: int) -> list:
    """Call every task (a function of no arguments) on up to `threads` threads, the calling thread
    being one of them; each thread takes the next task not yet taken. Results in order."""
    if threads <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    results = [None] * len(tasks)
    taken = itertools.count()  # its __next__ is atomic: no task runs twice

    def work():
        for k in iter(taken.__next__, None):
            if k >= len(tasks):
                return
            results[k] = tasks[k]()

    helpers = [_pool(threads - 1).submit(work) for _ in range(min(threads, len(tasks)) - 1)]
    try:
        work()
    finally:
        for helper in helpers:
            helper.result()  # waits, and raises what a helper raised
    return results


def _pool(threads: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(max_workers=threads,
                                                        thread_name_prefix="einsparse")
        return pool
