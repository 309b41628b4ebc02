"""Concrete index notation -> loop IR.

Each `forall v` becomes the loop its merge lattice asks for:
- no iterator (only dense levels, literals, temporaries): `for v in range(n_v)`;
- one iterator: `for pA2 in range(A2_pos[pA1], A2_pos[pA1 + 1])`, `v = A2_crd[pA2]`;
- several iterators (intersections and unions): `while` loops that advance them in step, one per
  lattice point, with one branch per combination of present operands;
- a union that includes a dense operand: a range loop that checks each iterator at every coordinate.
In each branch the statement is simplified with the absent operands set to zero, so each region
computes only what is nonzero there. A non-unique level (COO's top level) is walked in runs of equal
coordinates; the singleton level below it iterates the run. Dense levels are located by position
arithmetic as soon as their index is bound.

Two-operand intersections gallop when one side is much longer, and a loop over a sparse operand's
coordinates prefetches the rows of large operands it will read further on (`lookahead`).

A sum over a reduction index accumulates in a register through `sum_add`, an add LLVM may reassociate
(so it can vectorize the sum); no other operation may be reordered.

Outputs: a dense output (and every workspace) is accumulated into (`+=`), starting from zero or from the
old values for `+=`; the first write to entries that still hold their zeros assigns instead (`=`). A
sparse output is assembled in order: a compressed level appends a coordinate when something below it
was written (`open` a tentative position, `commit` it after the loop body), the last level stores a
value only when it is not zero, and arrays grow geometrically; at the head of an iteration of a split
outermost loop, a kernel short of room returns instead, and the runtime goes on from that iteration
into new arrays (`resume`). A workspace over one index keeps the list of coordinates it touched, so its
consumer visits those (sorted) rather than the whole range, and clearing it costs what was touched
(Gustavson's algorithm for SpGEMM).

Parallel chunks: when the outermost loop runs over an output index, by a range or by one operand's
positions, its bounds are clipped to `[chunk_lo, chunk_hi)`, two kernel arguments. Chunks then write
disjoint parts of a dense output, or assemble independent pieces of a sparse one that the runtime joins
in order, so the runtime may run them on several threads (see `compiler.split`).

The lowerer is split by concern: this module holds the `Lowerer` itself (its storages, the dispatch over
statements, accumulation and expressions), `loops` the loop each `forall` becomes, `merges` the loops
that co-iterate several operands, `assemble` a sparse output's assembly, `workspaces` the workspaces,
and `simplify` what the lowerer asks of statements (absent operands set to zero, what they read and
write). The parts are mixins of `Lowerer`, and share the state its `__init__` sets up.
"""

from __future__ import annotations

from typing import Optional, Union

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import loop_ir as loop
from einsparse.compiler.assemble import Assembly
from einsparse.compiler.fills import literal_text
from einsparse.compiler.formats import Format
from einsparse.compiler.functions import BY_NAME
from einsparse.compiler.loops import Loops
from einsparse.compiler.merges import Merges
from einsparse.compiler.names import Namer
from einsparse.compiler.runs import Runs
from einsparse.compiler.simplify import access_key, stmt_storages
from einsparse.compiler.split import Split
from einsparse.compiler.storages import Storage
from einsparse.compiler.sums import Sums
from einsparse.compiler.reductions import BY_OP
from einsparse.compiler.workspaces import DENSE_ROW, PAIR_LIST, Workspaces
from einsparse.errors import InternalError


class Lowerer(Loops, Merges, Runs, Assembly, Workspaces, Sums):
    """Lowers one concrete statement (`lower`) for the operands' formats, and then tells the pipeline
    what the kernel needs: its storages' arrays, workspaces, output results and split."""

    def __init__(self, operands: dict[str, Format], origin, namer: Namer, output: str, sparse_output: bool,
                 workspace: str = DENSE_ROW, output_indices: tuple = (), fresh_output: bool = False,
                 counting: bool = False, room_known: bool = False, fills: "dict | None" = None,
                 output_fill=0):
        # The state every part of the lowerer shares (loops, merges, assemble, workspaces).
        self.operands = operands            # kernel operand -> its format
        self.origin = origin                # index -> the index whose extent it has
        self.names = namer
        self.output = output
        self.sparse_output = sparse_output
        self.workspace = workspace          # how one-index workspaces accumulate: DENSE_ROW or PAIR_LIST
        # Two-phase assembly (see `assemble`): `counting` lowers the symbolic pass, which only counts
        # what each row of a sparse output would append; `room_known` lowers a pass whose output arrays
        # were sized by that count, so it checks no room.
        self.counting = counting
        self.room_known = room_known or counting
        self.fills = fills or {}            # kernel operand -> its fill, where it is not 0
        self.output_fill = output_fill      # what a sparse output holds where nothing is stored
        self.temp_arrays: dict[str, ir.Temp] = {}
        self.typed_zeros: dict[str, ir.Temp] = {}  # see _typed_zero
        self.identities: dict[str, ir.Temp] = {}   # see identity_of
        self.tracked: set[str] = set()      # one-index workspaces: touched lists or pair lists
        self.plans: dict[tuple[int, str, str], None] = {}  # (depth, index, co-iteration plan), for explain()
        self.output_indices = output_indices
        # Whether the dense output entries the code being lowered writes still hold the zeros the output
        # starts from (`fresh_output`: `=`, not `+=`): the first write to them is then an assignment, not
        # a read and an add (fused SpMM+D: C = D, then C += A*B).
        self.unwritten = fresh_output and not sparse_output
        # Whether every enclosing loop visits its whole range (or chunk of it) unconditionally, and
        # whether the kernel assigns (`=`) every entry of a dense output before anything adds to it:
        # such an output is allocated without zeroing (None: no assignment seen yet).
        self.covering = True
        # Sums in registers (see `sums`): those being produced (True: to a single value), those whose
        # adds go to a block register while their leaf loop is lowered, and those folded in blocks.
        self.summing: dict[str, bool] = {}
        self.blocking: set[str] = set()
        self.leaf_sums: list[str] = []  # the sums the loop being lowered adds to directly
        self.in_order: set[str] = set()  # sums added in a loop over a sparse level (`sum_add_in_order`)
        self.folded: set[str] = set()
        self.assigns_in_full: Optional[bool] = None
        self.root = None                    # the statement being lowered: its outermost loop may be split
        self.split: Optional[Split] = None  # set when the outermost loop can be cut into chunks
        # (variable, first, end) of the outermost loop when it is split: inner loops that append to
        # arrays project their final length from how far it has gone.
        self.progress: Optional[tuple[str, str, str]] = None
        # While lowering the head of an iteration of a split outermost loop, before anything is written:
        # the variable to resume from. A sparse output short of room there returns to the runtime, which
        # goes on from that iteration into new arrays (a new piece, joined like chunks), rather than
        # growing its arrays in the loop: arrays reassigned in a loop cost Numba reference counting on
        # every iteration (a Hadamard product ran 15% slower for it).
        self.resume: Optional[str] = None
        self.appending_unconditionally = False  # see _branch_free_union
        self.lookahead_notes: dict[str, None] = {}  # what prefetches and gallops, for explain()
        self.merge_notes: dict[str, None] = {}      # unions merged without branches, for explain()

    # -- storages -----------------------------------------------------------------------------
    def storage(self, node: Union[ir.Access, ir.TempRef]) -> Storage:
        if isinstance(node, ir.Access):
            fmt = self.operands[node.tensor]
            levels = tuple(
                kind.code(node.tensor, l, self.extent(node.indices[fmt.mode_order[l]]), self.names)
                for l, kind in enumerate(fmt.levels))
            indices = tuple(node.indices[m] for m in fmt.mode_order)
            return Storage(access_key(node), node.tensor, levels, indices, self.names.vals(node.tensor))
        return self._workspace_storage(node.temp)

    def temp_name(self, temp: ir.Temp) -> str:
        return self.names.once(("temp", temp.name), temp.name)

    def extent(self, index: str) -> str:
        return self.names.extent(self.origin(index))

    def position_name(self, storage: Storage, level: int) -> str:
        return self.names.position(storage.key, storage.label, level)

    def fill_of(self, access: ir.Access):
        return self.fills.get(access.tensor, 0)

    def target_fill(self, target) -> object:
        """What `target` holds where nothing is written: a sparse output its fill, a temporary its
        reduction's identity (0 for a sum), a dense output 0."""
        if isinstance(target, ir.TempRef):
            return BY_OP[target.temp.expr.op].identity
        return self.output_fill if self.sparse_output and self.is_output(target) else 0

    def differs_from_fill(self, value: str) -> str:
        """Kernel source testing that a sparse output's `value` is to be stored (it is not the fill)."""
        fill = self.output_fill
        if fill != fill:
            return f"{value} == {value}"
        return f"{value} != {literal_text(fill)}"

    def _typed_zero(self, temp: ir.Temp) -> str:
        """The kernel argument holding a 0 of NumPy's type for `temp`'s sum: a workspace accumulates in
        the widest type around (counts of a bool sum, int8 sums in int64), and its reads become what
        NumPy's einsum would give (any of the bools; the sum wrapped to int8)."""
        name = self.names.once(("typed zero", temp.name), f"{self.temp_name(temp)}_zero")
        self.typed_zeros[name] = temp
        return name

    def is_output(self, node) -> bool:
        return isinstance(node, ir.Access) and node.tensor == self.output

    def _writes_output(self, body: cin.Stmt) -> Optional[ir.Access]:
        for node in stmt_storages(body):
            if self.is_output(node):
                return node
        return None

    # -- entry --------------------------------------------------------------------------------
    def lower(self, stmt: cin.Stmt) -> tuple[loop.Node, ...]:
        self.root = stmt
        return tuple(self._stmt(stmt, (), {}, 0))

    def _stmt(self, stmt: cin.Stmt, bound: tuple, positions: dict, depth: int) -> list[loop.Node]:
        if isinstance(stmt, cin.Forall):
            return self._forall(stmt, bound, positions, depth)
        if isinstance(stmt, cin.Seq):
            nodes = []
            for part in stmt.stmts:
                nodes += self._stmt(part, bound, positions, depth)
                if self._writes_output(part) is not None:
                    self.unwritten = False  # the parts after it add to what it wrote
            return nodes
        if isinstance(stmt, cin.Where):
            return self._where(stmt, bound, positions, depth)
        if isinstance(stmt, cin.Accumulate):
            return self._accumulate(stmt, positions)
        raise InternalError(f"cannot lower {stmt!r}")

    def _place(self, node, positions) -> str:
        """`vals[position]` of a fully located access or workspace."""
        storage = self.storage(node)
        if not storage.levels:
            return f"{storage.vals}[0]"
        last = (storage.key, len(storage.levels) - 1)
        if last not in positions:
            raise InternalError(f"{ir.show(node)} is read before all its indices are bound")
        return loop.subscript(storage.vals, positions[last])

    def _accumulate(self, stmt: cin.Accumulate, positions: dict) -> list[loop.Node]:
        self.resume = None
        rhs = self._expr(stmt.rhs, positions, 0)
        target = stmt.target
        if isinstance(target, ir.TempRef) and target.temp.expr.op != "add":
            return self._reduce_into(target, rhs, positions)
        if isinstance(target, ir.TempRef) and not target.temp.indices:  # a sum in a register
            return self._sum_add(self.temp_name(target.temp), rhs)
        if self.sparse_output and self.is_output(target):
            return self._append_value(target, rhs, positions)
        nodes = []
        if isinstance(target, ir.TempRef) and self.temp_name(target.temp) in self.tracked:
            if self.workspace == PAIR_LIST:
                return self._append_pair(target, rhs)
            nodes = self._track(target, positions)
            if self.counting:  # the symbolic pass needs the coordinates touched, not the values
                return nodes
        operator = "=" if self.is_output(target) and self.unwritten else "+="
        if self.is_output(target):
            self.assigns_in_full = (self.assigns_in_full is not False and self.covering
                                    if operator == "=" else bool(self.assigns_in_full))
        return nodes + [loop.Line(f"{self._place(target, positions)} {operator} {rhs}")]

    def _reduce_into(self, target: ir.TempRef, rhs: str, positions: dict) -> list[loop.Node]:
        """One step of a reduction other than a sum into its register or workspace entry:
        `t = np.minimum(t, term)`; a workspace's touched coordinates are recorded as a sum's are."""
        step = BY_OP[target.temp.expr.op].code
        name = self.temp_name(target.temp)
        if BY_OP[target.temp.expr.op].arg:  # a better term replaces the value and its coordinate
            term = self.names.once(("term", name), f"{name}_v")
            (index,) = target.temp.expr.indices
            better = (loop.Line(f"{name} = {term}"),
                      loop.Line(f"{self.coordinate_of(target.temp)} = np.int64({self.names.index(index)})"))
            return [loop.Line(f"{term} = {rhs}"), loop.If(((step.format(name, term), better),))]
        if not target.temp.indices:
            return [loop.Line(f"{name} = {step.format(name, rhs)}")]
        nodes = []
        if name in self.tracked:
            if self.workspace == PAIR_LIST:
                raise InternalError(f"a pair list cannot reduce with {target.temp.expr.op}")
            nodes = self._track(target, positions)
            if self.counting:
                return nodes
        place = self._place(target, positions)
        return nodes + [loop.Line(f"{place} = {step.format(place, rhs)}")]

    def coordinate_of(self, temp: ir.Temp) -> str:
        """The register holding the coordinate of an argmin/argmax's best value so far."""
        return self.names.once(("coordinate", temp.name), f"{self.temp_name(temp)}_at")

    def identity_of(self, temp: ir.Temp) -> str:
        """Kernel source for the value `temp` starts from: `zero` for a sum, else an argument holding
        its reduction's identity in its type (+inf, the largest int8, True, ...)."""
        if temp.expr.op == "add":
            return "zero"
        name = self.names.once(("identity", temp.name), f"{self.temp_name(temp)}_identity")
        self.identities[name] = temp
        return name

    # -- expressions ---------------------------------------------------------------------------
    def _expr(self, expr: ir.Expr, positions: dict, context: int) -> str:
        if isinstance(expr, ir.Access):
            hoisted = positions.get(("value", access_key(expr)))
            return hoisted if hoisted is not None else self._place(expr, positions)
        if isinstance(expr, ir.TempRef):
            if BY_OP[expr.temp.expr.op].arg:  # the coordinate kept beside the running value, an int64
                return self.coordinate_of(expr.temp)
            read = self.temp_name(expr.temp) if not expr.temp.indices else self._place(expr, positions)
            return f"as_type_of({read}, {self._typed_zero(expr.temp)})"
        if isinstance(expr, ir.Literal):
            return f"zero_like({self.names.vals(expr.like)})" if expr.like else literal_text(expr.value)
        if isinstance(expr, ir.IndexValue):  # the loop's coordinate, which may be read from an int32 array
            return f"np.int64({self.names.index(expr.index)})"
        if isinstance(expr, ir.Neg):
            text = f"-widen({self._expr(expr.operand, positions, 0)})"
            return f"({text})" if context >= 2 else text
        if isinstance(expr, ir.Add):
            parts = [self._expr(expr.terms[0], positions, 1)]
            for term in expr.terms[1:]:
                if isinstance(term, ir.Neg):
                    parts.append(f" - widen({self._expr(term.operand, positions, 0)})")
                else:
                    parts.append(" + " + self._expr(term, positions, 1))
            text = "".join(parts)
            return f"({text})" if context > 1 else text
        if isinstance(expr, ir.Mul):
            numerator = [f for f in expr.factors if not isinstance(f, ir.Recip)]
            divisors = [f.operand for f in expr.factors if isinstance(f, ir.Recip)]
            text = " * ".join(self._expr(f, positions, 2) for f in numerator) or "1"
            for divisor in divisors:
                text += " / " + self._expr(divisor, positions, 3)
            return f"({text})" if context > 2 else text
        if isinstance(expr, ir.Recip):
            return "1 / " + self._expr(expr.operand, positions, 3)
        if isinstance(expr, ir.Call):
            args = [self._expr(arg, positions, 0) for arg in expr.args]
            return f"({BY_NAME[expr.name].code.format(*args)})"
        if isinstance(expr, ir.Sum):
            raise InternalError(f"reduction {ir.show(expr)} reached code generation")
        raise InternalError(f"cannot generate code for {expr!r}")
