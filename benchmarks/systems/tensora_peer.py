"""tensora with its C backend (TACO-style generated C, compiled through cffi and the machine's C compiler).

Operands are built straight into taco structures from NumPy arrays (tensora's own constructors walk every
entry in Python), and results are read back through cffi buffers; both outside the timed region.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from benchmarks.inputs import Coo3
from benchmarks.systems import Prepared, System, Unsupported
from benchmarks.systems.timer import timed

DENSE, COMPRESSED = 0, 1
OUTPUT_FORMATS = {"K1": "d", "K2": "dd", "K3": "ds", "K4": "ds", "K5": "dd", "K6": "ds", "K7": "dd",
                  "K9": "", "K10": "ds"}


def _structure(indices, vals, modes, dims):
    from tensora import Tensor
    from tensora.compile import taco_structure_to_cffi

    return Tensor(taco_structure_to_cffi(indices, vals, mode_types=tuple(modes), dimensions=tuple(dims),
                                         mode_ordering=tuple(range(len(dims)))))


def _csf_levels(coords: np.ndarray):
    """pos/crd per level of a CSF tree over lexicographically sorted, unique coordinates."""
    nnz = coords.shape[1]
    levels, parents = [], np.zeros(nnz, dtype=np.int64)   # parent position of each entry at this level
    for level in range(coords.shape[0]):
        key = np.stack([parents, coords[level]])
        starts = np.ones(nnz, dtype=bool)
        starts[1:] = np.any(key[:, 1:] != key[:, :-1], axis=0)
        crd = coords[level][starts]
        owner = parents[starts]
        parent_count = 1 if level == 0 else levels[-1][1].size
        pos = np.zeros(parent_count + 1, dtype=np.int64)
        np.add.at(pos, owner + 1, 1)
        levels.append((np.cumsum(pos), crd))
        parents = np.cumsum(starts) - 1
    return [[pos.tolist(), crd.tolist()] for pos, crd in levels]


def to_tensora(value):
    if isinstance(value, Coo3):
        return _structure(_csf_levels(value.coords), value.values.tolist(), [COMPRESSED] * 3, value.shape)
    if sp.issparse(value):
        A = sp.csr_matrix(value)
        return _structure([[], [A.indptr.tolist(), A.indices.tolist()]], A.data.tolist(),
                          [DENSE, COMPRESSED], A.shape)
    array = np.ascontiguousarray(value, dtype=np.float64)
    return _structure([[] for _ in array.shape], array.ravel().tolist(), [DENSE] * array.ndim, array.shape)


def _array(ffi, pointer, count, dtype):
    return np.frombuffer(ffi.buffer(pointer, count * np.dtype(dtype).itemsize), dtype=dtype).copy()


def from_tensora(tensor):
    """A NumPy array or scipy CSR matrix (or a float) from a tensora result."""
    from tensora.compile import tensor_cdefs as ffi
    from tensora.format import Mode

    dims, modes = tensor.dimensions, tensor.modes
    if len(dims) == 0:
        return float(tensor)
    indices = ffi.cast("int32_t***", tensor.cffi_tensor.indices)
    vals = ffi.cast("double*", tensor.cffi_tensor.vals)
    if all(m == Mode.dense for m in modes):
        return _array(ffi, vals, int(np.prod(dims)), np.float64).reshape(dims)
    if len(dims) == 2 and modes[0] == Mode.dense:
        pos = _array(ffi, indices[1][0], dims[0] + 1, np.int32)
        crd = _array(ffi, indices[1][1], pos[-1], np.int32)
        return sp.csr_matrix((_array(ffi, vals, pos[-1], np.float64), crd, pos), shape=dims)
    return tensor.to_numpy()   # other formats: entry by entry


class TensoraPeer(System):
    name = "tensora-C"

    def unavailable(self):
        try:
            from tensora import BackendCompiler, tensor_method
            tensor_method("y(i) = A(i,j) * x(j)", {"A": "ds", "x": "d", "y": "d"}, BackendCompiler.cffi)
        except Exception as error:   # not installed, no C compiler, or cffi failing
            return f"tensora C backend unusable ({type(error).__name__}: {str(error)[:120]})"
        return None

    def prepare(self, case) -> Prepared:
        from tensora import BackendCompiler, tensor_method

        spec = case.spec
        output = spec.statement.split("=")[0].strip()
        output_name = re.match(r"\w+", output).group(0)
        if spec.key == "K8":
            out_format = "ss" if "dcsr" in spec.variant else "dd"
        else:
            out_format = OUTPUT_FORMATS[spec.key]
        formats = {output_name: out_format}
        for name, value in case.data.items():
            formats[name] = ("sss" if isinstance(value, Coo3) else "ds" if sp.issparse(value)
                             else "d" * np.ndim(value))
        statement = spec.statement.replace("[", "(").replace("]", ")")
        if output_name == output:   # a 0-d output is written `s() = ...` in tensora
            statement = statement.replace(output, output + "()", 1)
        operands, convert_s = timed(lambda: {name: to_tensora(v) for name, v in case.data.items()})

        def make_runner():
            try:
                method = tensor_method(statement, formats, BackendCompiler.cffi)
            except Exception as error:   # tensora finds no kernel for some statements (e.g. SpGEMM)
                raise Unsupported(f"{type(error).__name__}: {str(error)[:100]}") from None
            return lambda: method(**operands)

        return Prepared(make_runner, from_tensora, convert_s)
