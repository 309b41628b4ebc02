"""Tensors and kernels in notebooks: the HTML Jupyter shows for them (`_repr_html_`).

A tensor is a table of its facts (shape, format and level kinds, dtype, stored entries, density, fill,
bytes) with, for a matrix, a small spy picture beside it. The picture is a grayscale PNG written with
zlib and struct (no matplotlib), one pixel block per cell of a grid of at most `MOST_CELLS` a side, each
cell as dark as the entries it holds; the cells are counted from the stored entries' coordinates, so a
huge sparse matrix is never made dense. A kernel is its statement, its operands' formats and its
`explain()` text. Every string is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
import struct
import zlib

import numpy as np

from einsparse.compiler.formats import Format

MOST_CELLS = 100  # cells along the longer side of a spy picture
MOST_PIXELS = 200  # pixels along the longer side of a spy picture


def tensor_html(tensor) -> str:
    """A table of the tensor's facts, with a spy picture of a 2-d tensor beside it."""
    size = math.prod(tensor.shape)
    stored_bytes = tensor.nbytes
    rows = [("shape", str(tensor.shape)),
            ("format", format_text(tensor.format)),
            ("dtype", str(tensor.dtype)),
            ("stored entries", str(tensor.nnz)),
            ("density", f"{tensor.nnz / size:.4g}" if size else "0"),
            ("fill", str(tensor.fill)),
            ("bytes", str(stored_bytes) + (f" ({_in_units(stored_bytes)})" if stored_bytes >= 1024 else ""))]
    title = "Tensor" if tensor.name is None else f"Tensor {tensor.name}"
    table = _table(title, rows)
    if tensor.ndim != 2 or size == 0:
        return table
    coords, _ = tensor.to_coo()
    picture = spy_img(binned_counts(coords, tensor.shape))
    return (f'<div style="display:flex;align-items:flex-start;gap:1em">{table}'
            f'<div>{picture}</div></div>')


def kernel_html(kernel, title: "str | None" = None) -> str:
    """A kernel (or a wrapper passing `statement`, `plan` and `explain` on) as its statement, its
    operands' formats and its explanation."""
    rows = [(name, format_text(fmt)) for name, fmt in kernel.plan.formats.items()]
    heading = f"{title or type(kernel).__name__}: {kernel.statement}"
    return (f"<div>{_table(heading, rows)}"
            f"<pre>{html.escape(kernel.explain())}</pre></div>")


def format_text(fmt: Format) -> str:
    """`csr: dense, compressed`: the format's name and its level kinds, outermost first, with the modes
    they store when that is not 0, 1, ..."""
    text = f"{fmt.name}: {', '.join(kind.name for kind in fmt.levels)}" if fmt.rank else fmt.name
    if fmt.mode_order != tuple(range(fmt.rank)):
        text += f" (modes {', '.join(map(str, fmt.mode_order))})"
    return text


def binned_counts(coords: np.ndarray, shape: tuple, most: int = MOST_CELLS) -> np.ndarray:
    """Entries per cell of a grid over a matrix: square cells of `ceil(longer side / most)` coordinates
    a side (so at most `most` cells a side, the matrix's aspect kept), counted from the entries'
    coordinates `(rows, columns)`."""
    side = max(1, -(-max(shape) // most))
    rows, columns = -(-shape[0] // side), -(-shape[1] // side)
    cells = (np.asarray(coords[0], np.int64) // side) * columns + np.asarray(coords[1], np.int64) // side
    return np.bincount(cells, minlength=rows * columns).reshape(rows, columns)


def spy_img(counts: np.ndarray) -> str:
    """An <img> of `counts`: white where a cell is empty, darker the more entries it holds (on a log
    scale, so one entry among millions still shows), at most `MOST_PIXELS` a side."""
    darkness = np.log1p(counts) / math.log1p(max(int(counts.max()), 1))
    gray = np.where(counts > 0, np.round(200 * (1 - darkness)), 255).astype(np.uint8)
    scale = max(1, MOST_PIXELS // max(counts.shape))
    encoded = base64.b64encode(png(gray)).decode("ascii")
    return (f'<img src="data:image/png;base64,{encoded}" width="{counts.shape[1] * scale}" '
            f'height="{counts.shape[0] * scale}" alt="stored entries per cell" '
            f'style="image-rendering:pixelated;border:1px solid #ccc">')


def png(gray: np.ndarray) -> bytes:
    """A grayscale PNG of a 2-d uint8 array (8 bits a pixel, no filter on any row)."""
    height, width = gray.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in gray)  # each row starts with its filter type, 0

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def _table(title: str, rows: list) -> str:
    cells = "".join(f'<tr><th style="text-align:left">{html.escape(label)}</th>'
                    f'<td style="text-align:left">{html.escape(value)}</td></tr>' for label, value in rows)
    return f"<table><caption>{html.escape(title)}</caption><tbody>{cells}</tbody></table>"


def _in_units(count: int) -> str:
    """`count` bytes in the largest binary unit it reaches: `1.5 KiB`, `3.2 GiB`."""
    power = min((count.bit_length() - 1) // 10, 4)
    return f"{count / 1024 ** power:.3g} {('B', 'KiB', 'MiB', 'GiB', 'TiB')[power]}"
