"""Choosing the loop order: the iteration graph, its cycles, and a cost model over valid orders.

A compressed level can only be walked inside its parent, so each sparse access `A[i,k]` stored with mode
order (0,1) says "i before k". These edges form the iteration graph. When an access's edges would close
a cycle (`A[i,j] + B[j,i]`, both CSR), that access reads a copy stored in the mode order the loops want,
made once before the kernel. Among the valid orders we keep the cheapest by, in turn:
0. no argmin/argmax whose index is outside a loop of its body (its coordinate lives in a register),
1. fewer dense workspace dimensions beyond one (memory and zeroing),
2. fewer strided walks over dense storage (a dense level visited before its parent),
3. fewer workspace dimensions, then fewer reductions outside output indices (scatter), then the order
   of first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler.formats import Format
from einsparse.compiler.operands import KernelOperand, reorder_operand
from einsparse.compiler.reductions import BY_OP

_MAX_ORDERS = 5000


@dataclass(frozen=True)
class Schedule:
    assignment: ir.Assignment
    operands: dict  # kernel name -> KernelOperand
    order: tuple[str, ...]
    concrete: cin.Stmt
    reordered: tuple[str, ...]  # accesses that read a reordered copy, for explain()


def schedule(assignment: ir.Assignment, operands: dict[str, KernelOperand]) -> Schedule:
    indices = _indices_in_order(assignment)
    output_format = operands[assignment.output.tensor].format
    sparse = not output_format.is_dense
    # A sparse output is appended to in its mode order: its edges come first and are never broken.
    edges: set[tuple[str, str]] = _output_edges(assignment.output, output_format) if sparse else set()
    conflicting: list[ir.Access] = []
    for access in ir.accesses(assignment.rhs):
        new = _access_edges(access, operands[access.tensor].format)
        if _acyclic(indices, edges | new):
            edges |= new
        else:
            conflicting.append(access)

    best = _best_order(assignment, operands, indices, edges, sparse)
    # The loop order the operands' mode orders allow may gather the whole output in a workspace, or
    # put an argmin's index outside a loop it must enclose. Read one sparse operand in another mode
    # order instead, if that lets the workspace shrink to a fiber or the argmin keep its register.
    for wrong in ((lambda stmt: sparse and _whole_output_workspace(assignment, stmt)), _arg_workspaces):
        if not wrong(best[2]):
            continue
        for access in [a for a in ir.accesses(assignment.rhs) if a not in conflicting]:
            if operands[access.tensor].format.is_dense:
                continue
            fewer = _edges_without(assignment, operands, access, conflicting, sparse)
            candidate = _best_order(assignment, operands, indices, fewer, sparse)
            if candidate is not None and not wrong(candidate[2]):
                best, edges = candidate, fewer
                conflicting = conflicting + [access]
                break
    if _arg_workspaces(best[2]):  # no one copy is enough: copy every sparse operand the order needs
        free = _output_edges(assignment.output, output_format) if sparse else set()
        candidate = _best_order(assignment, operands, indices, free, sparse)
        if candidate is not None and not _arg_workspaces(candidate[2]):
            best = candidate
            conflicting = conflicting + [a for a in ir.accesses(assignment.rhs) if a not in conflicting
                                         and not _fits(a, operands[a.tensor].format, best[1])]
    _, order, stmt = best

    if conflicting:
        assignment, operands = _reorder(assignment, operands, conflicting, order)
        stmt = cin.concretize(assignment, order, sparse_output=sparse)
    return Schedule(assignment, operands, order, stmt,
                    tuple(dict.fromkeys(ir.show(a) for a in conflicting)))


def _best_order(assignment, operands, indices, edges, sparse):
    """(cost, order, concrete statement) of the cheapest valid order, or None if there is none."""
    best = None
    for rank, order in enumerate(_topological_orders(indices, edges)):
        stmt = cin.concretize(assignment, order, sparse_output=sparse)
        key = (_arg_workspaces(stmt), *_cost(assignment, operands, order, stmt), rank)
        if best is None or key < best[0]:
            best = (key, order, stmt)
    return best


def _fits(access: ir.Access, fmt: Format, order) -> bool:
    """Whether loop `order` walks `access`'s levels as they are stored."""
    where = {name: k for k, name in enumerate(order)}
    return all(where[a] < where[b] for a, b in _access_edges(access, fmt))


def _arg_workspaces(stmt) -> int:
    """How many argmin/argmax reductions would need a workspace (their index not innermost): they
    keep their coordinate in a register, so an order with one is not compiled."""
    return sum(1 for t in cin.temps(stmt) if t.indices and BY_OP[t.expr.op].arg)


def _whole_output_workspace(assignment: ir.Assignment, stmt) -> bool:
    """A workspace as large as a whole output of rank two or more (not one fiber of it)."""
    rank = len(assignment.output.indices)
    return rank >= 2 and any(len(t.indices) >= rank for t in cin.temps(stmt))


def _edges_without(assignment, operands, skipped: ir.Access, conflicting, sparse) -> set:
    """The iteration graph's edges, leaving out those of `skipped` and of the conflicting accesses."""
    edges = _output_edges(assignment.output, operands[assignment.output.tensor].format) if sparse else set()
    for access in ir.accesses(assignment.rhs):
        if access is not skipped and access not in conflicting:
            edges |= _access_edges(access, operands[access.tensor].format)
    return edges


def _indices_in_order(assignment: ir.Assignment) -> list[str]:
    names = list(assignment.output.indices)
    for access in ir.accesses(assignment.rhs):
        names += access.indices
    names += [value.index for value in ir.index_values(assignment.rhs)]  # a sum of `j` alone: `Sum(j, j)`
    return list(dict.fromkeys(names))


def level_indices(access: ir.Access, fmt: Format) -> tuple[str, ...]:
    return tuple(access.indices[m] for m in fmt.mode_order)


def _access_edges(access: ir.Access, fmt: Format) -> set[tuple[str, str]]:
    """A level that is not full (compressed, singleton) is walked inside its parent: it comes after every
    level above it and before every level below it."""
    names = level_indices(access, fmt)
    edges = set()
    for c, kind in enumerate(fmt.levels):
        if not kind.full:
            edges |= {(names[l], names[c]) for l in range(c)}
            edges |= {(names[c], names[l]) for l in range(c + 1, len(names))}
    return {(a, b) for a, b in edges if a != b}


def _output_edges(access: ir.Access, fmt: Format) -> set[tuple[str, str]]:
    """An output's compressed level appends coordinates to the position of its parent, so the parents
    must be visited in position order: every level down to the last compressed one, dense levels
    included, loops in the output's level order (`cddc` with dense levels in loop order j,i before
    i,j would append to fibers out of order)."""
    names = level_indices(access, fmt)
    last = max(c for c, kind in enumerate(fmt.levels) if not kind.full)
    chain = {(names[a], names[a + 1]) for a in range(last)}
    return _access_edges(access, fmt) | {(a, b) for a, b in chain if a != b}


def _acyclic(nodes: list[str], edges: set) -> bool:
    return next(iter(_topological_orders(nodes, edges)), None) is not None


def _topological_orders(nodes: list[str], edges: set):
    """Valid orders, those closest to `nodes`' order first, at most _MAX_ORDERS of them."""
    before = {n: {a for a, b in edges if b == n} for n in nodes}
    count = 0

    def extend(prefix: list[str], placed: set[str]):
        nonlocal count
        if count >= _MAX_ORDERS:
            return
        if len(prefix) == len(nodes):
            count += 1
            yield tuple(prefix)
            return
        for n in nodes:
            if n not in placed and before[n] <= placed:
                prefix.append(n)
                placed.add(n)
                yield from extend(prefix, placed)
                placed.discard(n)
                prefix.pop()

    return extend([], set())


def _cost(assignment, operands, order, stmt) -> tuple[int, int, int, int]:
    where = {name: k for k, name in enumerate(order)}
    workspace = sum(len(t.indices) for t in cin.temps(stmt))
    strided = 0
    dense_accesses = [a for a in ir.accesses(assignment.rhs) if operands[a.tensor].format.is_dense]
    for access in [assignment.output, *dense_accesses]:
        names = level_indices(access, operands[access.tensor].format)
        strided += sum(1 for x in range(len(names)) for y in range(x + 1, len(names))
                       if where[names[y]] < where[names[x]])
    outputs = set(assignment.output.indices)
    scatter = sum(1 for o in outputs for r in where if r not in outputs and where[r] < where[o])
    # A one-index workspace (a row, zeroed as the output row is) is cheaper than walking dense operands
    # across their rows: relu(A[i,k]*X[k,j] + b[j]) sums into a row over j in order i,k,j, where i,j,k
    # would gather X's columns and walk each row of A once per j (1.4x NumPy's steps, against 0.5x).
    return max(workspace - 1, 0), strided, workspace, scatter


def _reorder(assignment, operands, conflicting, order):
    """Point each conflicting access at a copy stored in the loop order."""
    operands = dict(operands)
    taken = set(operands)
    where = {name: k for k, name in enumerate(order)}
    renamed = {}
    for access in conflicting:
        fmt = operands[access.tensor].format
        mode_order = tuple(sorted(range(fmt.rank), key=lambda m: where[access.indices[m]]))
        copy = next((op for op in operands.values()
                     if op.tensor == operands[access.tensor].tensor and op.modes == operands[access.tensor].modes
                     and op.format == Format(fmt.levels, mode_order)), None)
        if copy is None:
            copy = reorder_operand(operands, access.tensor, mode_order, taken)
            operands[copy.name] = copy
        renamed[access.id] = copy.name

    def rename(access: ir.Access) -> ir.Access:
        if access.id in renamed:
            return ir.Access(renamed[access.id], access.indices, access.id, access.span)
        return access

    rhs = ir.map_accesses(assignment.rhs, rename)
    used = {a.tensor for a in ir.accesses(rhs)} | {assignment.output.tensor}
    operands = {name: op for name, op in operands.items() if name in used}
    return ir.Assignment(assignment.output, assignment.op, rhs, assignment.index_origin), operands
