"""A compiled kernel and its call path: operands in, checked, unpacked into arrays, result out.

The wrapper is thin on purpose: it converts operands to the formats the kernel was compiled for (no copy
when they already are), checks that every index has one extent, prepares derived operands (diagonals,
copies in another mode order), starts the output at zero (or at its old values for `+=`), and passes
flat arrays to the Numba function.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.check import check_operand_ranks
from einsparse.compiler.dtypes import checked_rhs, early_wrap, literal_overflow, result_dtype, type_error
from einsparse.compiler.fills import same, value
from einsparse.compiler.pipeline import compile_plan
from einsparse.compiler.plan import Plan
from einsparse.compiler.reductions import BY_OP
from einsparse.compiler.syntax import deparse
from einsparse.compiler.workspaces import DENSE_ROW, PAIR_LIST
from einsparse.errors import (DTypeError, EinsparseError, InternalError, NotSupportedError, OperandError, ShapeError,
                              point_at)
from einsparse.runtime import cache
from einsparse.runtime.call import Call
from einsparse.runtime.compile_log import kernel_label
from einsparse.runtime.convert import as_tensor, operand_shape
from einsparse.runtime.display import kernel_html
from einsparse.runtime.extents import index_extents
from einsparse.runtime.shim import FULL, make_shim
from einsparse.runtime.stored import stored_reader
from einsparse.runtime.parallel import thread_count
from einsparse.runtime.tensor import Tensor

if TYPE_CHECKING:
    from einsparse.runtime.annotations import Array, Operand

    # What a call returns: a dense NumPy array, a sparse tensor, or a NumPy scalar for a 0-d output.
    Result = Union[Array, Tensor, np.generic]


class Kernel:
    """A statement compiled for given formats. Call it with the operands as keyword arguments.

    Made by `es.compile` (and by `es.evaluate`, which keeps one per statement and kinds of operands).
    A call converts operands to the formats the kernel was compiled for (no copy when they already
    are), checks that every index has one extent, and runs the Numba function.

    Parameters
    ----------
    plan : Plan
        The compiled statement (`compiler.pipeline.compile_plan`).
    threads : int or str, optional
        How many threads a call may use when the kernel's outermost loop can be cut into chunks
        (default ``$EINSPARSE_THREADS``, else 1; 0 for every core; see `parallel`).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    >>> kernel
    Kernel('y[i] = A[i,j]*x[j]', y=dense, A=csr, x=dense)
    >>> kernel(A=sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]])), x=np.array([1, 2, 3]))
    array([7, 6])
    >>> print(kernel.explain().splitlines()[3])
    loop order:     i, j
    """

    def __init__(self, plan: Plan, threads: int | str | None = None):
        self.plan = plan
        self.threads = thread_count(threads)
        self._dispatcher = None
        self._calls: dict[str, Call] = {}  # workspace kind -> how to call that variant
        # Worked out once, so a call does little more than convert operands and check extents.
        self._inputs = set(plan.inputs)
        self._input_formats = tuple((name, plan.formats[name], f"operand {name}", stored_reader(plan.formats[name]))
                                    for name in plan.inputs)
        self._accumulate = plan.statement.op == "+="
        self._extent_checks = tuple((access.tensor, mode, plan.origin(index))
                                    for access in ir.accesses(plan.index_notation.rhs)
                                    for mode, index in enumerate(access.indices))
        self._dtypes: dict[tuple[np.dtype[Any], ...], np.dtype[Any]] = {}
        self._fill_key = fill_key(dict(plan.fills))
        self._variants: dict[tuple[tuple[str, str], ...], Kernel] = {}  # the same statement compiled for other operands' fills
        self._output_fill = None if same(plan.output_fill, 0) else plan.output_fill
        # Calls that a shim can make (see `shim`): no workspace row whose kind depends on the extents, no
        # operand derived before the kernel, a fresh dense output, one chunk. Made after a first call.
        self._shim: Any = None  # a function of the operands (`shim.make_shim`)
        self._arg_reductions = _arg_reductions(plan)
        self._shimmable = (not plan.row_workspaces and plan.old_values is None
                          and not any(op.derived for op in plan.operands.values())
                          and (plan.split is None or self.threads == 1)
                          and (plan.kernel_output_format is None or plan.kernel_output_format.is_dense)
                          and plan.statement.op == "=" and not self._arg_reductions)

    @property
    def source(self) -> str:
        """The generated Python module, as compiled by Numba.

        Examples
        --------
        >>> import einsparse as es
        >>> print(es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}).source.splitlines()[0])
        # einsparse kernel for: y[i] = A[i,j]*x[j]
        """
        return self.plan.source

    @property
    def formats(self) -> dict[str, str]:
        """The format each tensor was compiled for, by name (the output first)."""
        return {name: fmt.name for name, fmt in self.plan.formats.items()}

    @property
    def statement(self) -> str:
        """The statement's text."""
        return str(self.plan.statement)

    def explain(self) -> str:
        """A report of the compiled statement: its index notation, formats, loop order, the
        co-iteration at each loop, temporaries and prepared operands.

        Returns
        -------
        str
            Lines of ``topic: facts``, the nested ones indented below their topic.

        Examples
        --------
        >>> import einsparse as es
        >>> report = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}).explain()
        >>> for line in report.splitlines()[:4]:
        ...     print(line)
        statement:      y[i] = A[i,j]*x[j]
        index notation: y[i] = Sum(j, A[i,j]*x[j])
        formats:        y=dense, A=csr, x=dense
        loop order:     i, j
        """
        return self.plan.explanation

    def __repr__(self) -> str:
        formats = ", ".join(f"{k}={v}" for k, v in self.formats.items())
        threads = f", threads={self.threads}" if self.threads != 1 else ""
        return f"Kernel({self.statement!r}, {formats}{threads})"

    def _repr_html_(self) -> str:
        """How Jupyter shows a kernel: its statement, formats and `explain()`."""
        return kernel_html(self)

    @property
    def dispatcher(self) -> Any:  # a numba Dispatcher
        """The Numba dispatcher (compiled on first call, or loaded from the disk cache)."""
        if self._dispatcher is None:
            self._dispatcher = cache.load_kernel(self.plan.source, kernel_label(self.plan))
        return self._dispatcher

    def __call__(self, *positional: Operand, shape: int | tuple[int, ...] | None = None,
                 **operands: Operand) -> Result:
        """Run on the operands given by name; the output too for ``+=`` (or to be written in place).

        Parameters
        ----------
        shape : int or tuple of int, optional
            The output's shape where no operand tells an index's extent (``a[i,j] = i + j``).
        **operands
            NumPy arrays, numbers, scipy.sparse matrices, pydata/sparse arrays, einsparse tensors.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            As `es.evaluate` returns them.

        Raises
        ------
        OperandError
            Operands given by position, missing, unexpected, of the wrong rank or unreadable.
        ShapeError
            Extents of one index disagree, or an output extent is unknown.
        DTypeError, NotSupportedError
            Value types einsparse does not compute with, or a computation NumPy types otherwise.
        InternalError
            The generated code failed: a bug in einsparse.
        """
        if positional:
            raise OperandError(f"pass the operands of {self.statement} by name, e.g. "
                               f"kernel({', '.join(f'{n}=...' for n in self.plan.inputs)})")
        plan = self.plan
        shim = self._shim
        result: Result
        if shim is not None and SHIMS and shape is None:
            result = shim(operands)
            if result is not FULL:
                return result
        given_output = operands.pop(plan.output.tensor, None)
        if operands.keys() != self._inputs or (self._accumulate and given_output is None):
            _check_names(plan, operands, given_output)  # raises the precise error
        failure = None
        try:
            tensors = {name: read(operands[name]) or as_tensor(operands[name], fmt, name=label)
                       for name, fmt, label, read in self._input_formats}
            extents = self._extents(tensors, given_output, shape)
        except EinsparseError as error:
            failure = error
        if failure is not None:
            _check_names(plan, operands, given_output)  # a rank mistake gets its caret message
            raise failure
        for name, index in self._arg_reductions:
            if extents[index] == 0:
                raise ShapeError(f"{name}[{index}] in {self.statement}: index {index} has extent 0, and an "
                                 f"empty sequence has no {name} (as in NumPy)")
        fills = {name: t._fill for name, t in tensors.items() if t._fill is not None}
        replaced_fill = None  # an output written with '=' holds the result's fill, which it must be
        if isinstance(given_output, Tensor) and given_output._fill is not None:
            if self._accumulate:
                fills[plan.output.tensor] = given_output._fill
            else:
                replaced_fill = given_output._fill
        if fill_key(fills) != self._fill_key:  # compiled for other fills: the variant for these
            if given_output is not None:
                operands[plan.output.tensor] = given_output
            return self._variant(fills)(shape=shape, **operands)
        result_fill = value(self._output_fill) if self._output_fill is not None else 0
        if replaced_fill is not None and not same(value(replaced_fill), result_fill):
            _refuse_fill(plan.output.tensor, replaced_fill, self._output_fill)
        dtypes = tuple(t.vals.dtype for t in tensors.values())
        dtype = self._dtypes.get(dtypes)
        if dtype is None:
            _refuse_what_numpy_computes_otherwise(plan, dict(zip(tensors, dtypes)))
            dtype = result_dtype(plan.index_notation.rhs, dict(zip(tensors, dtypes)))
            self._dtypes[dtypes] = dtype
        stored = sum(len(t.vals) for t in tensors.values())
        call = self._call_for(extents, stored)
        if self._shimmable and self._shim is None and DENSE_ROW in self._calls:
            self._shim = make_shim(plan, self._calls[DENSE_ROW].dispatcher, self._dtypes,
                                   lambda error: _internal(self.statement, error))
            self._shimmable = self._shim is not None
        try:
            # Numba has no half-precision arithmetic: a float16 result (exp of int8) is computed in float32.
            result = call.run(tensors, extents, np.dtype(np.float32) if dtype == _HALF else dtype, stored,
                              given_output, self.threads)
            if dtype == np.float32 and given_output is None:
                result = _as_half(result, plan, operands)
            elif dtype == _HALF and given_output is None:
                result = _half(result)
            if self._output_fill is not None and isinstance(result, Tensor):
                result._fill = np.asarray(self._output_fill).astype(result.vals.dtype)[()]  # type: ignore[assignment]
            return result
        except EinsparseError:
            raise
        except Exception as error:  # a Numba typing or lowering failure is our bug, not the user's
            raise _internal(self.statement, error) from error

    def _variant(self, fills: dict[str, Any]) -> Kernel:
        key = fill_key(fills)
        kernel = self._variants.get(key)
        if kernel is None:
            plan = compile_plan(self.plan.statement, self.plan.formats, fills=fills)
            kernel = self._variants.setdefault(key, Kernel(plan, self.threads))
        return kernel

    def _call_for(self, extents: dict[str, int], stored: int) -> Call:
        """How to run this call: one-index workspaces are dense rows unless a row would be much longer
        than the operands' stored entries, in which case they are pair lists."""
        budget = 4 * stored + 65536
        workspace = (DENSE_ROW if all(math.prod(extents[i] for i in row) <= budget
                                      for row in self.plan.row_workspaces) else PAIR_LIST)
        call = self._calls.get(workspace)
        if call is None:
            if workspace == DENSE_ROW:
                call = Call(self.plan, self.dispatcher)
            else:
                plan = compile_plan(self.plan.statement, self.plan.formats, workspace=PAIR_LIST,
                                    fills=dict(self.plan.fills))
                call = Call(plan, cache.load_kernel(plan.source, f"{kernel_label(plan)} with pair-list workspaces"))
            self._calls[workspace] = call
        return call

    def _extents(self, tensors: dict[str, Tensor], given_output: Operand | None, shape: Any) -> dict[str, int]:
        """The extent of every index; any disagreement is reported by `index_extents` with its culprits."""
        extents: dict[str, int] = {}
        for name, mode, index in self._extent_checks:
            extent = tensors[name].shape[mode]
            if extents.setdefault(index, extent) != extent:
                return index_extents(self.plan, tensors, given_output, shape)
        if given_output is not None or shape is not None or any(i not in extents for i in self.plan.output.indices):
            return index_extents(self.plan, tensors, given_output, shape)
        return extents


# Shims on (tests that count the chunks of every call turn them off).
SHIMS = True


def _internal(statement: str, error: Exception) -> InternalError:
    return InternalError(f"kernel for {statement} failed: {type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else ''}")


def _check_names(plan: Plan, operands: dict[str, Operand], given_output: Operand | None) -> None:
    missing = [name for name in plan.inputs if name not in operands]
    if missing:
        raise OperandError(f"missing operand {missing[0]} for {plan.statement}")
    unexpected = [name for name in operands if name not in plan.inputs]
    indices = {plan.origin(index) for index in ir.index_set(plan.index_notation.rhs)} | set(plan.output.indices)
    if unexpected and unexpected[0] in indices:
        raise OperandError(f"unexpected operand {unexpected[0]}: {unexpected[0]} is an index of {plan.statement} "
                           f"(standing alone, its coordinate), not a tensor; give the tensor another name")
    if unexpected:
        raise OperandError(f"unexpected operand {unexpected[0]}: it is not in {plan.statement}")
    if plan.statement.op == "+=" and given_output is None:
        raise OperandError(f"missing operand {plan.output.tensor}: '+=' accumulates into it, so pass it")
    shapes = {name: operand_shape(operands[name], name=f"operand {name}") for name in plan.inputs}
    if given_output is not None:
        shapes[plan.output.tensor] = operand_shape(given_output, name=f"output {plan.output.tensor}")
    check_operand_ranks(plan.index_notation, shapes, plan.statement.text or str(plan.statement))


def fill_key(fills: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Fills as a key: nan equals nan, 0.0 is no fill."""
    return tuple(sorted((name, repr(value(fill))) for name, fill in fills.items() if not same(value(fill), 0)))


def _refuse_fill(name: str, fill: Any, result_fill: Any) -> None:
    raise NotSupportedError(f"output {name} has fill {fill}: an output written with '=' is replaced, not read, "
                            f"and this result's fill is {0 if result_fill is None else result_fill}; pass no "
                            f"output, or one of that fill")


def _refuse_what_numpy_computes_otherwise(plan: Plan, dtypes: dict[str, np.dtype[Any]]) -> None:
    """A literal out of an integer operand's range (NumPy refuses it), and a narrow integer step NumPy
    wraps before it divides or widens it (einsparse computes integer steps in 64 bits)."""
    text = plan.statement.text
    rhs = checked_rhs(plan.statement)
    wrong = type_error(rhs, dtypes)
    if wrong is not None:
        node, message = wrong
        raise DTypeError(point_at(message, text, node.span.start, node.span.end) if text else message)
    overflow = literal_overflow(rhs, dtypes)
    if overflow is not None:
        node, value, dtype = overflow
        message = (f"the number {value} does not fit {dtype}, the type of the operand it meets (NumPy "
                   f"refuses it too): cast the operand to a wider type")
        raise DTypeError(point_at(message, text, node.span.start, node.span.end) if text else message)
    found = early_wrap(rhs, dtypes)
    if found is None:
        return
    node, dtype, fate = found
    message = (f"{deparse(node)} is {dtype} and NumPy wraps it in {dtype} before it is {fate}; einsparse "
               f"computes integer steps in 64 bits and wraps only where a value is stored: cast the operands "
               f"to int64 or a float type")
    raise NotSupportedError(point_at(message, text, node.span.start, node.span.end) if text else message)


def _arg_reductions(plan: Plan) -> tuple[tuple[str, str], ...]:
    """(argmin or argmax, the index it reduces) of each such reduction in the statement."""
    return tuple((BY_OP[s.op].name, plan.index_notation.origin(s.indices[0]))
                 for s in ir.arg_reductions(plan.index_notation.rhs))


_HALF = np.dtype(np.float16)


def _as_half(result: Result, plan: Plan, operands: dict[str, Operand]) -> Result:
    """A result NumPy types float16 (float16 operands, nothing wider), computed in float32 as NumPy's
    einsum accumulates it (Numba has no half-precision arithmetic), returned in float16."""
    if not any(getattr(value, "dtype", None) == _HALF for value in operands.values()):
        return result
    given = {name: np.dtype(getattr(value, "dtype", None) or np.asarray(value).dtype)
             for name, value in operands.items()}
    if result_dtype(plan.index_notation.rhs, given) != _HALF:
        return result
    return _half(result)


def _half(result: Result) -> Result:
    if isinstance(result, Tensor):
        return Tensor(result.shape, result.format, result.levels, result.vals.astype(_HALF))
    return result.astype(_HALF)
