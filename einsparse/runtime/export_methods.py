"""`Tensor`'s exports: its entries as a NumPy array (`to_numpy`, `todense`, NumPy's `__array__`), a
scipy.sparse matrix (`to_scipy`), coordinates and values (`to_coo`) or a pydata/sparse array
(`to_pydata`).

`Tensor` inherits them, as it does `array_methods.py`'s operators. They read the storage through
`storage.py` and `scipy_export.py` and make no tensor, so this module imports neither `tensor.py` nor a
front end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from einsparse.errors import FormatError, NotSupportedError
from einsparse.runtime import storage
from einsparse.runtime.scipy_export import to_scipy

if TYPE_CHECKING:
    from einsparse.compiler.formats import Format
    from einsparse.levels import LevelStorage
    from einsparse.runtime.annotations import Array


class ExportMethods:
    """The exports of `Tensor` (its base class): its entries in NumPy's, scipy's and pydata/sparse's
    types."""

    __slots__ = ()

    if TYPE_CHECKING:  # what `Tensor` holds
        shape: tuple[int, ...]
        format: Format
        levels: tuple[LevelStorage, ...]
        vals: Array
        _fill: np.generic | None

        @property
        def fill(self) -> np.generic: ...

        @property
        def ndim(self) -> int: ...

    def to_numpy(self) -> Array:
        """The tensor as a dense NumPy array, `fill` where nothing is stored.

        For an all-dense format it may be a view of `vals` (no copy).

        Returns
        -------
        numpy.ndarray
            Of the tensor's shape and value type.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[1, 0], [0, 2]]), "csc").to_numpy()
        array([[1, 0],
               [0, 2]])
        """
        return storage.dense_array(self.format, self.shape, self.levels, self.vals, self._fill)

    def todense(self) -> Array:
        """The tensor as a dense array (pydata/sparse's name for `to_numpy`).

        Returns
        -------
        numpy.ndarray
            As `to_numpy` returns it: `fill` where nothing is stored.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> es.tensor(np.array([[0, 4], [5, 0]]), "coo").todense()
        array([[0, 4],
               [5, 0]])
        """
        return self.to_numpy()

    def to_scipy(self) -> Any:  # scipy.sparse has no type information
        """The tensor as a scipy.sparse matrix: csc_matrix for csc, coo_matrix for coo, else csr_matrix.

        csr, csc and coo share the tensor's arrays; other formats are converted to csr first.

        Returns
        -------
        scipy.sparse.csr_matrix, csc_matrix or coo_matrix

        Raises
        ------
        ShapeError
            The tensor is not 2-d.
        FormatError
            Its fill is not 0 (a scipy.sparse matrix is 0 where nothing is stored).

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> type(es.tensor(np.eye(2), "csc").to_scipy()).__name__
        'csc_matrix'
        """
        if self._fill is not None:
            raise FormatError(f"to_scipy: this tensor's fill is {self._fill}, and a scipy.sparse matrix is 0 "
                              f"where nothing is stored; use to_numpy()")
        return to_scipy(self)  # type: ignore[no-untyped-call]

    def to_coo(self) -> tuple[Array, Array]:
        """The stored entries as coordinates and values, sorted row-major over the tensor's modes.

        Padding zeros are dropped (and entries equal to the fill, for a dense tensor with another fill).

        Returns
        -------
        coords : numpy.ndarray
            int64, of shape (ndim, n).
        values : numpy.ndarray
            The n values.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> coords, values = es.tensor(np.array([[0, 5], [6, 0]]), "csc").to_coo()
        >>> coords.tolist(), values.tolist()
        ([[0, 1], [1, 0]], [5, 6])
        """
        return storage.entries(self.format, self.levels, self.vals, range(self.ndim), self._fill)

    def to_pydata(self) -> Any:  # nor has pydata/sparse
        """The tensor as a pydata/sparse COO array of the same entries and fill.

        Returns
        -------
        sparse.COO
            Its coordinates and values are `to_coo`'s (sorted, without duplicates).

        Raises
        ------
        NotSupportedError
            pydata/sparse is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> P = es.tensor(np.array([[1, 0], [0, 2]]), "csr").to_pydata()
        >>> type(P).__name__, P.nnz, P.todense().tolist()
        ('COO', 2, [[1, 0], [0, 2]])
        """
        try:
            import sparse
        except ImportError:
            raise NotSupportedError("to_pydata needs pydata/sparse: pip install sparse") from None
        coords, values = self.to_coo()
        return sparse.COO(coords, values, shape=self.shape, fill_value=self.fill, sorted=True,
                          has_duplicates=False)

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> Array:
        dense = self.to_numpy()
        shares = np.shares_memory(dense, self.vals)
        if copy is False and (not shares or (dtype is not None and np.dtype(dtype) != dense.dtype)):
            raise ValueError(f"a {self.format.name} tensor cannot become a NumPy array without a copy")
        if dtype is not None:
            dense = dense.astype(dtype, copy=False)
        if copy and np.shares_memory(dense, self.vals):
            dense = dense.copy()
        return dense
