"""A projection of a statement's time on N workers of a Dask cluster, from its operands' statistics and
rates measured on this machine (`benchmarks.cluster` calibrates and checks it on 1 and 2 workers).

The model follows what `einsparse.cluster.run` does: the driver slices the operands holding the cut
index into 2 blocks per worker and sends each block once, sends the other operands to every worker,
and receives the results; the workers compute their blocks in parallel (balanced by stored entries);
the scheduler handles the tasks one after another. So on N workers

    time = bytes through the driver / its bandwidth + time alone / N + 2N tasks * overhead per task

where the bytes through the driver are the sliced operands once, the whole ones N times and the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.normalize import normalize
from einsparse.compiler.parse import parse

BLOCKS_PER_WORKER = 2


@dataclass(frozen=True)
class Statistics:
    statement: str
    entries: int        # stored entries of the operands cut into blocks
    sliced_bytes: int   # their bytes
    whole_bytes: int    # bytes of the operands every worker gets whole
    result_bytes: int

    def scaled_to(self, entries: int) -> "Statistics":
        """The same statement on operands `entries / self.entries` times larger (every size with it)."""
        factor = entries / self.entries
        return replace(self, entries=entries, sliced_bytes=int(self.sliced_bytes * factor),
                       whole_bytes=int(self.whole_bytes * factor), result_bytes=int(self.result_bytes * factor))


@dataclass(frozen=True)
class Rates:
    compute_seconds_per_entry: float  # one process, the whole call
    driver_bytes_per_second: float
    task_seconds: float


@dataclass(frozen=True)
class Projection:
    stats: Statistics
    workers: int
    rates: Rates

    @property
    def blocks(self) -> int:
        return BLOCKS_PER_WORKER * self.workers

    @property
    def driver_bytes(self) -> int:
        s = self.stats
        return s.sliced_bytes + s.whole_bytes * self.workers + s.result_bytes

    @property
    def parts(self) -> tuple[float, float, float]:
        """(moving data through the driver, computing, scheduling tasks) in seconds."""
        r = self.rates
        return (self.driver_bytes / r.driver_bytes_per_second,
                self.stats.entries * r.compute_seconds_per_entry / self.workers, self.blocks * r.task_seconds)

    @property
    def seconds(self) -> float:
        return sum(self.parts)

    def describe(self, title: str) -> str:
        s, (moving, computing, scheduling) = self.stats, self.parts
        per_worker = s.sliced_bytes / self.workers + s.whole_bytes
        return "\n".join([
            f"{title}: {s.statement} on {self.workers} workers",
            f"  blocks: {self.blocks} ({BLOCKS_PER_WORKER} per worker), each about "
            f"{s.entries / self.blocks:.3g} stored entries",
            f"  bytes moved per worker: {per_worker / 1e9:.3g} GB in ({s.sliced_bytes / self.workers / 1e9:.3g} GB "
            f"of blocks, {s.whole_bytes / 1e9:.3g} GB whole), {s.result_bytes / self.workers / 1e9:.3g} GB out",
            f"  projected: {self.seconds:.3g} s = {moving:.3g} s moving {self.driver_bytes / 1e9:.3g} GB through "
            f"the driver + {computing:.3g} s computing + {scheduling:.3g} s scheduling"])


def statistics(statement: str, operands: dict, result) -> Statistics:
    """The statistics of a call giving `result`, cut along the first index of the output (the outermost
    loop of the statements measured here)."""
    assignment = normalize(parse(statement))
    index = assignment.output.indices[0]
    sliced = whole = entries = 0
    for access in {a.tensor: a for a in ir.accesses(assignment.rhs)}.values():
        value = operands[access.tensor]
        size = _bytes(value)
        if index in access.indices:
            sliced += size
            entries += int(getattr(value, "nnz", np.size(value)))
        else:
            whole += size
    return Statistics(statement, entries, sliced, whole, _bytes(result))


def calibrate(alone: float, one_worker: float, stats: Statistics, task_seconds: float) -> Rates:
    """Rates from a call's time alone and on one worker: what one worker adds is moving the data
    through the driver and scheduling its blocks."""
    moved = stats.sliced_bytes + stats.whole_bytes + stats.result_bytes
    moving = max(one_worker - alone - BLOCKS_PER_WORKER * task_seconds, 1e-6)
    return Rates(alone / stats.entries, moved / moving, task_seconds)


def project(stats: Statistics, workers: int, rates: Rates) -> Projection:
    return Projection(stats, workers, rates)


def _bytes(value) -> int:
    if hasattr(value, "data") and hasattr(value, "indices"):  # scipy CSR/CSC
        return value.data.nbytes + value.indices.nbytes + value.indptr.nbytes
    if hasattr(value, "vals") and hasattr(value, "levels"):  # an einsparse tensor
        return value.vals.nbytes + sum(getattr(level, name).nbytes for level in value.levels
                                       for name in ("pos", "crd") if hasattr(level, name))
    return int(np.asarray(value).nbytes)
