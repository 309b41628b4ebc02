"""Text pictures of a small matrix's level arrays, for the Formats page (docs/concepts/formats.md).

`picture(t)` prints each level's arrays as einsparse stores them, then walks them the way a kernel
does, row by row of storage (one line per position of the upper level), and checks that the entries it
read back are exactly the tensor's (`t.to_numpy()`): a picture that misreads the arrays fails the
documentation's doctests instead of being printed.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def _arrays(level) -> list[tuple[str, object]]:
    return [(field.name, getattr(level, field.name)) for field in dataclasses.fields(level)
            if isinstance(getattr(level, field.name), np.ndarray)]


def _children(level, parent: int) -> list[tuple[int, int]]:
    """(position, coordinate) of the children of position `parent` of the level above."""
    kind = type(level).__name__
    if kind == "DenseLevel":
        return [(parent * level.size + c, c) for c in range(level.size)]
    if kind in ("CompressedLevel", "BitmapLevel"):
        return [(q, int(level.crd[q])) for q in range(level.pos[parent], level.pos[parent + 1])]
    if kind == "SingletonLevel":
        return [(parent, int(level.crd[parent]))]
    if kind == "BandLevel":
        lo = int(level.lo[parent])
        return [(q, lo + q - int(level.pos[parent])) for q in range(level.pos[parent], level.pos[parent + 1])]
    raise SystemExit(f"docs/level_pictures.py does not read the arrays of a {kind} yet: add the kind here")


def _span(level, parent: int) -> str:
    kind = type(level).__name__
    if kind == "DenseLevel":
        return f"positions {parent * level.size}..{(parent + 1) * level.size - 1}"
    if kind == "SingletonLevel":
        return f"position {parent}"
    start, stop = int(level.pos[parent]), int(level.pos[parent + 1])
    text = f"pos[{parent}], pos[{parent + 1}] = {start}, {stop}"
    if kind == "BandLevel":
        text += f"; lo[{parent}] = {int(level.lo[parent])}"
    if kind == "BitmapLevel":
        size = len(level.tbl) // (len(level.pos) - 1)
        text += f"; tbl[{parent * size}:{(parent + 1) * size}] = {level.tbl[parent * size:(parent + 1) * size].tolist()}"
    return text


def picture(t) -> None:
    """Print the level arrays of a 2-d tensor `t`, then each position of the upper level with the
    children the lower level stores under it, as {coordinate: value}."""
    assert len(t.shape) == 2, "pictures are drawn for matrices"
    order = t.format.mode_order
    names = ("row", "column")
    print(f"format {str(t.format)!r} ({t.format.name}): level 0 stores {names[order[0]]}s, "
          f"level 1 stores {names[order[1]]}s")
    for number, level in enumerate(t.levels):
        arrays = _arrays(level)
        kind = type(level).__name__.replace("Level", "").lower()
        if not arrays:
            print(f"  level {number} {kind:<11} size = {level.size}")
        for k, (name, values) in enumerate(arrays):
            label = f"level {number} {kind:<11}" if k == 0 else " " * (len(f"level {number} ") + 11)
            print(f"  {label} {name:<3} = {values.tolist()}")
    print(f"  {'values':<19} vals = {t.vals.tolist()}")
    upper, lower = t.levels
    rebuilt = np.zeros(t.shape, dtype=t.vals.dtype)
    stored = np.zeros(t.shape, dtype=bool)
    lines = []
    for p, a in _children(upper, 0):
        entries = _children(lower, p)
        if type(lower).__name__ == "BitmapLevel":  # the byte table says which of the row is stored
            shown = ", ".join(f"{b}:{t.vals[p * t.shape[order[1]] + b]:g}" for _, b in entries)
        else:
            shown = ", ".join(f"{b}:{t.vals[q]:g}" for q, b in entries)
        lines.append((f"{names[order[0]]} {a} (position {p}):", _span(lower, p), f"{{{shown}}}"))
        for q, b in entries:
            position = p * t.shape[order[1]] + b if type(lower).__name__ == "BitmapLevel" else q
            where = (a, b) if order == (0, 1) else (b, a)
            rebuilt[where] += t.vals[position]
            stored[where] = True
    widths = [max(len(line[k]) for line in lines) for k in range(2)]
    for label, span, shown in lines:
        print(f"  {label:<{widths[0]}} {span:<{widths[1]}}  {shown}".rstrip())
    dense = t.to_numpy()
    if not np.array_equal(np.where(stored, rebuilt, dense), dense) or not np.all(dense[~stored] == 0):
        raise AssertionError("the picture misreads the arrays")
