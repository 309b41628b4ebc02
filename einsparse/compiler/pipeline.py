"""The compiler as one straight pipeline of pure functions:

    parse -> normalize -> resolve formats -> check -> plan operands -> schedule -> lower -> emit

`compile_plan(statement, formats)` needs no data: it turns a statement and the formats of its tensors
into a `Plan` holding the kernel's source, its argument list, and everything the runtime needs to call
it. The plan is deterministic, so its source keys the kernel cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.check import check, resolve_formats
from einsparse.compiler.emit import KernelParam, module_source
from einsparse.compiler.formats import Format
from einsparse.compiler.lower import Lowerer
from einsparse.compiler.names import Namer
from einsparse.compiler.normalize import normalize
from einsparse.compiler.operands import KernelOperand, plan_operands
from einsparse.compiler.parse import parse
from einsparse.compiler.schedule import schedule


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

    @property
    def output(self) -> ir.Access:
        return self.index_notation.output

    @property
    def inputs(self) -> tuple[str, ...]:
        """The user's input tensors, in order of first appearance."""
        return tuple(dict.fromkeys(a.tensor for a in ir.accesses(self.index_notation.rhs)))

    def origin(self, index: str) -> str:
        return self.index_notation.origin(index)


def compile_plan(statement: "str | syn.Statement", formats: "dict | None" = None) -> Plan:
    parsed = parse(statement) if isinstance(statement, str) else statement
    text = parsed.text or syn.deparse(parsed)
    assignment = normalize(parsed)
    resolved = resolve_formats(assignment, dict(formats or {}), text)
    check(assignment, resolved, text)
    kernel_assignment, operands = plan_operands(assignment, resolved)
    sched = schedule(kernel_assignment, operands)
    kernel_assignment, operands = sched.assignment, sched.operands

    namer = Namer(_user_names(assignment, operands))
    for index in sched.order:
        namer.index(index)
    lowerer = Lowerer({name: op.format for name, op in operands.items()}, assignment.origin, namer)
    body = lowerer.lower(sched.concrete)
    params = _params(kernel_assignment, operands, lowerer, namer, sched.order, assignment.origin)
    explanation = _explain(parsed, assignment, resolved, operands, sched, lowerer)
    header = [f"einsparse kernel for: {syn.deparse(parsed)}",
              "formats: " + ", ".join(f"{name}={fmt.name}" for name, fmt in resolved.items()),
              "loop order: " + ", ".join(sched.order)]
    source = module_source(header, params, body)
    return Plan(parsed, assignment, resolved, operands, kernel_assignment, sched.order, sched.concrete,
                tuple(params), source, explanation)


def _user_names(assignment: ir.Assignment, operands: dict) -> set[str]:
    names = set(operands)
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        names.add(access.tensor)
        names.update(access.indices)
    return names


def _params(assignment, operands: dict[str, KernelOperand], lowerer: Lowerer, namer: Namer, order,
            origin) -> list[KernelParam]:
    params: list[KernelParam] = []
    extents = dict.fromkeys(origin(i) for i in order)
    params += [KernelParam(namer.extent(i), "extent", indices=(i,)) for i in extents]
    output = assignment.output.tensor
    for name in [*(n for n in operands if n != output), output]:
        fmt = operands[name].format
        for level, kind in enumerate(fmt.levels):
            code = lowerer.storage(_first_access(assignment, name)).levels[level]
            for param in code.params:
                params.append(KernelParam(param.name, param.kind, name, level))
        params.append(KernelParam(namer.vals(name), "vals", name))
    for name, temp in lowerer.temp_arrays.items():
        params.append(KernelParam(name, "workspace", indices=tuple(origin(i) for i in temp.indices)))
    params.append(KernelParam("zero", "zero"))
    return params


def _first_access(assignment: ir.Assignment, name: str) -> ir.Access:
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        if access.tensor == name:
            return access
    raise KeyError(name)


def _explain(parsed, assignment, formats, operands, sched, lowerer: Lowerer) -> str:
    lines = [f"statement:      {syn.deparse(parsed)}",
             f"index notation: {assignment}",
             "formats:        " + ", ".join(f"{name}={fmt.name}" for name, fmt in formats.items()),
             "loop order:     " + ", ".join(sched.order)]
    derived = [op.describe() for op in operands.values() if op.derived]
    if derived:
        lines.append("prepared operands:")
        lines += [f"  {text}" for text in derived]
        if sched.reordered:
            lines.append("  (the loop order cannot follow every operand's mode order: "
                         + ", ".join(sched.reordered) + " reads a copy in another mode order)")
    lines.append("co-iteration:")
    lines += [f"  {'  ' * depth}{index}: {plan}" for depth, index, plan in lowerer.plans]
    temps = cin.temps(sched.concrete)
    if temps:
        lines.append("temporaries:")
        for temp in temps:
            if temp.indices:
                lines.append(f"  {temp.name}[{','.join(temp.indices)}]: dense workspace for "
                             f"{ir.show(temp.expr)}, indices still unbound where it is needed")
            else:
                lines.append(f"  {temp.name}: scalar accumulator for {ir.show(temp.expr)}")
    lines.append("concrete index notation:")
    lines.append(cin.show(sched.concrete, 1))
    return "\n".join(lines)
