"""`Tensor`'s reductions, as NumPy's and pydata/sparse's: `sum`, `min`, `max`, `prod`, `any`, `all`,
`argmin` and `argmax`.

Each hands the tensor to the front end's array operations (`einsparse.arrays`), through the hook of
`array_methods.py`: they compile a statement with that reduction through `evaluate`, and the runtime
never imports a front end. `Tensor` inherits them, as it does `array_methods.py`'s operators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy.typing as npt

from einsparse.runtime.array_methods import _operations

if TYPE_CHECKING:
    from einsparse.runtime.array_methods import Result


class ReductionMethods:
    """The reductions of `Tensor` (its base class).

    A reduction over every axis returns a NumPy scalar. Otherwise the result is an einsparse tensor
    when it is sparse and a NumPy array when it is dense, as for the other array methods.
    """

    __slots__ = ()

    def sum(self, axis: int | tuple[int, ...] | None = None, dtype: npt.DTypeLike | None = None,
            keepdims: bool = False) -> Result:
        """NumPy's `sum`: small integers and booleans are summed in int64 (uint64 for unsigned ones).

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes summed over; all by default.
        dtype : dtype, optional
            The type of the sum.
        keepdims : bool, default False
            Keep the summed axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar

        Raises
        ------
        ShapeError
            An axis out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> print(A.sum())
        6
        >>> A.sum(axis=1).to_numpy()
        array([3, 3])
        """
        return _operations().total(self, axis, dtype, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        """NumPy's `min` over `axis` (all by default), counting the unstored entries as the fill.

        The result is sparse where the reduction of the fill keeps it so (`max` over the rows of a
        fill-0 CSR matrix is a sparse vector of fill 0). `max`, `prod`, `any` and `all` take the same
        arguments.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes reduced over; all by default.
        keepdims : bool, default False
            Keep the reduced axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            A scalar when every axis is reduced.

        Raises
        ------
        ShapeError
            An axis of extent 0 (no identity), or out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> print(A.min())
        0
        >>> A.min(axis=1, keepdims=True).to_numpy()
        array([[0],
               [0]])
        """
        return _operations().reduced(self, "min", axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        """NumPy's `max` over `axis` (all by default), counting the unstored entries as the fill.

        As `min`: the result is sparse where the reduction of the fill keeps it so.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes reduced over; all by default.
        keepdims : bool, default False
            Keep the reduced axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            A scalar when every axis is reduced.

        Raises
        ------
        ShapeError
            An axis of extent 0 (no identity), or out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> print(A.max())
        3
        >>> A.max(axis=0)
        Tensor(shape=(3,), format='c', dtype=int64, nnz=3)
        >>> A.max(axis=0).to_numpy()
        array([1, 3, 2])
        """
        return _operations().reduced(self, "max", axis, keepdims)

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        """NumPy's `prod` over `axis` (all by default); small integers multiply in 64 bits, as NumPy's.

        The unstored entries count as the fill, as in `min`.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes multiplied over; all by default.
        keepdims : bool, default False
            Keep the reduced axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            A scalar when every axis is reduced.

        Raises
        ------
        ShapeError
            An axis out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> B = es.tensor(np.array([[1, 2], [0, 3]]), "csr")
        >>> print(B.prod())
        0
        >>> np.array_equal(B.prod(axis=1), [2, 0])
        True
        """
        return _operations().reduced(self, "prod", axis, keepdims)

    def any(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        """NumPy's `any` over `axis` (all by default): whether an entry is nonzero.

        The unstored entries count as the fill, as in `min`.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes reduced over; all by default.
        keepdims : bool, default False
            Keep the reduced axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            Booleans; a scalar when every axis is reduced.

        Raises
        ------
        ShapeError
            An axis out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> B = es.tensor(np.array([[1, 2], [0, 3]]), "csr")
        >>> print(B.any())
        True
        >>> B.any(axis=0).to_numpy()
        array([ True,  True])
        """
        return _operations().reduced(self, "any", axis, keepdims)

    def all(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Result:
        """NumPy's `all` over `axis` (all by default): whether every entry is nonzero.

        The unstored entries count as the fill, as in `min`.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes reduced over; all by default.
        keepdims : bool, default False
            Keep the reduced axes with extent 1.

        Returns
        -------
        numpy.ndarray, Tensor or numpy scalar
            Booleans; a scalar when every axis is reduced.

        Raises
        ------
        ShapeError
            An axis out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> B = es.tensor(np.array([[1, 2], [0, 3]]), "csr")
        >>> print(B.all())
        False
        >>> B.all(axis=1).to_numpy()
        array([ True, False])
        """
        return _operations().reduced(self, "all", axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Result:
        """NumPy's `argmin`: the first smallest coordinate along `axis` (of the flattened tensor by
        default); `argmax` likewise.

        Parameters
        ----------
        axis : int, optional
            The axis searched; by default the coordinate is of the flattened tensor.
        keepdims : bool, default False
            Keep the searched axis with extent 1.

        Returns
        -------
        numpy.ndarray or numpy scalar
            int64 coordinates, dense (as NumPy's).

        Raises
        ------
        ShapeError
            An axis of extent 0, or out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> print(A.argmin())
        1
        >>> A.argmin(axis=1)
        array([1, 0])
        """
        return _operations().arg_reduced(self, "argmin", axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Result:
        """NumPy's `argmax`: the first largest coordinate along `axis`; as `argmin`.

        Parameters
        ----------
        axis : int, optional
            The axis searched; by default the coordinate is of the flattened tensor.
        keepdims : bool, default False
            Keep the searched axis with extent 1.

        Returns
        -------
        numpy.ndarray or numpy scalar
            int64 coordinates, dense (as NumPy's).

        Raises
        ------
        ShapeError
            An axis of extent 0, or out of range.

        Examples
        --------
        >>> import numpy as np
        >>> import einsparse as es
        >>> A = es.tensor(np.array([[1, 0, 2], [0, 3, 0]]), "csr")
        >>> print(A.argmax())
        4
        >>> A.argmax(axis=1)
        array([2, 1])
        """
        return _operations().arg_reduced(self, "argmax", axis, keepdims)
