"""The value type of a statement's result, by NumPy's promotion rules.

Literals are Python numbers and promote weakly (`2.5 * float32` stays float32, as in NumPy); a division
of integers gives float64, as NumPy's true division does.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import index_ir as ir


def result_dtype(expr: ir.Expr, dtypes: dict) -> np.dtype:
    kind = _kind(expr, dtypes)
    return np.result_type(kind)


def _kind(expr: ir.Expr, dtypes: dict):
    if isinstance(expr, ir.Access):
        return dtypes[expr.tensor]
    if isinstance(expr, ir.Literal):
        return expr.value
    if isinstance(expr, ir.IndexValue):
        return np.dtype(np.int64)  # a coordinate array, as np.arange gives: not a weak Python number
    if isinstance(expr, (ir.Neg, ir.Sum)):
        return _kind(expr.operand if isinstance(expr, ir.Neg) else expr.body, dtypes)
    if isinstance(expr, ir.Recip):
        inner = _kind(expr.operand, dtypes)
        if isinstance(inner, (int, float)):
            return 1.0 / inner if inner else 1.0
        return np.dtype(np.float64) if np.dtype(inner).kind in "biu" else np.dtype(inner)
    if isinstance(expr, (ir.Add, ir.Mul)):
        parts = expr.terms if isinstance(expr, ir.Add) else expr.factors
        return np.result_type(*(_kind(p, dtypes) for p in parts))
    raise TypeError(f"not an index-notation node: {expr!r}")
