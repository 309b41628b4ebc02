"""A statement run on a Dask cluster: its outermost loop cut into blocks balanced by stored entries
(`compiler.partition`, `runtime.blocks`), each block computed by the same statement on a worker, the
results joined in order or combined by the statement's reduction in a tree.

Workers get the statement's text and formats, never machine code: each compiles once into its own
kernel cache (a warm cluster compiles nothing). Operands without the cut index are sent to every worker
once (scattered with broadcast); the others are sliced per block.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import uuid
import warnings

import numpy as np

from einsparse.cluster import sizing
from einsparse.cluster.client import distributed
from einsparse.cluster.persisted import PersistedTensor, kept_on_workers
from einsparse.cluster.reads import separate_reads
from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.compiler.partition import cut_of
from einsparse.compiler.pipeline import compile_plan
from einsparse.errors import ClusterError, NotSupportedError, OperandError
from einsparse.runtime.blocks import balanced_ranges, combined, entries_along, joined, slices
from einsparse.runtime.convert import operand_shape
from einsparse.runtime.display import kernel_html
from einsparse.runtime.stored import storage_bytes

SENT_IN_GRAPH = 2 ** 18  # bytes below which an operand every block reads travels in each task, not scattered


class ClusterKernel:
    """A compiled statement whose calls run on a cluster (`es.compile(..., client=...)`).

    `kernel` (a `Kernel` or a planned one) gives the schedule the blocks are cut from and the formats
    the workers compile for; a call cuts its outermost loop into blocks balanced by stored entries,
    runs them on the workers and joins or combines the results. Operands are given by name; `explain()`
    adds how a call is cut to the kernel's explanation.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, einsparse as es
    >>> kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}, client="local")  # doctest: +SKIP
    >>> y = kernel(A=sp.random(1000, 1000, density=0.01, format="csr"), x=np.ones(1000))  # doctest: +SKIP
    """

    def __init__(self, kernel, statement: str, client, evaluate, threads=None, optimize=True):
        self.kernel, self.statement, self.client = kernel, statement, client
        self._evaluate, self._threads, self._optimize = evaluate, threads, optimize

    def __call__(self, *positional, shape=None, persist=False, **operands):
        if positional:
            raise OperandError(f"{self.statement}: on a cluster, operands are given by name")
        if shape is not None:
            raise NotSupportedError(f"{self.statement}: shape= is not cut into blocks on a cluster; pass the "
                                    f"output by name instead")
        formats = dict(self.kernel.plan.formats)
        return run(self.client, self._evaluate, self.kernel, self.statement, formats, operands, self._threads,
                   self._optimize, keep=persist)

    def explain(self) -> str:
        """The kernel's explanation, then how a call is cut into blocks for the cluster."""
        if hasattr(self.kernel, "steps_for"):
            return (self.kernel.explain() + "\ncluster:        each kernel of the plan runs in blocks of its own "
                    "outermost loop; a step of dense operands only runs on this machine")
        plan, statement, _, _ = _reads_apart(self.kernel.plan, self.statement, dict(self.kernel.plan.formats), {})
        return self.kernel.explain() + "\n" + describe(cut_of(plan.index_notation, plan.order, statement), statement)

    def __getattr__(self, name):
        return getattr(self.kernel, name)

    def __repr__(self) -> str:
        return f"ClusterKernel({self.kernel!r})"

    def _repr_html_(self) -> str:  # its own explain(), which __getattr__ would take from the kernel
        return kernel_html(self)


def describe(cut, statement: str) -> str:
    """How a call of `statement` is cut for a cluster, in words."""
    sliced = ", ".join(f"{name} along mode {mode}" for name, mode in cut.modes.items()) or "nothing"
    if cut.reduced:
        how = (f"{cut.index} is reduced, so each block gives a partial result over the whole output, "
               f"combined by {cut.combine} in a tree of tasks")
    else:
        how = f"each block gives the output's entries in its range of {cut.index}, joined in order"
    return (f"cluster:        blocks of the outermost loop over {cut.index}, balanced by stored entries, two "
            f"per worker thread and none under {sizing.SMALLEST_BLOCK:,} entries (or a persisted operand's own "
            f"blocks along {cut.index}); sliced: {sliced}; every other operand "
            f"sent whole to each worker once; {how}")


def run_block(evaluate, statement: str, formats: dict, threads, optimize, operands: dict, block: str,
              dense_bytes: int):
    """One block on a worker: the statement on the block's operands (compiled once per worker). A dense
    output larger than the worker's memory limit is refused before it is allocated."""
    limit = _memory_limit()
    if limit and dense_bytes > limit:
        raise ClusterError(f"{statement}: {block} needs {dense_bytes / 2 ** 30:.3g} GiB for its dense output, "
                           f"more than the worker's memory limit of {limit / 2 ** 30:.3g} GiB (use more blocks "
                           f"or workers, or a sparse output)")
    return evaluate(statement, formats, threads=threads, optimize=optimize, **operands)


def _memory_limit() -> int:
    try:
        return int(distributed().get_worker().memory_manager.memory_limit or 0)
    except (ValueError, AttributeError):  # not on a worker
        return 0


def block_plan(plan, statement: str, operands: dict, blocks: int):
    """(cut, ranges, extent) of a run of `plan` on `operands` in about `blocks` blocks; an operand
    persisted along the cut index gives its own blocks."""
    cut = cut_of(plan.index_notation, plan.order, statement)
    holders = [name for name in cut.modes if name in operands]
    if not holders:
        raise OperandError(f"{statement}: no operand holds {cut.index}, the index its blocks are cut along")
    for name in holders:
        value = operands[name]
        if isinstance(value, PersistedTensor) and value.along == cut.modes[name]:
            return cut, list(value.ranges), value.shape[value.along]
    sparse = [name for name in holders if not plan.formats[name].is_dense
              and plan.formats[name].mode_order[0] == cut.modes[name]]
    driver = (sparse or holders)[0]  # the operand whose stored entries balance the blocks
    value, mode = operands[driver], cut.modes[driver]
    if isinstance(value, PersistedTensor):
        counts, extent = value.counts[mode], value.shape[mode]
    else:
        extent = operand_shape(value, name=f"operand {driver}")[mode]
        counts = entries_along(value, mode, extent)
    return cut, balanced_ranges(counts, sizing.block_count(int(counts.sum()), blocks)), extent


def _reads_apart(plan, statement: str, formats: dict, operands: dict):
    """(plan, statement, formats, operands) with the reads of a tensor that need it both sliced and
    whole named apart (`cluster.reads`)."""
    if not plan.order:
        return plan, statement, formats, operands
    text, aliases = separate_reads(statement, plan.order[0])
    if not aliases:
        return plan, statement, formats, operands
    parsed = parse(text)
    used = {parsed.output.name} | {access.name for access in syn.accesses(parsed.rhs)}
    formats = {**formats, **{alias: formats[name] for alias, name in aliases.items()}}
    operands = {**operands, **{alias: operands[name] for alias, name in aliases.items() if name in operands}}
    formats = {name: fmt for name, fmt in formats.items() if name in used}
    operands = {name: value for name, value in operands.items() if name in used}
    return compile_plan(parsed, formats), text, formats, operands


def run(client, evaluate, kernel, statement: str, formats: dict, operands: dict, threads=None, optimize=True,
        blocks: "int | None" = None, keep: bool = False):
    """`statement` on `operands` (with the formats `kernel` was compiled for) on `client`'s workers. A
    long product planned into steps (`planned.PlannedKernel`) runs step by step, each step cut on its
    own; a step of dense operands only runs here (NumPy's BLAS). `keep`: the output's blocks stay on
    the workers, returned as a `PersistedTensor`."""
    for name, value in operands.items():
        if isinstance(value, PersistedTensor):
            value.check_client(client, name)
    if isinstance(operands.get(kernel.plan.output.tensor), PersistedTensor):
        raise OperandError(f"{statement}: the output {kernel.plan.output.tensor} is a persisted tensor; a call "
                           f"writes its output here (gather() it, or leave it out for a new one)")
    if keep and kernel.plan.output.tensor in operands:
        raise OperandError(f"{statement}: persist=True makes a new output on the workers; leave the output "
                           f"{kernel.plan.output.tensor} out")
    found = kernel.steps_for(_for_planning(operands)) if hasattr(kernel, "steps_for") else None
    if found is not None and keep:
        raise NotSupportedError(f"{statement}: persist=True on a product planned in steps (their temporaries "
                                f"come back here); pass optimize=False to run it as one kernel")
    if found is not None:
        def step_on_cluster(step, step_kernel, given):
            if not hasattr(step_kernel, "plan"):  # dense operands only: here, with NumPy
                return step_kernel(**{name: value.gather() if isinstance(value, PersistedTensor) else value
                                      for name, value in given.items()})
            return _run_cut(client, evaluate, step_kernel, step.statement, dict(step_kernel.plan.formats), given,
                            threads, False, blocks)
        return kernel.run_steps(*found, operands, call=step_on_cluster)
    return _run_cut(client, evaluate, kernel, statement, formats, operands, threads, optimize, blocks, keep)


def _run_cut(client, evaluate, kernel, statement: str, formats: dict, operands: dict, threads, optimize,
             blocks: "int | None", keep: bool = False):
    """One kernel's statement on the cluster, in blocks of its outermost loop; `keep`: the output's
    blocks stay where they were computed (a `PersistedTensor`)."""
    module = distributed()
    if blocks is None:
        blocks = sizing.BLOCKS_PER_THREAD * sizing.thread_count(client)
    plan, statement, formats, operands = _reads_apart(kernel.plan, statement, formats, operands)
    cut, ranges, _ = block_plan(plan, statement, operands, blocks)
    output = plan.output.tensor
    if keep and (cut.reduced or cut.output_mode is None):
        raise NotSupportedError(f"{statement}: persist=True keeps the output's blocks where they are computed, "
                                f"and this call reduces over the index {cut.index} it is cut along; "
                                f"run it without persist=True")
    extents = _extents(plan, operands)
    given = operands.get(output)
    whole = {name: value for name, value in operands.items() if name not in cut.modes and name != output}
    shipped = {name: value.whole() if isinstance(value, PersistedTensor)
               else client.scatter(value, broadcast=True, hash=False) if storage_bytes(value) >= SENT_IN_GRAPH
               else value for name, value in whole.items()}
    token = uuid.uuid4().hex[:12]
    pieces = {name: operands[name].pieces(mode, ranges) if isinstance(operands[name], PersistedTensor)
              else slices(operands[name], mode, ranges) for name, mode in cut.modes.items() if name in operands}
    kept = {future.key for value in operands.values() if isinstance(value, PersistedTensor)
            for future in value.futures()}
    if given is not None and cut.output_mode is not None:
        pieces[output] = slices(given, cut.output_mode, ranges)
    futures = []
    for number, (lo, hi) in enumerate(ranges):
        block = dict(shipped)
        block.update({name: parts[number] for name, parts in pieces.items()})
        where = f"block {number} ({cut.index} in {lo}..{hi - 1})"
        dense_bytes = 0
        if formats[output].is_dense:
            dense_bytes = 8 * math.prod((hi - lo) if i == cut.index else extents.get(i, 1)
                                        for i in plan.output.indices)
        with warnings.catch_warnings():
            # The block's operands travel in the task graph on purpose: the scheduler keeps them, so a
            # block whose worker dies runs again elsewhere (data scattered to that worker would be lost).
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            futures.append(client.submit(run_block, evaluate, statement, formats, threads, optimize, block,
                                         where, dense_bytes, key=f"einsparse-{token}-block-{number}", pure=False))
    try:
        if cut.reduced:
            last = _tree(client, futures, cut.combine, token)
            futures.append(last)
            result = last.result()
        elif keep:
            persisted = kept_on_workers(client, futures, cut.output_mode, ranges, formats[output])
            kept |= {future.key for future in futures}  # the output's blocks, left on the workers
            return persisted
        else:
            result = joined(client.gather(futures), cut.output_mode)
    except module.KilledWorker as error:
        number = _block_number(str(error.args[0] if error.args else error))
        where = f"block {number} ({cut.index} in {ranges[number][0]}..{ranges[number][1] - 1})" \
            if number is not None else "a block"
        raise ClusterError(f"{statement}: {where} failed: each worker that ran it died and Dask gave up (a "
                           f"worker past its memory limit is killed; the workers' logs say why)") from None
    except concurrent.futures.CancelledError:
        lost = [name for name, value in operands.items() if isinstance(value, PersistedTensor)
                and any(part.status != "finished" for part in value.parts)]
        if not lost:
            raise ClusterError(f"{statement}: Dask cancelled a block (the workers' logs say why)") from None
        raise ClusterError(f"{statement}: persisted operand {', '.join(lost)} lost blocks when a worker died "
                           f"(scattered data is not recomputed); persist it again") from None
    finally:  # the scheduler forgets the blocks' results and the operands sent for this call
        sent = [*shipped.values(), *(part for parts in pieces.values() for part in parts)]
        for future in [*futures, *sent]:
            if isinstance(future, module.Future) and future.key not in kept:
                future.release()
    if given is not None and isinstance(given, np.ndarray) and result is not given:
        np.copyto(given, result, casting="same_kind")
        return given
    return result


def _for_planning(operands: dict) -> dict:
    """The operands as the planner sees them: a persisted tensor by its statistics (its stand-in when
    its fill is not 0: such products are not planned)."""
    return {name: value.stand_in if isinstance(value, PersistedTensor) and (
        value.planning_stats is None or not value.fill_is_zero) else value for name, value in operands.items()}


def _extents(plan, operands: dict) -> dict:
    """The extent of each index, from the operands holding it."""
    extents = {}
    for access in [plan.output, *ir.accesses(plan.index_notation.rhs)]:
        if access.tensor in operands:
            value = operands[access.tensor]
            shape = value.shape if isinstance(value, PersistedTensor) else operand_shape(
                value, name=f"operand {access.tensor}")
            extents.update(zip(access.indices, shape))
    return extents


def _tree(client, futures: list, op: str, token: str):
    """The futures' results combined pairwise by reduction `op`, as a tree of tasks."""
    level = 0
    while len(futures) > 1:
        pairs = itertools.zip_longest(futures[::2], futures[1::2])
        futures = [a if b is None else client.submit(combined, a, b, op, key=f"einsparse-{token}-combine-{level}-{k}",
                                                      pure=False)
                   for k, (a, b) in enumerate(pairs)]
        level += 1
    return futures[0]


def _block_number(text: str):
    marker = "-block-"
    at = text.find(marker)
    if at < 0:
        return None
    digits = "".join(itertools.takewhile(str.isdigit, text[at + len(marker):]))
    return int(digits) if digits else None
