"""Reductions other than the sum: what `min[k](...)`, `any[j](...)` and `C[i] min= ...` combine with.

A reduction is a binary operator folded over an index: `sum` is `+`, `prod` is `*`, `min`/`max` are
NumPy's minimum/maximum (nan propagates), `any`/`all` are `or`/`and` of bools. Its *identity* is the
value that changes nothing (0, 1, +inf, -inf, False, True): a workspace starts there, and an absent
entry whose value there is the identity may be skipped (DESIGN §9). `argmin`/`argmax` keep the running
min/max beside the coordinate where it was first reached, and give that coordinate (an int64, 0 when
every value is the identity, as NumPy's argmin of a row of +inf is 0); their loop must visit the
coordinates in increasing order, which every level kind does. The operator names are those of
`functions` and of the fill algebra (`fills.apply_op`), so a background is reduced as NumPy reduces it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reduction:
    name: str          # as written in a statement: sum prod min max any all
    op: str            # the binary operator folded: add multiply min max or and
    identity: object   # the value that changes nothing, as a Python constant (typed by `typed_identity`)
    idempotent: bool   # reducing one value repeatedly gives that value back (min, max, any, all)
    logical: bool      # takes bool values only (any, all)
    code: str          # Numba source of one step, `{0}` the running value and `{1}` the next term
    arg: bool = False  # gives the coordinate of the best value (argmin, argmax), not the value

    @property
    def untouched(self):
        """What a reduction of nothing reads as: its identity, or coordinate 0 for argmin/argmax."""
        return 0 if self.arg else self.identity


REDUCTIONS: dict[str, Reduction] = {r.name: r for r in (
    Reduction("sum", "add", 0, False, False, "sum_add({0}, {1})"),
    Reduction("prod", "multiply", 1, False, False, "({0} * ({1}))"),
    Reduction("min", "min", math.inf, True, False, "np.minimum({0}, {1})"),
    Reduction("max", "max", -math.inf, True, False, "np.maximum({0}, {1})"),
    Reduction("any", "or", False, True, True, "({0} | ({1}))"),
    Reduction("all", "and", True, True, True, "({0} & ({1}))"),
    # A better value replaces the running one; nan is better than any number, the first nan is kept.
    Reduction("argmin", "argmin", math.inf, False, False, "({1} < {0} or ({1} != {1} and {0} == {0}))", arg=True),
    Reduction("argmax", "argmax", -math.inf, False, False, "({1} > {0} or ({1} != {1} and {0} == {0}))", arg=True),
)}
BY_OP: dict[str, Reduction] = {r.op: r for r in REDUCTIONS.values()}


def known_reductions() -> str:
    return ", ".join(REDUCTIONS)


def typed_identity(op: str, dtype: np.dtype):
    """The identity of reduction `op` as a value of `dtype`: min's is +inf for floats and the largest
    integer for integers, True for bool (min of bools is `all`)."""
    dtype = np.dtype(dtype)
    identity = BY_OP[op].identity
    op = {"argmin": "min", "argmax": "max"}.get(op, op)
    if op in ("min", "max") and dtype.kind in "iub":
        if dtype.kind == "b":
            return np.bool_(op == "min")
        info = np.iinfo(dtype)
        return dtype.type(info.max if op == "min" else info.min)
    if op in ("min", "max") and dtype.kind == "c":
        return dtype.type(complex(identity, 0))
    return dtype.type(identity)
