"""How a kernel's outermost loop is cut into chunks that may run on several threads.

The lowerer decides whether the loop can be split (see `lower.Lowerer._splittable`): it must run over
an output index, so that chunks write disjoint parts of the output. The runtime then cuts it (see
`runtime.parallel`) with what this module tells from the plan: which operand's row pointer says how
much work each iteration holds, and which operands' level 0 the loop walks (their entries under a
chunk size its part of a sparse output).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from einsparse.compiler import index_ir as ir
from einsparse.compiler.formats import COMPRESSED, DENSE

if TYPE_CHECKING:
    from einsparse.compiler.pipeline import Plan


@dataclass(frozen=True)
class Split:
    """How the outermost loop can be cut into chunks: over the range of an index (`over` is the index),
    or over the positions of level 0 of a kernel operand (`over` is the operand)."""

    kind: str          # "range" or "positions"
    over: str
    lo: str = "chunk_lo"
    hi: str = "chunk_hi"


def balancing_operand(plan: "Plan") -> "str | None":
    """A kernel operand stored dense then compressed over the split loop's index (a CSR matrix whose
    rows the loop walks): its row pointer tells how much work each iteration holds."""
    split = plan.split
    if split is None or split.kind != "range":
        return None
    for access in ir.accesses(plan.kernel_assignment.rhs):
        operand = plan.operands.get(access.tensor)
        if operand is None:
            continue
        levels = operand.format.levels
        if (len(levels) > 1 and levels[0] == DENSE and levels[1] == COMPRESSED
                and plan.origin(access.indices[operand.format.mode_order[0]]) == split.over):
            return access.tensor
    return None


def chunked_operands(plan: "Plan") -> dict[str, str]:
    """The sparse kernel operands whose level 0 the split loop walks, and how a chunk's bounds give
    positions in that level: "dense" (the positions are the coordinates), "compressed" (found by binary
    search among the coordinates), "positions" (they are the positions)."""
    split = plan.split
    chunked = {}
    if split is None:
        return chunked
    for access in ir.accesses(plan.kernel_assignment.rhs):
        operand = plan.operands.get(access.tensor)
        if operand is None or operand.format.is_dense:
            continue
        if split.kind == "positions":
            if access.tensor == split.over:
                chunked[access.tensor] = "positions"
        elif plan.origin(access.indices[operand.format.mode_order[0]]) == split.over:
            chunked[access.tensor] = "dense" if operand.format.levels[0] == DENSE else "compressed"
    return chunked
