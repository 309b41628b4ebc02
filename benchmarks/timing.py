"""Timing: a first call (compile or setup), then medians of calls after a warm-up: `interleaved` for
systems compared with each other, `steady` for one function alone (the triad, the compile figures)."""

from __future__ import annotations

import gc
import statistics
import time


def steady(fn, repeat: int = 5, budget_s: float = 0.5, max_runs: int = 200) -> tuple[float, float, int]:
    """Median and minimum of at least `repeat` timed calls after one warm-up call.

    Fast calls are repeated until `budget_s` is spent (at most `max_runs`), so microsecond kernels get a
    stable median; the garbage collector is held off while timing so it does not land in one run.
    """
    return interleaved([fn], repeat, budget_s, max_runs)[0]


def first_call(make_runner) -> tuple[float, object, object]:
    """Time `make_runner()` plus the runner's first call together (a compile, or a library's setup).
    Returns that time, the runner and the first call's result."""
    start = time.perf_counter()
    runner = make_runner()
    result = runner()
    return time.perf_counter() - start, runner, result


def interleaved(runners: list, repeat: int = 5, budget_s: float = 0.5, max_runs: int = 200) -> list[tuple]:
    """(median, minimum, runs) of each runner, timed in rounds that call every runner once in turn.

    On a shared machine speed drifts over seconds; timing the systems one after the other would put the
    drift into their ratio, while rounds give each system the same share of good and bad moments. Rounds
    go on until every runner has `repeat` runs and, for fast calls, until `budget_s` per runner is spent.
    """
    if not runners:
        return []
    for run in runners:
        run()  # warm-up
    times: list[list[float]] = [[] for _ in runners]
    enabled = gc.isenabled()
    gc.disable()
    try:
        spent = 0.0
        while len(times[0]) < repeat or (spent < budget_s * len(runners) and len(times[0]) < max_runs):
            for run, runs in zip(runners, times):
                start = time.perf_counter()
                run()
                elapsed = time.perf_counter() - start
                runs.append(elapsed)
                spent += elapsed
    finally:
        if enabled:
            gc.enable()
    return [(statistics.median(runs), min(runs), len(runs)) for runs in times]
