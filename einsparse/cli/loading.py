"""Operands of `run` and `show` read from the command line: files, numbers and generated arrays, with
their --shape and --format options."""

from __future__ import annotations

import math

from einsparse.cli.operands import (
    GENERATED,
    _as_rank,
    _extents,
    _formats,
    _generated_shape,
    _number,
    _pairs,
    _parse_operand,
    _shape_option,
)
from einsparse.cli.progress import Progress, quiet
from einsparse.cli.status import UsageError
from einsparse.runtime.convert import _guard


def load_operands(args, st):
    """(values, sources, formats, output_shape) of the operands `args.operands` names for statement
    `st`: usage errors first (exit 2), then the files read and the generated arrays made (exit 1)."""
    import numpy as np
    from einsparse.compiler.check import check_operand_ranks
    from einsparse.runtime import io
    from einsparse.runtime.convert import operand_shape

    operands = {}
    for option in args.operands:
        operand = _parse_operand(option, st)
        if operand.name in operands:
            raise UsageError(f"operand {operand.name} is given twice")
        operands[operand.name] = operand
    missing = [name for name in st.inputs if name not in operands]
    if missing:
        raise UsageError(f"missing operand {missing[0]} of {st.text}: give {missing[0]}=PATH[:FORMAT], "
                         f"{missing[0]}=<number> or {missing[0]}=ones|zeros|random")
    if st.op == "+=" and st.output not in operands:
        raise UsageError(f"'+=' accumulates into {st.output}: give {st.output}=PATH")
    formats = _formats(args.format, st, {n: o.format for n, o in operands.items() if o.format})
    shapes = {name: _shape_option(name, text) for name, text in _pairs(args.shape, "--shape").items()}
    for name, shape in shapes.items():
        if name not in st.ranks:
            raise UsageError(f"--shape {name}=...: {name} is not a tensor of {st.text}")
        if len(shape) != st.ranks[name]:
            raise UsageError(f"--shape {name}={','.join(map(str, shape))} has rank {len(shape)}, but "
                             f"{st.text} indexes {name} with {st.ranks[name]} indices")

    # read the files (data errors from here on: exit 1)
    values, sources = {}, {}
    for name, operand in operands.items():
        if operand.kind == "file":
            with Progress(f"reading {operand.path}", quiet(args)):
                values[name] = _as_rank(io.read(operand.path, shape=shapes.get(name), as_tensor=True),
                                        st.ranks[name])
            sources[name] = operand.path
        elif operand.kind == "scalar":
            values[name] = np.asarray(_number(operand.text))[()]
            sources[name] = operand.text
    rank_shapes = {name: operand_shape(value, name=name) for name, value in values.items()}
    check_operand_ranks(st.assignment, rank_shapes, st.text)
    rng = np.random.default_rng(args.seed)
    generated = [o for o in operands.values() if o.kind in GENERATED]
    generated.sort(key=lambda o: o.name not in shapes)  # those with --shape give extents to the others
    for operand in generated:
        name = operand.name
        if name in shapes:
            shape = shapes[name]
        else:
            known = {**shapes, **{n: tuple(np.shape(v)) if not hasattr(v, "shape") else tuple(v.shape)
                                  for n, v in values.items()}}
            extents = _extents(st, known)
            shape = _generated_shape(st, name, extents)
        _guard(math.prod(shape), np.float64, shape, f"operand {name}={operand.kind}")  # before allocating
        values[name] = (np.ones(shape) if operand.kind == "ones" else np.zeros(shape)
                        if operand.kind == "zeros" else rng.random(shape))
        sources[name] = f"{operand.kind} {shape}"
    output_shape = shapes.get(st.output) if st.output not in values else None
    if output_shape is None and st.output not in values:
        _generated_shape(st, st.output, _extents(st, {n: tuple(np.shape(v)) if not hasattr(v, "shape")
                                                      else tuple(v.shape) for n, v in values.items()}))

    return values, sources, formats, output_shape
