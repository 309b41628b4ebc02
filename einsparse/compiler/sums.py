"""Sums as accurate as NumPy's: a sum in a register over a long loop is accumulated in blocks.

A sum kept in a register (`t0 = sum_add(t0, ...)`) loses accuracy in proportion to the number of terms:
summed left to right, a million terms carry a million roundings (NumPy's pairwise sums grow as log n).
So the loop that adds to the register directly (the leaf loop), when longer than `BLOCK` iterations,
runs in blocks of `BLOCK`: each block sums into a register of its own as before (quick, and
vectorizable), and the block's sum is added to the total by `two_sum`, which keeps the rounding error of
that add in a compensation term (Knuth's TwoSum: exact, whatever the magnitudes). The total is then
accurate to a few roundings whatever the number of blocks, and a block adds no more error than NumPy's
own 128-term blocks. A shorter leaf loop runs as it did (one comparison more).

Which sums: every sum to a single value (a scalar output: `s = A[i,j]*B[i,j]`, `s = x[i]`), whose
short runs (a merge, a short row) also go to the block register, counted, and folded after the run
that brings it to `BLOCK` terms (a block is then at most `BLOCK` terms plus one run: a merge of two
long rows is summed as one block); and a sum
per output entry whose leaf loop is a dense range (a dot product over a dense index). A sum per output
entry over a sparse row (SpMV's rows) is left as it was: its terms are one row's, and blocking its loop
cost SpMV 6-12%. Integer sums are exact either way (TwoSum's error term is 0 on integers).
"""

from __future__ import annotations

from dataclasses import replace

from einsparse.compiler import concrete as cin
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.reductions import BY_OP

BLOCK = 128  # iterations summed in a register before the block is added to the compensated total


class Sums:
    """The `Lowerer`'s blocked sums (a mixin: `Lowerer.__init__` documents the state it shares)."""

    def _sum_names(self, name: str) -> tuple[str, str, str]:
        """The block register, the compensation and the count of terms in the block of the sum in
        register `name`."""
        return (self.names.once(("block", name), f"{name}_b"),
                self.names.once(("compensation", name), f"{name}_c"),
                self.names.once(("terms", name), f"{name}_k"))

    def _scalar_where(self, stmt: cin.Where, bound, positions, depth) -> list[loop.Node]:
        """A sum in a register: started at zero, produced, blocked where its leaf loops allow (see the
        module's docstring), its last block and its compensation added, then consumed."""
        name = self.temp_name(stmt.temp)
        if stmt.temp.expr.op != "add":  # min, max, any, ...: exact in any order, nothing to block
            start = [loop.Line(f"{name} = {self.identity_of(stmt.temp)}")]
            if BY_OP[stmt.temp.expr.op].arg:
                start.append(loop.Line(f"{self.coordinate_of(stmt.temp)} = np.int64(0)"))
            return (start
                    + self._stmt(stmt.producer, bound, positions, depth)
                    + self._stmt(stmt.consumer, bound, positions, depth))
        single = not bound  # a sum to a single value: every add goes to blocks
        self.summing[name] = single
        self.folded.discard(name)
        producer = self._stmt(stmt.producer, bound, positions, depth)
        del self.summing[name]
        start = [loop.Line(f"{name} = zero")]
        if name in self.folded:
            block, compensation, count = self._sum_names(name)
            start += [loop.Line(f"{compensation} = zero"), loop.Line(f"{block} = zero")]
            if single:
                start.append(loop.Line(f"{count} = 0"))  # terms in the block
                producer.append(_fold(name, block, compensation))
            producer.append(loop.Line(f"{name} = {name} + {compensation}"))
        return start + producer + self._stmt(stmt.consumer, bound, positions, depth)

    def _sum_add(self, name: str, rhs: str) -> list[loop.Node]:
        """An add to the sum in register `name`: to its block while its leaf loop is lowered, counted
        when the sum is to a single value (so that runs of merges fill blocks of `BLOCK` terms)."""
        helper = "sum_add_in_order" if name in self.in_order else "sum_add"  # see `Loops._loop`
        if name not in self.blocking:
            return [loop.Line(f"{name} = {helper}({name}, {rhs})")]
        block, _, count = self._sum_names(name)
        add = [loop.Line(f"{block} = {helper}({block}, {rhs})")]
        return add + [loop.Line(f"{count} += 1")] if self.summing[name] else add

    def _leaf_sums(self, body: cin.Stmt) -> list[str]:
        """The registers being summed that `body` adds to outside any loop of its own."""
        found = []

        def walk(stmt):
            if isinstance(stmt, cin.Accumulate):
                target = stmt.target
                if not isinstance(target, cin.ir.TempRef) or target.temp.indices:
                    return
                name = self.temp_name(target.temp)
                if name in self.summing and name not in found:
                    found.append(name)
            elif isinstance(stmt, cin.Seq):
                for part in stmt.stmts:
                    walk(part)
            elif isinstance(stmt, cin.Where):
                walk(stmt.producer)
                walk(stmt.consumer)
        walk(body)
        return found

    def _blocked(self, names: list[str], var: str, nodes: list[loop.Node]) -> list[loop.Node]:
        """The leaf loop in `nodes`, lowered with its adds going to each sum's block register, made to
        fold blocks into the compensated totals (see the module's docstring):
        - a range loop over `var` (for a sum to a single value, also over positions) longer than
          `BLOCK` runs in blocks of `BLOCK` iterations, each folded; a shorter one runs as before;
        - for a sum to a single value, a run after which the block holds `BLOCK` terms or more folds it;
        - any other loop of a sum per output entry adds to the register itself, as before."""
        single = all(self.summing[name] for name in names)
        ranged = next((k for k in range(len(nodes) - 1, -1, -1)
                       if isinstance(nodes[k], loop.For) and (single or nodes[k].var == var)), None)
        registers = {self._sum_names(name)[0]: name for name in names}
        if ranged is None and not single:
            return [_unblocked(node, registers) for node in nodes]
        self.folded.update(names)
        sums = [(name, *self._sum_names(name)) for name in names]
        if ranged is not None:
            inner = _uncounted(nodes[ranged], {count for *_, count in sums})
            first = self.names.once(("blocks", inner.var), f"{inner.var}_block")
            cut = loop.For(inner.var, first, f"min({first} + {BLOCK}, {inner.stop})", inner.body)
            folds = [node for name, block, compensation, _ in sums
                     for node in (_fold(name, block, compensation), loop.Line(f"{block} = zero"))]
            blocks = loop.For(first, inner.start, inner.stop, (cut, *folds), step=str(BLOCK))
            short = inner if single else _unblocked(inner, registers)
            length = inner.stop if inner.start == "0" else f"{inner.stop} - {inner.start}"
            if single:  # the short run's terms, counted at once
                short = (short, *(loop.Line(f"{count} += {length}") for *_, count in sums))
            else:
                short = (short,)
            branch = loop.If(((f"{length} <= {BLOCK}", short),), (blocks,))
            nodes = nodes[:ranged] + [branch] + nodes[ranged + 1:]
        if single:
            for name, block, compensation, count in sums:
                nodes.append(loop.If(((f"{count} >= {BLOCK}", (_fold(name, block, compensation),
                                                               loop.Line(f"{block} = zero"),
                                                               loop.Line(f"{count} = 0"))),)))
        return nodes


def _fold(name: str, block: str, compensation: str) -> loop.Line:
    return loop.Line(f"{name}, {compensation} = two_sum({name}, {compensation}, {block})")


def _rewritten(node, edit):
    """`node` with each of its lines replaced by `edit(line)` (a line, or None to drop it)."""
    if isinstance(node, loop.Line):
        return edit(node)
    if isinstance(node, (loop.For, loop.While)):
        return replace(node, body=_rewritten_all(node.body, edit))
    if isinstance(node, loop.If):
        return replace(node, branches=tuple((c, _rewritten_all(body, edit)) for c, body in node.branches),
                       orelse=None if node.orelse is None else _rewritten_all(node.orelse, edit))
    return node


def _rewritten_all(nodes, edit) -> tuple:
    return tuple(new for new in (_rewritten(node, edit) for node in nodes) if new is not None)


def _unblocked(node, registers: dict[str, str]):
    """`node` with adds to block registers put back on their sums' registers."""
    def edit(line):
        for block, name in registers.items():
            for helper in ("sum_add", "sum_add_in_order"):
                if line.text.startswith(f"{block} = {helper}({block},"):
                    return loop.Line(line.text.replace(f"{block} = {helper}({block},", f"{name} = {helper}({name},", 1))
        return line
    return _rewritten(node, edit)


def _uncounted(node, counts: set[str]):
    """`node` without the per-term counts of `counts` (a range loop counts its terms at once)."""
    return _rewritten(node, lambda line: None if line.text.split(" += ")[0] in counts
                      and line.text.endswith(" += 1") else line)
