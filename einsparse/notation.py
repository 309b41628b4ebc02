"""Index notation as Python code: `C[i, j] = A[i, k]*B[k, j] + D[i, j]` with index variables.

Indexing a `Tensor` with index variables gives an `Expr` holding a surface syntax tree
(`compiler/syntax.py`), the same tree the string parser builds; `+ - * /`, unary minus and numbers
extend it. Assigning through `Tensor.__setitem__` completes a `Statement`, which goes through the
string path from there on (normalization, checks, formats, the kernel cache, error messages), so a
statement written either way reaches the same `Kernel`.

Tensors have no Python variable names. Until a statement is complete each tensor appears in the tree
under a placeholder; then every tensor gets a name: its own (`es.tensor(..., name="A")`), or a
positional one by role: inputs `A`, `B`, ... in order of first appearance (skipping names in use), the
output `out`. The kernel, and its cache entry, therefore never depends on the caller's variable names.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import sys

import numpy as np

from einsparse.api import BuiltStatement
from einsparse.api import compile as compile_statement
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.errors import DTypeError, InternalError, OperandError, StatementError
from einsparse.naming import names as _names
from einsparse.naming import renamed as _renamed
from einsparse.new_tensors import empty, scalar  # noqa: F401  (re-exported: es.empty, es.scalar)
from einsparse.runtime.tensor import Tensor, use_notation

__all__ = ["IndexVar", "Expr", "Statement", "indices", "statement", "empty", "scalar"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------------------------------------- indices


class IndexVar:
    """An index variable such as `i`; two variables with the same name are the same index."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other) -> bool:
        return isinstance(other, IndexVar) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("IndexVar", self.name))

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"IndexVar({self.name!r})"

    # Used as a value, an index variable is its coordinate: `b[i, j]*(i*4 + j)`, `y[i] = A[i, j]*j`.
    def value(self) -> "Expr":
        """This index as a value (an int64 coordinate) in an index expression."""
        return Expr(syn.IndexValue(self.name), {})

    def __add__(self, other):
        return _combine("+", self, other)

    def __radd__(self, other):
        return _combine("+", other, self)

    def __sub__(self, other):
        return _combine("-", self, other)

    def __rsub__(self, other):
        return _combine("-", other, self)

    def __mul__(self, other):
        return _combine("*", self, other)

    def __rmul__(self, other):
        return _combine("*", other, self)

    def __truediv__(self, other):
        return _combine("/", self, other)

    def __rtruediv__(self, other):
        return _combine("/", other, self)

    def __neg__(self):
        return -self.value()


def indices(names: str) -> IndexVar | tuple[IndexVar, ...]:
    """Index variables for index notation: ``i, j, k = es.indices("i j k")``.

    Parameters
    ----------
    names : str
        The names, split at spaces or commas.

    Returns
    -------
    IndexVar or tuple of IndexVar
        One variable for one name, else a tuple of them.

    Raises
    ------
    StatementError
        No name, a name that is not one, or a name given twice.

    Examples
    --------
    >>> import numpy as np
    >>> import einsparse as es
    >>> i, j = es.indices("i j")
    >>> A, B, C = es.tensor(np.array([[1, 2], [3, 4]])), es.tensor(np.eye(2, dtype=np.int64)), es.empty((2, 2))
    >>> C[i, j] = A[i, j] + B[j, i]
    >>> C.to_numpy()
    array([[2., 2.],
           [3., 5.]])
    """
    if not isinstance(names, str):
        raise StatementError(f"indices takes the names in one string, such as 'i j k', "
                             f"not {type(names).__name__}")
    split = names.replace(",", " ").split()
    if not split:
        raise StatementError("indices needs at least one name, such as indices('i j k')")
    for position, name in enumerate(split):
        if not _NAME.fullmatch(name):
            raise StatementError(f"index name {name!r} is not a name: use letters, digits and '_', "
                                 f"not starting with a digit")
        if name in split[:position]:
            raise StatementError(f"index name {name!r} appears twice in {names!r}")
    variables = tuple(IndexVar(name) for name in split)
    return variables[0] if len(variables) == 1 else variables


# ---------------------------------------------------------------------------------------------- expressions


def _placeholder(tensor: Tensor) -> str:
    """The name a tensor has in a tree until the statement is complete; '#' is in no real name."""
    return f"#{id(tensor)}"


class Expr:
    """An index expression: a syntax tree over placeholders, and the tensors they stand for.

    `print(expr)` shows its deparse, such as `A[i,k]*B[k,j]`.
    """

    __slots__ = ("node", "tensors", "accumulated")
    # NumPy defers to our reflected operators (`array * expr`) instead of broadcasting over `expr`.
    __array_ufunc__ = None

    def __init__(self, node, tensors: dict, accumulated=None):
        self.node = node
        self.tensors = tensors  # placeholder -> Tensor, every tensor the tree reads
        # `C[i, j] += x` is `C.__setitem__((i, j), C[i, j].__iadd__(x))`: the sum remembers its parts
        # so that the assignment can accumulate into C instead of reading C on the right side.
        self.accumulated = accumulated

    def __add__(self, other):
        return _combine("+", self, other)

    def __radd__(self, other):
        return _combine("+", other, self)

    def __sub__(self, other):
        return _combine("-", self, other)

    def __rsub__(self, other):
        return _combine("-", other, self)

    def __mul__(self, other):
        return _combine("*", self, other)

    def __rmul__(self, other):
        return _combine("*", other, self)

    def __truediv__(self, other):
        return _combine("/", self, other)

    def __rtruediv__(self, other):
        return _combine("/", other, self)

    def __neg__(self):
        return Expr(syn.Neg(self.node), self.tensors)

    # The language's other operators are set below the class (see `einsparse.operators` for exp, max,
    # where and the rest); `==` builds a comparison, as NumPy's, so hashing stays by identity.
    __hash__ = object.__hash__

    def __invert__(self):
        return Expr(syn.Not(self.node), self.tensors)

    def __abs__(self):
        return Expr(syn.Call("abs", (self.node,)), self.tensors)

    def __iadd__(self, other):
        total = self + other
        if isinstance(self.node, syn.Access):
            total.accumulated = (self, _as_expr(other))
        return total

    def __isub__(self, other):
        difference = self - other
        if isinstance(self.node, syn.Access):
            difference.accumulated = (self, -_as_expr(other))
        return difference

    def __bool__(self):
        raise StatementError(f"the index expression {self} has no truth value; assign it to an output "
                             f"to compute it, such as C[i, j] = ...")

    def __str__(self) -> str:
        return syn.deparse(_renamed(self.node, _names(self, None)))

    def __repr__(self) -> str:
        return f"<index expression {self}>"


def _operator(op: str, reflected: bool = False):
    if reflected:
        return lambda self, other: _combine(op, other, self)
    return lambda self, other: _combine(op, self, other)


for _name, _op in {"pow": "**", "mod": "%", "and": "and", "or": "or"}.items():
    setattr(Expr, f"__{_name}__", _operator(_op))
    setattr(Expr, f"__r{_name}__", _operator(_op, reflected=True))
for _name, _op in {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}.items():
    setattr(Expr, f"__{_name}__", _operator(_op))


def _as_expr(value) -> Expr:
    """A number or an expression as an `Expr`; StatementError naming anything else."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, IndexVar):
        return value.value()
    return Expr(_number(value), {})


def _number(value):
    """A Python or NumPy real number as a syntax node; a negative one is `-` applied to its magnitude,
    as the string parser reads `-2`."""
    if isinstance(value, Tensor):
        raise StatementError(f"a tensor in an expression needs its index variables, such as "
                             f"{_example_access(value)}")
    if isinstance(value, numbers.Complex) and not isinstance(value, (numbers.Real, bool, np.bool_)):
        raise StatementError(f"cannot use the complex number {value!r} in an index expression: numbers "
                             f"in a statement are real; put complex values in a tensor")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise StatementError(f"cannot use a value of type {type(value).__name__} in an index expression: "
                             f"use numbers, or tensors indexed with index variables, "
                             f"such as es.tensor(x)[i, j]")
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        raise StatementError(f"the number {number} is not finite; an index expression holds finite numbers")
    node = syn.Number(abs(number))
    return syn.Neg(node) if math.copysign(1, number) < 0 else node


def _combine(op: str, left, right) -> Expr:
    left, right = _as_expr(left), _as_expr(right)
    return Expr(syn.BinOp(op, left.node, right.node), {**left.tensors, **right.tensors})


def _example_access(tensor: Tensor) -> str:
    letters = "ijklmn"[: tensor.ndim] if tensor.ndim <= 6 else [f"i{m}" for m in range(tensor.ndim)]
    return f"{tensor.name or 'A'}[{', '.join(letters)}]" if tensor.ndim else f"{tensor.name or 'A'}[()]"


def access(tensor: Tensor, key) -> Expr:
    """`tensor[key]` with index variables: the access expression `A[i, k]` (`A[()]` for a 0-d tensor)."""
    variables = _index_variables(tensor, key)
    node = syn.Access(_placeholder(tensor), tuple(syn.Index(v.name) for v in variables))
    return Expr(node, {node.name: tensor})


def _index_variables(tensor: Tensor, key) -> tuple[IndexVar, ...]:
    key = key if isinstance(key, tuple) else (key,)
    what = f"tensor {tensor.name}" if tensor.name else "a tensor"
    if not all(isinstance(k, IndexVar) for k in key):
        if any(isinstance(k, IndexVar) for k in key) and any(isinstance(k, numbers.Integral) for k in key):
            raise StatementError(f"cannot mix integers and index variables when indexing {what}: "
                                 f"einsparse does not slice; index with index variables only")
        culprit = next(k for k in key if not isinstance(k, IndexVar))
        raise StatementError(f"index {what} with index variables from es.indices('i j ...'), "
                             f"not {type(culprit).__name__} {culprit!r}")
    if len(key) != tensor.ndim:
        count = f"{len(key)} index variable{'' if len(key) == 1 else 's'}"
        raise OperandError(f"{what} has rank {tensor.ndim} (shape {tensor.shape}) "
                           f"but is indexed with {count}")
    return key


# ---------------------------------------------------------------------------------------------- statements


class Statement(BuiltStatement):
    """A complete statement built from index notation, not yet run.

    `.syntax` is the very `syntax.Statement` the string parser gives for `str(statement)` (with spans, so
    errors point into that text); `.tensors` maps each operand name to its Tensor, the output included.
    `es.compile(statement)` compiles it for the tensors' formats; `es.evaluate(statement)` runs it.
    """

    def __init__(self, target: Expr, op: str, rhs: Expr):
        names = _names(rhs, target)
        built = syn.Statement(_renamed(target.node, names), op, _renamed(rhs.node, names))
        self.syntax = _spanned(built)
        self.tensors = {names[p]: t for p, t in {**target.tensors, **rhs.tensors}.items()}
        self.output = names[target.node.name]

    @property
    def formats(self) -> dict:
        return {name: tensor.format for name, tensor in self.tensors.items()}

    @property
    def inputs(self) -> dict[str, Tensor]:
        """The operands a kernel for this statement is called with, by name (the output left out)."""
        return {name: tensor for name, tensor in self.tensors.items() if name != self.output}

    def run(self, threads=None) -> Tensor:
        """Compile (cached) and run on `threads` (as for `es.compile`); the output tensor is filled and
        returned."""
        kernel = compile_statement(self.syntax, self.formats, threads)
        output = self.tensors[self.output]
        if output.format.is_dense:
            if not output.vals.flags.writeable:
                raise OperandError(f"output {self.output} holds a read-only array, so it cannot be assigned "
                                   f"to; make it with es.empty(...) or from a writable array")
            # The kernel writes into a view of the output's values (it accumulates into them for `+=`).
            kernel(**self.inputs, **{self.output: output.to_numpy()})
        else:
            _replace_storage(output, kernel(**self.inputs, **{self.output: output}), self.output)
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


def statement(target: Expr, value: Expr | IndexVar | float, op: str = "=") -> Statement:
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


def assign(tensor: Tensor, key, value) -> None:
    """`tensor[key] = value` and `tensor[key] += value`: build the statement, compile (cached), run."""
    target = access(tensor, key)
    if isinstance(value, Expr) and value.accumulated is not None:
        into, addend = value.accumulated
        if into.node == target.node:  # `tensor[key] += addend`
            Statement(target, "+=", addend).run()
            return
    Statement(target, "=", _as_expr(value)).run()


use_notation(sys.modules[__name__])  # tensors index with this module's access() and assign()
