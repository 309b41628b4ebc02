"""einsparse: a compiler for sparse tensor algebra.

    C = einsparse.evaluate("C[i,j] = A[i,k]*B[k,j] + D[i,j]", A=A, B=B, D=D)

compiles the statement into one fused loop nest over the stored entries of each sparse operand, emits
it as Python, compiles it with Numba and caches the machine code on disk.

Names are imported when first used, so `import einsparse` (and `einsparse --help`) stays fast: the
compiler, NumPy, Numba and SciPy load only when something needs them.
"""

import logging
from importlib import import_module
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # the names imported when first used (`_LAZY`), as a type checker should see them
    from einsparse.api import compile as compile  # noqa: A004
    from einsparse.api import evaluate as evaluate
    from einsparse.api import persist as persist
    from einsparse.api import tensor as tensor
    from einsparse.cluster.client import on_cluster as on_cluster
    from einsparse.compiler.formats import Format as Format
    from einsparse.diagnostics import show_config as show_config
    from einsparse.notation import empty as empty
    from einsparse.notation import indices as indices
    from einsparse.notation import scalar as scalar
    from einsparse.notation import statement as statement
    from einsparse.numpy_einsum import einsum as einsum
    from einsparse.numpy_einsum import einsum_path as einsum_path
    from einsparse.operators import (abs as abs, all as all, any as any, arcsin as arcsin,  # noqa: A004
                                     arctan as arctan, argmax as argmax, argmin as argmin, ceil as ceil,
                                     conj as conj, cos as cos, exp as exp, expm1 as expm1, floor as floor,
                                     imag as imag, log as log, log1p as log1p, max as max, maximum as maximum,
                                     min as min, minimum as minimum, pow as pow, power as power, prod as prod,
                                     real as real, relu as relu, round as round, sigmoid as sigmoid, sign as sign,
                                     sin as sin, sinh as sinh, sqrt as sqrt, sum as sum, tan as tan, tanh as tanh,
                                     where as where)
    from einsparse.runtime.kernel import Kernel as Kernel
    from einsparse.runtime.tensor import Tensor as Tensor

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


def __getattr__(name: str) -> Any:
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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "compile", "evaluate", "einsum", "einsum_path", "on_cluster", "tensor", "Format", "Tensor", "Kernel", "__version__",
    "indices", "empty", "scalar", "statement", "show_config",
    "EinsparseError", "ParseError", "StatementError", "OperandError", "FormatError", "ShapeError",
    "DTypeError", "NotSupportedError", "InternalError", "FileFormatError", "ClusterError",
]
