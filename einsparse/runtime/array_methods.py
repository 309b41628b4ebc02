"""`Tensor`'s array methods: operators, `.T`, `.transpose`, `.dot`, `.reshape`, `.astype` and NumPy's
`__array_ufunc__` / `__array_function__` protocols (the reductions are `reduction_methods.py`'s).

Each one hands the tensor to the front end's array operations (`einsparse.arrays`), which installs
itself with `use_arrays` when imported: they compile statements through `evaluate`, and the runtime
never imports a front end.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, Union, cast

import numpy as np
import numpy.typing as npt

from einsparse.errors import NotSupportedError

from einsparse.runtime.annotations import Array, Operand

if TYPE_CHECKING:
    from typing_extensions import Self

# What an operation on tensors returns: a dense NumPy array, a sparse tensor (this class is every
# `Tensor`'s base: the runtime's modules below `tensor.py` name it so), or a NumPy scalar.
Result = Union[Array, "ArrayMethods", np.generic]

class ArrayOperations(Protocol):
    """What `einsparse.arrays` provides to tensors (the module itself is the implementation)."""

    def elementwise(self, op: str, left: Any, right: Any) -> Result: ...
    def negative(self, tensor: Any) -> Result: ...
    def matmul(self, left: Any, right: Any) -> Result: ...
    def compare(self, op: str, left: Any, right: Any) -> Result: ...
    def dot(self, left: Any, right: Any) -> Result: ...
    def transpose(self, tensor: Any, axes: Any = None) -> Any: ...
    def total(self, tensor: Any, axis: Any, dtype: Any, keepdims: bool) -> Result: ...
    def reduced(self, tensor: Any, name: str, axis: Any, keepdims: bool) -> Result: ...
    def arg_reduced(self, tensor: Any, name: str, axis: Any, keepdims: bool) -> Result: ...
    def reshape(self, tensor: Any, shape: Any, order: str) -> Any: ...
    def astype(self, tensor: Any, dtype: Any) -> Any: ...
    def apply_ufunc(self, ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...
    def apply_function(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...


_arrays: ModuleType | None = None  # the front end's array operations (einsparse.arrays)


def use_arrays(arrays: ModuleType) -> None:
    """Called by `einsparse.arrays` when imported: tensors then take operators and NumPy's functions."""
    global _arrays
    _arrays = arrays


def _operations() -> ArrayOperations:
    if _arrays is None:
        raise NotSupportedError("tensor operators are installed by einsparse's front end: use tensors made "
                                "with es.tensor, es.evaluate or es.einsum")
    return cast(ArrayOperations, _arrays)


class ArrayMethods:
    """The array methods of `Tensor` (its base class), as NumPy's and pydata/sparse's (its reductions
    are `reduction_methods.ReductionMethods`').

    Arithmetic is a statement run through `evaluate`'s memoized path (``A @ x`` is
    ``einsum("ij,j->i", A, x)``), with NumPy's broadcasting. A result is an einsparse tensor when it
    is sparse and a NumPy array when it is dense. ``==`` compares entries, as NumPy's does.

    Raises
    ------
    ShapeError
        Operands that do not broadcast or align, or an axis out of range.
    NotSupportedError
        Before the front end is loaded (use tensors made with `es.tensor`, `es.evaluate`, `es.einsum`).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = es.tensor(sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]])))
    >>> A * 2
    Tensor(shape=(2, 3), format='csr', dtype=int64, nnz=3)
    >>> (A > 1).to_numpy()
    array([[False, False,  True],
           [False,  True, False]])
    >>> -A
    Tensor(shape=(2, 3), format='csr', dtype=int64, nnz=3)
    """

    __slots__ = ()

    def __matmul__(self, other: Operand) -> Result:
        return _operations().matmul(self, other)

    def __rmatmul__(self, other: Operand) -> Result:
        return _operations().matmul(other, self)

    def __add__(self, other: Operand) -> Result:
        return _operations().elementwise("+", self, other)

    def __radd__(self, other: Operand) -> Result:
        return _operations().elementwise("+", other, self)

    def __sub__(self, other: Operand) -> Result:
        return _operations().elementwise("-", self, other)

    def __rsub__(self, other: Operand) -> Result:
        return _operations().elementwise("-", other, self)

    def __mul__(self, other: Operand) -> Result:
        return _operations().elementwise("*", self, other)

    def __rmul__(self, other: Operand) -> Result:
        return _operations().elementwise("*", other, self)

    def __truediv__(self, other: Operand) -> Result:
        return _operations().elementwise("/", self, other)

    def __rtruediv__(self, other: Operand) -> Result:
        return _operations().elementwise("/", other, self)

    def __pow__(self, other: Operand) -> Result:
        return _operations().elementwise("**", self, other)

    def __rpow__(self, other: Operand) -> Result:
        return _operations().elementwise("**", other, self)

    def __mod__(self, other: Operand) -> Result:
        return _operations().elementwise("%", self, other)

    def __rmod__(self, other: Operand) -> Result:
        return _operations().elementwise("%", other, self)

    def __abs__(self) -> Result:
        return cast("Result", _operations().apply_ufunc(np.absolute, "__call__", (self,), {}))

    def __neg__(self) -> Result:
        return _operations().negative(self)

    def __pos__(self) -> Self:
        return self

    def __lt__(self, other: Operand) -> Result:
        return _operations().compare("<", self, other)

    def __le__(self, other: Operand) -> Result:
        return _operations().compare("<=", self, other)

    def __gt__(self, other: Operand) -> Result:
        return _operations().compare(">", self, other)

    def __ge__(self, other: Operand) -> Result:
        return _operations().compare(">=", self, other)

    # Elementwise, as NumPy's: a tensor or an array of booleans, not one bool.
    def __eq__(self, other: object) -> Result:  # type: ignore[override]
        return _operations().compare("==", self, other)

    def __ne__(self, other: object) -> Result:  # type: ignore[override]
        return _operations().compare("!=", self, other)

    __hash__ = object.__hash__  # == compares entries, as NumPy's does; a tensor stays usable as a key

    @property
    def T(self) -> Self:  # noqa: N802 (NumPy's name)
        """The transpose: the same storage read in another mode order (no copy, as scipy's `.T` of a
        CSR matrix is a CSC matrix).

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr").T
        Tensor(shape=(3, 2), format='csc', dtype=int64, nnz=3)
        """
        return cast("Self", _operations().transpose(self))

    def transpose(self, *axes: int | tuple[int, ...] | list[int]) -> Self:
        """The tensor with its axes permuted (no copy: the format's mode order changes).

        Parameters
        ----------
        *axes : int, or one tuple or list of int
            The permutation, as NumPy's; none reverses the axes.

        Returns
        -------
        Tensor
            Over the same storage, of the permuted shape.

        Raises
        ------
        ShapeError
            Axes that are not a permutation of the tensor's, or out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> A.transpose(1, 0)
        Tensor(shape=(3, 2), format='csc', dtype=int64, nnz=3)
        >>> A.transpose().to_numpy()
        array([[1, 0],
               [0, 3],
               [2, 0]])
        """
        order = axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return cast("Self", _operations().transpose(self, order))

    def dot(self, other: Operand) -> Result:
        """NumPy's `dot`: the last axis of this tensor with the second-to-last of `other` (the only
        one of a vector); a number scales.

        Parameters
        ----------
        other : array_like, Tensor, scipy.sparse matrix or number
            Any operand a statement reads.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            A tensor when the result is sparse, a NumPy array when it is dense.

        Raises
        ------
        ShapeError
            The axes do not align.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr").dot(np.array([1, 2, 3]))
        array([7, 6])
        """
        return _operations().dot(self, other)

    def reshape(self, *shape: int | tuple[int, ...], order: str = "C") -> Self:
        """Entries moved to the coordinates of `shape` in C order (one extent may be -1); the format
        is kept when the rank does not change.

        Parameters
        ----------
        *shape : int, or one tuple of int
            The new shape, of the same size.
        order : str, default "C"
            Only ``"C"``.

        Returns
        -------
        Tensor
            The same entries and fill, at their new coordinates.

        Raises
        ------
        ShapeError
            A shape of another size.
        NotSupportedError
            An order other than "C".

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr").reshape(3, 2).to_numpy()
        array([[1, 0],
               [2, 0],
               [3, 0]])
        """
        return cast("Self", _operations().reshape(self, shape[0] if len(shape) == 1 else shape, order))

    def astype(self, dtype: npt.DTypeLike) -> Self:
        """The same entries in another value type (the fill cast too).

        Parameters
        ----------
        dtype : dtype
            A NumPy number type einsparse computes with.

        Returns
        -------
        Tensor
            Of the same format and stored positions.

        Raises
        ------
        DTypeError
            A value type einsparse does not compute with.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0], [0, 3]]), "csr").astype(np.float32).dtype
        dtype('float32')
        """
        return cast("Self", _operations().astype(self, dtype))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _operations().apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _operations().apply_function(func, args, kwargs)
