"""`einsparse show`: the generated kernel, the index notation or the schedule (also as Graphviz dot)."""

from __future__ import annotations

from einsparse.cli.loading import load_operands
from einsparse.cli.operands import _formats
from einsparse.cli.statement import _output_format, _statement
from einsparse.cli.status import EXIT_OK, UsageError


def cmd_show(args) -> int:
    from einsparse.compiler import concrete
    from einsparse.compiler.pipeline import compile_plan

    st = _statement(args.statement)
    if args.dot and args.stage not in (None, "schedule"):
        raise UsageError("--dot goes with --stage schedule")
    stage = "schedule" if args.dot else (args.stage or "source")
    values = {}
    if args.operands:  # formats and the plan of a long product as `run` would choose them for these
        values, _, formats, _ = load_operands(args, st)
        formats = _chosen_formats(st, formats, values)
    else:
        formats = _formats(args.format, st)
        formats[st.output] = _output_format(st, formats, {})
    plan = compile_plan(st.parsed, formats)
    if stage == "source":
        print(plan.source.rstrip("\n"))
    elif stage == "ir":
        print(str(plan.index_notation))
    elif args.dot:
        print(_dot(plan))
    else:
        print(plan.explanation.rstrip("\n"))
        if "concrete index notation" not in plan.explanation:
            print("concrete index notation:")
            print(concrete.show(plan.concrete, 1).rstrip("\n"))
        _print_plan(plan, values)
    return EXIT_OK


def _chosen_formats(st, given: dict, values: dict) -> dict:
    from einsparse.runtime.convert import natural_format

    chosen = dict(given)
    for name in st.inputs:
        if name not in chosen:
            chosen[name] = natural_format(values[name], name=f"operand {name}")
    chosen[st.output] = _output_format(st, chosen, values)
    return chosen


def _print_plan(plan, values: dict) -> None:
    """The plan a call on `values` would run, when the statement is a long product."""
    from einsparse.planned import plan_for_operands, plannable

    if not plannable(plan.index_notation):
        return
    if not values:  # a plan needs the operands' statistics
        print("plan:           this is the fused nest; a call plans the product from its operands' "
              "statistics (give the operands, NAME=PATH, to see the plan for them)")
        return
    chosen = plan_for_operands(plan.index_notation, plan.formats, values)
    print(chosen.describe() if chosen is not None else
          "plan:           one fused nest (estimated best for these operands)")


def _dot(plan) -> str:
    """The iteration graph as Graphviz dot: one node per index, an edge from each level's index to the
    next level's for every tensor (solid for sparse, dotted for dense), and the loop order as a chain."""
    from einsparse.compiler import index_ir as ir

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ["digraph iteration_graph {",
             f"  label={quoted(str(plan.statement) + chr(10) + 'loop order: ' + ', '.join(plan.order))};",
             "  labelloc=t;", "  node [shape=circle];"]
    indices = list(plan.order)
    for access in [plan.output, *ir.accesses(plan.index_notation.rhs)]:
        for index in access.indices:
            if index not in indices:
                indices.append(index)
    lines += [f"  {quoted(i)};" for i in indices]
    seen = set()
    for access in [plan.output, *ir.accesses(plan.index_notation.rhs)]:
        fmt = plan.formats[access.tensor]
        by_level = [access.indices[mode] for mode in fmt.mode_order]
        style = "dotted" if fmt.is_dense else "solid"
        for a, b in zip(by_level, by_level[1:]):
            key = (a, b, access.tensor)
            if a != b and key not in seen:
                seen.add(key)
                lines.append(f"  {quoted(a)} -> {quoted(b)} [label={quoted(f'{access.tensor} ({fmt.name})')}, "
                             f"style={style}];")
    for a, b in zip(plan.order, plan.order[1:]):
        lines.append(f"  {quoted(a)} -> {quoted(b)} [label=\"loop order\", color=blue, style=dashed, "
                     f"constraint=false];")
    lines.append("}")
    return "\n".join(lines)
