"""FROSTT `.tns` files (also `.tns.gz`): reading them as an es.Tensor in format coo, writing them."""

from __future__ import annotations

import numpy as np

from einsparse.errors import FileFormatError, ShapeError
from einsparse.runtime.io.text import _field, _lines, _Lines, _read_text, _text, _value_format


def _read_tns(path: str, shape):
    from einsparse.runtime.convert import from_coo, parse_format

    text = _read_text(path)
    data = _Lines(path, text.replace("\r", "").split("\n"), 1, "#")
    if not len(data):
        shape = shape if shape is not None else _shape_comment(text, None)
        if shape is None:
            raise FileFormatError(f"{path}: no entries, so its shape is unknown; give the shape")
        return from_coo(np.zeros((len(shape), 0), np.int64), np.zeros(0), shape,
                        parse_format("coo", len(shape)) if shape else None, name=path)
    first_line, first_text = data.data[0]
    rank = len(first_text.split()) - 1
    if shape is not None and len(shape) != rank:
        raise ShapeError(f"{path}:{first_line}: entries have {rank} coordinate{'s' if rank != 1 else ''}, "
                         f"but the shape given, {shape}, has rank {len(shape)}")
    names = tuple(f"mode {k} coordinate" for k in range(rank))
    described = f"{rank} coordinate{'s' if rank != 1 else ''} and a value"
    array = data.numbers(names + ("value",), (True,) * rank + (False,), np.float64, described)
    coords = array[:, :rank].T.astype(np.int64)
    vals = array[:, rank]
    if shape is None:
        shape = _shape_comment(text, rank)
    if shape is None:
        shape = tuple(int(c.max()) if len(c) else 0 for c in coords)
        data.check_range(coords, (None,) * rank, names)
    else:
        data.check_range(coords, shape, names)
    if rank == 0:
        return from_coo(np.zeros((0, len(vals)), np.int64), vals, (), name=path)
    return from_coo(coords - 1, vals, shape, parse_format("coo", rank), name=path)


def _shape_comment(text: str, rank: int):
    """The shape from a leading `# shape: d0 d1 ...` comment (as `write` puts there), if any."""
    import re

    match = re.match(r"\s*#\s*shape:?((?:\s+\d+)*)\s*(?:\n|$)", text[:4096], re.IGNORECASE)
    if match is None:
        return None
    shape = tuple(int(n) for n in match.group(1).split())
    return shape if rank is None or len(shape) == rank else None


# ---------------------------------------------------------------------------------------------- writing


def _write_tns(handle, coords: np.ndarray, vals: np.ndarray, shape) -> None:
    field = _field(vals.dtype)
    if field == "complex":
        raise FileFormatError("a .tns file holds real values; write complex values to .npy or .mtx")
    _text(handle, f"# shape: {' '.join(map(str, shape))}\n# written by einsparse: 1-based coordinates, then the value\n")
    columns = [c.astype(np.int64) + 1 for c in coords] + [vals]
    _lines(handle, columns, ["%d"] * len(coords) + [_value_format(vals.dtype)])
