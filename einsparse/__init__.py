"""einsparse: a compiler for sparse tensor algebra.

    C = einsparse.evaluate("C[i,j] = A[i,k]*B[k,j] + D[i,j]", A=A, B=B, D=D)

compiles the statement into one fused loop nest over the stored entries of each sparse operand, emits
it as Python, compiles it with Numba and caches the machine code on disk.
"""

from einsparse.api import compile, einsum, evaluate, tensor
from einsparse.compiler.formats import Format
from einsparse.errors import (
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
from einsparse.notation import empty, indices, scalar, statement
from einsparse.runtime.kernel import Kernel
from einsparse.runtime.tensor import Tensor
from einsparse.version import __version__

__all__ = [
    "compile", "evaluate", "einsum", "tensor", "Format", "Tensor", "Kernel", "__version__",
    "indices", "empty", "scalar", "statement",
    "EinsparseError", "ParseError", "StatementError", "OperandError", "FormatError", "ShapeError",
    "DTypeError", "NotSupportedError", "InternalError", "FileFormatError",
]
