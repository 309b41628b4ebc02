"""A compiled kernel and its call path: operands in, checked, unpacked into arrays, result out.

The wrapper is thin on purpose: it converts operands to the formats the kernel was compiled for (no copy
when they already are), checks that every index has one extent, prepares derived operands (diagonals,
copies in another mode order), starts the output at zero (or at its old values for `+=`), and passes
flat arrays to the Numba function.
"""

from __future__ import annotations

import math
import os

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.check import check_operand_ranks, written
from einsparse.compiler.dtypes import result_dtype
from einsparse.compiler.pipeline import Plan
from einsparse.errors import DTypeError, EinsparseError, InternalError, OperandError, ShapeError
from einsparse.runtime import cache
from einsparse.runtime.convert import as_tensor, from_coo, operand_shape
from einsparse.runtime.levels import DenseLevel
from einsparse.runtime.tensor import VALUE_DTYPES, Tensor


class Kernel:
    """A statement compiled for given formats. Call it with the operands as keyword arguments."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._dispatcher = None
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
        output = _Output(plan, extents, dtype, given_output)
        arrays = _kernel_operands(plan, tensors)
        arrays[output_name] = output.tensor
        args = _arguments(plan, arrays, extents, output.dtype)
        try:
            self.dispatcher(*args)
        except EinsparseError:
            raise
        except Exception as error:  # a Numba typing or lowering failure is our bug, not the user's
            raise InternalError(f"kernel for {self.statement} failed: {type(error).__name__}: "
                                f"{str(error).splitlines()[0] if str(error) else ''}") from error
        return output.result()

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


class _Output:
    """The dense output buffer: fresh zeros, the caller's array (`=` writes into it), or its old values
    (`+=` accumulates into them)."""

    def __init__(self, plan: Plan, extents: dict, dtype: np.dtype, given):
        self.plan = plan
        self.given = given
        fmt = plan.formats[plan.output.tensor]
        self.shape = tuple(extents[i] for i in plan.output.indices)
        self.storage_shape = tuple(self.shape[m] for m in fmt.mode_order)
        self.mode_order = fmt.mode_order
        accumulate = plan.statement.op == "+="
        name = plan.output.tensor
        if isinstance(given, np.ndarray):
            if not given.flags.writeable:
                raise OperandError(f"output {name} is a read-only array; pass a writable one, or leave "
                                   f"{name} out to get a new array")
            if given.dtype.kind not in "biufc":
                raise DTypeError(f"output {name} has dtype {given.dtype}, which einsparse does not compute "
                                 f"with; use float32, float64, int32, int64 or complex128")
            if not accumulate and not np.can_cast(dtype, given.dtype, "same_kind"):
                raise DTypeError(f"cannot write a {dtype} result into output {name} of dtype "
                                 f"{given.dtype}")
        if accumulate:
            old = (given if isinstance(given, np.ndarray)
                   else as_tensor(given, name=f"output {name}").to_numpy())  # scipy, pydata, Tensor, lists
            if old.dtype not in VALUE_DTYPES:
                raise DTypeError(f"output {name} has dtype {old.dtype}, which einsparse does not compute "
                                 f"with; use float32, float64, int32, int64 or complex128")
            if not np.can_cast(dtype, old.dtype, "same_kind"):
                raise DTypeError(f"cannot accumulate a {dtype} result into output {name} of dtype "
                                 f"{old.dtype}")
            dtype = old.dtype
        self.dtype = np.dtype(dtype)
        size = math.prod(self.storage_shape)
        _guard_dense(size, self.dtype, self.shape, plan.output.tensor)
        self.in_place = (isinstance(given, np.ndarray) and given.dtype == self.dtype
                         and given.flags.c_contiguous and given.flags.writeable
                         and self.mode_order == tuple(range(len(self.shape))))
        if self.in_place:
            vals = given.reshape(-1)
            if not accumulate:
                vals.fill(0)
        elif accumulate:
            vals = np.ascontiguousarray(np.transpose(old, self.mode_order), dtype=self.dtype).reshape(-1).copy()
        else:
            vals = np.zeros(size, dtype=self.dtype)
        self.tensor = Tensor(self.shape, fmt, [DenseLevel(n) for n in self.storage_shape], vals)

    def result(self):
        vals = self.tensor.vals
        if not self.shape:
            value = vals[0]
            if isinstance(self.given, np.ndarray) and self.given.ndim == 0:
                self.given[()] = value
            return value
        array = vals.reshape(self.storage_shape).transpose(np.argsort(self.mode_order))
        if self.in_place:
            return self.given
        if isinstance(self.given, np.ndarray):
            np.copyto(self.given, array, casting="same_kind")
            return self.given
        return array


def _guard_dense(size: int, dtype: np.dtype, shape, name: str) -> None:
    try:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if size * dtype.itemsize > limit:
        gib = size * dtype.itemsize / 2**30
        raise ShapeError(f"the dense output {name} of shape {shape} would need {gib:.1f} GiB, more than this "
                         f"machine's memory")


def _kernel_operands(plan: Plan, tensors: dict) -> dict[str, Tensor]:
    """The arrays each kernel operand reads: the user's tensor, or a prepared copy of it."""
    arrays = {}
    output = plan.output.tensor
    for name, operand in plan.operands.items():
        if operand.tensor == output:
            continue
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


def _arguments(plan: Plan, arrays: dict, extents: dict, dtype: np.dtype) -> list:
    args = []
    for param in plan.params:
        if param.kind == "extent":
            args.append(extents.get(param.indices[0], 0))
        elif param.kind in ("pos", "crd"):
            level = arrays[param.operand].levels[param.level]
            args.append(level.pos if param.kind == "pos" else level.crd)
        elif param.kind == "vals":
            args.append(arrays[param.operand].vals)
        elif param.kind == "workspace":
            args.append(np.zeros(math.prod(extents[i] for i in param.indices), dtype=dtype))
        elif param.kind == "zero":
            args.append(dtype.type(0))
        else:
            raise InternalError(f"unknown kernel parameter kind {param.kind!r}")
    return args
