"""Terminal tables, the JSON file and the PNG chart of einsparse / best peer per kernel."""

from __future__ import annotations

import json
import math
from pathlib import Path


def _ms(seconds) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _s(seconds) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def summarize(rows: list[dict], threads: int) -> list[dict]:
    """Per case: einsparse at `threads` against the fastest correct peer at up to `threads` threads."""
    cases: dict[tuple, dict] = {}
    for row in rows:
        entry = cases.setdefault((row["kernel"], row["input"]), {"kernel": row["kernel"], "key": row["key"],
                                                                 "input": row["input"], "threads": threads,
                                                                 "einsparse_s": None, "best_peer": None,
                                                                 "best_peer_s": None, "scipy_s": None,
                                                                 "check": "ok"})
        if row["check"] == "MISMATCH" or (row["check"] == "error" and not row["is_peer"]):
            entry["check"] = f"{row['system']}: {row['check']}"
        if row["median_s"] is None or row["check"] != "ok":
            continue
        if row["system"] == "einsparse" and row["threads"] == threads:
            entry["einsparse_s"] = row["median_s"]
        elif row["is_peer"] and row["threads"] <= threads:
            if row["system"] == "scipy":
                entry["scipy_s"] = row["median_s"]
            if entry["best_peer_s"] is None or row["median_s"] < entry["best_peer_s"]:
                entry["best_peer_s"], entry["best_peer"] = row["median_s"], f"{row['system']} ({row['threads']}t)"
    out = []
    for entry in cases.values():
        if entry["einsparse_s"] and entry["best_peer_s"]:
            entry["ratio_to_best_peer"] = entry["einsparse_s"] / entry["best_peer_s"]
        else:
            entry["ratio_to_best_peer"] = None
        out.append(entry)
    return out


def detail_lines(rows: list[dict], generated_only: bool = True) -> list[str]:
    header = (f"{'kernel':22s} {'input':30s} {'system':24s} {'thr':>3s} {'convert s':>9s} {'first s':>8s} "
              f"{'median ms':>10s} {'vs scipy':>8s}  check")
    lines = [header, "-" * len(header)]
    scipy_time = {(r["kernel"], r["input"]): r["median_s"] for r in rows
                  if r["system"] == "scipy" and r["median_s"]}
    for row in rows:
        if generated_only and row.get("shared"):
            continue
        base = scipy_time.get((row["kernel"], row["input"]))
        versus = f"{row['median_s'] / base:.2f}" if base and row["median_s"] else "-"
        check = row["check"] if row["check"] != "unsupported" else f"n/a: {row['detail'][:40]}"
        if row["check"] in ("MISMATCH", "error"):
            check = f"{row['check']}: {row['detail'][:60]}"
        if row["note"] and row["check"] == "ok":
            check += f" ({row['note']})"
        lines.append(f"{row['kernel'][:22]:22s} {row['input'][:30]:30s} {row['system'][:24]:24s} "
                     f"{row['threads']:>3d} {_s(row['convert_s']):>9s} {_s(row['first_s']):>8s} "
                     f"{_ms(row['median_s']):>10s} {versus:>8s}  {check}")
    return lines


def summary_lines(summary: list[dict], shared_inputs: set) -> list[str]:
    header = (f"{'kernel':22s} {'input':30s} {'thr':>3s} {'einsparse ms':>12s} {'best peer':>22s} "
              f"{'peer ms':>10s} {'ratio':>6s}  check")
    lines = [header, "-" * len(header)]
    shared_ratios: dict[tuple, list] = {}
    for entry in summary:
        if entry["input"] in shared_inputs:
            if entry["ratio_to_best_peer"]:
                shared_ratios.setdefault((entry["kernel"], entry["threads"]), []).append(entry["ratio_to_best_peer"])
            if entry["check"] == "ok":
                continue
        ratio = f"{entry['ratio_to_best_peer']:.2f}" if entry["ratio_to_best_peer"] else "-"
        lines.append(f"{entry['kernel'][:22]:22s} {entry['input'][:30]:30s} {entry['threads']:>3d} "
                     f"{_ms(entry['einsparse_s']):>12s} {str(entry['best_peer'])[:22]:>22s} "
                     f"{_ms(entry['best_peer_s']):>10s} {ratio:>6s}  {entry['check']}")
    for (kernel, threads), ratios in shared_ratios.items():
        lines.append(f"{kernel[:22]:22s} {'shared data: ' + str(len(ratios)) + ' matrices':30s} {threads:>3d} "
                     f"{'':>12s} {'geometric mean ratio':>22s} {'':>10s} {geomean(ratios):6.2f}  "
                     f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    return lines


def fusion_lines(rows: list[dict]) -> list[str]:
    """K5 fused against einsparse's own two statements (A*B, then + D), per input and thread count."""
    times = {(r["input"], r["threads"], r["system"]): r["median_s"] for r in rows
             if r["key"] == "K5" and not r["is_peer"] and r["median_s"] and not r["shared"]}
    lines = []
    for (label, threads, system), fused in times.items():
        unfused = times.get((label, threads, "einsparse A*B, then +D"))
        if system == "einsparse" and unfused:
            lines.append(f"K5 fusion, {label}, {threads}t: fused {_ms(fused)} ms, two statements "
                         f"{_ms(unfused)} ms (fused / unfused = {fused / unfused:.2f})")
    return lines


# The speed-ups on 2 threads the performance targets ask of each kernel.
SPEED_UP_TARGETS = {"K1": 1.4, "K2": 1.7, "K3": 1.4, "K5": 1.7, "K6": 1.7, "K7": 1.7}


def scaling(rows: list[dict]) -> list[dict]:
    """Per generated input and thread count above 1: einsparse on 1 thread over einsparse on N, both
    timed in the same rounds."""
    one = {(r["kernel"], r["input"], r["rounds_threads"]): r for r in rows
           if r["system"] == "einsparse on 1 thread" and r["median_s"] and r["check"] == "ok"}
    out = []
    for row in rows:
        if row["system"] != "einsparse" or row["threads"] == 1 or row["shared"] or not row["median_s"]:
            continue
        base = one.get((row["kernel"], row["input"], row["threads"]))
        if base is None:
            continue
        out.append({"kernel": row["kernel"], "key": row["key"], "input": row["input"], "threads": row["threads"],
                    "one_thread_s": base["median_s"], "threads_s": row["median_s"],
                    "speed_up": base["median_s"] / row["median_s"], "target": SPEED_UP_TARGETS.get(row["key"])})
    return out


def scaling_lines(entries: list[dict]) -> list[str]:
    header = (f"{'kernel':22s} {'input':30s} {'thr':>3s} {'1 thread ms':>11s} {'N threads ms':>12s} "
              f"{'speed-up':>8s} {'target':>6s}")
    lines = [header, "-" * len(header)]
    for e in entries:
        target = f"{e['target']:.1f}" if e["target"] else "-"
        lines.append(f"{e['kernel'][:22]:22s} {e['input'][:30]:30s} {e['threads']:>3d} {_ms(e['one_thread_s']):>11s} "
                     f"{_ms(e['threads_s']):>12s} {e['speed_up']:>8.2f} {target:>6s}")
    return lines


def geomean(values) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, default=str))


def write_png(path: Path, summaries: dict, shared_inputs: set) -> "str | None":
    """Bars of einsparse / best peer per kernel (generated inputs; shared data as a geometric mean), one
    colour per thread count. Returns why not, when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib not installed (pip install 'einsparse[bench]')"
    fig, ax = plt.subplots(figsize=(12, 5))
    width = 0.8 / max(1, len(summaries))
    labels: list[str] = []
    for slot, (threads, summary) in enumerate(sorted(summaries.items())):
        bars: dict[str, list] = {}
        for entry in summary:
            if not entry["ratio_to_best_peer"]:
                continue
            shared = entry["input"] in shared_inputs
            label = f"{entry['kernel']}\n{'shared data (geomean)' if shared else entry['input'].split(',')[0][:22]}"
            bars.setdefault(label, []).append(entry["ratio_to_best_peer"])
        for label in bars:
            if label not in labels:
                labels.append(label)
        xs = [labels.index(label) + slot * width for label in bars]
        ax.bar(xs, [geomean(v) for v in bars.values()], width, label=f"{threads} thread(s)")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks([i + width * (len(summaries) - 1) / 2 for i in range(len(labels))])
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    low, high = ax.get_ylim()
    ax.set_yticks([2.0 ** k for k in range(-8, 9) if low <= 2.0 ** k <= high])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel("einsparse / fastest peer")
    ax.set_title("Median time of einsparse over the fastest peer's (below 1: einsparse faster)")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None
