"""How many blocks a call on a cluster is cut into: two per worker thread, none under a minimum of
stored entries (a smaller block costs more in Dask's round trips than it saves)."""

from __future__ import annotations

import time
import weakref

BLOCKS_PER_THREAD = 2  # blocks per worker thread: a slow block is then not the whole run's tail
SMALLEST_BLOCK = 100_000  # stored entries below which a block costs more in Dask's round trips than it saves
THREADS_KEPT_FOR = 10.0  # seconds a cluster's thread count is trusted before it is asked again
_threads: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def thread_count(client) -> int:
    """The cluster's worker threads, asked of its scheduler at most every `THREADS_KEPT_FOR` seconds."""
    known = _threads.get(client)
    if known is None or time.monotonic() - known[1] > THREADS_KEPT_FOR:
        workers = client.scheduler_info().get("workers", {})
        known = _threads[client] = (max(1, sum(w.get("nthreads", 1) for w in workers.values())), time.monotonic())
    return known[0]


def block_count(entries: int, wanted: int) -> int:
    """At most `wanted` blocks, fewer when a block would hold under `SMALLEST_BLOCK` stored entries."""
    return max(1, min(wanted, entries // SMALLEST_BLOCK))
