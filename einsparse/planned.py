"""Long products run as planned: the kernels `compiler.planner` chooses for a call's operands, one
after another, each temporary handed to the next.

A `PlannedKernel` stands for a statement that is one product of three or more tensors. Each call
reads its operands' statistics (shape, stored entries), looks the plan up by a coarse bucket of them
(so a plan is made once for operands of about the same sparsity) and runs the plan's kernels, or the
fused kernel when one nest is estimated best. Everything else it is asked is the fused kernel's.
"""

from __future__ import annotations

import math

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.formats import Format
from einsparse.compiler.planner import Stats, plan_product, product_factors
from einsparse.errors import StatementError
from einsparse.runtime.convert import as_tensor, operand_shape
from einsparse.runtime.display import kernel_html
from einsparse.runtime.stored import operand_fill
from einsparse.runtime.tensor import Tensor

_UNPLANNED = object()
_KEPT_PLANS = 64  # plans kept per statement (distinct buckets of operand statistics)


def plannable(assignment: ir.Assignment) -> bool:
    """Whether a plan can split `assignment`: one product of three or more tensors."""
    found = product_factors(assignment)
    return found is not None and len(found[0]) >= 3 and assignment.op in ("=", "+=")


def check_optimize(optimize, caller: str = "") -> None:
    """NumPy's `optimize=` values: False, True, "greedy", "optimal", or a contraction path
    (["einsum_path", (0, 1), ...], as `einsum_path` returns, or the list of tuples alone)."""
    if isinstance(optimize, (bool, np.bool_)) or optimize in ("greedy", "optimal"):
        return
    if isinstance(optimize, (list, tuple)) and all(
            isinstance(step, (list, tuple)) and all(isinstance(k, (int, np.integer)) for k in step)
            for step in _path_steps(optimize)):
        return
    raise StatementError(f"{caller + ': ' if caller else ''}optimize={optimize!r} is not one of False, True, "
                         f"'greedy', 'optimal' or a "
                         f"contraction path such as ['einsum_path', (0, 1), (0, 1)]")


def _path_steps(path) -> list:
    steps = list(path)
    return steps[1:] if steps and steps[0] == "einsum_path" else steps


def plan_for_operands(assignment: ir.Assignment, formats: dict, operands: dict, optimize=True):
    """The plan for `assignment` on these operands (None: one fused nest), as a call would make it."""
    output = assignment.output.tensor
    if optimize is False or not all(_zero(operand_fill(v)) for n, v in operands.items() if n != output):
        return None
    stats = {name: _stats(value, formats.get(name)) for name, value in operands.items() if name != output}
    taken = {a.tensor for a in ir.accesses(assignment.rhs)} | {output}
    how = "auto" if optimize is True else (
        _path_steps(optimize) if isinstance(optimize, (list, tuple)) else optimize)
    return plan_product(assignment, stats, taken, how)


class PlannedKernel:
    """A product of three or more tensors, planned per call from its operands' statistics.

    `es.compile` returns one for a statement whose right side is one product of three or more
    tensors. Each call estimates, from its operands' shapes, stored entries and occupied coordinates,
    whether a sequence of pairwise kernels (`planner.plan_product`) is cheaper than the one fused nest,
    remembers the plan for operands of about that size, and runs it. `explain()` shows the last call's
    plan with each temporary's measured size; `last` holds (plan or None, {temporary: entries}).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, einsparse as es
    >>> A = sp.random(2000, 2000, density=0.005, format="csr", random_state=0)
    >>> kernel = es.compile("y[i] = A[i,j]*A[j,k]*x[k]", {"A": "csr"})
    >>> y = kernel(A=A, x=np.ones(2000))
    >>> np.allclose(y, A @ (A @ np.ones(2000)))
    True
    >>> [step.statement for step in kernel.last[0].steps]
    ['T0[j] = A[j,k]*x[k]', 'y[i] = A[i,j]*T0[j]']
    """

    def __init__(self, fused, assignment: ir.Assignment, formats: dict, threads, compile, optimize=True):
        self.fused, self.assignment, self.formats = fused, assignment, dict(formats)
        self.threads, self._compile, self.optimize = threads, compile, optimize
        self._plans: dict = {}
        self._kernels: dict = {}  # plan -> the kernels of its steps
        self.last = None  # (plan or None, {temporary: entries stored}) of the last call

    def __getattr__(self, name):
        return getattr(self.fused, name)

    def __repr__(self) -> str:
        return f"Planned{self.fused!r}"

    def _repr_html_(self) -> str:  # its own explain(), which __getattr__ would take from the fused kernel
        return kernel_html(self)

    def plan_for(self, operands: dict):
        """The plan for these operands (None: the fused kernel), memoized by a bucket of their statistics."""
        output = self.assignment.output.tensor
        key = tuple(_key(name, value, self.formats.get(name)) for name, value in operands.items() if name != output)
        plan = self._plans.get(key, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = plan_for_operands(self.assignment, self.formats, operands, self.optimize)
            if len(self._plans) >= _KEPT_PLANS:
                self._plans.clear()
                self._kernels.clear()
            self._plans[key] = plan
        return plan

    def steps_for(self, operands: dict, shape=None):
        """(the plan, its steps' kernels) of a call on `operands`, or None when the fused kernel runs."""
        plannable_call = (shape is None and self.optimize is not False
                          and all(_zero(operand_fill(value)) for value in operands.values()))
        plan = self.plan_for(operands) if plannable_call else None
        if plan is None:
            return None
        kernels = self._kernels.get(plan)
        if kernels is None:
            kernels = self._kernels[plan] = self._compiled(plan)
        return plan, kernels

    def run_steps(self, plan, kernels: list, operands: dict, call=None):
        """The plan's steps one after another, each temporary handed to the next; `call(step, kernel,
        given)` runs a step (default: the kernel on `given`, here)."""
        values, measured = dict(operands), {}
        output = self.assignment.output.tensor
        for step, kernel in zip(plan.steps, kernels):
            given = {name: values[name] for name in step.inputs}
            if step.output == output and output in operands:
                given[output] = operands[output]
            result = values[step.output] = kernel(**given) if call is None else call(step, kernel, given)
            if step.output != output:
                measured[step.output] = result.nnz if isinstance(result, Tensor) else int(np.size(result))
        self.last = (plan, measured)
        return values[output]

    def __call__(self, shape=None, **operands):
        found = self.steps_for(operands, shape)
        if found is None:
            self.last = (None, {})
            return self.fused(shape=shape, **operands)
        return self.run_steps(*found, operands)

    def _compiled(self, plan) -> list:
        """The kernels of `plan`'s steps: operands in their formats, temporaries in the plan's."""
        made = {step.output: _temporary_format(len(step.indices), step.dense) for step in plan.steps[:-1]}
        kernels = []
        for step in plan.steps:
            formats = {name: self.formats.get(name) or made[name] for name in step.inputs}
            formats[step.output] = made.get(step.output) or self.formats[step.output]
            if all(fmt.is_dense for fmt in formats.values()) and (
                    step.output in made or self.assignment.op == "="):
                kernels.append(_numpy_product(step))  # dense operands only: NumPy's BLAS products
            else:
                kernels.append(self._compile(step.statement, formats, self.threads))
        return kernels

    def explain(self) -> str:
        """The fused kernel's explanation, or the plan of the last call with each temporary's measured
        size."""
        plan, measured = self.last if self.last is not None else (None, {})
        if plan is None:
            note = ("plan:           one fused nest (estimated best for the last call's operands)"
                    if self.last is not None else
                    "plan:           made at each call from the operands' statistics; not called yet")
            return self.fused.explain() + "\n" + note
        lines = [plan.describe()]
        for step in plan.steps[:-1]:
            lines.append(f"  after the last call: {step.output} stored {measured[step.output]} entries "
                         f"(estimated {step.estimated_entries:.3g})")
        return "\n".join(lines)


def _numpy_product(step):
    """A step whose operands and result are all dense, run as NumPy's einsum of its factors (pairs of
    operands go to BLAS through tensordot): dense loops of our own are no match for it."""
    letters = {}
    for _, indices in step.factors:
        for index in indices:
            letters.setdefault(index, chr(ord("a") + len(letters)))
    subscripts = (",".join("".join(letters[i] for i in indices) for _, indices in step.factors) + "->"
                  + "".join(letters[i] for i in step.indices))
    scale = math.prod(step.scale) if step.scale else None
    pair = _tensordot_axes(step)

    def run(**given):
        output = given.pop(step.output, None)
        arrays = [given[name] if type(given[name]) is np.ndarray else as_tensor(given[name]).to_numpy()
                  for name, _ in step.factors]
        if pair is not None:
            axes, order = pair
            result = np.tensordot(arrays[0], arrays[1], axes)
            if order is not None:
                result = result.transpose(order)
        else:
            result = np.einsum(subscripts, *arrays, optimize=len(arrays) > 2 or "greedy")
        if scale is not None:
            result = result * scale
        if output is not None:  # written in place, as a kernel writes a given output
            np.copyto(output, result, casting="same_kind")
            return output
        return result
    return run


def _tensordot_axes(step):
    """(axes, the transposition after) of NumPy's tensordot computing a step of two factors, when it
    can: every index shared by the two is summed, every other one kept, none repeated. Else None."""
    if len(step.factors) != 2:
        return None
    (_, left), (_, right) = step.factors
    if len(set(left)) != len(left) or len(set(right)) != len(right):
        return None
    summed = [i for i in left if i in right]
    kept = [i for i in left if i not in summed] + [i for i in right if i not in summed]
    if any(i in step.indices for i in summed) or sorted(kept) != sorted(step.indices):
        return None
    axes = ([left.index(i) for i in summed], [right.index(i) for i in summed])
    order = tuple(kept.index(i) for i in step.indices)
    return axes, None if order == tuple(range(len(order))) else order


def _zero(fill) -> bool:
    try:
        return bool(fill == 0)
    except (TypeError, ValueError):
        return False


def _temporary_format(rank: int, dense: bool) -> Format:
    if dense or rank == 0:
        return Format.dense(rank)
    return Format.of_letters("c" if rank == 1 else "d" + "c" * (rank - 1))


def _key(name: str, value, fmt) -> tuple:
    """What the plan for an operand depends on, cheaply: its shape, whether it is read dense, and its
    stored entries to a factor of about 1.4 (a dense array's are its size)."""
    if type(value) is np.ndarray and (fmt is None or fmt.is_dense):
        return name, value.shape
    stats = _stats(value, fmt, occupied=False)
    return name, stats.shape, stats.dense, round(2 * math.log2(stats.stored + 1))


def statistics(value) -> Stats:
    """What the planner knows of an operand read in its own format (`_stats`)."""
    return _stats(value, None)


def _stats(value, fmt, occupied: bool = True) -> Stats:
    """An operand's shape, stored entries and (when `occupied`, at a pass over its indices) coordinates
    holding any along each mode, and whether it is read dense."""
    known = getattr(value, "planning_stats", None)  # a tensor held elsewhere (`cluster.persisted`) brings its own
    if known is not None:
        return known
    shape = tuple(value.shape) if isinstance(value, Tensor) or hasattr(value, "nnz") else operand_shape(value)
    if isinstance(value, Tensor):
        dense = value.format.is_dense if fmt is None else fmt.is_dense
        if dense or not occupied:
            return Stats(shape, value.nnz, dense)
        if value.ndim == 2 and _zero(value.fill):  # csr/csc wrap their arrays: nonempty rows from indptr
            return Stats(shape, value.nnz, False, _foreign_occupied(value.to_scipy(), shape))
        return Stats(shape, value.nnz, False, _occupied(value.to_coo()[0], shape))
    stored = getattr(value, "nnz", None)
    if stored is not None:  # scipy.sparse, pydata/sparse
        dense = fmt is not None and fmt.is_dense
        return Stats(shape, int(stored), dense, None if dense or not occupied else _foreign_occupied(value, shape))
    dense = fmt is None or fmt.is_dense
    if dense:
        return Stats(shape, math.prod(shape), True)
    array = np.asarray(value)
    return Stats(shape, int(np.count_nonzero(array)), False,
                 _occupied(np.nonzero(array), shape) if occupied else None)


def _occupied(coords, shape) -> tuple[int, ...]:
    """How many coordinates along each mode hold an entry, given the entries' coordinates."""
    return tuple(int(np.count_nonzero(np.bincount(np.asarray(c, dtype=np.int64), minlength=n)))
                 for c, n in zip(coords, shape))


def _foreign_occupied(value, shape):
    """`_occupied` of a scipy.sparse matrix or a pydata/sparse array, from its own index arrays; None
    when it has none we know."""
    layout = getattr(value, "format", None)
    if layout in ("csr", "csc"):  # nonempty rows (columns) from indptr, the other mode from indices
        major = int(np.count_nonzero(np.diff(value.indptr)))
        minor = _occupied([value.indices], [shape[1] if layout == "csr" else shape[0]])[0]
        return (major, minor) if layout == "csr" else (minor, major)
    try:
        coo = value if hasattr(value, "coords") else value.tocoo()
        coords = coo.coords if hasattr(coo, "coords") else (coo.row, coo.col)
        return _occupied(coords, shape) if len(coords) == len(shape) else None
    except (AttributeError, TypeError, ValueError):
        return None
