"""The compiler as one straight pipeline of pure functions:

    parse -> normalize -> resolve formats -> check -> move masks -> plan operands -> schedule -> lower -> emit

`compile_plan(statement, formats)` needs no data: it turns a statement and the formats of its tensors
into a `Plan` holding the kernel's source, its argument list, and everything the runtime needs to call
it. The plan is deterministic, so its source keys the kernel cache.
"""

from __future__ import annotations

from einsparse.compiler import concrete as cin
from einsparse.compiler import fills as fl
from einsparse.compiler import lattice as lat
from einsparse.compiler import index_ir as ir
from einsparse.compiler import loop_ir as loop
from einsparse.compiler import syntax as syn
from einsparse.compiler.check import check, resolve_formats
from einsparse.compiler.emit import KernelParam, module_source
from einsparse.compiler.formats import Format
from einsparse.compiler.lower import Lowerer
from einsparse.compiler.names import Namer
from einsparse.compiler.masks import moved_into_reductions
from einsparse.compiler.normalize import normalize
from einsparse.compiler.operands import KernelOperand, plan_operands
from einsparse.compiler.parse import parse
from einsparse.compiler.plan import Plan
from einsparse.compiler.reductions import BY_OP
from einsparse.compiler.schedule import schedule
from einsparse.compiler.split import Split
from einsparse.compiler.workspaces import DENSE_ROW, PAIR_LIST
from einsparse.errors import InternalError, NotSupportedError


# Numba's compile time grows faster than the kernel's length (about 15 s at 1000 lines, minutes past
# 2500 on a 2020s laptop core); beyond this a statement is refused rather than left compiling.
MAX_KERNEL_LINES = 1500


def compile_plan(statement: "str | syn.Statement", formats: "dict | None" = None, *,
                 workspace: str = DENSE_ROW, fills: "dict | None" = None) -> Plan:
    """The plan for `statement` with tensors in `formats` (unnamed ones dense).

    `workspace` chooses how one-index workspaces accumulate: a dense row with a list of touched
    coordinates (`"dense"`), or a list of (coordinate, value) pairs sorted and merged before it is read
    (`"list"`), for rows too long to allocate. `fills` gives the tensors whose fill is not 0 (for a
    `+=` into a sparse output, the output's among them): which loops may skip absent entries, and the
    output's fill, follow from them (see `lattice`).
    """
    parsed = parse(statement) if isinstance(statement, str) else statement
    text = parsed.text or syn.deparse(parsed)
    assignment = normalize(parsed)
    resolved = resolve_formats(assignment, dict(formats or {}), text)
    check(assignment, resolved, text)
    assignment = moved_into_reductions(assignment, resolved, {n: fl.value(v) for n, v in (fills or {}).items()})
    output = assignment.output.tensor
    sparse = not resolved[output].is_dense
    kernel_formats = dict(resolved)
    kernel_input, old_values = assignment, None
    if sparse:
        # Assembled in the kinds the levels choose (COO's repeated coordinates are made by a conversion after).
        kernel_formats[output] = resolved[output].assembled
        if assignment.op == "+=":  # a sparse output cannot grow in place: read its old values instead
            kernel_input, old_values = _with_old_values(assignment, resolved[output], kernel_formats)
    given_fills = {name: value for name, value in ((n, fl.value(v)) for n, v in (fills or {}).items())
                   if not fl.same(value, 0)}
    if old_values is not None and output in given_fills:
        given_fills[old_values] = given_fills[output]
    output_fill = result_fill(kernel_input, kernel_formats, given_fills) if sparse else 0
    if not fl.same(output_fill, 0) and resolved[output].levels[-1].pads:
        raise NotSupportedError(
            f"the result of {syn.deparse(parsed)} has fill {output_fill}, which format {resolved[output].name} "
            f"of {output} cannot hold: its last level stores zeros as padding; use a format whose last level "
            f"is compressed or singleton")
    kernel_assignment, operands = plan_operands(kernel_input, kernel_formats)
    sched = schedule(kernel_assignment, operands)
    kernel_assignment, operands = sched.assignment, sched.operands
    _check_arg_reductions(sched, text)

    def lowered(**mode):
        namer = Namer(_user_names(kernel_input, operands))
        for index in sched.order:
            namer.index(index)
        kernel_fills = {name: given_fills[op.tensor] for name, op in operands.items() if op.tensor in given_fills}
        lowerer = Lowerer({name: op.format for name, op in operands.items()}, assignment.origin, namer,
                          output, sparse, workspace, kernel_assignment.output.indices,
                          fresh_output=assignment.op == "=", fills=kernel_fills, output_fill=output_fill, **mode)
        return lowerer, namer, lowerer.lower(sched.concrete)

    lowerer, namer, body = lowered()
    count_source = None
    if sparse and two_phase_eligible(assignment, kernel_formats[output], workspace, lowerer):
        counter, count_namer, count_body = lowered(counting=True)
        lowerer, namer, body = lowered(room_known=True)
        count_params = _params(kernel_assignment, operands, counter, count_namer, sched.order, assignment.origin)
        if count_params != _params(kernel_assignment, operands, lowerer, namer, sched.order, assignment.origin):
            raise InternalError(f"the symbolic pass of {syn.deparse(parsed)} takes other arguments than its "
                                f"numeric pass")
        count_body = _with_output_return(count_body, counter, kernel_assignment.output)
        count_source = module_source(["symbolic pass (counts each row's entries) of: " + syn.deparse(parsed)],
                                     count_params, count_body)
    out_indices = kernel_assignment.output.indices
    written_in_full = (not sparse and lowerer.assigns_in_full is True
                       and len(set(out_indices)) == len(out_indices))
    results = lowerer.output_results(kernel_assignment.output) if sparse else ()
    if sparse:
        body = _with_output_return(body, lowerer, kernel_assignment.output)
    params = _params(kernel_assignment, operands, lowerer, namer, sched.order, assignment.origin)
    explanation = _explain(parsed, assignment, resolved, operands, sched, lowerer, kernel_formats[output],
                           written_in_full, count_source is not None, given_fills)
    header = [f"einsparse kernel for: {syn.deparse(parsed)}",
              "formats: " + ", ".join(f"{name}={fmt.name}" for name, fmt in resolved.items()),
              "loop order: " + ", ".join(sched.order)]
    size = loop.count_lines(body)
    if size > MAX_KERNEL_LINES:
        raise NotSupportedError(
            f"the kernel for {syn.deparse(parsed)} would have {size} lines (at most {MAX_KERNEL_LINES} are "
            f"compiled): its loops co-iterate many sparse operands, with one branch per combination of "
            f"present operands at every level; split the statement, or store some operands dense")
    source = module_source(header, params, body)
    rows = tuple(tuple(assignment.origin(i) for i in lowerer.temp_arrays[name].indices)
                 for name in sorted(lowerer.tracked))
    if any(lowerer.temp_arrays[name].expr.op != "add" for name in lowerer.tracked):
        rows = ()  # a pair list adds up its duplicates: reductions other than sums keep dense rows
    return Plan(parsed, assignment, resolved, operands, kernel_assignment, sched.order, sched.concrete,
                tuple(params), source, explanation, kernel_formats[output], old_values,
                tuple(level for level, _, _, _ in results), workspace, rows, lowerer.split, written_in_full,
                count_source, tuple(sorted(((n, v) for n, v in given_fills.items() if n != old_values), key=repr)),
                output_fill)


def _check_arg_reductions(sched, text: str) -> None:
    """argmin/argmax keep their coordinate in a register: their index must be the innermost loop."""
    for temp in cin.temps(sched.concrete):
        reduction = BY_OP[temp.expr.op]
        if reduction.arg and temp.indices:
            (index,) = temp.expr.indices
            raise NotSupportedError(
                f"{reduction.name}[{index}] in {text} needs the loop over {index} inside the loops over "
                f"{', '.join(temp.indices)}, and no loop order the operands and the output allow, even read "
                f"from copies, has it there (here: {', '.join(sched.order)}); compute it in a statement of its own")


def result_fill(assignment: ir.Assignment, formats: dict, fills: dict):
    """The fill of a sparse result: the right side's value where every sparse operand holds its fill
    (`exp` of a fill-0 tensor: 1.0), or 0 when that depends on dense values or extents (such a result
    stores every entry that is not 0)."""
    def iterator_of(access):
        return None if formats[access.tensor].is_dense else (access.tensor, access.indices)

    _, background = lat.analyze(assignment.rhs, iterator_of, lambda access: fills.get(access.tensor, 0))
    return 0 if fl.varies(background) else background


def two_phase_eligible(assignment: ir.Assignment, output_format: Format, workspace: str, lowerer: Lowerer) -> bool:
    """Whether a sparse output is assembled in two passes (count, then fill in place): where a workspace
    gathers each row (SpGEMM), so that no operand bounds the output's size and a one-pass kernel would
    stop for room and go on in pieces copied together, while counting costs a fraction of the numeric
    work (no values, no sorting); the output is CSR-like (a dense level over the split loop's index, then
    one compressed level), so each chunk of rows owns one window of the arrays. Elsewhere the operands
    bound the output (SpAdd, Hadamard: one pass with the room they give is faster, as the count would
    cost a third of the numeric pass), and one pass is kept."""
    levels = output_format.levels
    split = lowerer.split
    return (assignment.op == "=" and workspace == DENSE_ROW and bool(lowerer.tracked)
            and len(levels) == 2 and levels[0].full and levels[1].appended and levels[1].counts_children
            and not levels[1].pads and split is not None and split.kind == "range"
            and split.over == assignment.origin(assignment.output.indices[output_format.mode_order[0]]))


def _with_output_return(body, lowerer: Lowerer, output: ir.Access) -> tuple:
    """A sparse output's kernel body: its counts started at 0, and the assembled arrays returned."""
    counts = [loop.Line(f"{count} = 0") for _, _, _, count in lowerer.output_results(output)]
    return (*counts, *body, lowerer.output_return(output, "-1"))


def _with_old_values(assignment: ir.Assignment, fmt: Format, kernel_formats: dict):
    """`C[i,j] += e` with a sparse C becomes `C[i,j] = C_old[i,j] + e`, C_old being the given C."""
    taken = {a.tensor for a in ir.accesses(assignment.rhs)} | {assignment.output.tensor}
    name, n = f"{assignment.output.tensor}_old", 1
    while name in taken:
        name, n = f"{assignment.output.tensor}_old{n}", n + 1
    kernel_formats[name] = fmt
    next_id = max(a.id for a in [assignment.output, *ir.accesses(assignment.rhs)]) + 1
    old = ir.Access(name, assignment.output.indices, next_id, assignment.output.span)
    return ir.Assignment(assignment.output, "=", ir.Add((old, assignment.rhs)), assignment.index_origin), name


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
    if lowerer.split is not None:
        params += [KernelParam(lowerer.split.lo, "chunk_lo"), KernelParam(lowerer.split.hi, "chunk_hi")]
    output = assignment.output.tensor
    for name in [*(n for n in operands if n != output), output]:
        fmt = operands[name].format
        for level, kind in enumerate(fmt.levels):
            code = lowerer.storage(_first_access(assignment, name)).levels[level]
            for param in code.params:
                params.append(KernelParam(param.name, param.kind, name, level))
        params.append(KernelParam(namer.vals(name), "vals", name))
    for name, temp in lowerer.temp_arrays.items():
        indices = tuple(origin(i) for i in temp.indices)
        params.append(KernelParam(name, "workspace", indices=indices, expr=temp.expr))
        if name in lowerer.tracked and lowerer.workspace == PAIR_LIST:
            params.pop()  # a pair list has no dense row: coordinates and values grow as they come
            crd, vals, _ = lowerer._pairs(name)
            params.append(KernelParam(crd, "pair_crd", indices=indices))
            params.append(KernelParam(vals, "pair_vals", indices=indices))
        elif name in lowerer.tracked:
            _, listed, seen, summary = lowerer._tracking(name)
            params.append(KernelParam(listed, "workspace_list", indices=indices))
            params.append(KernelParam(seen, "workspace_seen", indices=indices))
            params.append(KernelParam(summary, "workspace_summary", indices=indices))
    for name, temp in lowerer.typed_zeros.items():
        params.append(KernelParam(name, "typed_zero", expr=temp.expr))
    for name, temp in lowerer.identities.items():
        params.append(KernelParam(name, "identity", expr=temp.expr))
    params.append(KernelParam("zero", "zero"))
    return params


def _first_access(assignment: ir.Assignment, name: str) -> ir.Access:
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        if access.tensor == name:
            return access
    raise KeyError(name)


def _explain(parsed, assignment, formats, operands, sched, lowerer: Lowerer, output_format: Format,
             written_in_full: bool, two_phase: bool, fills: dict) -> str:
    output = assignment.output.tensor
    lines = [f"statement:      {syn.deparse(parsed)}",
             f"index notation: {assignment}",
             "formats:        " + ", ".join(f"{name}={fmt.name}" for name, fmt in formats.items()),
             "loop order:     " + ", ".join(sched.order)]
    lines.append("parallel:       " + _describe_split(lowerer.split, sched.order[0] if sched.order else None))
    given = ", ".join(f"{name}={value}" for name, value in fills.items())
    result = (f"{output} has fill {lowerer.output_fill} (the right side where every sparse operand holds its fill)"
              if not output_format.is_dense else f"{output} is dense")
    lines.append(f"fills:          {given + ' (others 0)' if given else 'every operand 0'}; {result}")
    if not output_format.is_dense:
        lines.append(f"output:         {output} assembled in order as {output_format.name}: compressed levels "
                     f"append a coordinate only when a value stored beneath it is not zero (no empty "
                     f"fiber), and a value is stored only when it is not zero (a dense level beneath a "
                     f"coordinate stores its whole fiber)")
        if two_phase:
            lines.append("                in two passes: a symbolic pass counts each row's entries (the same loops, "
                         "no values), a prefix sum places the rows, and the numeric pass writes them in place "
                         "(each chunk of rows into its own part of one set of arrays)")
        else:
            lines.append("                in one pass, with room guessed from the operands' entries (more is made "
                         "when a guess falls short)")
        if formats[output] != output_format:
            lines.append(f"                then converted to {formats[output].name}")
    elif written_in_full:
        lines.append(f"output:         {output} dense, every entry assigned once before anything adds to it, so "
                     f"a new {output} is allocated without zeroing")
    else:
        lines.append(f"output:         {output} dense, zeroed first (the kernel adds to entries, or writes "
                     f"only some of them)")
    derived = [op.describe() for op in operands.values() if op.derived]
    if derived:
        lines.append("prepared operands:")
        lines += [f"  {text}" for text in derived]
        if sched.reordered:
            verb = "reads" if len(sched.reordered) == 1 else "read"
            lines.append("  (" + ", ".join(sched.reordered) + f" {verb} a copy in another mode order, so that "
                         "one loop order fits every operand without a workspace as large as the output"
                         + (", argmin/argmax's index innermost)" if ir.arg_reductions(assignment.rhs) else ")"))
    lines.append("co-iteration:")
    lines += [f"  {'  ' * depth}{index}: {plan}" for depth, index, plan in lowerer.plans]
    if lowerer.lookahead_notes:
        lines.append("look-ahead:")
        lines += [f"  {text}" for text in lowerer.lookahead_notes]
    if lowerer.merge_notes:
        lines.append("merges:")
        lines += [f"  {text}" for text in lowerer.merge_notes]
    temps = cin.temps(sched.concrete)
    if temps:
        lines.append("temporaries:")
        for temp in temps:
            lines.append(f"  {_describe_temp(temp, lowerer, output_format.is_dense)}")
    lines.append("concrete index notation:")
    lines.append(cin.show(sched.concrete, 1))
    return "\n".join(lines)


def _describe_split(split: Split, outer) -> str:
    if split is None:
        return ("no: the outermost loop is not over an output index that one loop can cut into chunks, "
                "so it runs on one thread")
    over = (f"the range of {split.over}" if split.kind == "range" else f"the stored entries of {split.over}'s "
            f"level 1")
    return f"with threads > 1, chunks of the loop over {outer} ({over}) run on separate threads"


def _describe_temp(temp: ir.Temp, lowerer: Lowerer, dense_output: bool) -> str:
    if not temp.indices:
        return f"{temp.name}: scalar accumulator for {ir.show(temp.expr)}"
    shape = f"{temp.name}[{','.join(temp.indices)}]"
    why = ("the output is appended to in order, so this reduction, reached before its indices are "
           "bound, is gathered here first" if not dense_output else
           "its indices are still unbound where the reduction is computed")
    if lowerer.temp_name(temp) in lowerer.tracked and lowerer.workspace == PAIR_LIST:
        return (f"{shape}: list of (coordinate, value) pairs for {ir.show(temp.expr)}, sorted and merged "
                f"before it is read; {why}; chosen because a dense row would be too long")
    if lowerer.temp_name(temp) in lowerer.tracked:
        pairs = ("(a list of (coordinate, value) pairs replaces it when a row would be too long)"
                 if temp.expr.op == "add" else "(a dense row however long: a pair list adds up its duplicates)")
        return (f"{shape}: dense accumulator with a list of touched coordinates (Gustavson) for "
                f"{ir.show(temp.expr)}; {why}; its consumer visits only the touched coordinates, sorted "
                f"{pairs}")
    return f"{shape}: dense workspace for {ir.show(temp.expr)}; {why}"
