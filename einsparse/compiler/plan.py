"""`Plan`: everything the compiler tells the runtime about one kernel, and what it tells of cutting the
kernel's outermost loop into chunks (see `compiler.split` and `runtime.parallel`).

The runtime cuts the loop with two answers from the plan: which operand's row pointer says how much work
each iteration holds, and which operands' level 0 the loop walks (their entries under a chunk size its
part of a sparse output).
"""

from __future__ import annotations

from dataclasses import dataclass

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.emit import KernelParam
from einsparse.compiler.formats import Format
from einsparse.compiler.split import Split
from einsparse.compiler.workspaces import DENSE_ROW


@dataclass(frozen=True)
class Plan:
    statement: syn.Statement                 # as parsed
    index_notation: ir.Assignment            # reductions explicit, user tensor names
    formats: dict                            # user tensor -> Format
    operands: dict                           # kernel operand name -> KernelOperand
    kernel_assignment: ir.Assignment         # accesses renamed to kernel operands
    order: tuple[str, ...]
    concrete: cin.Stmt
    params: tuple[KernelParam, ...]
    source: str
    explanation: str
    kernel_output_format: Format = None     # the output format the kernel assembles
    old_values: str = None                   # for `+=` into a sparse output: the operand of its old values
    output_compressed_levels: tuple = ()     # levels whose (pos, crd, count) the kernel returns
    workspace: str = DENSE_ROW               # how one-index workspaces accumulate
    row_workspaces: tuple = ()               # the index of each one-index workspace
    split: Split = None                      # how the outermost loop is cut into chunks (None: it is not)
    written_in_full: bool = False            # a dense output whose every entry the kernel assigns first
    count_source: str = None                 # two-phase assembly: the symbolic pass (same arguments)
    fills: tuple = ()                        # (tensor, fill) of the operands compiled for a fill other than 0
    output_fill: object = 0                  # what a sparse output holds where nothing is stored

    @property
    def output(self) -> ir.Access:
        return self.index_notation.output

    @property
    def inputs(self) -> tuple[str, ...]:
        """The user's input tensors, in order of first appearance."""
        return tuple(dict.fromkeys(a.tensor for a in ir.accesses(self.index_notation.rhs)))

    def origin(self, index: str) -> str:
        return self.index_notation.origin(index)

    def balancing_operand(self) -> "str | None":
        """A kernel operand with a full level 0 over the split loop's index and a level 1 that counts
        each parent's children (a CSR matrix whose rows the loop walks): that count (its row pointer)
        tells how much work each iteration holds."""
        split = self.split
        if split is None or split.kind != "range":
            return None
        for access in ir.accesses(self.kernel_assignment.rhs):
            operand = self.operands.get(access.tensor)
            if operand is None:
                continue
            levels = operand.format.levels
            if (len(levels) > 1 and levels[0].full and levels[1].counts_children
                    and self.origin(access.indices[operand.format.mode_order[0]]) == split.over):
                return access.tensor
        return None


    def chunked_operands(self) -> dict[str, str]:
        """The sparse kernel operands whose level 0 the split loop walks, and what a chunk's bounds are in
        that level: "coordinates" (the level finds their positions), or "positions"."""
        split = self.split
        chunked = {}
        if split is None:
            return chunked
        for access in ir.accesses(self.kernel_assignment.rhs):
            operand = self.operands.get(access.tensor)
            if operand is None or operand.format.is_dense:
                continue
            if split.kind == "positions":
                if access.tensor == split.over:
                    chunked[access.tensor] = "positions"
            elif self.origin(access.indices[operand.format.mode_order[0]]) == split.over:
                chunked[access.tensor] = "coordinates"
        return chunked
