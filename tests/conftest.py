import gc
import os
import tempfile

# Every test session compiles into a fresh kernel cache of its own, so the suite never depends on kernels
# left by an earlier run (and never writes into the user's cache).
os.environ.setdefault("EINSPARSE_CACHE_DIR", tempfile.mkdtemp(prefix="einsparse-test-cache-"))


def pytest_sessionfinish(session, exitstatus):
    """Collect once, then freeze what is left out of later collections. A worker's heap holds millions of
    objects by the end (the session's compiled kernels), a full collection takes seconds, and pytest runs
    several at exit: past 5 s, pytest-xdist's shutdown interrupts its worker with SIGINT, which printed a
    KeyboardInterrupt traceback after the summary. Garbage left by the last tests is still collected here,
    while unraisable exceptions are still reported."""
    gc.collect()
    gc.freeze()
