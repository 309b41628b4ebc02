"""Command line of the benchmark harness.

    python -m benchmarks [--size small|medium|large] [--threads 1,2] [--sweep] [--kernels K1,K3]

Every system runs in this one process on the same inputs, already converted to its own formats; times
are the first call (compile or set-up) and the median of at least --repeat runs after a warm-up; every
result is checked against scipy.sparse / NumPy. Writes a table to the terminal, a JSON file and a PNG
chart of einsparse / fastest peer per kernel. Exits with status 1 when any result is wrong.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):   # `python benchmarks/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--threads", default="1", help="thread counts to run, e.g. 1,2 (default 1)")
    parser.add_argument("--kernels", help="only these kernels, e.g. K1,K3 (default: all)")
    parser.add_argument("--systems", help="only these systems, e.g. einsparse,scipy (default: all found)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the warm-up (at least)")
    parser.add_argument("--sweep", action="store_true", help="also time K1-K3 over growing sizes")
    parser.add_argument("--no-data", action="store_true", help="skip the matrices of ../shared/data")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile and start-up figures")
    parser.add_argument("--no-triad", action="store_true", help="skip the triad")
    parser.add_argument("--no-overhead", action="store_true", help="skip the per-call overhead figures")
    parser.add_argument("--all-rows", action="store_true", help="print every row, shared data included")
    parser.add_argument("--out", default="bench-results", help="folder for the JSON and PNG files")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr (they are shown "
                                                                   "only when stderr is a terminal)")
    parser.add_argument("--cache-dir", help="einsparse kernel cache (default: a new empty folder, so "
                                            "first calls are cold compiles)")
    args = parser.parse_args(argv)
    args.thread_counts = sorted({int(t) for t in args.threads.split(",")})
    args.kernel_keys = set(args.kernels.upper().split(",")) if args.kernels else None
    return args


def environment(systems, unavailable, threads_supported) -> dict:
    import numba
    import numpy
    import scipy

    import einsparse

    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
                "numba": numba.__version__, "einsparse": einsparse.__version__}
    for package in ("python-graphblas", "suitesparse-graphblas", "sparse", "tensora", "matplotlib"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:   # not installed: listed in `unavailable`
            pass
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": platform.machine(),
            "cpus": os.cpu_count(), "versions": versions, "systems": [s.name for s in systems],
            "unavailable": unavailable, "einsparse_threads_supported": threads_supported}


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["EINSPARSE_CACHE_DIR"] = args.cache_dir or tempfile.mkdtemp(prefix="einsparse-bench-")

    from benchmarks import compile_figures, inputs, kernels, overhead, report, suite, sweep, triad
    from benchmarks.systems import all_systems
    from benchmarks.systems.einsparse_system import supports_threads

    started = time.perf_counter()
    shown = not args.quiet and sys.stderr.isatty()  # a log file or a pipe gets the report only

    def say(*parts) -> None:
        if shown:
            print(f"{time.perf_counter() - started:6.1f}s", *parts, file=sys.stderr, flush=True)
    wanted = {s.strip().lower() for s in args.systems.split(",")} if args.systems else None
    systems, unavailable = [], {}
    for system in all_systems():
        if wanted and system.name.lower() not in wanted and system.name.split()[0].lower() not in wanted:
            continue
        reason = system.unavailable()
        if reason:
            unavailable[system.name] = reason
        else:
            systems.append(system)
    threads_supported = supports_threads()
    env = environment(systems, unavailable, threads_supported)
    notes = [f"{name}: {why}" for name, why in unavailable.items()]
    if max(args.thread_counts) > 1 and not threads_supported:
        notes.append("einsparse: es.compile takes no threads= here, so it runs on 1 thread only")

    size = inputs.SIZES[args.size]
    say(f"generating inputs ({args.size})...")
    cases = kernels.standard_cases(size, args.kernel_keys, shared=not args.no_data)
    shared_inputs = {c.input for c in cases if c.meta.get("shared")}
    if not args.no_data and not inputs.SHARED_DATA.is_dir():
        notes.append(f"no shared data folder at {inputs.SHARED_DATA}: generated inputs only")

    document = {"environment": env, "size": args.size, "size_parameters": vars(size), "notes": notes,
                "threads": args.thread_counts, "triad": {}, "spmv_bandwidth": [], "results": [],
                "summary": {}, "scaling": [], "compile": None, "sweep": None, "overhead": None}
    rows = []
    for threads in args.thread_counts:
        if not args.no_triad:
            say(f"triad, {threads} thread(s)...")
            document["triad"][threads] = triad.measure_triad(threads)
        progress = lambda i, n, case: say(f"[{threads}t {i}/{n}] {case.kernel} / {case.input}")  # noqa: E731
        rows += suite.run_suite(cases, systems, threads, repeat=args.repeat, progress=progress)
    document["results"] = rows
    summaries = {t: report.summarize(rows, t) for t in args.thread_counts}
    document["summary"] = summaries
    document["scaling"] = report.scaling(rows)

    for row in rows:   # achieved SpMV bandwidth against the triad of the same thread count
        if row["key"] == "K1" and row["system"] == "einsparse" and row["median_s"] and not row["shared"]:
            case = next(c for c in cases if c.kernel == row["kernel"] and c.input == row["input"])
            moved = triad.spmv_bytes(case)
            entry = {"input": row["input"], "threads": row["threads"], "bytes": moved,
                     "gbps": moved / row["median_s"] / 1e9}
            if row["threads"] in document["triad"]:
                entry["fraction_of_triad"] = entry["gbps"] / document["triad"][row["threads"]]["gbps_median"]
            document["spmv_bandwidth"].append(entry)

    if not args.no_overhead and (wanted is None or "einsparse" in wanted):
        say("per-call overhead...")
        document["overhead"] = overhead.measure()
    if not args.no_compile and (wanted is None or "einsparse" in wanted):
        say("compile and start-up figures (fresh processes)...")
        document["compile"] = compile_figures.measure()
    if args.sweep:
        say("sweep...")
        document["sweep"] = sweep.run_sweep(size.n * 2, steps=5)

    lines = print_report(document, rows, summaries, shared_inputs, args)
    out = Path(args.out)
    report.write_json(out / f"bench-{args.size}.json", document)
    why_not = report.write_png(out / f"bench-{args.size}.png", summaries, shared_inputs)
    print(f"\nwrote {out / f'bench-{args.size}.json'}"
          + (f" and {out / f'bench-{args.size}.png'}" if not why_not else f" (no PNG: {why_not})"))
    (out / f"bench-{args.size}.txt").write_text("\n".join(lines) + "\n")
    wrong = [r for r in rows if r["check"] == "MISMATCH" or (r["check"] == "error" and not r["is_peer"])]
    if wrong:
        print(f"\n!!! {len(wrong)} WRONG OR FAILED RESULTS:", file=sys.stderr)
        for r in wrong:
            print(f"!!!   {r['system']} {r['kernel']} / {r['input']}: {r['check']} {r['detail']}", file=sys.stderr)
        return 1
    return 0


def print_report(document, rows, summaries, shared_inputs, args) -> list[str]:
    from benchmarks import report, sweep

    env = document["environment"]
    lines = [f"einsparse benchmarks, size {args.size}, threads {args.threads}, {env['cpus']} cpus, "
             + ", ".join(f"{k} {v}" for k, v in env["versions"].items())]
    lines += [f"note: {n}" for n in document["notes"]]
    lines += ["", "== every system (median of >= %d runs after a warm-up; first = compile/set-up + one run)"
              % args.repeat]
    lines += report.detail_lines(rows, generated_only=not args.all_rows)
    for threads, summary in summaries.items():
        lines += ["", f"== einsparse / fastest correct peer, {threads} thread(s) (ratio < 1: einsparse faster)"]
        if not any(entry["einsparse_s"] for entry in summary):
            lines.append(f"einsparse did not run on {threads} threads (see the notes); the peers that did "
                         f"are in the table above")
            continue
        lines += report.summary_lines(summary, shared_inputs)
    if document["scaling"]:
        lines += ["", "== einsparse on N threads against itself on 1 thread, timed in the same rounds"]
        lines += report.scaling_lines(document["scaling"])
    lines += [""] + report.fusion_lines(rows)
    if document["triad"]:
        lines += ["", "== bandwidth"]
        for threads, t in document["triad"].items():
            lines.append(f"triad a = b + s*c ({t['implementation']}, {threads} thread(s)): "
                         f"{t['gbps_median']:.1f} GB/s median, {t['gbps_best']:.1f} GB/s best")
        for b in document["spmv_bandwidth"]:
            fraction = f" = {b['fraction_of_triad']:.2f} x triad" if "fraction_of_triad" in b else ""
            lines.append(f"einsparse SpMV {b['input']:30s} {b['threads']}t: {b['gbps']:.1f} GB/s{fraction}")
    if document["overhead"]:
        from benchmarks.overhead import overhead_lines

        lines += [""] + overhead_lines(document["overhead"])
    c = document["compile"]
    if c:
        lines += ["", "== compile and start-up (fresh processes)"]
        for kernel, figures in c["per_kernel"].items():
            lines.append(f"{kernel:22s} cold compile {figures['cold_compile_s']:.3f} s, "
                         f"warm-cache first call {figures.get('warm_first_call_s', float('nan')) * 1e3:.1f} ms")
        lines.append(f"cold compile: median {c['cold_compile_median_s']:.3f} s, max {c['cold_compile_max_s']:.3f} s")
        lines.append(f"warm cache, first kernel in a process (incl. Numba start-up): "
                     f"{c['warm_first_cached_kernel_s'] * 1e3:.0f} ms; each further kernel: "
                     f"{c['warm_further_kernel_median_s'] * 1e3:.1f} ms (median)")
        loads = ", ".join(k for k, v in c["import_loads"].items() if v) or "neither numba nor scipy"
        lines.append(f"import einsparse: {c['import_einsparse_s'] * 1e3:.0f} ms (loads {loads}); "
                     f"call on tiny operands: {c['tiny_call_s'] * 1e6:.1f} us")
        lines.append(f"einsparse --help: {c['help_s'] * 1e3:.0f} ms wall (python -c pass: "
                     f"{c['python_startup_s'] * 1e3:.0f} ms)")
        if "run_spmv_s" in c:
            lines.append(f"einsparse run SpMV on {c['run_spmv_matrix']}, warm cache: {c['run_spmv_s']:.2f} s wall")
    if document["sweep"]:
        lines += [""] + sweep.sweep_lines(document["sweep"])
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    sys.exit(main())
