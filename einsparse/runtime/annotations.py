"""Type aliases the runtime's annotations use (for type checkers only: nothing here is checked at run
time). The public API's aliases (`einsparse.types`) build on these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from einsparse.compiler.formats import Format

# A NumPy array of any shape and value type.
Array = np.ndarray[Any, np.dtype[Any]]

# What a statement reads: NumPy arrays, numbers and nested lists, tensors, scipy.sparse matrices and
# arrays, pydata/sparse arrays. scipy and pydata/sparse ship no complete types, so to a checker this
# is Any (as the union of those types would be).
Operand = Any

# A storage format: a name ("csr", "dense", ...), letters with an optional mode order ("dc:1,0"), or
# a `Format`.
FormatSpec = Union[str, "Format"]
