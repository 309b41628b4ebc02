"""The extent of every index of a kernel's call, checked against every operand that uses it.

`Kernel` compares the extents itself on its fast path and asks `index_extents` when they disagree, when
an output or ``shape=`` is given, or when an output index is in no operand: this module names the
culprits (the operands' modes, the statement's text) in its `ShapeError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler.check import written
from einsparse.errors import ShapeError, point_at
from einsparse.runtime.tensor import Tensor

if TYPE_CHECKING:
    from einsparse.compiler.plan import Plan
    from einsparse.runtime.annotations import Operand


def index_extents(plan: Plan, tensors: dict[str, Tensor], given_output: Operand | None,
             shape: Any = None) -> dict[str, int]:
    """One extent per index, checked against every operand that uses it."""
    extents: dict[str, tuple[int, str]] = {}
    text = plan.statement.text or str(plan.statement)

    def record(access: ir.Access, shape: tuple[int, ...]) -> None:
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
        given_shape = np.shape(given_output) if not isinstance(given_output, Tensor) else given_output.shape
        if len(given_shape) != len(output.indices):
            raise ShapeError(f"output {output.tensor} has rank {len(given_shape)} but the statement indexes it "
                             f"with {len(output.indices)} indices")
        record(output, given_shape)
    if shape is not None:
        record(output, _output_shape(shape, output))
    for index in output.indices:
        if index not in extents:
            message = (f"the extent of index {index} is unknown: no operand is indexed by it; pass "
                       f"shape=(...) or {output.tensor}=<array> to give the output's shape")
            written_at = [i.span for i in getattr(plan.statement.output, "indices", ()) if i.name == index]
            raise ShapeError(point_at(message, text, written_at[0].start, written_at[0].end)
                             if written_at and plan.statement.text else message)
    return {name: extent for name, (extent, _) in extents.items()}


def _output_shape(shape: Any, output: ir.Access) -> tuple[int, ...]:
    """`shape=` as a tuple of extents of the output's rank; ShapeError naming what is wrong."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        extents = tuple(int(n) for n in shape)
        valid = all(n >= 0 and n == m for n, m in zip(extents, shape))
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ShapeError(f"shape={shape!r} is not a shape: give non-negative integers, such as (3, 4)")
    if len(extents) != len(output.indices):
        raise ShapeError(f"shape={shape!r} has {len(extents)} extent{'s' * (len(extents) != 1)} but the "
                         f"output {output.tensor} has {len(output.indices)} ind{'ex' if len(output.indices) == 1 else 'ices'}")
    return extents
