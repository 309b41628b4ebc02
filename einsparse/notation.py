"""Index notation as Python code: `C[i, j] = A[i, k]*B[k, j] + D[i, j]` with index variables.

Indexing a `Tensor` with index variables gives an `Expr` holding a surface syntax tree
(`compiler/syntax.py`), the same tree the string parser builds (`einsparse.index_expressions`);
`+ - * /`, unary minus and numbers extend it. Assigning through `Tensor.__setitem__` completes a `Statement`, which goes through the
string path from there on (normalization, checks, formats, the kernel cache, error messages), so a
statement written either way reaches the same `Kernel`.

Tensors have no Python variable names. Until a statement is complete each tensor appears in the tree
under a placeholder; then every tensor gets a name: its own (`es.tensor(..., name="A")`), or a
positional one by role: inputs `A`, `B`, ... in order of first appearance (skipping names in use), the
output `out`. The kernel, and its cache entry, therefore never depends on the caller's variable names.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, cast

import numpy as np

from einsparse.api import BuiltStatement
from einsparse.api import compile as compile_statement
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.errors import DTypeError, InternalError, OperandError, StatementError
from einsparse.naming import names as _names
from einsparse.naming import renamed as _renamed
from einsparse.new_tensors import empty, scalar  # noqa: F401  (re-exported: es.empty, es.scalar)
from einsparse.index_expressions import (  # noqa: F401  (re-exported: es.indices; tensors call access)
    Expr, ExprLike, IndexVar, _as_expr, access, indices)
from einsparse.runtime.tensor import Tensor, use_notation

if TYPE_CHECKING:
    from einsparse.compiler.formats import Format
    from einsparse.runtime.annotations import Operand  # what Kernel.__call__ takes by name

__all__ = ["IndexVar", "Expr", "Statement", "indices", "statement", "empty", "scalar"]


# ---------------------------------------------------------------------------------------------- statements


class Statement(BuiltStatement):
    """A complete statement built from index notation, not yet run.

    `.syntax` is the very `syntax.Statement` the string parser gives for `str(statement)` (with spans, so
    errors point into that text); `.tensors` maps each operand name to its Tensor, the output included.
    `es.compile(statement)` compiles it for the tensors' formats; `es.evaluate(statement)` runs it.

    Parameters
    ----------
    target : Expr
        The output's access, such as ``C[i, j]``.
    op : {"=", "+="}
        Assign, or accumulate into the output.
    rhs : Expr
        The right side.
    """

    def __init__(self, target: Expr, op: str, rhs: Expr):
        names = _names(rhs, target)
        built = syn.Statement(_renamed(target.node, names), op, _renamed(rhs.node, names))
        self.syntax = _spanned(built)
        self.tensors = {names[p]: t for p, t in {**target.tensors, **rhs.tensors}.items()}
        # The target is an access, `C[i, j]`: statement() checks it, assign() builds it with access().
        self.output = names[cast(syn.Access, target.node).name]

    # BuiltStatement declares `formats` as an attribute; a Statement computes it from its tensors, and
    # it is read-only here (nothing assigns it).
    @property
    def formats(self) -> dict[str, Format]:  # type: ignore[override]
        """The format of each tensor, by operand name (the output included)."""
        return {name: tensor.format for name, tensor in self.tensors.items()}

    @property
    def inputs(self) -> dict[str, Tensor]:
        """The operands a kernel for this statement is called with, by name (the output left out)."""
        return {name: tensor for name, tensor in self.tensors.items() if name != self.output}

    def run(self, threads: int | str | None = None) -> Tensor:
        """Compile (cached) and run on `threads` (as for `es.compile`); the output tensor is filled and
        returned."""
        kernel = compile_statement(self.syntax, self.formats, threads)
        output = self.tensors[self.output]
        if output.format.is_dense:
            if not output.vals.flags.writeable:
                raise OperandError(f"output {self.output} holds a read-only array, so it cannot be assigned "
                                   f"to; make it with es.empty(...) or from a writable array")
            # The kernel writes into a view of the output's values (it accumulates into them for `+=`).
            operands: dict[str, Operand] = {**self.inputs, self.output: output.to_numpy()}
            kernel(**operands)
        else:
            operands = {**self.inputs, self.output: output}
            # A sparse output comes back as a tensor of the output's format.
            _replace_storage(output, cast(Tensor, kernel(**operands)), self.output)
        return output

    def __str__(self) -> str:
        return self.syntax.text

    def __repr__(self) -> str:
        return f"<index notation statement {self}>"


@functools.lru_cache(maxsize=1024)
def _spanned(built: syn.Statement) -> syn.Statement:
    """`built` with spans into its deparse, by parsing the deparse: errors can point a caret into it."""
    parsed = parse(syn.deparse(built))
    if parsed != built:  # the deparse must round-trip; anything else is a bug in this module
        raise InternalError(f"index notation {syn.deparse(built)} parses to a different statement")
    return parsed


def _replace_storage(output: Tensor, result: Tensor, name: str) -> None:
    """Give the sparse `output` the levels and values of `result`, in the output's dtype."""
    vals = result.vals
    if vals.dtype != output.dtype:
        if not np.can_cast(vals.dtype, output.dtype, "same_kind"):
            raise DTypeError(f"cannot write a {vals.dtype} result into output {name} of dtype {output.dtype}")
        vals = vals.astype(output.dtype)
    output.levels, output.vals = result.levels, vals


def statement(target: Expr, value: ExprLike, op: str = "=") -> Statement:
    """The statement ``target op value``, built but not run: for `es.compile` and `es.evaluate`.

    Parameters
    ----------
    target : index expression
        The output, a tensor indexed with index variables (``C[i, j]``).
    value : index expression or number
    op : {"=", "+="}

    Returns
    -------
    Statement
        ``es.compile(statement)`` compiles it for its tensors' formats; ``es.evaluate(statement)``
        runs it and returns the filled output.

    Raises
    ------
    StatementError
        A target that is not an indexed tensor, or another `op`.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> i, j = es.indices("i j")
    >>> A, x, y = es.tensor(np.array([[1, 2], [3, 4]])), es.tensor(np.array([1, 1])), es.empty(2)
    >>> built = es.statement(y[i], A[i, j] * x[j])
    >>> print(built)
    out[i] = A[i,j]*B[j]
    >>> es.evaluate(built).to_numpy()
    array([3., 7.])
    """
    if not (isinstance(target, Expr) and isinstance(target.node, syn.Access)):
        raise StatementError(f"the output of a statement must be a tensor indexed with index variables, "
                             f"such as C[i, j], not {target}")
    if op not in ("=", "+="):
        raise StatementError(f"a statement assigns with '=' or '+=', not {op!r}")
    return Statement(target, op, _as_expr(value))


def assign(tensor: Tensor, key: object, value: ExprLike) -> None:
    """`tensor[key] = value` and `tensor[key] += value`: build the statement, compile (cached), run."""
    target = access(tensor, key)
    if isinstance(value, Expr) and value.accumulated is not None:
        into, addend = value.accumulated
        if into.node == target.node:  # `tensor[key] += addend`
            Statement(target, "+=", addend).run()
            return
    Statement(target, "=", _as_expr(value)).run()


use_notation(sys.modules[__name__])  # tensors index with this module's access() and assign()
