"""Log a kernel's compiles and loads from the disk cache, with their times, under the `einsparse` logger.

Numba compiles a kernel lazily, at its first call with new argument types, so the events are seen by
wrapping the kernel's dispatcher: its disk-cache lookup (`_cache.load_overload`: a hit or a miss) and
its `compile` (the lookup, then on a miss Numba's compile). Records are one line:

    kernel cache miss for C[i,j] = A[i,k]*B[k,j] (A: csr, B: dense, C: dense)      (DEBUG)
    compiled C[i,j] = A[i,k]*B[k,j] (A: csr, B: dense, C: dense) in 1.23 s          (INFO)
    kernel cache hit for C[i,j] = A[i,k]*B[k,j] (A: csr, B: dense, C: dense) in 4 ms  (INFO)

and carry `kernel_event` ("miss", "compiled", "hit"), `kernel` (the label) and `seconds` as attributes,
for a handler that reacts to them (the command line's status line).
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def kernel_label(plan) -> str:
    """How records name a kernel: its statement and formats, `y[i] = A[i,j]*x[j] (A: csr, x: dense, y: dense)`."""
    names = (*plan.inputs, plan.output.tensor)
    formats = ", ".join(f"{name}: {plan.formats[name].name}" for name in dict.fromkeys(names) if name in plan.formats)
    return f"{plan.statement} ({formats})"


def log_compiles(dispatcher, label: str) -> None:
    """Log the cache lookups and compiles of `dispatcher` (a kernel's), naming it `label`; once."""
    if getattr(dispatcher, "_einsparse_label", None) is not None:
        return  # the same module, loaded once, serves every Kernel of the same source
    from numba.core.compiler_lock import global_compiler_lock

    dispatcher._einsparse_label = label
    load, compile_for = dispatcher._cache.load_overload, dispatcher.compile

    def load_and_log(*args, **kwargs):
        start = time.perf_counter()
        found = load(*args, **kwargs)
        if found is None:
            _record(logging.DEBUG, "miss", label, None, "kernel cache miss for %s", label)
        else:
            seconds = time.perf_counter() - start
            _record(logging.INFO, "hit", label, seconds, "kernel cache hit for %s in %s", label, duration(seconds))
        return found

    def compile_and_log(signature):
        # Numba's own lock (reentrant), so that the counts below are this call's even when several
        # threads make a kernel's first call at once.
        with global_compiler_lock:
            misses = sum(dispatcher._cache_misses.values())
            start = time.perf_counter()
            entry = compile_for(signature)
            if sum(dispatcher._cache_misses.values()) > misses:
                seconds = time.perf_counter() - start
                _record(logging.INFO, "compiled", label, seconds, "compiled %s in %s", label, duration(seconds))
        return entry

    dispatcher._cache.load_overload = load_and_log
    dispatcher.compile = compile_and_log  # Numba calls it through the instance (`_compile_for_args`)


def _record(level: int, event: str, label: str, seconds, message: str, *args) -> None:
    if log.isEnabledFor(level):
        log.log(level, message, *args, extra={"kernel_event": event, "kernel": label, "seconds": seconds})


def duration(seconds: float) -> str:
    """`1.23 s` from a second on, else `4 ms`."""
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.0f} ms"
