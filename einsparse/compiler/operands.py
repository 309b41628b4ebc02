"""Kernel operands: what the kernel actually reads, derived from the user's tensors when needed.

Most accesses read a user tensor as stored. Two cases need a derived operand, prepared by the runtime
before the kernel runs (and reported by `explain()`):
- an index repeated within one access (`A[i,i]`) reads the diagonal: the operand keeps one mode per
  distinct index;
- an access whose mode order contradicts the loop order chosen for the statement (`A[i,j] + B[j,i]`,
  both CSR) reads a copy of the tensor stored in another mode order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from einsparse.compiler import index_ir as ir
from einsparse.compiler.formats import Format
from einsparse.errors import FormatError


@dataclass(frozen=True)
class KernelOperand:
    name: str                          # the name the generated kernel uses
    tensor: str                        # the user's tensor it reads
    format: Format                     # its format inside the kernel
    modes: tuple[tuple[int, ...], ...]  # for each kernel mode, the tensor modes it merges (a diagonal)
    source_format: Format              # the user's tensor's format

    @property
    def derived(self) -> bool:
        identity = tuple((m,) for m in range(self.source_format.rank))
        return self.modes != identity or self.format != self.source_format

    def describe(self) -> str:
        if not self.derived:
            return f"{self.name}: {self.tensor} as given ({self.format.name})"
        parts = []
        if any(len(group) > 1 for group in self.modes):
            parts.append("the diagonal " + ",".join("=".join(map(str, g)) for g in self.modes))
        parts.append(f"stored as {self.format.name}")
        return f"{self.name}: {self.tensor} ({self.source_format.name}), {', '.join(parts)}, prepared before the kernel"


def plan_operands(assignment: ir.Assignment, formats: dict[str, Format]):
    """Map every access to a kernel operand; repeated indices get a diagonal operand.

    Returns (assignment with accesses renamed to kernel operands, {kernel name: KernelOperand}).
    """
    operands: dict[str, KernelOperand] = {}
    by_key: dict[tuple, str] = {}
    taken = {a.tensor for a in [assignment.output, *ir.accesses(assignment.rhs)]}

    def operand_for(access: ir.Access) -> ir.Access:
        source = formats[access.tensor]
        distinct = list(dict.fromkeys(access.indices))
        modes = tuple(tuple(m for m, i in enumerate(access.indices) if i == name) for name in distinct)
        if len(distinct) == len(access.indices):
            fmt = source
        else:
            fmt = _diagonal_format(source, modes)
        key = (access.tensor, modes, fmt)
        if key not in by_key:
            name = access.tensor if len(distinct) == len(access.indices) else _fresh(f"{access.tensor}_diag", taken)
            taken.add(name)
            by_key[key] = name
            operands[name] = KernelOperand(name, access.tensor, fmt, modes, source)
        return replace(access, tensor=by_key[key], indices=tuple(distinct))

    rhs = ir.map_accesses(assignment.rhs, operand_for)
    output = operand_for(assignment.output)
    return replace(assignment, output=output, rhs=rhs), operands


def reorder_operand(operands: dict[str, KernelOperand], name: str, mode_order: tuple[int, ...],
                    taken: set[str]) -> KernelOperand:
    """A copy of operand `name` stored with `mode_order` (same level kinds), under a fresh name."""
    old = operands[name]
    fmt = Format(old.format.levels, mode_order)
    new_name = _fresh(f"{old.tensor}_r", taken)
    taken.add(new_name)
    return KernelOperand(new_name, old.tensor, fmt, old.modes, old.source_format)


def _diagonal_format(source: Format, modes: tuple[tuple[int, ...], ...]) -> Format:
    """Keep, for each merged mode, the level kind of its outermost level; keep the relative order.

    Dropping levels can break a COO chain (`us` -> `u`, a non-unique level with no singleton below);
    the diagonal is rebuilt from coordinates anyway, so such a chain becomes compressed levels."""
    first_level = [min(source.level_of_mode(m) for m in group) for group in modes]
    order = sorted(range(len(modes)), key=lambda k: first_level[k])
    kinds = tuple(source.levels[first_level[k]] for k in order)
    try:
        return Format(kinds, tuple(order))
    except FormatError:
        return Format(tuple(kind.merged() for kind in kinds), tuple(order))


def _fresh(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate
