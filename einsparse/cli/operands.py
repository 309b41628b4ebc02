"""Operands on the command line: NAME=PATH[:FORMAT], scalars, ones/zeros/random, --shape and --format
options, and the shapes of what is read from files or generated."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from einsparse.cli.statement import _Statement
from einsparse.cli.status import UsageError
from einsparse.errors import EinsparseError, FileFormatError

GENERATED = ("ones", "zeros", "random")


def _pairs(options, what: str) -> dict:
    """`NAME=VALUE` options as a dict; UsageError for a malformed or repeated one."""
    found = {}
    for option in options:
        name, sep, value = option.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value:
            raise UsageError(f"{what} {option!r}: expected NAME=VALUE")
        if name in found:
            raise UsageError(f"{what} for {name} is given twice")
        found[name] = value
    return found


def _formats(options, st: _Statement, extra: dict | None = None) -> dict:
    """--format options (and `extra` from NAME=PATH:FORMAT) as parsed Formats; UsageError if bad."""
    from einsparse.compiler.formats import parse_format

    specs = _pairs(options, "--format")
    for name, spec in (extra or {}).items():
        if name in specs and specs[name] != spec:
            raise UsageError(f"{name} is given format {spec} and --format {name}={specs[name]}")
        specs[name] = spec
    formats = {}
    for name, spec in specs.items():
        if name not in st.ranks:
            raise UsageError(f"--format {name}={spec}: {name} is not a tensor of {st.text}")
        try:
            formats[name] = parse_format(spec, st.ranks[name], what=f"format of {name}")
        except EinsparseError as error:
            raise UsageError(str(error)) from None
    return formats


def _shape_option(name: str, text: str) -> tuple:
    try:
        shape = tuple(int(n) for n in text.replace("x", ",").split(",") if n.strip())
    except ValueError:
        shape = None
    if shape is None or any(n < 0 for n in shape):
        raise UsageError(f"--shape {name}={text}: expected non-negative integers such as 2000,2000,2000")
    return shape


@dataclass
class _Operand:
    name: str
    kind: str          # "file", "scalar" or one of GENERATED
    text: str          # as given
    path: str = None
    format: str = None


def _parse_operand(option: str, st: _Statement) -> _Operand:
    from einsparse.runtime.io import file_kind

    name, sep, value = option.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name.isidentifier() or not value:
        raise UsageError(f"operand {option!r}: expected NAME=PATH[:FORMAT], NAME=<number> or "
                         f"NAME=ones|zeros|random")
    if name not in st.ranks:
        raise UsageError(f"operand {name}: {name} is not a tensor of {st.text}")
    if name == st.output and st.op == "=" and value in GENERATED + ("",):
        raise UsageError(f"operand {name} is the output of {st.text}; give --shape {name}=... for its shape")
    if value in GENERATED:
        return _Operand(name, value, value)
    if _number(value) is not None:
        return _Operand(name, "scalar", value)
    if os.path.exists(value):
        return _Operand(name, "file", value, value)
    for position, char in enumerate(value):
        if char == ":" and file_kind(value[:position]):
            return _Operand(name, "file", value, value[:position], value[position + 1:] or None)
    if file_kind(value) is None:
        raise FileFormatError(f"{name}={value}: no such file (an operand is NAME=PATH[:FORMAT] with a .mtx, "
                              f".tns, .npy or .npz file, NAME=<number> or NAME=ones|zeros|random)")
    return _Operand(name, "file", value, value)


def _number(text: str):
    """`text` as an int, float or complex number, or None when it is not one."""
    kinds = (int, float, complex) if "j" in text else (int, float)
    for kind in kinds:
        with contextlib.suppress(ValueError):
            return kind(text)
    return None


def _as_rank(value, rank: int):
    """A one-row or one-column matrix (how Matrix Market and .npz store vectors) as a vector when the
    statement indexes it with one index; anything else unchanged (a wrong rank is reported later)."""
    import numpy as np

    from einsparse.runtime.convert import from_coo
    from einsparse.runtime.tensor import Tensor

    shape = tuple(value.shape)
    if rank != 1 or len(shape) != 2 or 1 not in shape:
        return value
    if isinstance(value, Tensor):
        coords, values = value.to_coo()
        return from_coo(coords[1 if shape[0] == 1 else 0][None, :], values, (max(shape),), "c", name="vector")
    if type(value).__module__.startswith("scipy."):
        coo = value.tocoo()
        coords = (coo.col if shape[0] == 1 else coo.row).astype(np.int64)[None, :]
        return from_coo(coords, coo.data, (max(shape),), "c", name="vector")
    return np.asarray(value).reshape(-1)


def _extents(st: _Statement, shapes: dict) -> dict:
    """Index -> extent from the shapes of the operands known so far (first access wins; a conflict is
    left for the kernel to report with its culprits)."""
    extents = {}
    for name, indices in st.accesses:
        if name in shapes:
            for index, extent in zip(indices, shapes[name]):
                extents.setdefault(index, int(extent))
    return extents


def _generated_shape(st: _Statement, name: str, extents: dict) -> tuple:
    indices = next(indices for tensor, indices in st.accesses if tensor == name)
    unknown = [i for i in indices if i not in extents]
    if unknown:
        raise UsageError(f"cannot tell the shape of {name}: the extent of index {unknown[0]} comes from no "
                         f"operand read from a file; give --shape {name}=d0,d1,...")
    return tuple(extents[i] for i in indices)
