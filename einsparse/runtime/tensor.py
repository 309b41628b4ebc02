"""`Tensor`: a shape, a `Format`, one level per mode in the format's mode order, and a values array.

Building levels from coordinates and walking them back is `storage.py`'s (with each level kind's own
code); reading NumPy, scipy and pydata/sparse inputs is `convert.py`'s, and writing them
(`to_numpy`, `to_scipy`, `to_coo`, `to_pydata`) `export_methods.py`'s, which `Tensor` inherits. Index
notation on a tensor (`A[i, k]`, `C[i, j] = ...`) belongs to the front end, `einsparse.notation`, which
installs itself with `use_notation` when imported: the runtime never imports it. Operators and NumPy's
protocols are `array_methods.py`'s, reductions `reduction_methods.py`'s; `Tensor` inherits them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from einsparse.compiler.formats import Format, parse_format
from einsparse.errors import DTypeError, FormatError, NotSupportedError, OperandError, ShapeError
from einsparse.levels import DenseLevel, LevelStorage
from einsparse.runtime import storage
from einsparse.runtime.array_methods import ArrayMethods
from einsparse.runtime.display import tensor_html
from einsparse.runtime.export_methods import ExportMethods
from einsparse.runtime.reduction_methods import ReductionMethods

if TYPE_CHECKING:
    from einsparse.runtime.annotations import Array

# The value dtypes the kernels compute with; convert.normalize_dtype maps other inputs onto these.
# The value types kernels compute with: NumPy's numeric types but float16 (Numba has no half-precision
# arithmetic; it is computed in float32, as NumPy's einsum accumulates it) and extended precision.
VALUE_DTYPES = tuple(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float32, np.float64, np.complex64, np.complex128))
# A tensor may also hold float16 values (a result in NumPy's type); kernels read them as float32.
STORED_DTYPES = VALUE_DTYPES + (np.dtype(np.float16),)
SUPPORTED_DTYPES = ("use a NumPy number type (bool, int8 to int64, uint8 to uint64, float16 to float64, "
                    "complex64 or complex128)")


class Tensor(ExportMethods, ArrayMethods, ReductionMethods):
    """A tensor in TACO's level storage: a shape, a `Format`, one level per mode, and values.

    Build one with `einsparse.tensor(...)`, not directly. It behaves as an array: operators
    (``A @ x``, ``A + B``, ``A * 2``, comparisons), ``.T``, reductions and NumPy's functions compile
    statements (see `array_methods.ArrayMethods` and `reduction_methods.ReductionMethods`); indexed
    with index variables (``A[i, k]``) it builds index notation.

    `nnz` is the number of stored values, ``len(vals)``: for formats with a dense innermost level this
    counts the zero padding the dense level implies, not only the nonzeros.

    Parameters
    ----------
    shape : iterable of int
    format : Format
    levels : iterable of LevelStorage
        One per level of `format`, outermost first.
    vals : numpy.ndarray
        The stored values, 1-d.
    name : str, optional
        The operand name in index notation; None: named by its role.
    fill : number, optional
        The value of every entry not stored (default 0).

    Raises
    ------
    FormatError, ShapeError, DTypeError, OperandError
        Storage that does not fit the format, values of a type einsparse does not compute with,
        a fill the type cannot hold, or a name that is not one.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = es.tensor(sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]])))
    >>> A
    Tensor(shape=(2, 3), format='csr', dtype=int64, nnz=3)
    >>> A @ np.array([1, 2, 3])
    array([7, 6])
    >>> (A + A).to_numpy()
    array([[2, 0, 4],
           [0, 6, 0]])
    """

    # The slots' docstrings are the attributes' documentation (help(), the API pages).
    __slots__ = {
        "shape": "The extent of each mode (tuple of int).",
        "format": "The `Format`: one level kind per mode, and the order the modes are stored in.",
        "levels": "The levels' storage, outermost first (tuple of LevelStorage).",
        "vals": "The stored values (1-d numpy.ndarray), in storage order.",
        "name": "The operand name in index notation (str), or None: named by its role.",
        "_fill": "The fill when it is not 0; None for 0.",
    }
    shape: tuple[int, ...]
    format: Format
    levels: tuple[LevelStorage, ...]
    vals: Array
    name: str | None
    _fill: np.generic | None

    def __init__(self, shape: Iterable[int], format: Format, levels: Iterable[LevelStorage], vals: Array,
                 name: str | None = None, fill: complex | np.generic | None = None):
        self.shape = tuple(int(n) for n in shape)
        self.format = format
        self.levels = tuple(levels)
        self.vals = vals
        self._fill = _checked_fill(fill, vals.dtype, format)  # None: zero, the common case, checked fastest
        # The operand name in index notation (`C[i, j] = A[i, k]*...`); None: named by its role.
        if name is not None and not (isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)):
            raise OperandError(f"tensor name {name!r} is not a name: use letters, digits and '_', "
                               f"not starting with a digit")
        self.name = name
        self._check()

    @classmethod
    def trusted(cls, shape: tuple[int, ...], format: Format, levels: tuple[LevelStorage, ...],
                vals: Array) -> Tensor:
        """A tensor over storage already known to be consistent with `format`, unchecked.

        For a canonical scipy matrix or a C-ordered array: the call path of a kernel skips `_check`
        for these.

        Parameters
        ----------
        shape, format, levels, vals
            As for `Tensor`, already tuples and checked.
        """
        tensor = object.__new__(cls)
        tensor.shape, tensor.format, tensor.levels, tensor.vals, tensor.name = shape, format, levels, vals, None
        tensor._fill = None
        return tensor

    @property
    def fill(self) -> np.generic:
        """The value of every entry that is not stored (0 unless the tensor was made with another).

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> print(es.tensor(np.array([[1, 9], [9, 9]]), fill=9).fill)
        9
        """
        return self.vals.dtype.type(0) if self._fill is None else self._fill

    def _check(self) -> None:
        """Cheap consistency checks (O(levels), not O(entries)): catch wiring bugs early."""
        if self.format.rank != len(self.shape) or len(self.levels) != len(self.shape):
            raise FormatError(
                f"tensor of shape {self.shape} has format {self.format} and {len(self.levels)} levels"
            )
        if self.vals.ndim != 1:
            raise ShapeError(f"tensor values must be a 1-d array, not {self.vals.ndim}-d")
        if self.vals.dtype not in STORED_DTYPES:
            raise DTypeError(
                f"tensor values have dtype {self.vals.dtype}, which einsparse does not compute with"
            )
        count = 1
        for k, (kind, level) in enumerate(zip(self.format.levels, self.levels)):
            if getattr(level, "kind", None) != kind:
                found = level.kind.name if hasattr(level, "kind") else type(level).__name__
                raise FormatError(f"level {k} is {found} but format {self.format} says {kind.name}")
            level.check(k, self.shape[self.format.mode_order[k]], count)
            count = level.positions(count)
        if count != len(self.vals):
            raise ShapeError(f"the last level has {count} positions but there are {len(self.vals)} values")

    @property
    def dtype(self) -> np.dtype[Any]:
        """The type of the values.

        One of the NumPy number types einsparse computes with, or float16 (which kernels read as float32).
        """
        return self.vals.dtype

    @property
    def ndim(self) -> int:
        """The number of modes.

        ``len(shape)``: 0 for a scalar (`es.scalar`), 2 for a matrix.
        """
        return len(self.shape)

    @property
    def nnz(self) -> int:
        """Stored values, ``len(vals)``; includes the zeros a dense innermost level stores.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0], [0, 2]]), "csr").nnz, es.tensor(np.array([[1, 0], [0, 2]])).nnz
        (2, 4)
        """
        return len(self.vals)

    def asformat(self, format: str | Format) -> Tensor:
        """The same tensor in another format of the same rank (`self` when the format is unchanged).

        Parameters
        ----------
        format : str or Format
            The target format, such as ``"csc"`` or ``"dc:1,0"``.

        Returns
        -------
        Tensor
            A new tensor of the same entries and fill, or `self`.

        Raises
        ------
        FormatError
            The format is malformed or of another rank.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.eye(2), "csr").asformat("coo")
        Tensor(shape=(2, 2), format='coo', dtype=float64, nnz=2)
        """
        fmt = parse_format(format, self.ndim, what="target format")
        if fmt == self.format:
            return self
        if fmt.is_dense and (self.format.is_dense or self._fill is not None):  # a transpose, or every entry
            by_level = self.to_numpy().transpose(fmt.mode_order)
            return Tensor(self.shape, fmt, [DenseLevel(n) for n in by_level.shape],
                          np.ascontiguousarray(by_level).ravel(), fill=self._fill)
        keys, vals = storage.entries(self.format, self.levels, self.vals, fmt.mode_order, self._fill)
        return Tensor(self.shape, fmt, *storage.build(fmt, self.shape, keys, vals), fill=self._fill)

    def with_fill(self, fill: complex | np.generic) -> Tensor:
        """The same stored entries (shared, not copied) with `fill` where nothing is stored.

        Parameters
        ----------
        fill : number
            The value of every entry not stored; 0 makes an ordinary tensor.

        Returns
        -------
        Tensor

        Raises
        ------
        DTypeError
            The values' type cannot hold `fill`.
        NotSupportedError
            A fill other than 0 in a format whose last level pads with zeros.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.eye(2), "csr").with_fill(-1.0).to_numpy()
        array([[ 1., -1.],
               [-1.,  1.]])
        """
        return Tensor(self.shape, self.format, self.levels, self.vals, self.name, fill)

    def item(self) -> np.generic:
        """The value of a 0-d tensor, as a NumPy scalar.

        Returns
        -------
        numpy scalar
            Of the tensor's value type.

        Raises
        ------
        ShapeError
            The tensor is not 0-d.

        Examples
        --------
        >>> import einsparse as es
        >>> s = es.scalar()
        >>> print(s.item())
        0.0
        """
        if self.shape:
            raise ShapeError(f"item() reads a 0-d tensor; this one has shape {self.shape}")
        return self.vals[0]  # type: ignore[no-any-return]

    def __getitem__(self, key: Any) -> Any:
        """``A[i, k]`` with index variables (`es.indices`): an index expression (`einsparse.notation`).

        Raises
        ------
        StatementError, OperandError
            Indexed with something other than index variables, or with as many as its rank.
        """
        return _notation_of(key).access(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        """``C[i, j] = expr`` or ``C[i, j] += expr``: compile (cached) and run, filling this tensor.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> i, j = es.indices("i j")
        >>> A, x, y = es.tensor(np.array([[1, 2], [3, 4]])), es.tensor(np.array([1, 1])), es.empty(2, dtype=np.int64)
        >>> y[i] = A[i, j] * x[j]
        >>> y.to_numpy()
        array([3, 7])
        """
        _notation_of(key).assign(self, key, value)

    def __repr__(self) -> str:
        fill = "" if self._fill is None else f", fill={self._fill}"
        return (
            f"Tensor(shape={self.shape}, format={self.format.name!r}, dtype={self.dtype}, nnz={self.nnz}{fill})"
        )

    @property
    def nbytes(self) -> int:
        """Bytes its arrays take: the values and every array a level holds (pos and crd, a band's lo, a
        bitmap's tbl), as pydata/sparse's ``nbytes``."""
        return int(self.vals.nbytes) + sum(int(array.nbytes) for level in self.levels for array in vars(level).values()
                                           if isinstance(array, np.ndarray))

    def _repr_html_(self) -> str:
        """How Jupyter shows a tensor: a table of its facts and a spy picture of a matrix."""
        return tensor_html(self)


def _checked_fill(fill: Any, dtype: np.dtype[Any], fmt: Format) -> np.generic | None:
    """`fill` as a value of `dtype`, None for zero; refused when the type cannot hold it, or when the
    format's last level pads with zeros below a sparse level (those zeros would not be the fill)."""
    if fill is None:
        return None
    value: np.generic | None
    try:  # a 0-d array's [()] is a scalar, which NumPy's stubs do not say
        value = np.asarray(fill).astype(dtype, casting="same_kind")[()]  # type: ignore[assignment]
    except (TypeError, ValueError):
        value = None
    if value is None or np.ndim(fill) != 0 or not (value == fill or (value != value and fill != fill)):
        raise DTypeError(f"fill {fill!r} is not a value of the tensor's type {dtype}")
    if value == 0 and not (value.dtype.kind == "f" and np.signbit(value)):
        return None
    if fmt.rank and fmt.levels[-1].pads and not fmt.is_dense:
        raise NotSupportedError(f"a fill other than 0 in format {fmt.name}: its last level stores zeros "
                                f"as padding; use a format whose last level is compressed or singleton")
    return value


_notation: ModuleType | None = None  # the front end's index notation: an object with access(tensor, key) and assign(...)


def use_notation(notation: ModuleType) -> None:
    """Called by `einsparse.notation` when imported: tensors then index with its variables."""
    global _notation
    _notation = notation


def _notation_of(key: Any) -> ModuleType:
    if _notation is None:  # index variables come from einsparse.notation, so it is not in use yet
        raise OperandError(f"a tensor is indexed with index variables from es.indices(...), not with "
                           f"{key!r}; use to_numpy() to read its entries")
    return _notation
