"""What decides which kernel a call runs, as dictionary keys: the formats read as `Format`s, the
`optimize=` request, and the whole of an `evaluate` call (statement text, formats, operand kinds, threads)
for the memo that lets a repeated call skip parsing and planning."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from einsparse.compiler import syntax as syn
from einsparse.compiler.formats import Format, parse_format
from einsparse.errors import EinsparseError, FormatError
from einsparse.runtime.stored import operand_kind

if TYPE_CHECKING:
    from einsparse.types import Optimize


def optimize_key(optimize: Optimize) -> Any:
    """`optimize` as a dict key (a contraction path's lists as tuples)."""
    if isinstance(optimize, (list, tuple)):
        return tuple(step if isinstance(step, str) else tuple(int(k) for k in step) for step in optimize)
    return optimize if isinstance(optimize, str) else bool(optimize)


def checked_formats(formats: object) -> dict[str, Any]:
    """`formats` as a dict from tensor names to format specs; FormatError if it is something else."""
    if formats is None:
        return {}
    if not isinstance(formats, Mapping):
        raise FormatError(f"formats must be a dict from tensor names to formats, such as {{'A': 'csr'}}, "
                          f"not {type(formats).__name__}; pass operands by name, such as A=...")
    for name in formats:
        if not isinstance(name, str):
            raise FormatError(f"formats has the key {name!r}, which is not a tensor name; use the names "
                              f"of the statement, such as {{'A': 'csr'}}")
    return dict(formats)


def format_key(formats: dict[str, Any], statement: syn.Statement) -> tuple[tuple[str, str], ...]:
    """The formats as a cache key: each read as a `Format`, so `"csr"`, `"dc"` and a `Format` agree, and
    plain dense ones left out, as a tensor with no format is dense. A spec that does not fit a tensor of
    the statement keeps its text: compiling it reports the mistake, so it is never cached."""
    if not formats:
        return ()
    ranks = tensor_ranks(statement)
    key = []
    for name, spec in formats.items():
        try:
            fmt = parse_format(spec, ranks[name])
        except (KeyError, FormatError):
            key.append((name, str(spec)))
            continue
        if fmt != Format.dense(fmt.rank):
            key.append((name, str(fmt)))
    return tuple(sorted(key))


def tensor_ranks(statement: syn.Statement) -> dict[str, int]:
    """The number of indices each tensor of `statement` is first written with."""
    ranks = {statement.output.name: len(statement.output.indices)}
    for access in syn.accesses(statement.rhs):
        ranks.setdefault(access.name, len(access.indices))
    return ranks


def call_key(statement: object, formats: object, threads: object, operands: dict[str, Any],
              optimize: Optimize = True) -> tuple[Any, ...] | None:
    """What decides the kernel of an `evaluate` call, or None when a part of it cannot be a key (the
    call then takes the full path every time). Extents and values are not in it: the kernel checks them."""
    if type(statement) is not str:
        return None
    kinds = []
    for name, value in operands.items():
        kind = operand_kind(value)
        if kind is None:
            return None
        kinds.append((name, kind))
    if formats is not None and type(formats) is not dict:
        return None
    try:
        # The thread request as given (the kernel checks it when made): reading it is most of a key's cost.
        wanted = os.environ.get("EINSPARSE_THREADS", "1") if threads is None else threads
        if type(wanted) not in (int, str):  # 1.0 and True equal 1 as keys, yet are refused
            return None
        key = (statement, tuple(formats.items()) if formats else (), tuple(kinds), wanted, optimize_key(optimize))
        hash(key)  # a format given as something unhashable
    except (TypeError, AttributeError, EinsparseError):
        return None
    return key
