"""The one family of errors einsparse raises, and how a statement error points at its spot.

A user's mistake raises a subclass of `EinsparseError` with a one-line message naming the culprit; when
the mistake is inside a statement, the statement follows on the next line with a caret under the spot.
`InternalError` is for einsparse's own bugs and says so.
"""

from __future__ import annotations


class EinsparseError(Exception):
    """Base class of every error einsparse raises on purpose."""


class ParseError(EinsparseError, ValueError):
    """The statement text does not follow the grammar."""


class StatementError(EinsparseError, ValueError):
    """The statement parses but means nothing valid (repeated output index, bad division, ...)."""


class OperandError(EinsparseError, ValueError):
    """An operand is missing, unexpected, of the wrong rank, or of a kind einsparse cannot read."""


class FormatError(EinsparseError, ValueError):
    """A storage format string is malformed or does not fit its tensor."""


class ShapeError(EinsparseError, ValueError):
    """Extents disagree: one index, one extent."""


class DTypeError(EinsparseError, TypeError):
    """A value type einsparse does not compute with."""


class NotSupportedError(EinsparseError, NotImplementedError):
    """A valid request that einsparse does not implement yet; the message says what is missing."""


class FileFormatError(EinsparseError, ValueError):
    """A file cannot be read or written: missing, malformed (the message gives the line), or of a type
    einsparse does not know."""


class ClusterError(EinsparseError, RuntimeError):
    """A run on a Dask cluster failed for a reason outside the statement: the scheduler cannot be
    reached, or a block's worker died (over its memory limit); the message names the address or the
    statement and the block."""


class InternalError(EinsparseError, RuntimeError):
    """A bug in einsparse, not the user's mistake."""

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
