"""Loops over runs: co-iterating levels whose children are one run of consecutive coordinates (band).

Within its run such a level holds every coordinate, so it needs no merge:
- an intersection shrinks the loop to the intersection of the runs' intervals, where each run is
  located by arithmetic; another operand in the intersection (a compressed level) is walked from its
  first coordinate inside that interval (found by galloping) to the interval's end, and no test is
  needed at any coordinate (`_run_intersection`);
- a union of runs only is a range loop over the hull of their intervals, each run present where its
  interval holds the coordinate (`_run_union`).
Other combinations (a run with two other sparse operands, or in a union with one) are merged as usual,
a run iterating its positions like any other level.
"""

from __future__ import annotations

from typing import Optional

from einsparse.compiler import loop_ir as loop
from einsparse.compiler.merges import subsets


class Runs:
    """The `Lowerer`'s loops over runs (a mixin: `Lowerer.__init__` documents the state it shares)."""

    def _run_intersection(self, stmt, v: str, var: str, iterators: list, runs: list, region,
                          positions: dict) -> Optional[list[loop.Node]]:
        others = [it for it in iterators if not it.offset]
        if len(others) > 1 or (others and not (others[0].unique and others[0].crd)):
            return None
        first = self.names.once(("run first", v), f"{var}_first")
        end = self.names.once(("run end", v), f"{var}_end")
        starts = [f"{it.start} + {it.offset}" for it in runs]
        ends = [f"{it.stop} + {it.offset}" for it in runs]
        nodes = [loop.Line(f"{first} = {starts[0] if len(starts) == 1 else 'max(' + ', '.join(starts) + ')'}"),
                 loop.Line(f"{end} = {ends[0] if len(ends) == 1 else 'min(' + ', '.join(ends) + ')'}")]
        located = [it.at(var) for it in runs]
        labels = ", ".join(it.label for it in runs)
        if not others:
            reserve, count = self._reserve(stmt.body, v, f"{end} - {first}", positions)
            body = region(tuple(iterators)) or []
            self.merge_notes[f"loop over {v}: the intersection of the runs of {labels} is one range, "
                              f"located in each without a test"] = None
            return nodes + reserve + [loop.For(var, first, end, (*located, *body))] + count
        (other,) = others
        skip = self.names.once(("run skip", other.key), f"{other.label}_from")
        nodes += [loop.Line(f"{other.end} = {other.stop}"),
                  loop.Line(f"{skip} = gallop({other.crd}, {other.start}, {other.end}, {first})")]
        reserve, count = self._reserve(stmt.body, v, f"{other.end} - {skip}", positions)
        body = region(tuple(iterators)) or []
        self.merge_notes[f"loop over {v}: {other.label} is walked from the first of its coordinates inside "
                          f"the run of {labels} to the run's end, located in the run without a test"] = None
        return nodes + reserve + [loop.For(other.position, skip, other.end, (
            loop.Line(f"{var} = {other.coordinate}"),
            loop.If(((f"{var} >= {end}", (loop.Line("break"),)),)),
            *located, *body))] + count

    def _run_union(self, stmt, v: str, var: str, points, iterators: list, region,
                   positions: dict) -> Optional[list[loop.Node]]:
        if not all(it.offset for it in iterators):
            return None
        nodes, firsts, ends, here = [], [], [], {}
        for it in iterators:  # an empty run lies past every coordinate
            first = self.names.once(("run first", it.key), f"{it.label}_first")
            end = self.names.once(("run end", it.key), f"{it.label}_end")
            nonempty = f"{it.start} < {it.stop}"
            nodes += [loop.Line(f"{first} = {it.start} + {it.offset} if {nonempty} else {self.extent(v)}"),
                      loop.Line(f"{end} = {it.stop} + {it.offset} if {nonempty} else 0")]
            firsts.append(first)
            ends.append(end)
            here[it.key] = f"{first} <= {var} < {end}"
        lo = self.names.once(("run first", v), f"{var}_first")
        hi = self.names.once(("run end", v), f"{var}_end")
        nodes += [loop.Line(f"{lo} = min({', '.join(firsts)})"), loop.Line(f"{hi} = max({', '.join(ends)})")]
        reserve, count = self._reserve(stmt.body, v, f"{hi} - {lo}", positions)
        branches = []
        for present in subsets(iterators):
            body = region(present)
            if body is not None:
                condition = " and ".join(f"({here[it.key]})" for it in present)
                branches.append((condition, (*(it.at(var) for it in present), *body)))
        labels = ", ".join(it.label for it in iterators)
        self.merge_notes[f"loop over {v}: the union of the runs of {labels} is one range over their hull, "
                          f"each run present inside its interval"] = None
        inner = (loop.If(tuple(branches)),) if branches else ()
        return nodes + reserve + [loop.For(var, lo, hi, inner)] + count
