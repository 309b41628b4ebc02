"""A compiled kernel and its call path: operands in, checked, unpacked into arrays, result out.

The wrapper is thin on purpose: it converts operands to the formats the kernel was compiled for (no copy
when they already are), checks that every index has one extent, prepares derived operands (diagonals,
copies in another mode order), starts the output at zero (or at its old values for `+=`), and passes
flat arrays to the Numba function.
"""

from __future__ import annotations

import math

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.check import check_operand_ranks, written
from einsparse.compiler.dtypes import result_dtype
from einsparse.compiler.lower import PAIR_LIST
from einsparse.compiler.pipeline import Plan, compile_plan
from einsparse.errors import EinsparseError, InternalError, OperandError, ShapeError
from einsparse.runtime import cache
from einsparse.runtime.convert import as_tensor, from_coo, operand_shape
from einsparse.runtime.output import make_output
from einsparse.runtime.tensor import Tensor


class Kernel:
    """A statement compiled for given formats. Call it with the operands as keyword arguments."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._dispatcher = None
        self._variants: dict[str, tuple] = {}  # workspace kind -> (plan, dispatcher)
        # Worked out once, so a call does little more than convert operands and check extents.
        self._inputs = set(plan.inputs)
        self._input_formats = tuple((name, plan.formats[name]) for name in plan.inputs)
        self._accumulate = plan.statement.op == "+="
        self._extent_checks = tuple((access.tensor, mode, plan.origin(index))
                                    for access in ir.accesses(plan.index_notation.rhs)
                                    for mode, index in enumerate(access.indices))
        self._dtypes: dict[tuple, np.dtype] = {}

    @property
    def source(self) -> str:
        """The generated Python module, as compiled by Numba."""
        return self.plan.source

    @property
    def formats(self) -> dict[str, str]:
        return {name: fmt.name for name, fmt in self.plan.formats.items()}

    @property
    def statement(self) -> str:
        return str(self.plan.statement)

    def explain(self) -> str:
        """The loop order, the co-iteration at each loop, temporaries and prepared operands."""
        return self.plan.explanation

    def __repr__(self) -> str:
        formats = ", ".join(f"{k}={v}" for k, v in self.formats.items())
        return f"Kernel({self.statement!r}, {formats})"

    @property
    def dispatcher(self):
        """The Numba dispatcher (compiled on first call, or loaded from the disk cache)."""
        if self._dispatcher is None:
            self._dispatcher = cache.load_kernel(self.plan.source)
        return self._dispatcher

    def __call__(self, *positional, **operands):
        if positional:
            raise OperandError(f"pass the operands of {self.statement} by name, e.g. "
                               f"kernel({', '.join(f'{n}=...' for n in self.plan.inputs)})")
        plan = self.plan
        output_name = plan.output.tensor
        given_output = operands.pop(output_name, None)
        if operands.keys() != self._inputs or (self._accumulate and given_output is None):
            _check_names(plan, operands, given_output)  # raises the precise error
        failure = None
        try:
            tensors = {name: as_tensor(operands[name], fmt, name=f"operand {name}")
                       for name, fmt in self._input_formats}
            extents = self._extents(tensors, given_output)
        except EinsparseError as error:
            failure = error
        if failure is not None:
            _check_names(plan, operands, given_output)  # a rank mistake gets its caret message
            raise failure
        dtypes = tuple(t.dtype for t in tensors.values())
        dtype = self._dtypes.get(dtypes)
        if dtype is None:
            dtype = result_dtype(plan.index_notation.rhs, dict(zip(tensors, dtypes)))
            self._dtypes[dtypes] = dtype
        stored = sum(t.nnz for t in tensors.values())
        plan, dispatcher = self._variant(extents, stored)
        output = make_output(plan, extents, dtype, given_output, stored)
        arrays = _kernel_operands(plan, tensors, given_output)
        args = _arguments(plan, arrays, output, extents)
        try:
            returned = dispatcher(*args)
        except EinsparseError:
            raise
        except Exception as error:  # a Numba typing or lowering failure is our bug, not the user's
            raise InternalError(f"kernel for {self.statement} failed: {type(error).__name__}: "
                                f"{str(error).splitlines()[0] if str(error) else ''}") from error
        return output.result(returned)

    def _variant(self, extents: dict, stored: int):
        """The plan and dispatcher to run: one-index workspaces are dense rows unless a row would be
        much longer than the operands' stored entries, in which case they are pair lists."""
        budget = 4 * stored + 65536
        if all(math.prod(extents[i] for i in row) <= budget for row in self.plan.row_workspaces):
            return self.plan, self.dispatcher
        if PAIR_LIST not in self._variants:
            plan = compile_plan(self.plan.statement, self.plan.formats, workspace=PAIR_LIST)
            self._variants[PAIR_LIST] = (plan, cache.load_kernel(plan.source))
        return self._variants[PAIR_LIST]

    def _extents(self, tensors: dict, given_output) -> dict[str, int]:
        """The extent of every index; any disagreement is reported by `_extents` with its culprits."""
        extents: dict[str, int] = {}
        for name, mode, index in self._extent_checks:
            extent = tensors[name].shape[mode]
            if extents.setdefault(index, extent) != extent:
                return _extents(self.plan, tensors, given_output)
        if given_output is not None or any(i not in extents for i in self.plan.output.indices):
            return _extents(self.plan, tensors, given_output)
        return extents


def _check_names(plan: Plan, operands: dict, given_output) -> None:
    missing = [name for name in plan.inputs if name not in operands]
    if missing:
        raise OperandError(f"missing operand {missing[0]} for {plan.statement}")
    unexpected = [name for name in operands if name not in plan.inputs]
    if unexpected:
        raise OperandError(f"unexpected operand {unexpected[0]}: it is not in {plan.statement}")
    if plan.statement.op == "+=" and given_output is None:
        raise OperandError(f"missing operand {plan.output.tensor}: '+=' accumulates into it, so pass it")
    shapes = {name: operand_shape(operands[name], name=f"operand {name}") for name in plan.inputs}
    if given_output is not None:
        shapes[plan.output.tensor] = operand_shape(given_output, name=f"output {plan.output.tensor}")
    check_operand_ranks(plan.index_notation, shapes, plan.statement.text or str(plan.statement))


def _extents(plan: Plan, tensors: dict, given_output) -> dict[str, int]:
    """One extent per index, checked against every operand that uses it."""
    extents: dict[str, tuple[int, str]] = {}
    text = plan.statement.text or str(plan.statement)

    def record(access: ir.Access, shape) -> None:
        for mode, index in enumerate(access.indices):
            name = plan.origin(index)
            extent = int(shape[mode])
            where = f"{written(access, text)} (mode {mode})"
            if name in extents and extents[name][0] != extent:
                raise ShapeError(f"index {name} has extent {extents[name][0]} in {extents[name][1]} "
                                 f"but {extent} in {where}")
            extents.setdefault(name, (extent, where))

    for access in ir.accesses(plan.index_notation.rhs):
        record(access, tensors[access.tensor].shape)
    output = plan.output
    if given_output is not None:
        shape = np.shape(given_output) if not isinstance(given_output, Tensor) else given_output.shape
        if len(shape) != len(output.indices):
            raise ShapeError(f"output {output.tensor} has rank {len(shape)} but the statement indexes it "
                             f"with {len(output.indices)} indices")
        record(output, shape)
    for index in output.indices:
        if index not in extents:
            raise ShapeError(f"the extent of index {index} is unknown: it appears only in the output "
                             f"{output.tensor}; pass {output.tensor}=<array> to give the output's shape")
    return {name: extent for name, (extent, _) in extents.items()}


def _kernel_operands(plan: Plan, tensors: dict, given_output) -> dict[str, Tensor]:
    """The arrays each kernel operand reads: the user's tensor, or a prepared copy of it."""
    arrays = {}
    output = plan.output.tensor
    for name, operand in plan.operands.items():
        if operand.tensor == output:
            continue
        if operand.tensor == plan.old_values:  # `+=` into a sparse output reads the given output
            source = as_tensor(given_output, operand.source_format, name=f"output {output}")
        else:
            source = tensors[operand.tensor]
        arrays[name] = _derive(source, operand.modes, operand.format) if operand.derived else source
    return arrays


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


def _arguments(plan: Plan, arrays: dict, output, extents: dict) -> list:
    args = []
    dtype = output.dtype
    for param in plan.params:
        if param.kind == "extent":
            args.append(extents.get(param.indices[0], 0))
        elif param.operand == plan.output.tensor:
            args.append(output.argument(param))
        elif param.kind in ("pos", "crd"):
            level = arrays[param.operand].levels[param.level]
            args.append(level.pos if param.kind == "pos" else level.crd)
        elif param.kind == "vals":
            args.append(arrays[param.operand].vals)
        elif param.kind in ("pair_crd", "pair_vals"):
            args.append(np.zeros(1024, dtype=np.int64 if param.kind == "pair_crd" else dtype))
        elif param.kind in ("workspace", "workspace_list", "workspace_seen"):
            kind = {"workspace": dtype, "workspace_list": np.int64, "workspace_seen": np.bool_}[param.kind]
            args.append(np.zeros(math.prod(extents[i] for i in param.indices), dtype=kind))
        elif param.kind == "zero":
            args.append(dtype.type(0))
        else:
            raise InternalError(f"unknown kernel parameter kind {param.kind!r}")
    return args
