"""The language's functions for index notation: `es.exp(A[i, j])`, `es.max(A[i, k], 0)`,
`es.where(M[i, j], A[i, j], 0)` build the same trees as the string form `exp(A[i,j])`, so
`C[i, j] = es.relu(A[i, k]*X[k, j] + b[j])` compiles to the kernel the string would. Reductions take
`over=`: `es.min(A[i, k] + B[k, j], over=k)` is `min[k](A[i,k] + B[k,j])`; also es.max, es.sum,
es.prod, es.any, es.all, es.argmin and es.argmax.

Given a tensor instead of an index expression, the one-input functions apply elementwise as NumPy's
do (`es.exp(A)` is `np.exp(A)`: a tensor of the same pattern and fill exp(fill)).
"""

from __future__ import annotations

import builtins  # this module defines any, all and sum of its own
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from einsparse.compiler import syntax as syn
from einsparse.compiler.functions import FUNCTIONS
from einsparse.compiler.reductions import REDUCTIONS
from einsparse.errors import StatementError
from einsparse.index_expressions import Expr, ExprLike, IndexVar, _as_expr
from einsparse.runtime.tensor import Tensor


def _function(name: str) -> StatementFunction | ReducingFunction:
    function = FUNCTIONS[name]

    def apply(*args: ExprLike | Tensor) -> Expr | Result:
        if len(args) != function.arity:
            raise StatementError(f"{name} takes {function.arity} argument{'s' if function.arity > 1 else ''}, "
                                 f"not {len(args)}")
        if function.arity == 1 and isinstance(args[0], Tensor):
            applied: Result = function.numpy(args[0])  # NumPy's function, on a tensor: a tensor
            return applied
        if not builtins.any(isinstance(arg, (Expr, IndexVar)) for arg in args):
            raise StatementError(f"es.{name} builds index expressions: pass tensors indexed with index "
                                 f"variables, such as es.{name}(A[i, j]{', 0' * (function.arity - 1)})")
        exprs = [_as_expr(arg) for arg in args]
        tensors = {placeholder: t for e in exprs for placeholder, t in e.tensors.items()}
        return Expr(syn.Call(name, tuple(e.node for e in exprs)), tensors)

    def reduce_or_apply(*args: ExprLike | Tensor, over: Over | None = None) -> Expr | Result:
        if over is not None:  # `es.max(expr, over=k)` is the reduction max[k](expr)
            return _reduce(name, args, over)
        return apply(*args)

    # Only the functions that are also reductions take `over=`: `es.exp(x, over=k)` is a TypeError.
    call = reduce_or_apply if name in REDUCTIONS else apply
    call.__name__ = call.__qualname__ = name
    numpy_name = getattr(function.numpy, "__name__", name)
    call.__doc__ = _function_doc(name, function.arity, name if numpy_name.startswith("_") else numpy_name)
    return call


_EXAMPLE_SETUP = """    >>> import numpy as np
    >>> import einsparse as es
    >>> A = es.tensor(np.array([[1.0, 0.0], [0.0, 2.0]]), name="A")
    >>> i, j = es.indices("i j")
"""


def _function_doc(name: str, arity: int, numpy_name: str) -> str:
    """A statement function's docstring, in numpydoc form, with an example that runs."""
    rest = {1: "", 2: ", 0", 3: ", A[i, j], 0"}[arity]
    shown = {1: "", 2: ", 0", 3: ", A[i,j], 0"}[arity]
    reduces = name in REDUCTIONS
    over = ("\nover : IndexVar or tuple of IndexVar, optional\n    Makes it the reduction "
            f"``{name}[k](expr)`` of its one argument over these indices.") if reduces else ""
    tensor_note = (f" Given a `Tensor` instead, it applies elementwise as ``np.{numpy_name}`` does and "
                   f"returns the result." if arity == 1 else "")
    example = _EXAMPLE_SETUP + f"    >>> print(es.{name}(A[i, j]{rest}))\n    {name}(A[i,j]{shown})\n"
    if reduces:
        example += f"    >>> print(es.{name}(A[i, j], over=j))\n    {name}[j](A[i,j])\n"
    return (f"``{name}`` of the statement language, as an index expression.\n\n"
            f"Builds the tree the string form ``{name}(...)`` parses to (NumPy's ``{numpy_name}`` "
            f"elementwise), for assignments in index notation.{tensor_note}\n\n"
            f"Parameters\n----------\n*args : Expr, IndexVar or number\n    Its {arity} argument"
            f"{'s' if arity > 1 else ''}; at least one an index expression such as ``A[i, j]``.{over}\n\n"
            f"Returns\n-------\nExpr\n    The index expression.\n\n"
            f"Raises\n------\nStatementError\n    With other than {arity} argument{'s' if arity > 1 else ''}, "
            f"or none of them an index expression.\n\nExamples\n--------\n" + example.replace("\n    ", "\n")[4:])

def _reduce(name: str, args: tuple[object, ...], over: object) -> Expr:
    """The reduction `name[over](args[0])` as an index expression."""
    given = tuple(over) if isinstance(over, (tuple, list)) else (over,)
    indices = [v for v in given if isinstance(v, IndexVar)]
    if len(args) != 1 or not given or len(indices) != len(given):
        raise StatementError(f"es.{name}(expr, over=k) reduces one index expression over index variables, "
                             f"such as es.{name}(A[i, k], over=k)")
    expr = _as_expr(args[0])
    return Expr(syn.Reduce(name, tuple(syn.Index(v.name) for v in indices), expr.node), expr.tensors)


def _reduction(name: str) -> Callable[[ExprLike, Over | None], Expr]:
    def reduce(expr: ExprLike, over: Over | None = None) -> Expr:
        if over is None:  # a missing `over=` is a user's slip: say what it is, not Python's TypeError
            raise StatementError(f"es.{name}(expr, over=k) needs over=, the index variables it reduces over; "
                                 f"a tensor's {name} over axes is A.{name}(axis=...) or np.{name}(A)")
        return _reduce(name, (expr,), over)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (
        f"The reduction ``{name}[k](expr)`` of the statement language, as an index expression.\n\n"
        f"Parameters\n----------\nexpr : Expr\n    The index expression reduced.\n"
        f"over : IndexVar or tuple of IndexVar\n    The indices it is reduced over.\n\n"
        f"Returns\n-------\nExpr\n    The index expression.\n\n"
        f"Raises\n------\nStatementError\n    When `over` is missing, empty or holds something other than "
        f"index variables.\n\n"
        f"Examples\n--------\n" + (_EXAMPLE_SETUP + f"    >>> print(es.{name}(A[i, j], over=j))\n"
                                    f"    {name}[j](A[i,j])\n").replace("\n    ", "\n")[4:])
    return reduce


if TYPE_CHECKING:  # made by the loops below; declared for type checkers
    from einsparse.types import Over, Result

    class StatementFunction(Protocol):
        """`es.exp(A[i, j])`, `es.where(M[i, j], A[i, j], 0)`: an index expression; a one-input
        function given a tensor applies elementwise."""

        def __call__(self, *args: ExprLike | Tensor) -> Expr | Result: ...

    class ReducingFunction(Protocol):
        """`es.max(A[i, k], 0)` elementwise, `es.max(A[i, k], over=k)` the reduction max[k]."""

        def __call__(self, *args: ExprLike | Tensor, over: Over | None = None) -> Expr | Result: ...

    class Reduction(Protocol):
        """`es.sum(A[i, k], over=k)`: the reduction sum[k] as an index expression."""

        def __call__(self, expr: ExprLike, over: Over) -> Expr: ...

    def _declared() -> StatementFunction: ...

    def _declared_reduction() -> Reduction: ...

    def _declared_reducing() -> ReducingFunction: ...

    abs = sqrt = exp = expm1 = log = log1p = sin = cos = tan = tanh = sinh = arcsin = arctan = sigmoid = relu = \
        sign = floor = ceil = round = conj = real = imag = pow = where = power = _declared()
    max = min = maximum = minimum = _declared_reducing()
    sum = prod = any = all = argmin = argmax = _declared_reduction()

for _name in FUNCTIONS:
    globals()[_name] = _function(_name)
for _name in ("sum", "prod", "any", "all", "argmin", "argmax"):
    globals()[_name] = _reduction(_name)
maximum, minimum, power = globals()["max"], globals()["min"], globals()["pow"]

NAMES = (*FUNCTIONS, "maximum", "minimum", "power", "sum", "prod", "any", "all", "argmin", "argmax")
__all__ = list(NAMES)
