"""Where a statement can be cut into blocks that run apart (on a cluster's workers): its outermost loop.

The schedule's outermost loop is over one index. Cut into ranges of that index, a statement reads of
each operand holding it only the slice in the range, and of the others everything:
- when the index is the output's, each block computes the output's slice, and the slices put side by
  side are the result;
- when it is summed (or reduced by min, max, ...) at the top of the right side, each block computes a
  partial result over the whole output, and the partials combined with the same reduction are the
  result (the reduction is associative and commutative, so in any order, as a tree).
Anything else (the index used as a value, read on a diagonal, a reduction inside an expression, an
argmin) cannot be cut there, and `cut_of` says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from einsparse.compiler import index_ir as ir
from einsparse.errors import NotSupportedError


@dataclass(frozen=True)
class Cut:
    index: str
    modes: dict          # tensor -> the mode of the cut index in it (tensors without it are left whole)
    output_mode: "int | None"  # the cut index's mode in the output, None when it is reduced
    combine: "str | None"      # when reduced: the reduction that combines the blocks' partial results

    @property
    def reduced(self) -> bool:
        return self.output_mode is None


def cut_of(assignment: ir.Assignment, order: tuple, statement: str) -> Cut:
    """The cut of `assignment` along its outermost loop `order[0]`, or NotSupportedError saying why not."""
    if not order:
        raise NotSupportedError(f"{statement}: has no loop to cut into blocks (a scalar of scalars)")
    index = order[0]

    def refuse(why: str):
        raise NotSupportedError(f"{statement}: cannot run in blocks of its outermost loop over {index}: {why}")

    if index in {value.index for value in ir.index_values(assignment.rhs)}:
        refuse(f"{index} is used as a value")
    modes: dict = {}
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        if access.indices.count(index) > 1:
            refuse(f"{access.tensor} is read on a diagonal of {index}")
        mode = access.indices.index(index) if index in access.indices else None
        if access.tensor in modes and modes[access.tensor] != mode:
            refuse(f"{access.tensor} is read with {index} in different places (give each read its own name)")
        modes[access.tensor] = mode
    output_mode = modes.pop(assignment.output.tensor)
    combine = None
    if output_mode is None:
        rhs = assignment.rhs
        if not isinstance(rhs, ir.Sum) or index not in rhs.indices:
            refuse(f"the reduction over {index} is not the right side's last step")
        if ir.arg_reductions(rhs):
            refuse("an argmin or argmax gives a coordinate, which blocks' partial results do not combine into")
        if assignment.op != "=":
            refuse(f"'{assignment.op}' with {index} reduced (compute with '=' and add the result)")
        combine = rhs.op
    return Cut(index, {t: m for t, m in modes.items() if m is not None}, output_mode, combine)
