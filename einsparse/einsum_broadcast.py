"""NumPy's broadcasting of einsum operands: a dimension of extent 1 under an index that is larger in
another operand is read at coordinate 0 and taken out, as `np.einsum` broadcasts it; other mismatches
are ShapeErrors naming the index and both operands."""

from __future__ import annotations

from typing import Any

import numpy as np

from einsparse.errors import ShapeError
from einsparse.runtime.convert import as_tensor, from_coo, natural_format, operand_shape

Named = tuple[tuple[str, ...], ...]  # the index names of each operand


def broadcast(named: Named, operands: tuple[Any, ...]) -> tuple[Named, tuple[Any, ...]]:
    """Operands and their index names with every extent-1 dimension under an index that is larger
    elsewhere taken out (read at coordinate 0), as NumPy broadcasts; ShapeError for other mismatches."""
    shapes = [operand_shape(op, name=f"einsum operand {k}") for k, op in enumerate(operands)]
    extents: dict[str, int] = {}
    first: dict[str, int] = {}
    for position, (term, shape) in enumerate(zip(named, shapes)):
        within: dict[str, int] = {}
        for index, extent in zip(term, shape):
            if within.setdefault(index, extent) != extent:  # a diagonal does not broadcast, in NumPy either
                raise ShapeError(f"einsum: index {_shown(index)} repeats in operand {position} with extents "
                                 f"{within[index]} and {extent}; the diagonal it takes needs equal extents")
            if extent != 1:
                if extents.setdefault(index, extent) != extent:
                    raise ShapeError(f"einsum: index {_shown(index)} has extent {extents[index]} in operand "
                                     f"{first[index]} but {extent} in operand {position}; extents must agree "
                                     f"or be 1")
                first.setdefault(index, position)
    new_terms, new_operands = [], []
    for term, shape, operand in zip(named, shapes, operands):
        dropped = [axis for axis, (index, extent) in enumerate(zip(term, shape))
                   if extent == 1 and extents.get(index, 1) != 1]
        new_terms.append(tuple(index for axis, index in enumerate(term) if axis not in dropped))
        new_operands.append(_without_axes(operand, shape, dropped) if dropped else operand)
    return tuple(new_terms), tuple(new_operands)


def _shown(index: str) -> str:
    return f"'...' dimension {index[1:]}" if len(index) > 1 else index


def _without_axes(operand: Any, shape: tuple[int, ...], axes: list[int]) -> Any:
    """`operand` read at coordinate 0 of each of `axes` (all of extent 1)."""
    kept = [axis for axis in range(len(shape)) if axis not in axes]
    if not isinstance(operand, (np.ndarray, np.generic, int, float, complex, list, tuple)):
        name = "a broadcast einsum operand"
        coords, values = as_tensor(operand, natural_format(operand, name=name), name=name).to_coo()
        if not kept:
            return values.sum() if len(values) else values.dtype.type(0)
        reduced = tuple(shape[axis] for axis in kept)
        fmt = "c" if len(kept) == 1 else None
        return from_coo(coords[kept], values, reduced, fmt, name="a broadcast einsum operand")
    array = np.asarray(operand)
    return array[tuple(0 if axis in axes else slice(None) for axis in range(array.ndim))]
