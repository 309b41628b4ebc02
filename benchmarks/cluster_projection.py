"""A projection of a statement's time on N workers of a Dask cluster, from its operands' statistics and
rates measured on this machine (`benchmarks.cluster` calibrates and checks it on 1 and 2 workers).

The model follows what `einsparse.cluster.run` does: the driver slices the operands holding the cut
index into 2 blocks per worker and sends each block once, sends the other operands to every worker,
and receives the results; the workers compute their blocks in parallel (balanced by stored entries);
the scheduler handles the tasks one after another. So on N workers

    time = driver's work on the operands and the result + bytes through the driver / its bandwidth
           + time alone / N + 2N tasks * overhead per task

where the bytes through the driver are the sliced operands once, the whole ones N times and the result,
and the driver's work (slicing, pickling, unpickling and joining) is timed on the call's own operands.
Operands persisted on the workers (`es.persist`; `held=` here) move no bytes through the driver: a
sliced one moves nothing, a whole one is joined on a worker and copied worker to worker, modelled as
spreading in rounds that double its copies (log2(N + 1) rounds at the driver's bandwidth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.normalize import normalize
from einsparse.compiler.parse import parse
from einsparse.runtime.stored import storage_bytes

from einsparse.cluster.sizing import BLOCKS_PER_THREAD as BLOCKS_PER_WORKER  # one thread per worker here
from einsparse.cluster.sizing import block_count
TASK_SECONDS = 0.0065  # a block's cost to a call, as `benchmarks.cluster.task_overhead` measures it here


@dataclass(frozen=True)
class Statistics:
    statement: str
    entries: int        # stored entries of the operands cut into blocks
    sliced_bytes: int   # their bytes
    whole_bytes: int    # bytes of the operands every worker gets whole
    result_bytes: int
    held_whole_bytes: int = 0  # bytes of whole operands persisted on the workers (copied between them)

    def scaled_to(self, entries: int) -> "Statistics":
        """The same statement on operands `entries / self.entries` times larger (every size with it)."""
        factor = entries / self.entries
        return replace(self, entries=entries, sliced_bytes=int(self.sliced_bytes * factor),
                       whole_bytes=int(self.whole_bytes * factor), result_bytes=int(self.result_bytes * factor),
                       held_whole_bytes=int(self.held_whole_bytes * factor))


@dataclass(frozen=True)
class Rates:
    compute_seconds_per_entry: float  # one process, the whole call
    driver_bytes_per_second: float
    task_seconds: float
    preparing_seconds_per_byte: float = 0.0  # the driver slicing, pickling and joining, per operand byte


@dataclass(frozen=True)
class Projection:
    stats: Statistics
    workers: int
    rates: Rates

    @property
    def blocks(self) -> int:
        return block_count(self.stats.entries, BLOCKS_PER_WORKER * self.workers)

    @property
    def driver_bytes(self) -> int:
        s = self.stats
        return s.sliced_bytes + s.whole_bytes * self.workers + s.result_bytes

    @property
    def parts(self) -> tuple[float, float, float]:
        """(the driver's work and moving data through it, computing, scheduling tasks) in seconds."""
        r, s = self.rates, self.stats
        preparing = (s.sliced_bytes + s.whole_bytes + s.result_bytes) * r.preparing_seconds_per_byte
        spreading = s.held_whole_bytes * math.ceil(math.log2(self.workers + 1)) / r.driver_bytes_per_second
        return (preparing + self.driver_bytes / r.driver_bytes_per_second + spreading,
                s.entries * r.compute_seconds_per_entry / self.workers, self.blocks * r.task_seconds)

    @property
    def seconds(self) -> float:
        return sum(self.parts)

    def describe(self, title: str) -> str:
        s, (moving, computing, scheduling) = self.stats, self.parts
        per_worker = s.sliced_bytes / self.workers + s.whole_bytes
        return "\n".join([
            f"{title}: {s.statement} on {self.workers} workers",
            f"  blocks: {self.blocks} (at most {BLOCKS_PER_WORKER} per worker), each about "
            f"{s.entries / self.blocks:.3g} stored entries",
            f"  bytes moved per worker: {per_worker / 1e9:.3g} GB in ({s.sliced_bytes / self.workers / 1e9:.3g} GB "
            f"of blocks, {s.whole_bytes / 1e9:.3g} GB whole), {s.result_bytes / self.workers / 1e9:.3g} GB out"
            + (f"; {s.held_whole_bytes / 1e9:.3g} GB whole copied between workers" if s.held_whole_bytes else ""),
            f"  projected: {self.seconds:.3g} s = {moving:.3g} s preparing and moving {self.driver_bytes / 1e9:.3g} GB "
            f"through the driver{' and copying between workers' if s.held_whole_bytes else ''} + {computing:.3g} s "
            f"computing + {scheduling:.3g} s scheduling"])


def statistics(statement: str, operands: dict, result, held=()) -> Statistics:
    """The statistics of a call giving `result`, cut along the first index of the output (the outermost
    loop of the statements measured here); the operands named in `held` are persisted on the workers."""
    assignment = normalize(parse(statement))
    index = assignment.output.indices[0]
    sliced = whole = held_whole = entries = 0
    for access in {a.tensor: a for a in ir.accesses(assignment.rhs)}.values():
        value = operands[access.tensor]
        size = storage_bytes(value)
        if index in access.indices:
            sliced += 0 if access.tensor in held else size
            entries += int(getattr(value, "nnz", np.size(value)))
        elif access.tensor in held:
            held_whole += size
        else:
            whole += size
    return Statistics(statement, entries, sliced, whole, storage_bytes(result), held_whole)


def calibrate(alone: float, stats: Statistics, task_seconds: float, bytes_per_second: float,
              preparing: float = 0.0) -> Rates:
    """Rates from a call's time alone, the per-task overhead, the driver's bandwidth to a worker
    (`probe_bandwidth`) and its own work (`preparing_seconds`), each measured apart, so that the 1- and
    2-worker times check the model."""
    moved = stats.sliced_bytes + stats.whole_bytes + stats.result_bytes
    return Rates(alone / max(stats.entries, 1), bytes_per_second, task_seconds, preparing / max(moved, 1))


def preparing_seconds(statement: str, formats: dict, operands: dict, result, blocks: int = 4) -> float:
    """The driver's own work on a call, timed here without a cluster: slicing the operands into blocks
    and pickling them with the whole ones, then unpickling the blocks' results and joining them."""
    import pickle
    import time

    import einsparse as es
    from einsparse.cluster.run import block_plan
    from einsparse.runtime.blocks import joined, slices

    kernel = es.compile(statement, formats, optimize=False)
    cut, ranges, _ = block_plan(kernel.plan, statement, operands, blocks)
    start = time.perf_counter()
    for name, value in operands.items():
        parts = slices(value, cut.modes[name], ranges) if name in cut.modes else [value]
        for part in parts:
            pickle.dumps(part, protocol=5)  # unpickled on the workers, in parallel: not the driver's
    sending = time.perf_counter() - start
    parts = slices(result, cut.output_mode, ranges) if not cut.reduced else [result] * len(ranges)
    if isinstance(result, es.Tensor):  # as the workers return them
        parts = [part if isinstance(part, es.Tensor) else es.tensor(part, result.format) for part in parts]
    blobs = [pickle.dumps(part, protocol=5) for part in parts]
    start = time.perf_counter()
    back = [pickle.loads(blob) for blob in blobs]
    if not cut.reduced:
        joined(back, cut.output_mode)
    return sending + time.perf_counter() - start


def probe_bandwidth(client, megabytes: int = 64) -> float:
    """Bytes per second from the driver to a worker: an array in a task's arguments, as blocks travel,
    against an empty task (medians of 3)."""
    import statistics as stats_module
    import time
    import warnings

    payload = np.ones(megabytes * 2 ** 20 // 8)

    def timed(argument) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
                client.submit(len, argument, pure=False).result()
            runs.append(time.perf_counter() - start)
        return stats_module.median(runs)

    return payload.nbytes / max(timed(payload) - timed(()), 1e-6)


def project(stats: Statistics, workers: int, rates: Rates) -> Projection:
    return Projection(stats, workers, rates)

def main(argv: list) -> None:
    """`python -m benchmarks.cluster_projection STATEMENT NAME=VALUE... [--workers N] [--entries E]`:
    operands as `einsparse run` takes them; the call is timed alone and on one local worker to calibrate,
    then projected on 1, 2 and N workers, and on N workers at E stored entries (every size scaled)."""
    import argparse

    import einsparse as es
    from benchmarks.timing import interleaved
    from einsparse.cli.loading import load_operands
    from einsparse.cli.statement import _statement
    from einsparse.cluster.client import local

    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster_projection")
    parser.add_argument("statement")
    parser.add_argument("operands", nargs="+", metavar="NAME=VALUE")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--entries", type=float, default=None)
    args = parser.parse_args(argv)
    st = _statement(args.statement)
    values, _, formats, _ = load_operands(argparse.Namespace(operands=args.operands, format=[], shape=[], seed=0), st)
    one, two = local(1), local(2)
    result = es.evaluate(args.statement, formats, **values)
    timed = interleaved([lambda c=c: es.evaluate(args.statement, formats, client=c, **values) for c in (None, one, two)],
                        repeat=3, budget_s=0.0)
    alone, on_one, on_two = (median for median, _, _ in timed)
    stats = statistics(args.statement, values, result)
    rates = calibrate(alone, stats, TASK_SECONDS, probe_bandwidth(one),
                      preparing_seconds(args.statement, formats, values, result))
    print(f"measured: alone {alone:.3f} s, 1 worker {on_one:.3f} s (projected {project(stats, 1, rates).seconds:.3f}), "
          f"2 workers {on_two:.3f} s (projected {project(stats, 2, rates).seconds:.3f})")
    print(project(stats, args.workers, rates).describe("projected"))
    if args.entries:
        print(project(stats.scaled_to(int(args.entries)), args.workers, rates).describe(
            f"projected at {args.entries:.3g} entries"))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
