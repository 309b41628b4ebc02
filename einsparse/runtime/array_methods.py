"""`Tensor`'s array methods: operators, `.T`, reductions, `.dot`, `.reshape`, `.astype` and NumPy's
`__array_ufunc__` / `__array_function__` protocols.

Each one hands the tensor to the front end's array operations (`einsparse.arrays`), which installs
itself with `use_arrays` when imported: they compile statements through `evaluate`, and the runtime
never imports a front end.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from einsparse.errors import NotSupportedError

if TYPE_CHECKING:
    from einsparse.runtime.tensor import Tensor
    from einsparse.types import Operand, Result

class ArrayOperations(Protocol):
    """What `einsparse.arrays` provides to tensors (the module itself is the implementation)."""

    def elementwise(self, op: str, left: Any, right: Any) -> Result: ...
    def negative(self, tensor: Any) -> Result: ...
    def matmul(self, left: Any, right: Any) -> Result: ...
    def compare(self, op: str, left: Any, right: Any) -> Result: ...
    def dot(self, left: Any, right: Any) -> Result: ...
    def transpose(self, tensor: Any, axes: Any = None) -> Tensor: ...
    def total(self, tensor: Any, axis: Any, dtype: Any, keepdims: bool) -> Result: ...
    def reduced(self, tensor: Any, name: str, axis: Any, keepdims: bool) -> Result: ...
    def arg_reduced(self, tensor: Any, name: str, axis: Any, keepdims: bool) -> Result: ...
    def reshape(self, tensor: Any, shape: Any, order: str) -> Tensor: ...
    def astype(self, tensor: Any, dtype: Any) -> Tensor: ...
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
    """The array methods of `Tensor` (its base class)."""

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

    def __pos__(self) -> Tensor:
        return cast("Tensor", self)

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
    def T(self) -> Tensor:  # noqa: N802 (NumPy's name)
        return _operations().transpose(self)

    def transpose(self, *axes: int | tuple[int, ...] | list[int]) -> Tensor:
        """The tensor with its axes permuted (no copy: the format's mode order changes)."""
        return _operations().transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                                       else axes)

    def sum(self, axis: int | tuple[int, ...] | None = None, dtype: npt.DTypeLike | None = None,
            keepdims: bool = False) -> Result:
        return _operations().total(self, axis, dtype, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        return _operations().reduced(self, "min", axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        return _operations().reduced(self, "max", axis, keepdims)

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        return _operations().reduced(self, "prod", axis, keepdims)

    def any(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        return _operations().reduced(self, "any", axis, keepdims)

    def all(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        return _operations().reduced(self, "all", axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Result:
        return _operations().arg_reduced(self, "argmin", axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Result:
        return _operations().arg_reduced(self, "argmax", axis, keepdims)

    def dot(self, other: Operand) -> Result:
        return _operations().dot(self, other)

    def reshape(self, *shape: int | tuple[int, ...], order: str = "C") -> Tensor:
        return _operations().reshape(self, shape[0] if len(shape) == 1 else shape, order)

    def astype(self, dtype: npt.DTypeLike) -> Tensor:
        return _operations().astype(self, dtype)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _operations().apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _operations().apply_function(func, args, kwargs)
