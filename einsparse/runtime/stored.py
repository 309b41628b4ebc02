"""Operands already stored as a kernel reads them: wrapped as tensors with no conversion and no checks.

A C-ordered NumPy array is read as dense, a canonical scipy CSR/CSC matrix as csr/csc (sharing its
arrays), an einsparse tensor in the format asked for as itself. Everything else takes the general path
of `convert.as_tensor`. A kernel gets one reader per input (`stored_reader`), the format's questions
answered once, so a call with such operands costs a few attribute reads each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from einsparse.compiler.formats import Format
from einsparse.levels import CompressedLevel, DenseLevel
from einsparse.runtime.tensor import VALUE_DTYPES, Tensor

_SCIPY_COMPRESSED = {"csr_matrix": "csr", "csr_array": "csr", "csc_matrix": "csc", "csc_array": "csc"}
_readers: dict = {}


def is_scipy(obj) -> bool:
    return type(obj).__module__.startswith("scipy.sparse")


def as_stored(obj, fmt: Format) -> "Tensor | None":
    """`obj` as a tensor of `fmt` when it is stored so already, else None."""
    read = _readers.get(fmt)
    if read is None:
        read = _readers[fmt] = stored_reader(fmt)
    return read(obj)


def stored_reader(fmt: Format):
    """A function reading an operand as a tensor of `fmt` when it is stored so already, else returning
    None."""
    if fmt.is_dense and fmt.mode_order == tuple(range(fmt.rank)):
        rank, levels = fmt.rank, {}

        def read_array(obj):
            if type(obj) is not np.ndarray or obj.ndim != rank or obj.dtype not in VALUE_DTYPES \
                    or not obj.flags.c_contiguous:
                return None
            shape = obj.shape
            dense = levels.get(shape)
            if dense is None:
                dense = levels[shape] = tuple(DenseLevel(n) for n in shape)
            return Tensor.trusted(shape, fmt, dense, obj.reshape(-1))
        return read_array
    if fmt.name in ("csr", "csc"):
        outer_mode = fmt.mode_order[0]
        classes = {name for name, kind in _SCIPY_COMPRESSED.items() if kind == fmt.name}
        outer_levels: dict = {}

        def read_matrix(obj):
            if type(obj).__name__ not in classes or not is_scipy(obj):
                return None
            pos, crd, data = obj.indptr, obj.indices, obj.data
            if not (obj.has_canonical_format and pos.dtype == crd.dtype and data.dtype in VALUE_DTYPES):
                return None
            shape = obj.shape
            outer = outer_levels.get(shape[outer_mode])
            if outer is None:
                outer = outer_levels[shape[outer_mode]] = DenseLevel(shape[outer_mode])
            return Tensor.trusted(shape, fmt, (outer, CompressedLevel.wrapping(pos, crd)), data)
        return read_matrix
    return lambda obj: obj if type(obj) is Tensor and obj.format == fmt else None


def operand_kind(obj: Any) -> tuple[Any, ...] | None:
    """What decides the format `convert.natural_format` gives `obj`, cheaply and hashable, for memoizing
    calls: a NumPy array's rank, a number, a tensor's format, a scipy matrix's class and rank; None for
    the rest (lists, pydata arrays), which are looked at afresh on every call."""
    kind = type(obj)
    if kind is np.ndarray:
        return ("array", obj.ndim)
    if kind in (float, int, complex) or isinstance(obj, np.generic):
        return ("number",)
    if kind is Tensor:
        return ("tensor", obj.format)
    if is_scipy(obj):
        return ("scipy", obj.format, obj.ndim)
    return None


def operand_fill(obj: Any) -> Any:
    """The fill of an operand: a tensor's, a pydata/sparse array's `fill_value`, else 0."""
    if type(obj) is Tensor:
        return obj.fill
    if type(obj).__module__.split(".")[0] == "sparse":
        return getattr(obj, "fill_value", 0)
    return 0


def storage_bytes(obj) -> int:
    """The bytes an operand's arrays take: a tensor's values and level arrays, a scipy matrix's or a
    pydata/sparse array's index and value arrays, an array's buffer (a number's 8 or so)."""
    if isinstance(obj, Tensor):
        return obj.nbytes
    arrays = [getattr(obj, name, None) for name in ("data", "indices", "indptr", "row", "col", "coords")]
    arrays = [a for a in arrays if isinstance(a, np.ndarray)]
    if arrays and not isinstance(obj, np.ndarray):
        return sum(a.nbytes for a in arrays)
    return int(np.asarray(obj).nbytes)
