"""Checks of a statement against the formats of its tensors, before any scheduling.

Everything here needs only the statement and the formats, no data: ranks, the output format, division
by sparse operands. Extents and dtypes are checked by the runtime when data arrives.
"""

from __future__ import annotations

from einsparse.compiler import index_ir as ir
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
    if isinstance(expr, ir.Recip):
        if isinstance(expr.operand, ir.Literal) and expr.operand.value == 0:
            raise StatementError(point_at("division by zero: the divisor is the literal 0", text,
                                          expr.span.start, expr.span.end))
        for access in ir.accesses(expr.operand):
            if not formats[access.tensor].is_dense:
                raise StatementError(point_at(
                    f"cannot divide by the sparse operand {access.tensor} (format "
                    f"{formats[access.tensor].name}): its implicit zeros would divide by zero; "
                    f"divide by a literal or a dense operand", text, access.span.start, access.span.end))
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


def choose_output_format(assignment: ir.Assignment, formats: dict[str, Format]) -> Format:
    """The output format when none is given: sparse when the result is structurally sparse.

    Expand the right side into products. The result is sparse when, in every product, each output index
    is held by a sparse operand, and no dense operand is summed against a sparse one: `A + B`, `A .* B`,
    `2*A`, SDDMM and SpGEMM of sparse operands are sparse; SpMV and SpMM with dense operands, `A + 1`
    and broadcasts are dense (their results fill in wherever a row has anything). A sparse result takes
    the level kinds and mode order of an input over the same indices (`A + B` stays in A's format),
    else CSR-like levels: dense outermost, compressed below.
    """
    output = assignment.output
    rank = len(output.indices)
    if rank == 0:
        return Format.dense(0)
    products = _products(assignment.rhs, limit=256)
    if not products or not all(_sparse_product(p, output.indices, formats) for p in products):
        return Format.dense(rank)
    for access in ir.accesses(assignment.rhs):
        fmt = formats[access.tensor]
        if (sorted(access.indices) == sorted(output.indices) and len(set(access.indices)) == rank
                and not fmt.is_dense):
            order = tuple(output.indices.index(access.indices[m]) for m in fmt.mode_order)
            return Format(fmt.unique_levels.levels, order)
    return Format.of_letters("d" + "c" * (rank - 1) if rank > 1 else "c")


def _products(expr: ir.Expr, limit: int):
    """The accesses of each product of `expr` expanded into a sum of products (None past `limit`)."""
    if isinstance(expr, ir.Access):
        return [[expr]]
    if isinstance(expr, ir.Literal):
        return [[]]
    if isinstance(expr, ir.IndexValue):  # a dense vector over its index (SpMV's x, for `A[i,j]*j`)
        return [[expr]]
    if isinstance(expr, (ir.Neg, ir.Recip)):
        return _products(expr.operand, limit)
    if isinstance(expr, ir.Sum):
        return _products(expr.body, limit)
    if isinstance(expr, ir.Add):
        terms = [_products(t, limit) for t in expr.terms]
        if any(t is None for t in terms):
            return None
        flat = [p for t in terms for p in t]
        return flat if len(flat) <= limit else None
    if isinstance(expr, ir.Mul):
        result = [[]]
        for factor in expr.factors:
            parts = _products(factor, limit)
            if parts is None or len(result) * len(parts) > limit:
                return None
            result = [a + b for a in result for b in parts]
        return result
    return None


def _sparse_product(factors: list, output_indices, formats) -> bool:
    """Whether a product of accesses and index values (`_products`) is structurally sparse."""
    sparse = [a for a in factors if isinstance(a, ir.Access) and not formats[a.tensor].is_dense]
    held = {i for a in sparse for i in a.indices}
    if not set(output_indices) <= held:
        return False
    summed_sparse = held - set(output_indices)
    dense = [ir.free_indices(a) for a in factors if not any(a is s for s in sparse)]
    return not any(indices & summed_sparse for indices in dense)
