"""The value type of a statement's result, by NumPy's promotion rules.

Literals are Python numbers and promote weakly (`2.5 * float32` stays float32, as in NumPy); a division
of integers gives float64, as NumPy's true division does.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.functions import BY_NAME, OPERATORS, result_kind
from einsparse.compiler.reductions import BY_OP, REDUCTIONS


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
    if isinstance(expr, ir.TempRef):
        return _kind(expr.temp.expr, dtypes)
    if isinstance(expr, ir.Sum) and expr.op in ("or", "and"):
        return np.dtype(np.bool_)
    if isinstance(expr, ir.Sum) and BY_OP[expr.op].arg:
        return np.dtype(np.int64)  # a coordinate
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
    if isinstance(expr, ir.Call):
        return _call_kind(expr.name, [_kind(arg, dtypes) for arg in expr.args])
    raise TypeError(f"not an index-notation node: {expr!r}")


def _call_kind(name: str, kinds: list):
    """The result type of an operator, a literal-only call staying a weak Python number."""
    weak = [kind if isinstance(kind, np.dtype) else type(kind) for kind in kinds]
    kind = result_kind(name, weak)
    if not any(isinstance(k, np.dtype) for k in weak) and isinstance(kind, np.dtype):
        return {"b": bool, "i": int, "u": int, "f": float, "c": complex}[kind.kind](1)
    return kind


def type_error(expr: syn.Expr, dtypes: dict) -> "tuple[syn.Expr, str] | None":
    """The first operator applied to operands of types it does not take, and why; None when none.
    `and`, `or`, `not` and `where`'s condition take bool (a comparison, or a bool operand); max, min,
    comparisons, relu, sign, floor, ceil and round take no complex numbers, as NumPy orders none; any
    other operator takes what NumPy's function of the same name takes."""
    for child in syn.children(expr):
        found = type_error(child, dtypes)
        if found is not None:
            return found
    if isinstance(expr, syn.Reduce):
        return _reduction_type_error(expr, dtypes)
    called = syn.operator(expr)
    if called is None:
        return None
    function, args = BY_NAME[called[0]], called[1]
    kinds = [_numpy_type(arg, dtypes) for arg in args]
    types = [np.dtype(k) for k in kinds]
    spelled = {"and": "and (&)", "or": "or (|)", "not": "not (~)"}.get(function.name, function.name)
    if function.logical and any(t != np.bool_ for t in types):
        culprit = next(t for t in types if t != np.bool_)
        return expr, f"{spelled} takes bool operands, not {culprit}: compare first, as in A[i,j] > 0"
    if function.name == "where" and types[0] != np.bool_:
        return expr, f"the condition of where must be bool, not {types[0]}: compare first, as in A[i,j] > 0"
    if function.ordered and any(t.kind == "c" for t in types):
        return expr, f"{function.name} orders its operands, and complex numbers have no order"
    try:
        result_kind(function.name, kinds)
    except TypeError:
        return expr, f"{function.name} is not defined for {', '.join(map(str, types))} (nor in NumPy)"
    return None


def checked_rhs(statement: syn.Statement) -> syn.Expr:
    """The right side as the type checks see it: `C[i] min= e` is the reduction `min[...](e)`."""
    if statement.op in ("=", "+="):
        return statement.rhs
    return syn.Reduce(statement.op[:-1], (), statement.rhs, statement.rhs.span)


def _reduction_type_error(expr: syn.Reduce, dtypes: dict) -> "tuple[syn.Expr, str] | None":
    body = np.dtype(_numpy_type(expr.body, dtypes))
    reduction = REDUCTIONS[expr.name]
    if reduction.logical and body != np.bool_:
        return expr, f"{expr.name} reduces bool values, not {body}: compare first, as in {expr.name}[k](A[i,k] > 0)"
    if reduction.op in ("min", "max", "argmin", "argmax") and body.kind == "c":
        return expr, f"{expr.name} orders its values, and complex numbers have no order"
    return None


def early_wrap(expr: syn.Expr, dtypes: dict) -> "tuple[syn.Expr, np.dtype, str] | None":
    """The first subexpression whose value NumPy wraps in a narrow integer type before it is divided or
    promoted, with its type and what happens to it next; None when there is none.

    einsparse computes integer intermediates in 64 bits and wraps where a value is stored, which is
    NumPy's step-by-step wrapping exactly when every step shares the stored type (sums and products of
    integers are exact modulo 2^n). A narrow subexpression that is divided, mixed with floats or widened
    wraps first in NumPy (uint8 `(x - y)/4` divides the wrapped difference), so it is refused.
    """
    found = []

    def visit(node, parent_type, fate) -> None:
        if found or not isinstance(node, (syn.Neg, syn.BinOp, syn.Call, syn.Not, syn.Reduce)):
            return
        own = _numpy_type(node, dtypes)
        narrow = isinstance(own, np.dtype) and own.kind in "biu" and own.itemsize < 8
        # `and`, `not`, comparisons and functions see the wrapped value: only + - * commute with wrapping.
        ring = (isinstance(node, syn.Neg) or (isinstance(node, syn.BinOp) and node.op in "+-*")) and not (
            isinstance(node, syn.BinOp) and node.op == "**")
        if ring and narrow and (fate or (parent_type is not None and parent_type != own)):
            found.append((node, own, fate or f"used as {parent_type}"))
            return
        called = syn.operator(node)
        inner = ("divided" if isinstance(node, syn.BinOp) and node.op == "/"
                 else f"passed to {called[0]}" if called is not None else None)
        if isinstance(node, syn.Reduce):  # sums and products commute with wrapping; min and max do not
            inner = None if node.name in ("sum", "prod") else f"reduced by {node.name}"
        for child in syn.children(node):
            visit(child, own, inner)

    visit(expr, None, None)
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
    if isinstance(node, syn.Reduce):  # a reduction keeps its body's type (as einsum's sums do); any, all: bool
        body = _numpy_type(node.body, dtypes)
        if REDUCTIONS[node.name].arg:
            return np.dtype(np.int64)
        return np.dtype(np.bool_) if REDUCTIONS[node.name].logical else np.dtype(body)
    called = syn.operator(node)
    if called is not None:
        kinds = [_numpy_type(child, dtypes) for child in called[1]]
        try:
            return result_kind(called[0], kinds)
        except TypeError:  # reported by `type_error`
            return np.dtype(np.float64)
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
    if not isinstance(expr, syn.BinOp) or expr.op in OPERATORS:
        return next((found for child in syn.children(expr)
                     if (found := literal_overflow(child, dtypes)) is not None), None)
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
    if isinstance(node, syn.BinOp) and node.op in "+-*/":
        left, right = _literal_value(node.left), _literal_value(node.right)
        if left is None or right is None:
            return None
        if node.op == "/":
            return left / right if right else float("inf")
        return {"+": left + right, "-": left - right, "*": left * right}[node.op]
    return None
