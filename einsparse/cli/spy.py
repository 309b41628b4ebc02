"""`einsparse spy`: draw the sparsity pattern of a matrix or tensor file (needs matplotlib)."""

from __future__ import annotations

import math
import os
import sys

from einsparse.cli.operands import _shape_option
from einsparse.cli.status import EXIT_DATA, EXIT_OK


def cmd_spy(args) -> int:
    import numpy as np
    from einsparse.runtime import io

    shape = _shape_option("spy", args.shape) if args.shape else None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("einsparse spy: needs matplotlib, an optional extra: pip install einsparse[plot]",
              file=sys.stderr)
        return EXIT_DATA
    value = io.read(args.path, shape=shape)
    coords, full_shape = _pattern(value)
    nnz = coords.shape[1]
    size = math.prod(full_shape)
    density = nnz / size if size else 0.0
    name = os.path.basename(args.path)
    title = f"{name}: shape {' x '.join(map(str, full_shape))}, nnz {nnz}, density {density:.3g}"
    rank = len(full_shape)
    if rank < 2:
        coords = np.vstack([np.zeros_like(coords[:1]) if rank else np.zeros((1, nnz), np.int64),
                            coords if rank else np.zeros((1, nnz), np.int64)])
        full_shape = (1, full_shape[0] if rank else 1)
        rank = 2
    pairs = [(a, b) for a in range(rank) for b in range(a + 1, rank)]
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 4.5 * rows + 0.5), squeeze=False)
    marker = max(0.05, min(4.0, 2000.0 / max(nnz, 1) ** 0.5 / max(full_shape) ** 0.5))
    for ax, (a, b) in zip(axes.flat, pairs):
        ax.plot(coords[b], coords[a], "s", markersize=marker, color="black", linestyle="none")
        ax.set_xlim(-0.5, full_shape[b] - 0.5)
        ax.set_ylim(full_shape[a] - 0.5, -0.5)
        ax.set_aspect("equal" if rank == 2 else "auto")
        ax.set_xlabel(f"mode {b}")
        ax.set_ylabel(f"mode {a}")
        if rank > 2:
            ax.set_title(f"modes {a}, {b}", fontsize=9)
    for ax in list(axes.flat)[len(pairs):]:
        ax.axis("off")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    output = args.output or (os.path.splitext(name[:-3] if name.endswith(".gz") else name)[0] + ".png")
    try:
        with io.atomic_file(output) as handle:
            figure.savefig(handle, format="png", dpi=120)
    finally:
        plt.close(figure)
    print(f"wrote {output}: {title}")
    return EXIT_OK


def _pattern(value):
    """(coords (rank, nnz), shape) of the stored entries of anything `io.read` returns."""
    import numpy as np
    import scipy.sparse as sp

    from einsparse.runtime.tensor import Tensor

    if isinstance(value, Tensor):
        coords, _ = value.to_coo()
        return coords, value.shape
    if sp.issparse(value):
        coo = value.tocoo()
        return np.array([coo.row, coo.col], np.int64).reshape(2, -1), coo.shape
    array = np.asarray(value)
    return np.array(np.nonzero(array), np.int64).reshape(array.ndim, -1), array.shape
