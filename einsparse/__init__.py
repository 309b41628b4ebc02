"""einsparse: a compiler for sparse tensor algebra.

    C = einsparse.evaluate("C[i,j] = A[i,k]*B[k,j] + D[i,j]", A=A, B=B, D=D)

compiles the statement into one fused loop nest over the stored entries of each sparse operand, emits
it as Python, compiles it with Numba and caches the machine code on disk.

Names are imported when first used, so `import einsparse` (and `einsparse --help`) stays fast: the
compiler, NumPy, Numba and SciPy load only when something needs them.
"""

import logging
from importlib import import_module

from einsparse.errors import (
    ClusterError,
    DTypeError,
    EinsparseError,
    FileFormatError,
    FormatError,
    InternalError,
    NotSupportedError,
    OperandError,
    ParseError,
    ShapeError,
    StatementError,
)
from einsparse.version import __version__

# Compiles and kernel-cache loads are logged under "einsparse" (runtime/compile_log.py): silent unless the
# application configures logging.
logging.getLogger("einsparse").addHandler(logging.NullHandler())

_LAZY = {
    "compile": "einsparse.api", "evaluate": "einsparse.api", "einsum": "einsparse.numpy_einsum",
    "einsum_path": "einsparse.numpy_einsum", "on_cluster": "einsparse.cluster.client", "persist": "einsparse.api",
    "tensor": "einsparse.api", "Format": "einsparse.compiler.formats", "Kernel": "einsparse.runtime.kernel",
    "Tensor": "einsparse.runtime.tensor", "indices": "einsparse.notation", "empty": "einsparse.notation",
    "scalar": "einsparse.notation", "statement": "einsparse.notation", "show_config": "einsparse.diagnostics",
}
# The statement language's functions for index notation (`es.exp(A[i, j])`, `es.where(...)`).
_LAZY.update({name: "einsparse.operators" for name in (
    "abs", "sqrt", "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "sinh", "arcsin", "arctan",
    "sigmoid", "relu", "sign", "floor", "ceil", "round", "conj", "real", "imag", "max", "min", "pow", "where",
    "maximum", "minimum", "power", "sum", "prod", "any", "all", "argmin", "argmax")})


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'einsparse' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    if name in ("tensor", "Tensor"):
        import_module("einsparse.notation")  # a tensor indexes with it, `t[()]` and `t[i, j]` alike
    if name in ("tensor", "Tensor", "evaluate", "einsum", "compile", "Kernel", "empty", "scalar") or (
            _LAZY[name] == "einsparse.operators"):
        import_module("einsparse.arrays")  # tensors these return take operators: A @ x, A.T, A + B
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "compile", "evaluate", "einsum", "einsum_path", "on_cluster", "tensor", "Format", "Tensor", "Kernel", "__version__",
    "indices", "empty", "scalar", "statement", "show_config",
    "EinsparseError", "ParseError", "StatementError", "OperandError", "FormatError", "ShapeError",
    "DTypeError", "NotSupportedError", "InternalError", "FileFormatError", "ClusterError",
]
