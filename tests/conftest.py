import os
import tempfile

# Every test session compiles into a fresh kernel cache of its own, so the suite never depends on kernels
# left by an earlier run (and never writes into the user's cache).
os.environ.setdefault("EINSPARSE_CACHE_DIR", tempfile.mkdtemp(prefix="einsparse-test-cache-"))
