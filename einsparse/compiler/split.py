"""How a kernel's outermost loop is cut into chunks that may run on several threads.

The lowerer decides whether the loop can be split (see `lower.Lowerer._splittable`): it must run over
an output index, so that chunks write disjoint parts of the output. The runtime then cuts it (see
`runtime.parallel`) with what this module tells from the plan: which operand's row pointer says how
much work each iteration holds, and which operands' level 0 the loop walks (their entries under a
chunk size its part of a sparse output).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    """How the outermost loop can be cut into chunks: over the range of an index (`over` is the index),
    or over the positions of level 0 of a kernel operand (`over` is the operand)."""

    kind: str          # "range" or "positions"
    over: str
    lo: str = "chunk_lo"
    hi: str = "chunk_hi"
