"""Index variables and index expressions: `i, j = es.indices("i j")`, `A[i, k]`, `A[i, k]*B[k, j] + 1`.

Indexing a `Tensor` with index variables (`access`) gives an `Expr` holding a surface syntax tree
(`compiler/syntax.py`), the same tree the string parser builds; `+ - * /`, unary minus, numbers and
index variables as values extend it. `einsparse.notation` completes an expression into a statement.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Union, cast

import numpy as np

from einsparse.compiler import syntax as syn
from einsparse.errors import OperandError, StatementError
from einsparse.naming import names as _names
from einsparse.naming import renamed as _renamed
from einsparse.runtime.tensor import Tensor

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# What an index expression combines with: another expression, an index variable (its coordinate as a
# value), or a real number, Python's or NumPy's. Anything else raises StatementError at run time.
ExprLike = Union["Expr", "IndexVar", float, "np.integer[Any]", "np.floating[Any]"]

# ---------------------------------------------------------------------------------------------- indices


class _Arithmetic:
    """`+ - * / ** %`, `&` (and), `|` (or) and `< <= > >=` on index variables and expressions alike,
    each side an `ExprLike`; `==` and `!=` are `Expr`'s only (an index variable compares by name)."""

    def __add__(self, other: ExprLike) -> Expr:
        return _combine("+", self, other)

    def __radd__(self, other: ExprLike) -> Expr:
        return _combine("+", other, self)

    def __sub__(self, other: ExprLike) -> Expr:
        return _combine("-", self, other)

    def __rsub__(self, other: ExprLike) -> Expr:
        return _combine("-", other, self)

    def __mul__(self, other: ExprLike) -> Expr:
        return _combine("*", self, other)

    def __rmul__(self, other: ExprLike) -> Expr:
        return _combine("*", other, self)

    def __truediv__(self, other: ExprLike) -> Expr:
        return _combine("/", self, other)

    def __rtruediv__(self, other: ExprLike) -> Expr:
        return _combine("/", other, self)

    def __pow__(self, other: ExprLike) -> Expr:
        return _combine("**", self, other)

    def __rpow__(self, other: ExprLike) -> Expr:
        return _combine("**", other, self)

    def __mod__(self, other: ExprLike) -> Expr:
        return _combine("%", self, other)

    def __rmod__(self, other: ExprLike) -> Expr:
        return _combine("%", other, self)

    def __and__(self, other: ExprLike) -> Expr:
        return _combine("and", self, other)

    def __rand__(self, other: ExprLike) -> Expr:
        return _combine("and", other, self)

    def __or__(self, other: ExprLike) -> Expr:
        return _combine("or", self, other)

    def __ror__(self, other: ExprLike) -> Expr:
        return _combine("or", other, self)

    def __lt__(self, other: ExprLike) -> Expr:
        return _combine("<", self, other)

    def __le__(self, other: ExprLike) -> Expr:
        return _combine("<=", self, other)

    def __gt__(self, other: ExprLike) -> Expr:
        return _combine(">", self, other)

    def __ge__(self, other: ExprLike) -> Expr:
        return _combine(">=", self, other)


class IndexVar(_Arithmetic):
    """An index variable such as `i`; two variables with the same name are the same index.

    `i == j` compares names (index variables key dictionaries); to compare coordinates in an expression
    write ``i.value() == j``. The other operators build expressions: ``es.where(i < j, A[i, j], 0)``.

    Parameters
    ----------
    name : str
        The index's name (`es.indices` checks it).
    """

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other: object) -> bool:
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

    def __neg__(self) -> Expr:
        return -self.value()

    def __abs__(self) -> Expr:
        return abs(self.value())


# Typed Any: how many variables come back depends on the string, which a type checker cannot read, and
# a union would make `i, j = es.indices("i j")` an error in users' strictly checked code.
def indices(names: str) -> Any:
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


class Expr(_Arithmetic):
    """An index expression: a syntax tree over placeholders, and the tensors they stand for.

    `print(expr)` shows its deparse, such as `A[i,k]*B[k,j]`.
    """

    __slots__ = ("node", "tensors", "accumulated")
    # NumPy defers to our reflected operators (`array * expr`) instead of broadcasting over `expr`.
    __array_ufunc__ = None

    def __init__(self, node: syn.Expr, tensors: dict[str, Tensor],
                 accumulated: tuple[Expr, Expr] | None = None):
        self.node = node
        self.tensors = tensors  # placeholder -> Tensor, every tensor the tree reads
        # `C[i, j] += x` is `C.__setitem__((i, j), C[i, j].__iadd__(x))`: the sum remembers its parts
        # so that the assignment can accumulate into C instead of reading C on the right side.
        self.accumulated = accumulated

    def __neg__(self) -> Expr:
        return Expr(syn.Neg(self.node), self.tensors)

    # `==` and `!=` build comparisons, as NumPy's, so hashing stays by identity (see
    # `einsparse.operators` for exp, max, where and the rest of the language).
    __hash__ = object.__hash__

    def __eq__(self, other: ExprLike) -> Expr:  # type: ignore[override]
        return _combine("==", self, other)

    def __ne__(self, other: ExprLike) -> Expr:  # type: ignore[override]
        return _combine("!=", self, other)

    def __invert__(self) -> Expr:
        return Expr(syn.Not(self.node), self.tensors)

    def __abs__(self) -> Expr:
        return Expr(syn.Call("abs", (self.node,)), self.tensors)

    def __iadd__(self, other: ExprLike) -> Expr:
        total = self + other
        if isinstance(self.node, syn.Access):
            total.accumulated = (self, _as_expr(other))
        return total

    def __isub__(self, other: ExprLike) -> Expr:
        difference = self - other
        if isinstance(self.node, syn.Access):
            difference.accumulated = (self, -_as_expr(other))
        return difference

    def __bool__(self) -> bool:
        raise StatementError(f"the index expression {self} has no truth value; assign it to an output "
                             f"to compute it, such as C[i, j] = ...")

    def __str__(self) -> str:
        return syn.deparse(_renamed(self.node, _names(self, None)))

    def __repr__(self) -> str:
        return f"<index expression {self}>"


def _as_expr(value: object) -> Expr:
    """A number or an expression as an `Expr`; StatementError naming anything else."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, IndexVar):
        return value.value()
    return Expr(_number(value), {})


def _number(value: object) -> syn.Number | syn.Neg:
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


def _combine(op: str, left: object, right: object) -> Expr:
    left_expr, right_expr = _as_expr(left), _as_expr(right)
    return Expr(syn.BinOp(op, left_expr.node, right_expr.node), {**left_expr.tensors, **right_expr.tensors})


def _example_access(tensor: Tensor) -> str:
    letters = "ijklmn"[: tensor.ndim] if tensor.ndim <= 6 else [f"i{m}" for m in range(tensor.ndim)]
    return f"{tensor.name or 'A'}[{', '.join(letters)}]" if tensor.ndim else f"{tensor.name or 'A'}[()]"


def access(tensor: Tensor, key: object) -> Expr:
    """`tensor[key]` with index variables: the access expression `A[i, k]` (`A[()]` for a 0-d tensor)."""
    variables = _index_variables(tensor, key)
    node = syn.Access(_placeholder(tensor), tuple(syn.Index(v.name) for v in variables))
    return Expr(node, {node.name: tensor})


def _index_variables(tensor: Tensor, key: object) -> tuple[IndexVar, ...]:
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
    return cast("tuple[IndexVar, ...]", key)  # each an IndexVar, as checked above
