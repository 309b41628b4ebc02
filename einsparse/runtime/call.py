"""How a kernel's plan is called: its arguments made from a call's operands, its outermost loop cut into
chunks on threads, and a sparse output's pieces (`Call`, one per plan variant, built once).
"""

from __future__ import annotations

import math

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.dtypes import result_dtype
from einsparse.compiler.plan import Plan
from einsparse.compiler.reductions import BY_OP, typed_identity
from einsparse.compiler.room import output_room
from einsparse.errors import InternalError
from einsparse.runtime import cache, parallel
from einsparse.runtime.compile_log import kernel_label
from einsparse.runtime.convert import as_tensor, from_coo
from einsparse.runtime.dense_output import FreshDense
from einsparse.runtime.output import make_output
from einsparse.runtime.parallel import chunk_bounds
from einsparse.runtime.tensor import Tensor


class Call:
    """One plan's call recipe: which arrays go where, and how its outermost loop is cut into chunks."""

    def __init__(self, plan: Plan, dispatcher):
        self.plan = plan
        self.dispatcher = dispatcher
        output = plan.output.tensor
        self.operands = tuple((name, operand.tensor, operand.derived, operand.modes, operand.format,
                               operand.source_format)
                              for name, operand in plan.operands.items() if operand.tensor != output)
        self.arguments = _arguments_of(plan)
        self.balance = plan.balancing_operand()
        self.chunked = plan.chunked_operands()
        self.sparse = tuple(name for name, operand in plan.operands.items()
                            if operand.tensor != output and not operand.format.is_dense)
        self.room = output_room(plan.kernel_assignment)
        dense = plan.kernel_output_format is None or plan.kernel_output_format.is_dense
        # The usual dense output (nothing given, `=`): its layout worked out once.
        self.fresh = FreshDense(plan) if dense and plan.statement.op == "=" else None
        self.counter = None  # the symbolic pass of a two-phase plan, loaded on first use

    def run(self, tensors: dict, extents: dict, dtype, stored: int, given_output, threads: int):
        plan = self.plan
        arrays = {}
        for name, tensor, derived, modes, fmt, source_format in self.operands:
            if tensor == plan.old_values:  # `+=` into a sparse output reads the given output
                source = as_tensor(given_output, source_format, name=f"output {plan.output.tensor}")
            else:
                source = tensors[tensor]
            arrays[name] = _derive(source, modes, fmt) if derived else source
        chunks = [(0, 0)]
        if plan.split is not None:
            lo, hi, work = self._loop_range(arrays, extents)
            split = threads > 1 and stored + (hi - lo) >= parallel.MIN_PARALLEL_WORK
            pieces = threads * parallel.CHUNKS_PER_THREAD if split else 1
            chunks = chunk_bounds(lo, hi, pieces, work)
        if self.fresh is not None and given_output is None:
            output = self.fresh.start(extents, dtype, plan.output.tensor)
            returned = parallel.run_all([self._task(arrays, output, extents, dtype, chunk) for chunk in chunks],
                                        threads)
            return output.result(returned[0])
        if plan.kernel_output_format is None or plan.kernel_output_format.is_dense:
            output = make_output(plan, extents, dtype, given_output, 0)
            returned = parallel.run_all([self._task(arrays, output, extents, dtype, chunk) for chunk in chunks],
                                        threads)
            return output.result(returned[0])
        make = lambda room: make_output(plan, extents, dtype, given_output, room)  # noqa: E731
        if plan.count_source is not None:
            rooms = self._counted_rooms(arrays, make, extents, dtype, chunks, threads)
        else:
            rooms = self._rooms(arrays, chunks)
        whole = make(sum(rooms))
        if len(chunks) == 1:
            firsts = [whole]
        else:  # chunks fill windows of the whole (when its format has windows), else arrays of their own
            # Chunks of a range over the output's dense level 0 count disjoint rows of one array.
            rows_apart = plan.split.kind == "range" and plan.kernel_output_format.levels[0].full
            firsts = whole.windows(rooms, rows_apart) if whole.windowed else [None] * len(chunks)
        tasks = [lambda chunk=chunk, first=first, room=room:
                 self._pieces(arrays, make, extents, dtype, chunk, first, room)
                 for chunk, first, room in zip(chunks, firsts, rooms)]
        done = parallel.run_all(tasks, threads)
        return whole.join([piece for chunk_pieces in done for _, piece in chunk_pieces], threads)

    def _rooms(self, arrays: dict, chunks: list) -> list[int]:
        """First room for each chunk's part of a sparse output, from the entries of the kernel's sparse
        operands under the chunk (see `compiler.room`): an operand whose level 0 the chunked loop walks
        counts the entries below the chunk's positions, any other an equal share of its entries. A
        chunk that needs more goes on in pieces (`_pieces`)."""
        if len(chunks) == 1:
            return [max(16, self.room({name: len(arrays[name].vals) for name in self.sparse}) or 0)]
        rooms = []
        for lo, hi in chunks:
            entries = {}
            for name in self.sparse:
                tensor, walk = arrays[name], self.chunked.get(name)
                entries[name] = (len(tensor.vals) // len(chunks) if walk is None
                                 else _entries_below(tensor, *_level0_positions(tensor, walk, lo, hi)))
            rooms.append(max(16, self.room(entries) or 0))
        return rooms

    def _counted_rooms(self, arrays: dict, make, extents, dtype, chunks: list, threads: int) -> list[int]:
        """Each chunk's exact room, from the symbolic pass of a two-phase plan (see `compiler.assemble`):
        it counts every row's entries into the counts of one output (chunks count disjoint rows), and a
        chunk's room is the sum over its rows. The numeric pass then checks no room."""
        if self.counter is None:
            self.counter = cache.load_kernel(self.plan.count_source, f"{kernel_label(self.plan)}, counting pass")
        counted = make(0)
        tasks = [self._task(arrays, counted, extents, dtype, chunk, self.counter) for chunk in chunks]
        parallel.run_all(tasks, threads)
        level = next(k for k, kind in enumerate(self.plan.kernel_output_format.levels) if kind.appended)
        per_row = counted.arrays[("pos", level)]
        return [max(16, int(per_row[lo + 1:hi + 1].sum())) for lo, hi in chunks]

    def _task(self, arrays, output, extents, dtype, chunk, dispatcher=None):
        context = Context(arrays, output, extents, dtype, chunk)
        args = self.arguments(context)
        dispatcher = dispatcher or self.dispatcher
        return lambda: dispatcher(*args)

    def _pieces(self, arrays, make, extents, dtype, chunk, first, capacity) -> list:
        """What the kernel assembles over `chunk` of a sparse output, in pieces (output, returned arrays),
        starting in `first` (made when None) with room for `capacity` entries: the kernel stops at an
        iteration of its outermost loop whose entries may not fit (see `compiler.lower`), and goes on
        from there into arrays with room for what its progress so far projects, at least twice as many."""
        pieces = []
        lo, hi = chunk
        while True:
            output = first if first is not None else make(capacity)
            first = None
            *piece, stop = self._task(arrays, output, extents, dtype, (lo, hi))()
            pieces.append((output, piece))
            if stop < 0:
                return pieces
            appended = int(piece[-2])  # the count of the last compressed level
            projected = appended * (hi - stop) // max(1, stop - lo)
            capacity = max(2 * capacity, projected + projected // 8)
            lo = stop

    def _loop_range(self, arrays: dict, extents: dict):
        """The bounds of the outermost loop, and the cumulative work along it when it is known."""
        split = self.plan.split
        work = None
        if split.kind == "range":
            lo, hi = 0, extents[split.over]
            if self.balance is not None:
                work = arrays[self.balance].levels[1].pos
        else:
            levels = arrays[split.over].levels
            lo, hi = int(levels[0].pos[0]), int(levels[0].pos[1])
            if len(levels) > 1:
                work = levels[1].work_pointer()
        return lo, hi, work


class Context:
    __slots__ = ("arrays", "output", "extents", "dtype", "chunk")

    def __init__(self, arrays, output, extents, dtype, chunk):
        self.arrays, self.output, self.extents, self.dtype, self.chunk = arrays, output, extents, dtype, chunk

    @property
    def work_dtype(self):
        """A workspace's type: the output's, or wider where an operator narrows what it sums (a bool
        comparison of float sums); for + - * / alone it is the output's."""
        return np.result_type(self.dtype, *(a.vals.dtype for a in self.arrays.values()))


def _arguments_of(plan: Plan):
    """One function from a call's context to the kernel's argument list, written out as one expression
    per argument (ten small functions called in turn cost a tenth of a small call)."""
    namespace, parts = {}, []
    for k, param in enumerate(plan.params):
        kind = param.kind
        if kind == "extent":
            parts.append(f"c.extents.get({param.indices[0]!r}, 0)")
        elif kind in ("chunk_lo", "chunk_hi"):
            parts.append(f"c.chunk[{0 if kind == 'chunk_lo' else 1}]")
        elif param.operand != plan.output.tensor and param.level >= 0 and kind.isidentifier():
            parts.append(f"c.arrays[{param.operand!r}].levels[{param.level}].{kind}")
        elif param.operand != plan.output.tensor and kind == "vals":
            parts.append(f"c.arrays[{param.operand!r}].vals")
        else:
            namespace[f"make{k}"] = _argument_maker(plan, param)
            parts.append(f"make{k}(c)")
    exec(f"def arguments(c):\n    return [{', '.join(parts)}]\n", namespace)  # noqa: S102 (our own text)
    return namespace["arguments"]


def _argument_maker(plan: Plan, param):
    """A function from a call's context to this kernel argument."""
    kind = param.kind
    if kind == "extent":
        index = param.indices[0]
        return lambda c: c.extents.get(index, 0)
    if kind == "chunk_lo":
        return lambda c: c.chunk[0]
    if kind == "chunk_hi":
        return lambda c: c.chunk[1]
    if param.operand == plan.output.tensor:
        return lambda c: c.output.argument(param)
    if param.level >= 0:  # an array of a level: the level's storage has it under the same name
        operand, level, attribute = param.operand, param.level, kind
        return lambda c: getattr(c.arrays[operand].levels[level], attribute)
    if kind == "vals":
        operand = param.operand
        return lambda c: c.arrays[operand].vals
    if kind in ("pair_crd", "pair_vals"):
        return lambda c: np.zeros(1024, dtype=np.int64 if kind == "pair_crd" else c.work_dtype)
    if kind == "workspace":
        return _workspace_maker(param)
    if kind == "workspace_list":
        indices = param.indices
        return lambda c: np.empty(math.prod(c.extents[i] for i in indices), dtype=np.int64)  # written before read
    if kind == "workspace_seen":  # a bitmap, 64 coordinates a word
        index = param.indices[0]
        return lambda c: np.zeros(c.extents[index] // 64 + 1, dtype=np.uint64)
    if kind == "workspace_summary":  # a bitmap of the nonzero words of the one above, 4096 coordinates a word
        index = param.indices[0]
        return lambda c: np.zeros(c.extents[index] // 4096 + 1, dtype=np.uint64)
    if kind == "typed_zero":
        return _temp_type_maker(param.expr, "zero")
    if kind == "identity":
        return _temp_type_maker(param.expr, "identity")
    if kind == "zero":
        return lambda c: c.dtype.type(0)
    raise InternalError(f"unknown kernel parameter kind {kind!r}")


class TempType:
    """The type NumPy gives the reduction `expr` (a temporary's), from the value types of the operands
    it reads (`names`, in order): a 0 and the reduction's identity of that type, memoized per types
    (a dict look-up on a warm call). Numba has no float16 arithmetic: float32 stands for it."""

    def __init__(self, expr):
        self.expr = expr
        self.names = tuple(sorted({access.tensor for access in ir.accesses(expr)}))
        self.known: dict = {}

    def dtype(self, key: tuple) -> np.dtype:
        return self._types(key)[0]

    def zero(self, key: tuple):
        return self._types(key)[1]

    def identity(self, key: tuple):
        return self._types(key)[2]

    def _types(self, key: tuple):
        types = self.known.get(key)
        if types is None:
            dtypes = dict(zip(self.names, key))
            dtype = result_dtype(self.expr, dtypes)
            # argmin/argmax: an int64 coordinate, beside a running value of the terms' type
            compared = result_dtype(self.expr.body, dtypes) if BY_OP[self.expr.op].arg else dtype
            dtype, compared = (np.dtype(np.float32) if t == np.float16 else t for t in (dtype, compared))
            types = self.known[key] = (dtype, dtype.type(0), typed_identity(self.expr.op, compared))
        return types


def _temp_type_maker(expr, what: str):
    """A function from a call's context to `what` (dtype, zero or identity) of the temporary `expr`."""
    typed = TempType(expr)
    names, get = typed.names, getattr(typed, what)
    return lambda c: get(tuple(c.arrays[name].vals.dtype for name in names))


def _workspace_maker(param):
    """A dense workspace: zeros of the work type for a sum (a bool sum counts), the identity of the
    reduction in the temporary's own type for any other (+inf for min)."""
    indices = param.indices
    if param.expr is None or param.expr.op == "add":
        return lambda c: np.zeros(math.prod(c.extents[i] for i in indices), dtype=c.work_dtype)
    dtype, identity = _temp_type_maker(param.expr, "dtype"), _temp_type_maker(param.expr, "identity")
    return lambda c: np.full(math.prod(c.extents[i] for i in indices), identity(c), dtype=dtype(c))


def _level0_positions(tensor: Tensor, walk: str, lo: int, hi: int) -> tuple[int, int]:
    """The positions of level 0 a chunk [lo, hi) of the split loop covers: `lo` and `hi` are positions
    already, or coordinates whose positions the level finds."""
    return (lo, hi) if walk == "positions" else tensor.levels[0].span(lo, hi)


def _entries_below(tensor: Tensor, lo: int, hi: int) -> int:
    """How many stored entries of `tensor` lie below positions [lo, hi) of its level 0."""
    for level in tensor.levels[1:]:
        lo, hi = level.children(lo, hi)
    return hi - lo


def _derive(tensor: Tensor, modes, fmt) -> Tensor:
    """The diagonal over merged modes (`A[i,i]`), stored in `fmt`, from the tensor's coordinates."""
    coords, values = tensor.to_coo()
    keep = np.ones(len(values), dtype=bool)
    for group in modes:
        for mode in group[1:]:
            keep &= coords[group[0]] == coords[mode]
    kept = coords[[group[0] for group in modes]][:, keep]
    shape = tuple(tensor.shape[group[0]] for group in modes)
    return from_coo(kept, values[keep], shape, fmt)
