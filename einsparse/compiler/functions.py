"""The operators of the language beyond + - * /: what each computes (a NumPy function, used to fold
constants, to decide result types and in the dense reference), how a kernel computes it (Numba source),
and what the algebra knows of it (annihilators, which decide what a loop may skip; see `lattice`).

Named functions are written `exp(x)`, `max(a, b)`, `where(c, a, b)`; infix operators (`**`, `%`,
comparisons, `and` `or` `not`, `&` `|` `~`) are the same operators under other spellings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    numpy: Callable          # the NumPy function of the same meaning, on arrays or scalars
    code: str                # Numba source, `{0}`, `{1}` ... standing for the arguments
    logical: bool = False    # takes bool operands only (and, or, not)
    ordered: bool = False    # compares values, so refuses complex ones
    # f(a, x) == a for every x, by argument position: False for `and`, True for `or`
    annihilators: tuple = ()


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu(x):
    return np.maximum(x, 0)


def _where(condition, a, b):
    return np.where(condition, a, b)


_UNARY_CODE = {"abs": "abs({0})", "sigmoid": "sigmoid({0})", "relu": "np.maximum({0}, 0)", "round": "np.rint({0})",
               "real": "({0}).real", "imag": "({0}).imag"}
_UNARY_NUMPY = {"abs": np.abs, "sigmoid": _sigmoid, "relu": _relu, "round": np.round, "real": np.real,
                "imag": np.imag}
_UNARY = ("abs", "sqrt", "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "sinh", "arcsin", "arctan",
          "sigmoid", "relu", "sign", "floor", "ceil", "round", "conj", "real", "imag")

FUNCTIONS: dict[str, Function] = {
    name: Function(name, 1, _UNARY_NUMPY.get(name) or getattr(np, name), _UNARY_CODE.get(name, f"np.{name}({{0}})"),
                   ordered=name in ("relu", "sign", "floor", "ceil", "round"))
    for name in _UNARY
}
FUNCTIONS.update({
    "max": Function("max", 2, np.maximum, "np.maximum({0}, {1})", ordered=True),
    "min": Function("min", 2, np.minimum, "np.minimum({0}, {1})", ordered=True),
    "pow": Function("pow", 2, np.power, "np.power({0}, {1})"),
    "where": Function("where", 3, _where, "({1} if {0} else {2})"),
})

# Infix operators, by the token that spells them: the function each is.
OPERATORS: dict[str, Function] = {
    "**": FUNCTIONS["pow"],
    "%": Function("mod", 2, np.mod, "np.mod({0}, {1})"),
    "<": Function("less", 2, np.less, "({0} < {1})", ordered=True),
    "<=": Function("less_equal", 2, np.less_equal, "({0} <= {1})", ordered=True),
    ">": Function("greater", 2, np.greater, "({0} > {1})", ordered=True),
    ">=": Function("greater_equal", 2, np.greater_equal, "({0} >= {1})", ordered=True),
    "==": Function("equal", 2, np.equal, "({0} == {1})"),
    "!=": Function("not_equal", 2, np.not_equal, "({0} != {1})"),
    "and": Function("and", 2, np.logical_and, "({0} & {1})", logical=True, annihilators=(False, False)),
    "or": Function("or", 2, np.logical_or, "({0} | {1})", logical=True, annihilators=(True, True)),
    "not": Function("not", 1, np.logical_not, "(not {0})", logical=True),
}
OPERATORS["&"], OPERATORS["|"], OPERATORS["~"] = OPERATORS["and"], OPERATORS["or"], OPERATORS["not"]

# Every operator by its own name (the names index notation and the reference use).
BY_NAME: dict[str, Function] = {**FUNCTIONS, **{f.name: f for f in OPERATORS.values()}}


def known_functions() -> str:
    """The function names a statement may call, for messages."""
    return ", ".join(FUNCTIONS)


def apply(name: str, values: list):
    """The operator applied to constant `values` as NumPy computes it (in float64 or the values' own
    types), warnings about inf and nan silenced: folding `1/0` to inf is the point."""
    with np.errstate(all="ignore"):
        result = BY_NAME[name].numpy(*values)
    return result.item() if isinstance(result, np.ndarray | np.generic) else result


def result_kind(name: str, kinds: list):
    """NumPy's result type of the operator on operands of `kinds` (dtypes, or Python number types for
    literals, which promote weakly), as a dtype; raises TypeError where NumPy has no loop for them."""
    args = [np.ones(1, kind) if isinstance(kind, np.dtype) else kind(1) for kind in kinds]
    with np.errstate(all="ignore"):
        result = BY_NAME[name].numpy(*args)
    if isinstance(result, np.ndarray | np.generic):
        return np.dtype(result.dtype)
    return type(result)
