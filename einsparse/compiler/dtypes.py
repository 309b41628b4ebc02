"""The value type of a statement's result, by NumPy's promotion rules.

Literals are Python numbers and promote weakly (`2.5 * float32` stays float32, as in NumPy); a division
of integers gives float64, as NumPy's true division does.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn


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


def early_wrap(expr: syn.Expr, dtypes: dict) -> "tuple[syn.Expr, np.dtype, str] | None":
    """The first subexpression whose value NumPy wraps in a narrow integer type before it is divided or
    promoted, with its type and what happens to it next; None when there is none.

    einsparse computes integer intermediates in 64 bits and wraps where a value is stored, which is
    NumPy's step-by-step wrapping exactly when every step shares the stored type (sums and products of
    integers are exact modulo 2^n). A narrow subexpression that is divided, mixed with floats or widened
    wraps first in NumPy (uint8 `(x - y)/4` divides the wrapped difference), so it is refused.
    """
    found = []

    def visit(node, parent_type, divided: bool) -> None:
        if found or not isinstance(node, (syn.Neg, syn.BinOp)):
            return
        own = _numpy_type(node, dtypes)
        narrow = isinstance(own, np.dtype) and own.kind in "biu" and own.itemsize < 8
        if narrow and (divided or (parent_type is not None and parent_type != own)):
            found.append((node, own, "divided" if divided else f"used as {parent_type}"))
            return
        if isinstance(node, syn.Neg):
            visit(node.operand, own, False)
        else:
            visit(node.left, own, node.op == "/")
            visit(node.right, own, node.op == "/")

    visit(expr, None, False)
    return found[0] if found else None


def _numpy_type(node: syn.Expr, dtypes: dict):
    """NumPy's type of a subexpression (a dtype), or a Python number's type for literal-only parts."""
    if isinstance(node, syn.Number):
        return type(node.value)
    if isinstance(node, syn.Access):
        return np.dtype(dtypes[node.name])
    if isinstance(node, syn.IndexValue):
        return np.dtype(np.int64)
    if isinstance(node, syn.Neg):
        return _numpy_type(node.operand, dtypes)
    left, right = _numpy_type(node.left, dtypes), _numpy_type(node.right, dtypes)
    if not isinstance(left, np.dtype) and not isinstance(right, np.dtype):
        return float if node.op == "/" or float in (left, right) else int
    if node.op == "/":
        return np.result_type(np.true_divide(_one(left), _one(right)))
    return np.result_type(_one(left), _one(right))


def _one(kind):
    """A stand-in NumPy promotes as it promotes the value: an array for a dtype, a Python number (weak)
    for a literal."""
    return np.ones(1, kind) if isinstance(kind, np.dtype) else kind(1)


def literal_overflow(expr: syn.Expr, dtypes: dict) -> "tuple[syn.Expr, int, np.dtype] | None":
    """The first integer literal that does not fit the integer type it meets (uint8 `x[i]*-2`), which
    NumPy refuses (a Python integer out of bounds), with its value and that type; None when none."""
    if not isinstance(expr, syn.BinOp):
        return literal_overflow(expr.operand, dtypes) if isinstance(expr, syn.Neg) else None
    for literal, other in ((expr.left, expr.right), (expr.right, expr.left)):
        value = _literal_value(literal)
        kind = _numpy_type(other, dtypes)
        if (type(value) is int and isinstance(kind, np.dtype) and kind.kind in "iu"
                and not np.iinfo(kind).min <= value <= np.iinfo(kind).max):
            return literal, value, kind
    return literal_overflow(expr.left, dtypes) or literal_overflow(expr.right, dtypes)


def _literal_value(node: syn.Expr):
    """The Python value of a part made of numbers only, else None."""
    if isinstance(node, syn.Number):
        return node.value
    if isinstance(node, syn.Neg):
        inner = _literal_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, syn.BinOp):
        left, right = _literal_value(node.left), _literal_value(node.right)
        if left is None or right is None:
            return None
        if node.op == "/":
            return left / right if right else float("inf")
        return {"+": left + right, "-": left - right, "*": left * right}[node.op]
    return None
