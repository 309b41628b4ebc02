"""New tensors to assign to in index notation: `es.empty(shape, format)` and `es.scalar()`."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from einsparse.compiler.formats import parse_format
from einsparse.errors import DTypeError
from einsparse.runtime.convert import from_coo, from_numpy
from einsparse.runtime.tensor import SUPPORTED_DTYPES, VALUE_DTYPES, Tensor

if TYPE_CHECKING:
    from einsparse.runtime.annotations import FormatSpec


def empty(shape: int | Iterable[int], format: FormatSpec = "dense", dtype: npt.DTypeLike = np.float64,  # noqa: A002
          name: str | None = None, fill: complex | np.generic | None = None) -> Tensor:
    """A new tensor to assign to, every entry `fill` (0 unless given).

    A dense array of it, or a sparse format with no entries and that fill.

    Parameters
    ----------
    shape : int or iterable of int
    format : str or Format, default "dense"
    dtype : dtype, default float64
    name : str, optional
        Its operand name in index notation.
    fill : number, optional
        The value of every entry (of the unstored ones, for a sparse format).

    Returns
    -------
    Tensor

    Raises
    ------
    DTypeError
        A value type einsparse does not compute with, or a fill it cannot hold.
    FormatError
        A malformed format, or one of another rank.
    OperandError
        A name that is not one.

    Examples
    --------
    >>> import einsparse as es
    >>> es.empty((2, 3), "csr")
    Tensor(shape=(2, 3), format='csr', dtype=float64, nnz=0)
    >>> es.empty(2, fill=7.0).to_numpy()
    array([7., 7.])
    """
    # numbers.Integral takes NumPy's integers too (a checker does not know int is one).
    dims: tuple[int, ...] = ((shape,) if isinstance(shape, (int, numbers.Integral))
                             else tuple(shape))
    dtype = np.dtype(dtype)
    if dtype not in VALUE_DTYPES:
        raise DTypeError(f"empty: dtype {dtype} is not one einsparse computes with; "
                         f"{SUPPORTED_DTYPES}")
    fmt = parse_format(format, len(dims), what="format of the new tensor")
    if fmt.is_dense:
        made = from_numpy(np.full(dims, 0 if fill is None else fill, dtype), fmt, name="the new tensor")
    else:
        no_entries = np.zeros((len(dims), 0), np.int64)
        made = from_coo(no_entries, np.zeros(0, dtype), dims, fmt, name="the new tensor")
    return Tensor(made.shape, made.format, made.levels, made.vals, name=name, fill=None if fmt.is_dense else fill)


def scalar(dtype: npt.DTypeLike = np.float64, name: str | None = None) -> Tensor:
    """A new 0-d tensor to assign to with ``s[()] = ...``; read it with ``s.item()``.

    Its value is 0 until assigned.

    Parameters
    ----------
    dtype : dtype, default float64
        The value's type.
    name : str, optional
        Its operand name in index notation.

    Returns
    -------
    Tensor
        Of shape ``()``, format ``scalar``.

    Raises
    ------
    DTypeError
        A value type einsparse does not compute with.
    OperandError
        A name that is not one.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> i = es.indices("i")
    >>> x, s = es.tensor(np.array([1.0, 2.0])), es.scalar()
    >>> s[()] = x[i] * x[i]
    >>> print(s.item())
    5.0
    """
    return empty((), "dense", dtype, name)
