"""The algebra of fill values: what an expression is where its operands hold their fills.

A tensor is its stored entries plus one fill for every other entry. Where every operand an expression
reads is absent, the expression is a constant, its *background*, computed here from the fills as NumPy
computes it (IEEE: `0*inf` is nan, `1/0` is inf). A dense operand has no background (VARIES).

One rule is structural rather than IEEE: a background of 0 annihilates a product whatever the other
factor stores, (`0*x` is 0 even where x stores inf or nan, or divides by a stored 0), as scipy.sparse,
GraphBLAS and TACO compute; so do `False and x`, `True or x`, `max(inf, x)` and `min(-inf, x)`. A fill
of inf or nan, or a literal one, is exact: `0*inf` of two fills is nan, and the loop visits what it must.
"""

from __future__ import annotations

import math

import numpy as np

from einsparse.compiler.functions import BY_NAME, apply


class _Varies:
    """The background of an expression that reads dense values: not one constant. Values computed
    from stored values are taken as finite (the structural rule), unless a constant inf or nan went
    into them (`x + inf` of a dense x and a fill): `finite` says which."""

    def __init__(self, finite: bool):
        self.finite = finite

    def __repr__(self) -> str:
        return "VARIES" if self.finite else "VARIES_NOT_FINITE"


VARIES = _Varies(True)
VARIES_NOT_FINITE = _Varies(False)


def varies(v) -> bool:
    return isinstance(v, _Varies)

# The value that decides an operator whatever the other operands are (see the module's note).
ANNIHILATORS = {"multiply": 0, "and": False, "or": True, "max": math.inf, "min": -math.inf}

_ARITHMETIC = {"add": np.add, "multiply": np.multiply, "negative": np.negative,
               "reciprocal": lambda x: np.true_divide(1, x)}


def value(fill):
    """A fill as a Python number (NumPy scalars compare and print as their Python values)."""
    return fill.item() if isinstance(fill, np.generic) else fill


def same(a, b) -> bool:
    """Whether two backgrounds are the same constant (0, 0.0 and False are; nan is nan)."""
    if varies(a) or varies(b):
        return False
    return bool(a == b) or (a != a and b != b)


def apply_op(name: str, values: list):
    """The operator `name` (an arithmetic step, or an operator of `functions`) on backgrounds."""
    if any(varies(v) for v in values):
        constants = [v for v in values if not varies(v)]
        finite = all(v.finite for v in values if varies(v)) and not any(map(not_finite, constants))
        annihilator = ANNIHILATORS.get(name)
        # A value that may be nan is annihilated by nothing but logic (np.maximum(nan, inf) is nan).
        if (annihilator is not None and any(same(v, annihilator) for v in constants)
                and (finite or name in ("and", "or"))):
            return _zero_like(constants) if name == "multiply" else annihilator
        return VARIES if finite else VARIES_NOT_FINITE
    result = _exactly(name, values)
    # A default fill is a 0 of the operand's type, unknown until the kernel runs: where an integer 0
    # and a float 0.0 give different results (`0 % 0` is 0, `0.0 % 0.0` nan), there is no constant.
    if any(type(v) is int and v == 0 for v in values):
        other = _exactly(name, [0.0 if type(v) is int and v == 0 else v for v in values])
        if not same(result, other):
            return VARIES_NOT_FINITE
    return result


def _exactly(name: str, values: list):
    try:
        if name in _ARITHMETIC:
            with np.errstate(all="ignore"):
                return value(_ARITHMETIC[name](*values))
        return apply(name, values) if name in BY_NAME else VARIES_NOT_FINITE
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):  # refused by the statement's types
        return VARIES_NOT_FINITE


def not_finite(v) -> bool:
    """Whether a background is inf or nan, or a varying value that may be."""
    if varies(v):
        return not v.finite
    return isinstance(v, (float, complex)) and not np.isfinite(v)


def _zero_like(values: list):
    """The 0 a product annihilated by 0 is: a float 0 if any factor is a float."""
    return 0.0 if any(isinstance(v, float) for v in values) else 0


def literal_text(v) -> str:
    """A constant as kernel source: inf and nan as NumPy's names."""
    if isinstance(v, float) and not math.isfinite(v):
        return "np.nan" if v != v else ("np.inf" if v > 0 else "(-np.inf)")
    if isinstance(v, complex) and not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return f"complex({literal_text(v.real)}, {literal_text(v.imag)})"
    return repr(v)
