"""Checks of a statement against the formats of its tensors, before any scheduling.

Everything here needs only the statement and the formats, no data: ranks, the output format, division
by sparse operands. Extents and dtypes are checked by the runtime when data arrives.
"""

from __future__ import annotations

from einsparse.compiler import index_ir as ir
from einsparse.compiler.fills import VARIES, annihilates, apply_op, reduced, same, varies
from einsparse.compiler.formats import Format, read_format, spec_text
from einsparse.errors import FormatError, OperandError, StatementError, point_at


def check(assignment: ir.Assignment, formats: dict[str, Format], text: str) -> None:
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        fmt = formats[access.tensor]
        if fmt.rank != len(access.indices):
            raise OperandError(point_at(
                f"{access.tensor} has rank {fmt.rank} (format {fmt.name}) but is indexed with "
                f"{len(access.indices)} ind{'ex' if len(access.indices) == 1 else 'ices'}",
                text, access.span.start, access.span.end))
    _check_divisors(assignment.rhs, formats, text)


def _check_divisors(expr: ir.Expr, formats: dict[str, Format], text: str) -> None:
    """A literal 0 divisor is refused; any operand divides as NumPy divides (an absent entry is its
    operand's fill, so dividing by a sparse operand's absent zeros gives inf or nan, never nothing)."""
    if isinstance(expr, ir.Recip) and isinstance(expr.operand, ir.Literal) and expr.operand.value == 0:
        raise StatementError(point_at("division by zero: the divisor is the literal 0", text,
                                      expr.span.start, expr.span.end))
    for child in ir.children(expr):
        _check_divisors(child, formats, text)


def resolve_formats(assignment: ir.Assignment, given: dict[str, object], text: str) -> dict[str, Format]:
    """The format of every tensor of the statement: the one given, else dense of the access's rank."""
    ranks: dict[str, int] = {}
    first: dict[str, ir.Access] = {}
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        rank = len(access.indices)
        if access.tensor in ranks and ranks[access.tensor] != rank:
            raise OperandError(point_at(
                f"{access.tensor} is indexed with {_indices(rank)} here but with "
                f"{_indices(ranks[access.tensor])} in {written(first[access.tensor], text)}",
                text, access.span.start, access.span.end))
        ranks[access.tensor] = rank
        first.setdefault(access.tensor, access)
    unknown = [name for name in given if name not in ranks]
    if unknown:
        raise FormatError(
            f"a format was given for {unknown[0]}, which is not in the statement "
            f"(its tensors: {', '.join(ranks)})"
        )
    formats = {}
    for name, rank in ranks.items():
        if name not in given:
            formats[name] = Format.dense(rank)
            continue
        fmt = read_format(given[name], rank, what=f"format of {name}")
        if fmt.rank != rank:
            access, levels = first[name], "level" if fmt.rank == 1 else "levels"
            raise FormatError(point_at(
                f"format of {name} {spec_text(given[name])!r} has {fmt.rank} {levels} but {name} is indexed "
                f"with {_indices(rank)}", text, access.span.start, access.span.end))
        formats[name] = fmt
    return formats


def check_operand_ranks(assignment: ir.Assignment, shapes: dict[str, tuple], text: str) -> None:
    """OperandError at the first access whose number of indices differs from its operand's rank.

    `shapes` maps the names of the operands given (the output included, when given) to their shapes.
    """
    for access in [assignment.output, *ir.accesses(assignment.rhs)]:
        shape = shapes.get(access.tensor)
        if shape is None or len(shape) == len(access.indices):
            continue
        role = "output" if access is assignment.output else "operand"
        what = (f"{role} {access.tensor} is a scalar (rank 0)" if not shape
                else f"{role} {access.tensor} has rank {len(shape)} (shape {tuple(shape)})")
        raise OperandError(point_at(f"{what} but is indexed with {_indices(len(access.indices))}", text,
                                    access.span.start, access.span.end))


def written(access: ir.Access, text: str) -> str:
    """The access as the user wrote it: index names before any renaming of reductions, spaces dropped."""
    source = "".join(text[access.span.start:access.span.end].split())
    return source or ir.show(access)


def _indices(count: int) -> str:
    return f"{count} index" if count == 1 else f"{count} indices"


def choose_output_format(assignment: ir.Assignment, formats: dict[str, Format], fills: "dict | None" = None) -> Format:
    """The output format when none is given: sparse when the result is structurally sparse.

    The result's background is its value where every sparse operand holds its fill (`fills`, 0 where
    not given; see `fills`). Expand the right side, relative to that background, into products. The
    result is sparse when its background is one constant and, in every product, each output index is
    held by a sparse operand, and no dense operand is summed against a sparse one: `A + B`, `A .* B`,
    `2*A`, `exp(A)` (fill 1), `A + 1` (fill 1), SDDMM and SpGEMM of sparse operands are sparse; SpMV and
    SpMM with dense operands, `A + x` and broadcasts are dense (their results fill in wherever a row has
    anything). A sparse result takes the level kinds and mode order of an input over the same indices
    (`A + B` stays in A's format) if it can hold the result's fill, else CSR-like levels: dense
    outermost, compressed below.
    """
    output = assignment.output
    rank = len(output.indices)
    if rank == 0:
        return Format.dense(0)
    if ir.arg_reductions(assignment.rhs):  # a coordinate 0 is an answer like any other: dense, as NumPy's
        return Format.dense(rank)
    fills = fills or {}
    products, background = _products(assignment.rhs, 256, formats, fills)
    if (varies(background) or not products
            or not all(_sparse_product(p, output.indices, formats) for p in products)):
        return Format.dense(rank)
    for access in ir.accesses(assignment.rhs):
        fmt = formats[access.tensor]
        if (sorted(access.indices) == sorted(output.indices) and len(set(access.indices)) == rank
                and not fmt.is_dense and (same(background, 0) or not fmt.levels[-1].pads)):
            order = tuple(output.indices.index(access.indices[m]) for m in fmt.mode_order)
            return Format(fmt.unique_levels.levels, order)
    return Format.of_letters("d" + "c" * (rank - 1) if rank > 1 else "c")


def _products(expr: ir.Expr, limit: int, formats: dict, fills: dict):
    """(products, background): where `expr` may differ from its background, as the accesses of each
    product of `expr` expanded into a sum of products (None past `limit`; [] is a constant)."""
    if isinstance(expr, ir.Access):
        dense = formats[expr.tensor].is_dense
        return [[expr]], VARIES if dense else fills.get(expr.tensor, 0)
    if isinstance(expr, ir.Literal):
        return [], expr.value
    if isinstance(expr, ir.IndexValue):  # a dense vector over its index (SpMV's x, for `A[i,j]*j`)
        return [[expr]], VARIES
    parts = [_products(child, limit, formats, fills) for child in ir.children(expr)]
    if any(products is None for products, _ in parts):
        return None, VARIES
    if isinstance(expr, ir.Sum):
        products, background = parts[0]
        return products, reduced(expr.op, background)
    if isinstance(expr, (ir.Neg, ir.Recip)):
        products, background = parts[0]
        return products, apply_op("negative" if isinstance(expr, ir.Neg) else "reciprocal", [background])
    if isinstance(expr, ir.Call) and expr.name == "where" and not varies(parts[0][1]):
        picked = parts[1] if parts[0][1] else parts[2]
        return parts[0][0] + parts[1][0] + parts[2][0], picked[1]
    name = "add" if isinstance(expr, ir.Add) else "multiply" if isinstance(expr, ir.Mul) else expr.name
    products, background = parts[0]
    for other, other_background in parts[1:]:
        combined = apply_op(name, [background, other_background])
        if annihilates(name, combined):  # an intersection
            left = products + ([[]] if not same(background, combined) else [])
            right = other + ([[]] if not same(other_background, combined) else [])
            if len(left) * len(right) > limit:
                return None, VARIES
            products = [a + b for a in left for b in right]
        else:
            products = products + other
        if len(products) > limit:
            return None, VARIES
        background = combined
    return products, background
def _sparse_product(factors: list, output_indices, formats) -> bool:
    """Whether a product of accesses and index values (`_products`) is structurally sparse."""
    sparse = [a for a in factors if isinstance(a, ir.Access) and not formats[a.tensor].is_dense]
    held = {i for a in sparse for i in a.indices}
    if not set(output_indices) <= held:
        return False
    summed_sparse = held - set(output_indices)
    dense = [ir.free_indices(a) for a in factors if not any(a is s for s in sparse)]
    return not any(indices & summed_sparse for indices in dense)
