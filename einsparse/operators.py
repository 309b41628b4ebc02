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
from typing import TYPE_CHECKING, Any, Protocol

from einsparse.compiler import syntax as syn
from einsparse.compiler.functions import FUNCTIONS
from einsparse.compiler.reductions import REDUCTIONS
from einsparse.errors import StatementError
from einsparse.notation import Expr, IndexVar, _as_expr
from einsparse.runtime.tensor import Tensor

def _function(name: str):
    function = FUNCTIONS[name]

    def call(*args, over=None):
        if over is not None and name in REDUCTIONS:  # `es.max(expr, over=k)` is the reduction max[k](expr)
            return _reduce(name, args, over)
        if len(args) != function.arity:
            raise StatementError(f"{name} takes {function.arity} argument{'s' if function.arity > 1 else ''}, "
                                 f"not {len(args)}")
        if function.arity == 1 and isinstance(args[0], Tensor):
            return function.numpy(args[0])
        if not builtins.any(isinstance(arg, (Expr, IndexVar)) for arg in args):
            raise StatementError(f"es.{name} builds index expressions: pass tensors indexed with index "
                                 f"variables, such as es.{name}(A[i, j]{', 0' * (function.arity - 1)})")
        exprs = [_as_expr(arg) for arg in args]
        tensors = {placeholder: t for e in exprs for placeholder, t in e.tensors.items()}
        return Expr(syn.Call(name, tuple(e.node for e in exprs)), tensors)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = (f"`{name}` of the statement language on index expressions "
                    f"(NumPy's {getattr(function.numpy, '__name__', name)} elementwise).")
    return call

def _reduce(name: str, args: tuple, over):
    """The reduction `name[over](args[0])` as an index expression."""
    indices = tuple(over) if isinstance(over, (tuple, list)) else (over,)
    if len(args) != 1 or not indices or not builtins.all(isinstance(v, IndexVar) for v in indices):
        raise StatementError(f"es.{name}(expr, over=k) reduces one index expression over index variables, "
                             f"such as es.{name}(A[i, k], over=k)")
    expr = _as_expr(args[0])
    return Expr(syn.Reduce(name, tuple(syn.Index(v.name) for v in indices), expr.node), expr.tensors)


def _reduction(name: str):
    def reduce(expr, over):
        return _reduce(name, (expr,), over)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = f"The reduction {name}[...](expr) of the statement language: es.{name}(A[i, k], over=k)."
    return reduce


if TYPE_CHECKING:  # made by the loops below; declared for type checkers
    from einsparse.types import Result

    class StatementFunction(Protocol):
        """`es.exp(A[i, j])`, `es.max(A[i, k], 0)`, `es.min(expr, over=k)`: an index expression; a
        one-input function given a tensor applies elementwise."""

        def __call__(self, *args: Any, over: Any = None) -> Expr | Result: ...

    def _declared() -> StatementFunction: ...

    abs = sqrt = exp = expm1 = log = log1p = sin = cos = tan = tanh = sinh = arcsin = arctan = sigmoid = relu = \
        sign = floor = ceil = round = conj = real = imag = max = min = pow = where = maximum = minimum = power = \
        sum = prod = any = all = argmin = argmax = _declared()

for _name in FUNCTIONS:
    globals()[_name] = _function(_name)
for _name in ("sum", "prod", "any", "all", "argmin", "argmax"):
    globals()[_name] = _reduction(_name)
maximum, minimum, power = globals()["max"], globals()["min"], globals()["pow"]

NAMES = (*FUNCTIONS, "maximum", "minimum", "power", "sum", "prod", "any", "all", "argmin", "argmax")
__all__ = list(NAMES)
