"""Run every case on every system at one thread count, checking each result against the reference."""

from __future__ import annotations

import gc
import sys
import traceback

from benchmarks import kernels
from benchmarks.checks import compare
from benchmarks.systems import System, Unsupported
from benchmarks.timing import first_call, interleaved


def _row(case, system: System, threads: int, rounds_threads: int) -> dict:
    return {"kernel": case.kernel, "key": case.spec.key, "input": case.input, "system": system.name,
            "is_peer": system.is_peer, "threads": threads, "rounds_threads": rounds_threads, "shared": case.meta.get("shared", False),
            "stored": case.stored, "flops": case.flops,
            "convert_s": None, "first_s": None, "median_s": None, "min_s": None, "runs": 0,
            "check": "", "detail": "", "note": ""}


def _first_call(case, system: System, row: dict, expected):
    """Prepare `system` for `case` and make its first call, checking the result; the runner, or None
    when the system could not run the case (the row says why)."""
    runner = None
    try:
        prepared = system.prepare(case)
        row["convert_s"], row["note"] = prepared.convert_s, prepared.note
        row["first_s"], runner, result = first_call(prepared.make_runner)
        ok, detail = compare(prepared.to_common(result), expected)
        row.update(check="ok" if ok else "MISMATCH", detail=detail)
    except Unsupported as reason:
        row.update(check="unsupported", detail=str(reason))
    except MemoryError:
        row.update(check="error", detail="out of memory")
    except Exception as error:   # a peer's failure is recorded, not fatal; einsparse's is shown in full
        row.update(check="error", detail=f"{type(error).__name__}: {str(error)[:200]}")
        if not system.is_peer:
            traceback.print_exc(file=sys.stderr)
    if row["check"] in ("MISMATCH", "error") and not system.is_peer:
        print(f"!!! {system.name} {row['check']} on {case.kernel} / {case.input}: {row['detail']}",
              file=sys.stderr)
    return runner if row["check"] in ("ok", "MISMATCH") else None


def run_case(case, systems: list, expected, repeat: int, budget_s: float, threads: int = 1) -> list[dict]:
    """Rows for one case in the rounds at `threads` threads: each (system, threads used) makes its first
    call, then all are timed together in rounds (see `timing.interleaved`), so their ratios are side by
    side."""
    rows, runners, timed = [], [], []
    for system, used in systems:
        row = _row(case, system, used, threads)
        runner = _first_call(case, system, row, expected)
        rows.append(row)
        if runner is not None:
            runners.append(runner)
            timed.append(row)
    try:
        for row, (median, minimum, runs) in zip(timed, interleaved(runners, repeat, budget_s)):
            row.update(median_s=median, min_s=minimum, runs=runs)
    except Exception as error:
        for row in timed:
            row.update(check="error", detail=f"while timing: {type(error).__name__}: {str(error)[:200]}")
    return rows


def run_suite(cases, systems: list[System], threads: int, repeat: int = 5, budget_s: float = 0.1,
              progress=None) -> list[dict]:
    """Rows for every (case, system) at `threads`. A system that cannot use that many threads is skipped
    for threads > 1 (its 1-thread rows stand for it; see `System.runs_at`).

    Fast calls repeat until `budget_s` is spent (a fifth of it on the many small shared matrices), so
    microsecond medians are stable without the suite taking long."""
    active = []
    for system in systems:
        used = system.set_threads(threads)
        if system.runs_at(threads, used):
            active.append((system, used))
    rows = []
    for number, case in enumerate(cases, 1):
        expected = kernels.reference(case)
        budget = budget_s / 5 if case.meta.get("shared") else budget_s
        rows += run_case(case, [(s, used) for s, used in active if s.applies(case)], expected, repeat, budget,
                         threads)
        if case.stored > 1_000_000:   # free large results before the next case; a full collection
            gc.collect()              # costs ~0.2 s with Numba and the peers loaded, too much per small case
        if progress:
            progress(number, len(cases), case)
    return rows
