"""Type aliases of the public API: what a statement reads, what it returns, and how its options are given.

For annotations only: nothing here is checked at run time (the functions check their arguments
themselves and raise einsparse's errors). scipy, pydata/sparse and dask.distributed ship no complete
type information, so their types are `Any` to a type checker; the aliases still name them for readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Union

import numpy as np
import numpy.typing as npt

from einsparse.cluster.client import ClusterClient  # where a call runs
from einsparse.index_expressions import ExprLike, IndexVar  # what an index expression combines with
from einsparse.runtime.annotations import Array, FormatSpec  # a NumPy array; a storage format

if TYPE_CHECKING:
    from dask.array import Array as DaskArray
    from scipy.sparse import sparray, spmatrix
    from sparse import SparseArray

    from einsparse.cluster.persisted import PersistedTensor
    from einsparse.cluster.run import ClusterKernel
    from einsparse.planned import PlannedKernel
    from einsparse.runtime.kernel import Kernel
    from einsparse.runtime.tensor import Tensor
    from einsparse.semirings import SemiringKernel

__all__ = ["Array", "ClusterClient", "Compiled", "EinsumResult", "ExprLike", "FormatSpec", "Formats", "Operand",
           "Optimize", "Over", "Result"]

# What a statement reads as an operand: NumPy arrays, numbers and nested lists, einsparse tensors,
# scipy.sparse matrices and arrays, pydata/sparse arrays, and tensors persisted on a cluster.
Operand = Union[npt.ArrayLike, "Tensor", "spmatrix", "sparray", "SparseArray", "PersistedTensor"]

# What a statement returns: a dense NumPy array, a sparse einsparse tensor, or a NumPy scalar for a
# 0-d output.
Result = Union[Array, "Tensor", np.generic]

# What a reduction's `over=` takes: the index variable, or the index variables, it reduces over.
Over = Union[IndexVar, tuple[IndexVar, ...], list[IndexVar]]

# What `einsum` returns: a `Result`, or a dask array (computed later) when an operand is one.
EinsumResult = Union[Result, "DaskArray"]

# Formats by tensor name, as `compile` and `evaluate` take them: {"A": "csr", "C": "dense"}.
Formats = Mapping[str, FormatSpec]

# NumPy's `optimize=`: False, True, "greedy", "optimal", or a contraction path such as
# ["einsum_path", (0, 1), (0, 1)] (the leading "einsum_path" may be left out).
Optimize = Union[bool, str, Sequence[Union[str, Sequence[int]]]]

# What `compile` returns: a `Kernel`; a `PlannedKernel` around one for a product of three or more
# tensors; a `SemiringKernel` for `semiring=`; a `ClusterKernel` for `client=`. Each is called with the
# operands by name and answers what a `Kernel` does (`source`, `explain()`, `formats`, ...).
Compiled = Union["Kernel", "PlannedKernel", "SemiringKernel", "ClusterKernel"]
