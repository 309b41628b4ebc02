"""Planning long products: which factors to multiply first, and which to fuse into one kernel.

A statement whose right side is one product of three or more tensors (`y[i] = A[i,j]*A[j,k]*x[k]`, an
einsum of many operands) compiles by default to one loop nest over every index, which can do
asymptotically more work than multiplying in pairs (`A @ (A @ x)`). The planner estimates, from the
operands' statistics, the work of each way to group the factors (a group is one fused kernel whose
result is a temporary the next kernel reads) and keeps the cheapest: every grouping up to
`EXHAUSTIVE` factors, greedy pairing beyond, as Galley (Deeds et al.) does with richer statistics.

The estimates use, for each operand, its stored entries and, along each of its modes, how many
coordinates hold anything (nonempty rows and columns, nonempty fibers of a tensor): the statistics
Galley's simplest model keeps. A kernel joining parts P visits about
`prod(entries_p) / prod over each index i of (prod_p V_p(i) / min_p V_p(i))` combinations of
coordinates (the System R join estimate: entries spread uniformly over the coordinates that hold any,
which for operands filling every slice is the uniform density model), and its result, over the indices
it keeps, is those combinations thrown into `prod over kept i of min_p V_p(i)` bins (balls into bins).
A temporary is dense from `DENSE_AT` density on, else sparse (compressed below a dense level).
Fusion wins stay one kernel (SDDMM, MTTKRP: their join is smaller than any pair's result), and a plan
is taken only when it is estimated cheaper than the fused nest by `MARGIN`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from einsparse.compiler import index_ir as ir

EXHAUSTIVE = 6        # factors planned over every grouping; more are paired greedily
DENSE_AT = 0.1        # a temporary this dense or more is stored dense
KERNEL_COST = 20_000  # a kernel call, its temporary's allocation and checks, in visited coordinates
SPARSE_WRITE = 4.0    # an entry appended to a sparse result, against one visited coordinate
MARGIN = 0.5          # a plan is taken when it costs at most this share of the fused nest


@dataclass(frozen=True)
class Stats:
    """What the planner knows of an operand: its shape, how many entries it stores and along each mode
    how many coordinates hold any (None: every coordinate up to the entries stored)."""

    shape: tuple[int, ...]
    stored: int
    dense: bool
    occupied: tuple[int, ...] | None = None

    @property
    def entries(self) -> float:
        return float(math.prod(self.shape)) if self.dense else float(self.stored)

    @property
    def distinct(self) -> tuple[float, ...]:
        if self.dense:
            return tuple(float(n) for n in self.shape)
        if self.occupied is not None:
            return tuple(float(max(1, min(n, v))) for n, v in zip(self.shape, self.occupied))
        return tuple(float(max(1, min(n, self.stored))) for n in self.shape)


@dataclass(frozen=True)
class Part:
    """A factor of the product, or the temporary a group of factors is computed into."""

    factors: frozenset       # positions of the product's factors it holds
    indices: tuple[str, ...]  # the indices it keeps
    entries: float            # estimated entries stored
    distinct: tuple           # estimated coordinates holding any, along each of its indices
    cost: float               # the estimated work of computing it (0 for an operand)
    inputs: tuple = ()        # the parts one kernel multiplies into it (none for an operand)


@dataclass(frozen=True)
class Step:
    """One kernel of a plan: `statement` computes `output` (a temporary, or the statement's output)."""

    statement: str
    output: str
    inputs: tuple[str, ...]   # the tensors it reads: operands and earlier temporaries
    indices: tuple[str, ...]
    dense: bool
    estimated_entries: float
    factors: tuple = ()       # (tensor, its indices) of each factor, in order
    scale: tuple = ()         # the statement's number factors (its last step's only)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    cost: float        # estimated, of the steps
    fused_cost: float  # estimated, of the one fused nest

    def describe(self) -> str:
        lines = [f"plan:           {len(self.steps)} kernels, estimated cost {self.cost:.3g} against "
                 f"{self.fused_cost:.3g} for one fused nest (coordinates visited)"]
        for number, step in enumerate(self.steps, 1):
            kind = "dense" if step.dense else "sparse"
            lines.append(f"  {number}. {step.statement}  ({step.output} {kind}, about "
                         f"{step.estimated_entries:.3g} entries)")
        return "\n".join(lines)


def product_factors(assignment: ir.Assignment):
    """(tensor accesses, scalar literals, summed indices) when the right side is one product of tensors
    (under one sum of Einstein's), else None."""
    rhs, summed = assignment.rhs, ()
    if isinstance(rhs, ir.Sum):
        if rhs.op != "add":
            return None
        rhs, summed = rhs.body, rhs.indices
    factors = rhs.factors if isinstance(rhs, ir.Mul) else (rhs,)
    if not all(isinstance(f, (ir.Access, ir.Literal)) for f in factors):
        return None
    accesses = [f for f in factors if isinstance(f, ir.Access)]
    literals = [f for f in factors if isinstance(f, ir.Literal)]
    return accesses, literals, summed


def plan_product(assignment: ir.Assignment, stats: dict[str, Stats], taken: set[str], how="auto"):
    """The cheapest plan for `assignment` given its operands' `stats`, or None when one fused nest is
    estimated best (or the statement is not one product of three or more tensors). `how`: "auto"
    (every grouping up to `EXHAUSTIVE` factors, greedy beyond), "greedy", "optimal" (every grouping),
    or a NumPy-style contraction path (a list of tuples of positions, each contraction's result put
    last), followed as given."""
    found = product_factors(assignment)
    if found is None or len(found[0]) < 3:
        return None
    accesses, literals, _ = found
    extents = _extents(accesses, stats)
    output = assignment.output.indices
    leaves = [_leaf(k, a, stats[a.tensor]) for k, a in enumerate(accesses)]
    everything = frozenset(range(len(leaves)))
    fused = _kernel(leaves, everything, output, extents, leaves)
    if isinstance(how, (list, tuple)):
        best = _followed(list(how), leaves, output, extents)
    elif how == "greedy" or (how == "auto" and len(leaves) > EXHAUSTIVE):
        best = _greedy(leaves, output, extents)
    else:
        best = _optimal(leaves, output, extents)
    split = best.inputs and any(p.inputs for p in best.inputs)
    if not split or (not isinstance(how, (list, tuple)) and best.cost > MARGIN * fused.cost):
        return None
    return Plan(_steps(best, assignment, accesses, literals, extents, taken), best.cost, fused.cost)


def _followed(path: list, leaves, output, extents) -> Part:
    """The parts a NumPy-style contraction path computes: each step multiplies the parts at its
    positions into one, put last."""
    parts = list(leaves)
    for step in path:
        chosen = [parts[k] for k in sorted(set(step))]
        parts = [p for k, p in enumerate(parts) if k not in set(step)]
        parts.append(chosen[0] if len(chosen) == 1 else
                     _kernel(chosen, frozenset().union(*(p.factors for p in chosen)), output, extents, leaves))
    if len(parts) > 1:  # what the path leaves is multiplied by the last kernel
        parts = [_kernel(parts, frozenset().union(*(p.factors for p in parts)), output, extents, leaves)]
    return parts[0]


def _extents(accesses, stats) -> dict[str, int]:
    extents = {}
    for access in accesses:
        extents.update(zip(access.indices, stats[access.tensor].shape))
    return extents


def _leaf(position: int, access: ir.Access, stats: Stats) -> Part:
    distinct, entries = {}, stats.entries
    for index, count in zip(access.indices, stats.distinct):
        if index in distinct:  # a diagonal (A[i,i]): an entry's coordinates agree once in `count`
            entries /= max(count, distinct[index])
        distinct[index] = min(distinct.get(index, count), count)
    indices = tuple(distinct)
    return Part(frozenset({position}), indices, entries, tuple(distinct[i] for i in indices), 0.0)


def _kept(factors: frozenset, output, leaves) -> tuple[str, ...]:
    """The indices a group must keep: the output's and those of factors outside it, in order of use."""
    outside = set(output)
    for k, leaf in enumerate(leaves):
        if k not in factors:
            outside.update(leaf.indices)
    kept = {}
    for k in sorted(factors):
        for index in leaves[k].indices:
            if index in outside:
                kept[index] = None
    return tuple(kept)


def _kernel(inputs, factors: frozenset, output, extents, leaves, kept=None) -> Part:
    """The part one kernel multiplying `inputs` computes, with its estimated cost (`kept`: the
    indices it keeps, when known)."""
    kept = _kept(factors, output, leaves) if kept is None else kept
    cost, entries, bins = _estimate(inputs, kept, extents)
    return Part(factors, kept, entries, _spread(entries, bins), cost, tuple(inputs))


def _estimate(inputs, kept: tuple, extents, bound: float = math.inf) -> tuple[float, float, tuple]:
    """(cost, entries of the result, the coordinates its entries may take along each kept index) of one
    kernel multiplying `inputs` into a result over `kept`; (inf, 0, ()) as soon as it costs `bound` or
    more."""
    visited, cost, fewest = 1.0, KERNEL_COST, {}
    for part in inputs:  # divided, for each index, by the product of its counts but their least
        visited *= part.entries
        cost += part.cost
        for index, count in zip(part.indices, part.distinct):
            seen = fewest.get(index)
            if seen is None:
                fewest[index] = count
            elif seen < count:
                visited /= count
            else:
                visited /= seen
                fewest[index] = count
    cost += visited
    if cost >= bound:
        return math.inf, 0.0, ()
    bins = terms = 1.0
    for index, count in fewest.items():
        if index in kept:
            bins *= count
        else:
            terms *= count
    share = min(1.0, visited / (bins * terms)) if bins * terms else 0.0  # of each bin's terms present
    entries = bins if share >= 1.0 else -bins * math.expm1(terms * math.log1p(-share))
    size = 1
    for index in kept:
        size *= extents[index]
    written = size if not kept or entries >= DENSE_AT * size else SPARSE_WRITE * entries
    return cost + written, entries, tuple(fewest[i] for i in kept)


def _spread(entries: float, bins: tuple) -> tuple:
    """The coordinates holding any along each index, of `entries` thrown into `bins` along it."""
    return tuple(max(1.0, -n * math.expm1(-entries / n)) if entries < n else n for n in bins)


def dense_enough(part: Part, extents) -> bool:
    """Whether `part`'s temporary is stored dense."""
    return not part.indices or part.entries >= DENSE_AT * math.prod(extents[i] for i in part.indices)


def _optimal(leaves, output, extents) -> Part:
    """The cheapest grouping: each set of factors computed by one fused kernel over its factors, or by
    a kernel multiplying the best parts of a split of it in two. Sets of factors are bit masks here."""
    best = {1 << k: leaf for k, leaf in enumerate(leaves)}
    uses = {1 << k: frozenset(leaf.indices) for k, leaf in enumerate(leaves)}
    for size in range(2, len(leaves) + 1):
        for chosen in combinations(range(len(leaves)), size):
            group = sum(1 << k for k in chosen)
            kept = _kept(frozenset(chosen), output, leaves)
            inputs = [leaves[k] for k in chosen]  # one fused kernel over the group's factors, or
            cheapest = (_estimate(inputs, kept, extents), inputs)
            first, rest = 1 << chosen[0], [1 << k for k in chosen[1:]]
            for count in range(0, len(rest)):  # a split (first member on the left, each once) if cheaper
                for others in combinations(rest, count):
                    left = first + sum(others)
                    a, b = best[left], best[group - left]
                    if a.cost + b.cost + KERNEL_COST >= cheapest[0][0] or uses[left].isdisjoint(uses[group - left]):
                        continue  # costs more already, or an outer product: never cheaper than fusing it
                    estimate = _estimate((a, b), kept, extents, cheapest[0][0])
                    if estimate[0] < cheapest[0][0]:
                        cheapest = (estimate, [a, b])
            (cost, entries, bins), inputs = cheapest
            best[group] = Part(frozenset(chosen), kept, entries, _spread(entries, bins), cost, tuple(inputs))
            uses[group] = frozenset(kept)
    return best[(1 << len(leaves)) - 1]


def _greedy(leaves, output, extents) -> Part:
    """Pairs multiplied cheapest first until one part is left (for many factors)."""
    parts = list(leaves)
    while len(parts) > 1:
        pairs = [(a, b) for a in range(len(parts)) for b in range(a + 1, len(parts))
                 if set(parts[a].indices) & set(parts[b].indices)] or [(0, 1)]
        a, b = min(pairs, key=lambda ab: _kernel([parts[ab[0]], parts[ab[1]]],
                                                 parts[ab[0]].factors | parts[ab[1]].factors,
                                                 output, extents, leaves).cost)
        merged = _kernel([parts[a], parts[b]], parts[a].factors | parts[b].factors, output, extents, leaves)
        parts = [p for k, p in enumerate(parts) if k not in (a, b)] + [merged]
    return parts[0]


def _steps(root: Part, assignment: ir.Assignment, accesses, literals, extents, taken: set[str]) -> tuple:
    """The kernels computing `root`, innermost first: temporaries named T0, T1, ... (not taken)."""
    steps: list[Step] = []
    names = (f"T{n}" for n in range(10 ** 6))

    def fresh() -> str:
        name = next(names)
        while name in taken:
            name = next(names)
        taken.add(name)
        return name

    def access(name: str, indices) -> str:
        return f"{name}[{','.join(indices)}]" if indices else name

    def read(part: Part) -> tuple[str, tuple]:
        """(the tensor `part` is, its indices): an operand, or a temporary computed first."""
        if not part.inputs:
            (k,) = part.factors
            return accesses[k].tensor, accesses[k].indices
        name = fresh()
        reads = [read(p) for p in part.inputs]
        steps.append(Step(f"{access(name, part.indices)} = {'*'.join(access(*r) for r in reads)}", name,
                          tuple(dict.fromkeys(n for n, _ in reads)), part.indices, dense_enough(part, extents),
                          part.entries, tuple(reads)))
        return name, part.indices

    reads = [read(p) for p in root.inputs]
    body = "*".join([*(repr(l.value) for l in literals), *(access(*r) for r in reads)])
    out = assignment.output
    steps.append(Step(f"{access(out.tensor, out.indices)} {assignment.op} {body}", out.tensor,
                      tuple(dict.fromkeys(n for n, _ in reads)), out.indices, True, root.entries, tuple(reads),
                      tuple(l.value for l in literals)))
    return tuple(steps)
