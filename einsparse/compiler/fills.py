"""The algebra of fill values: what an expression is where its operands hold their fills.

A tensor is its stored entries plus one fill for every other entry. Where every operand an expression
reads is absent, the expression is a constant, its *background*, computed here from the fills as NumPy
computes it (IEEE: `0*inf` is nan, `1/0` is inf). A dense operand has no background (VARIES).

One rule is structural rather than IEEE: a background of 0 annihilates a product whatever the other
factor stores, (`0*x` is 0 even where x stores inf or nan, or divides by a stored 0), as scipy.sparse,
GraphBLAS and TACO compute; so do `False and x`, `True or x`, `max(inf, x)`, `min(-inf, x)` and
`inf + x` (an absent entry of a min-plus operand whose fill is inf stays inf: GraphBLAS's rule). A fill
of inf or nan, or a literal one, is exact: `0*inf` of two fills is nan, and the loop visits what it must.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from einsparse.compiler.functions import BY_NAME, apply
from einsparse.compiler.reductions import BY_OP


class _Varies:
    """The background of an expression that reads dense values: not one constant. Values computed
    from stored values are taken as finite (the structural rule); `specials` are the infinities and
    nan it may take because a constant inf or nan went into it (`x + inf` of a dense x and a fill)."""

    def __init__(self, specials=frozenset()):
        self.specials = frozenset(specials)

    @property
    def finite(self) -> bool:
        return not self.specials

    def __repr__(self) -> str:
        return "VARIES" if self.finite else f"VARIES({', '.join(sorted(map(repr, self.specials)))})"


NAN = math.nan  # the one nan in sets of specials (nan != nan, but a set finds the same object)
VARIES = _Varies()
VARIES_NOT_FINITE = _Varies({math.inf, -math.inf, NAN})
# Stand-ins for stored values, which the structural rule takes as finite: 0 among them (0*inf is nan).
SAMPLES = (-2.5, -1.0, 0.0, 1.0, 2.5)


def varying(found=frozenset()) -> _Varies:
    """A varying value that may take the specials `found` (infinities, nan) besides finite values."""
    return _Varies(found)


def varies(v) -> bool:
    return isinstance(v, _Varies)

# The values that decide an operator whatever the other operands are (see the module's note):
# `0*x`, `False and x`, `True or x`, `max(inf, x)`, `min(-inf, x)`, `inf + x`.
ANNIHILATORS = {"multiply": (0,), "and": (False,), "or": (True,), "max": (math.inf,), "min": (-math.inf,),
                "add": (math.inf, -math.inf)}


def annihilates(name: str, v) -> bool:
    """Whether constant `v` decides operator `name` (given finite other operands)."""
    return any(same(v, a) for a in ANNIHILATORS.get(name, ()))


_ARITHMETIC = {"add": np.add, "multiply": np.multiply, "negative": np.negative,
               "reciprocal": lambda x: np.true_divide(1, x)}


def value(fill: Any) -> Any:
    """A fill as a Python number (NumPy scalars compare and print as their Python values)."""
    return fill.item() if isinstance(fill, np.generic) else fill


def same(a, b) -> bool:
    """Whether two backgrounds are the same constant (0, 0.0 and False are; nan is nan)."""
    if varies(a) or varies(b):
        return False
    return bool(a == b) or (a != a and b != b)


def apply_op(name: str, values: list):
    """The operator `name` (an arithmetic step, or an operator of `functions`) on backgrounds."""
    if (name == "where" and len(values) == 3 and not any(varies(v) for v in values[1:])
            and same(values[1], values[2])):
        return values[1]  # whichever branch is taken
    if any(varies(v) for v in values):
        for k, killer in enumerate(values):
            if (not varies(killer) and annihilates(name, killer)
                    and all(kills(name, killer, v) for m, v in enumerate(values) if m != k)):
                constants = [v for v in values if not varies(v)]
                return _zero_like(constants) if name == "multiply" else killer
        return _Varies(combined_specials(name, [stand_in(v) for v in values]))
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


def specials(v) -> frozenset:
    """The infinities and nan a background may be."""
    if varies(v):
        return v.specials
    return frozenset({NAN if v != v else v}) if not_finite(v) else frozenset()


def stand_in(v):
    """A constant as itself; a varying value as the finite samples and its specials."""
    return v if not varies(v) else _Varies(v.specials)


def _options(v) -> tuple:
    return (v,) if not varies(v) else (*SAMPLES, *v.specials)


def kills(name: str, killer, other) -> bool:
    """Whether the constant `killer` decides operator `name` whatever value `other` takes: `inf + x`
    for x finite or inf, not -inf; `0*x` for x finite only."""
    return all(same(_exactly(name, [killer, v]), killer) for v in _options(other))


def combined_specials(name: str, values: list) -> frozenset:
    """The infinities and nan operator `name` may give on `values` (constants, or varying values with
    their specials) where a constant special goes in: what stored values alone give is finite by the
    structural rule. Computed by NumPy on the samples: `inf * 0` is nan, `exp(-inf)` is 0."""
    if not any(specials(v) for v in values):
        return frozenset()
    found = set()
    for combo in itertools.product(*(_options(v) for v in values)):
        if any(not_finite(x) for x in combo):
            result = _exactly(name, list(combo))
            found |= specials(result) if not varies(result) else VARIES_NOT_FINITE.specials
    return frozenset(found)


def not_finite(v) -> bool:
    """Whether a background is inf or nan, or a varying value that may be."""
    if varies(v):
        return not v.finite
    return isinstance(v, (float, complex)) and not np.isfinite(v)


def _zero_like(values: list):
    """The 0 a product annihilated by 0 is: a float 0 if any factor is a float."""
    return 0.0 if any(isinstance(v, float) for v in values) else 0


def reduced(op: str, background):
    """The background of a reduction with operator `op` (`reductions`) of terms whose background is
    `background`: the identity stays the identity (a sum of zeros), min/max/any/all of one constant is
    that constant; anything else depends on the extent."""
    reduction = BY_OP[op]
    if reduction.arg:  # the coordinate of the first best value: 0 when every term is the same constant
        return _Varies() if varies(background) else 0
    if same(background, reduction.identity) or (reduction.idempotent and not varies(background)):
        return background
    return _Varies(reduced_specials(op, specials(background)))


def reduced_specials(op: str, found: frozenset) -> frozenset:
    """The specials a reduction of terms that may be `found` may give (`inf + -inf` is nan)."""
    if BY_OP[op].arg:
        return frozenset()  # a coordinate
    return found | combined_specials(op, [_Varies(found), _Varies(found)]) if found else found


def literal_text(v) -> str:
    """A constant as kernel source: inf and nan as NumPy's names."""
    if isinstance(v, float) and not math.isfinite(v):
        return "np.nan" if v != v else ("np.inf" if v > 0 else "(-np.inf)")
    if isinstance(v, complex) and not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return f"complex({literal_text(v.real)}, {literal_text(v.imag)})"
    return repr(v)
