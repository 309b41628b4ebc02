"""Timing: the first call, then the median of at least `repeat` calls after a warm-up."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass


@dataclass
class Timing:
    first_s: float       # the first call: compile or load, plus one run
    median_s: float      # steady state
    min_s: float
    runs: int


def time_call(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def steady(fn, repeat: int = 5, budget_s: float = 0.5, max_runs: int = 200) -> tuple[float, float, int]:
    """Median and minimum of at least `repeat` timed calls after one warm-up call.

    Fast calls are repeated until `budget_s` is spent (at most `max_runs`), so microsecond kernels get a
    stable median; the garbage collector is held off while timing so it does not land in one run.
    """
    fn()  # warm-up
    times = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        spent = 0.0
        while len(times) < repeat or (spent < budget_s and len(times) < max_runs):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            times.append(elapsed)
            spent += elapsed
    finally:
        if enabled:
            gc.enable()
    return statistics.median(times), min(times), len(times)


def measure(make_runner, repeat: int = 5, budget_s: float = 0.5) -> tuple[Timing, object]:
    """Time `make_runner()` plus the runner's first call together (a compile, or a library's setup), then
    its steady state. Returns the timing and the first call's result."""
    start = time.perf_counter()
    runner = make_runner()
    result = runner()
    first = time.perf_counter() - start
    median, minimum, runs = steady(runner, repeat, budget_s)
    return Timing(first, median, minimum, runs), result
