"""The one family of errors einsparse raises, and how a statement error points at its spot.

A user's mistake raises a subclass of `EinsparseError` with a one-line message naming the culprit; when
the mistake is inside a statement, the statement follows on the next line with a caret under the spot.
`InternalError` is for einsparse's own bugs and says so.
"""

from __future__ import annotations


class EinsparseError(Exception):
    """Base class of every error einsparse raises on purpose.

    Catch it to handle any of einsparse's errors; each subclass also derives from the built-in
    exception it resembles (`ValueError`, `TypeError`, ...), so code written for NumPy's errors
    keeps working.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> try:
    ...     es.evaluate("y[i] = A[i,j]*x[j]", A=np.ones((2, 3)), x=np.ones(4))
    ... except es.EinsparseError as error:
    ...     print(type(error).__name__, isinstance(error, ValueError))
    ShapeError True
    """


class ParseError(EinsparseError, ValueError):
    """The statement text does not follow the grammar.

    The message names the mistake, then shows the statement with a caret under its spot.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> try:
    ...     es.evaluate("y[i] = A[i,j]*x[j", A=np.ones((2, 3)), x=np.ones(3))
    ... except es.ParseError as error:
    ...     print(error)
    the statement ends too early: expected ',' or ']'
        y[i] = A[i,j]*x[j
                         ^
    """


class StatementError(EinsparseError, ValueError):
    """The statement parses but means nothing valid (repeated output index, bad division, ...).

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.evaluate("y[i,i] = A[i,j]", A=np.ones((2, 2)))
    Traceback (most recent call last):
        ...
    einsparse.errors.StatementError: output index i appears twice in y
        y[i,i] = A[i,j]
            ^
    """


class OperandError(EinsparseError, ValueError):
    """An operand is missing, unexpected, of the wrong rank, or of a kind einsparse cannot read.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.evaluate("y[i] = A[i,j]*x[j]", A=np.ones((2, 3)))
    Traceback (most recent call last):
        ...
    einsparse.errors.OperandError: missing operand x for y[i] = A[i,j]*x[j]
    """


class FormatError(EinsparseError, ValueError):
    """A storage format string is malformed or does not fit its tensor.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.tensor(np.eye(2), "ccc")
    Traceback (most recent call last):
        ...
    einsparse.errors.FormatError: format of tensor 'ccc' has 3 levels but the tensor has rank 2
    """


class ShapeError(EinsparseError, ValueError):
    """Extents disagree: one index, one extent.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.evaluate("y[i] = A[i,j]*x[j]", A=np.ones((2, 3)), x=np.ones(4))
    Traceback (most recent call last):
        ...
    einsparse.errors.ShapeError: index j has extent 3 in A[i,j] (mode 1) but 4 in x[j] (mode 0)
    """


class DTypeError(EinsparseError, TypeError):
    """A value type einsparse does not compute with.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.tensor(np.array(["a", "b"]))
    Traceback (most recent call last):
        ...
    einsparse.errors.DTypeError: tensor has dtype <U1, which einsparse does not compute with; ...
    """


class NotSupportedError(EinsparseError, NotImplementedError):
    """A valid request that einsparse does not implement yet; the message says what is missing.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> es.evaluate("C[i,j] = A[i,k] + B[k,j]", semiring="min_plus", A=np.ones((2, 2)), B=np.ones((2, 2)))
    Traceback (most recent call last):
        ...
    einsparse.errors.NotSupportedError: semiring='min_plus' applies to a product of operands, ...
    """


class FileFormatError(EinsparseError, ValueError):
    """A file cannot be read or written.

    It is missing, malformed (the message gives the line), or of a type einsparse does not know.
    """


class ClusterError(EinsparseError, RuntimeError):
    """A run on a Dask cluster failed for a reason outside the statement.

    The scheduler cannot be reached, or a block's worker died (over its memory limit); the message
    names the address or the statement and the block.

    Examples
    --------
    >>> import einsparse as es
    >>> es.evaluate("y[i] = A[i,j]*x[j]", client="tcp://nohost:8786", A=A, x=x)  # doctest: +SKIP
    Traceback (most recent call last):
        ...
    einsparse.errors.ClusterError: cannot reach the Dask scheduler at tcp://nohost:8786 within 5 s (...)
    """


class InternalError(EinsparseError, RuntimeError):
    """A bug in einsparse, not the user's mistake; the message says so and asks for a report.

    Parameters
    ----------
    message : str
        What failed, after the note that it is a bug.
    """

    def __init__(self, message: str):
        super().__init__(f"internal error (a bug in einsparse, please report it): {message}")


def point_at(message: str, text: str, start: int, end: int | None = None) -> str:
    """`message`, then the line of `text` holding `start`, then a caret under `start`..`end`."""
    start = max(0, min(start, len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end]
    column = start - line_start
    width = 1 if end is None else max(1, min(end, line_end) - start)
    marker = " " * column + "^" + "~" * (width - 1)
    return f"{message}\n    {line}\n    {marker}"
