"""A dense NumPy reference for a statement, independent of einsparse's compiler (only its parser and
the NumPy functions its operators name).

The meaning of a statement, computed the slow obvious way: expand the right side into a sum of
products, reduce each product over its indices that are not on the left with `np.einsum`, broadcast it
over the output indices it lacks, and add the products up. Division is multiplication by the reciprocal
of a single operand or number. An operator other than + - * / (`exp`, `max`, `<`, `and`, `where`) is an
opaque factor: its arguments are computed first, each summed over what nothing outside it uses (no
other argument, no sibling factor, not the output), then the operator is applied elementwise with
NumPy's function of that name, and it sums what its arguments share and nothing outside uses.
`einsparse check` compares compiled kernels with this.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import syntax as syn
from einsparse.compiler.functions import BY_NAME
from einsparse.compiler.reductions import REDUCTIONS
from einsparse.compiler.parse import parse

# a product: (coefficient, [(tensor, indices, reciprocal?), ...])
_INDEX = "#"  # an index used as a value is the tensor "#i": no tensor's name starts with '#'
_CALL = "@"   # an operator's value is the tensor "@k", the k-th operator met

Product = tuple[complex, list[tuple[str, tuple[str, ...], bool]]]


def products(node: syn.Expr, outer: frozenset = frozenset(), calls: "list | None" = None) -> list[Product]:
    """The right side `node` as a sum of products; `outer`: the indices used outside `node`. Each
    operator other than + - * / becomes a factor "@k", and (node, its indices) goes to `calls[k]`."""
    if isinstance(node, syn.Number):
        return [(node.value, [])]
    if isinstance(node, syn.Access):
        return [(1, [(node.name, tuple(i.name for i in node.indices), False)])]
    if isinstance(node, syn.IndexValue):  # the vector of its coordinates, 0, 1, ... (see `dense_reference`)
        return [(1, [(_INDEX + node.name, (node.name,), False)])]
    if isinstance(node, syn.Neg):
        return [(-c, f) for c, f in products(node.operand, outer, calls)]
    if syn.operator(node) is not None or isinstance(node, syn.Reduce):
        if calls is None:
            raise ValueError("the reference needs a list for the operators' factors")
        kept = tuple(dict.fromkeys(i for i in syn.index_uses(node) if i in outer))
        calls.append((node, outer))
        return [(1, [(f"{_CALL}{len(calls) - 1}", kept, False)])]
    left_uses, right_uses = frozenset(syn.index_uses(node.left)), frozenset(syn.index_uses(node.right))
    if node.op in "+-":
        left, right = products(node.left, outer, calls), products(node.right, outer, calls)
    else:
        left = products(node.left, outer | right_uses, calls)
        right = products(node.right, outer | left_uses | (right_uses if node.op == "/" else frozenset()), calls)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left + [(-c, f) for c, f in right]
    if node.op == "*":
        return [(c1 * c2, f1 + f2) for c1, f1 in left for c2, f2 in right]
    if node.op == "/":
        if len(right) != 1:
            raise ValueError("the reference divides only by a number or a single operand")
        (coefficient, factors), = right
        inverted = [(name, indices, not recip) for name, indices, recip in factors]
        return [(c / coefficient, f + inverted) for c, f in left]
    raise ValueError(f"unknown node {node!r}")


def divisors(statement: "str | syn.Statement") -> set[str]:
    """The operands the statement divides by (they must not hold zeros)."""
    tree = parse(statement) if isinstance(statement, str) else statement
    out = frozenset(i.name for i in tree.output.indices)
    return {name for _, factors in products(tree.rhs, out, []) for name, _, recip in factors if recip}


def dense_reference(statement: "str | syn.Statement", operands: dict, output=None, shape=None) -> np.ndarray:
    """The dense result of `statement` on dense `operands` (NumPy arrays or numbers); `output` holds
    the old values for `+=`; it or `shape` gives extents of output indices that no operand has. An
    index used as a value is the vector of its coordinates."""
    tree = parse(statement) if isinstance(statement, str) else statement
    out = [i.name for i in tree.output.indices]
    if tree.op not in ("=", "+="):  # `C[i] min= e` is `C[i] = min[...](e)` over what C does not index
        reduced = tuple(dict.fromkeys(i for i in syn.index_uses(tree.rhs) if i not in out))
        rhs = syn.Reduce(tree.op[:-1], tuple(syn.Index(i) for i in reduced), tree.rhs) if reduced else tree.rhs
        tree = syn.Statement(tree.output, "=", rhs, tree.text)
    calls: list = []
    terms = products(tree.rhs, frozenset(out), calls)
    arrays = {name: np.asarray(value) for name, value in operands.items()}
    extents: dict[str, int] = {}
    for access in syn.accesses(tree.rhs):
        if access.name in arrays:
            extents.update(zip((i.name for i in access.indices), arrays[access.name].shape))
    if output is not None or shape is not None:
        extents.update(zip(out, np.shape(output) if output is not None else shape))
    for value in syn.index_values(tree.rhs):
        arrays[_INDEX + value.name] = np.arange(extents[value.name])
    # Integers without division or operators are summed in int64, exact modulo 2^64 as NumPy's wrapping
    # is; anything else in float64 (or complex128).
    exact = (all(a.dtype.kind in "biu" for a in arrays.values()) and not calls
             and all(isinstance(c, int) and not any(recip for _, _, recip in f) for c, f in terms))
    dtype = np.dtype(np.int64) if exact else np.result_type(*[a.dtype for a in arrays.values()], np.float64)
    if _nothing_summed(tree.rhs, frozenset(out)):
        # Nothing is summed but by explicit reductions: computed as written, elementwise, so that inf
        # and nan meet as NumPy meets them (expanding a*(b + c) into a*b + a*c would make
        # inf*(-1 + inf) nan).
        with np.errstate(all="ignore"):
            total = np.broadcast_to(_direct(tree.rhs, out, arrays, extents, dtype), tuple(extents[i] for i in out))
    else:
        total = _evaluate(terms, out, arrays, extents, dtype, calls)
    if output is not None:
        total = total + np.asarray(output)
    return total


def _evaluate(terms: list[Product], out: list[str], arrays: dict, extents: dict, dtype, calls: list) -> np.ndarray:
    """The sum of `terms`, each reduced to the indices `out` (in that order) and broadcast over them."""
    shape = tuple(extents[i] for i in out)
    total = np.zeros(shape, dtype)
    for coefficient, factors in terms:
        for name, _, _ in factors:
            if name.startswith(_CALL) and name not in arrays:
                node, outer = calls[int(name[1:])]
                arrays[name] = _call(node, outer, arrays, extents, dtype, calls)
        used = sorted({i for _, indices, _ in factors for i in indices} | set(out))
        letter = {name: chr(ord("a") + k) if k < 26 else chr(ord("A") + k - 26) for k, name in enumerate(used)}
        kept = [i for i in out if any(i in indices for _, indices, _ in factors)]
        with np.errstate(divide="ignore", invalid="ignore"):
            inputs = [1 / arrays[name].astype(dtype) if recip else arrays[name].astype(dtype, copy=False)
                      for name, _, recip in factors]
        if factors:
            spec = ",".join("".join(letter[i] for i in indices) for _, indices, _ in factors)
            value = np.einsum(f"{spec}->{''.join(letter[i] for i in kept)}", *inputs)
        else:
            value = np.asarray(1.0)
        total = total + coefficient * value.reshape([extents[i] if i in kept else 1 for i in out])
    return total


def _reduce(node: syn.Reduce, outer: frozenset, arrays: dict, extents: dict, dtype, calls: list) -> np.ndarray:
    """A reduction's value over its indices that `outer` uses: its body over those and the reduced
    indices (summing what else the body alone uses), then NumPy's reduce of the operator over these."""
    reduction = REDUCTIONS[node.name]
    reduced = [index.name for index in node.indices]
    own = frozenset(syn.index_uses(node.body)) & (outer | frozenset(reduced))
    order = [i for i in dict.fromkeys(syn.index_uses(node.body)) if i in own]
    value = _evaluate(products(node.body, own, calls), order, arrays, extents, dtype, calls)
    return _reduced(reduction, value, tuple(k for k, i in enumerate(order) if i in reduced), dtype)


def _reduced(reduction, value: np.ndarray, axes: tuple, dtype) -> np.ndarray:
    """NumPy's reduce of `reduction` over `axes` (argmin/argmax: the first best coordinate, nan first)."""
    if reduction.logical:
        value = value.astype(bool)
    if reduction.arg:
        return getattr(np, reduction.name)(value, axis=axes[0]).astype(dtype)
    ufunc = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum,
             "or": np.logical_or, "and": np.logical_and}[reduction.op]
    with np.errstate(all="ignore"):
        result = ufunc.reduce(value, axis=axes, initial=reduction.identity) if axes else value
    return np.asarray(result).astype(dtype)


def _call(node: syn.Expr, outer: frozenset, arrays: dict, extents: dict, dtype, calls: list) -> np.ndarray:
    """An operator's value over its indices that `outer` uses (in order of first use), its arguments
    computed first and what they share summed after it is applied."""
    if isinstance(node, syn.Reduce):
        return _reduce(node, outer, arrays, extents, dtype, calls)
    name, args = syn.operator(node)
    function = BY_NAME[name]
    uses = [frozenset(syn.index_uses(arg)) for arg in args]
    # What each argument keeps: the rest of its indices it sums itself.
    owns = [uses[k] & (outer | frozenset().union(*(u for m, u in enumerate(uses) if m != k)))
            for k in range(len(args))]
    inner = [i for i in dict.fromkeys(syn.index_uses(node)) if any(i in own for own in owns)]
    values = []
    for arg, own in zip(args, owns):
        kept = [i for i in inner if i in own]
        value = _evaluate(products(arg, own, calls), kept, arrays, extents, dtype, calls)
        values.append(value.reshape([extents[i] if i in own else 1 for i in inner]))
    if function.logical or function.name == "where":
        values = [v.astype(bool) if k == 0 or function.logical else v for k, v in enumerate(values)]
    with np.errstate(all="ignore"):
        result = np.asarray(function.numpy(*values)).astype(dtype)
    result = np.broadcast_to(result, tuple(extents[i] for i in inner))
    summed = tuple(k for k, i in enumerate(inner) if i not in outer)
    return result.sum(axis=summed) if summed else result


def _nothing_summed(node: syn.Expr, bound: frozenset) -> bool:
    """Whether every index `node` uses is an output index or one an enclosing reduction binds."""
    if isinstance(node, syn.Access):
        return all(i.name in bound for i in node.indices)
    if isinstance(node, syn.IndexValue):
        return node.name in bound
    if isinstance(node, syn.Reduce):
        return _nothing_summed(node.body, bound | {i.name for i in node.indices})
    return all(_nothing_summed(child, bound) for child in syn.children(node))


def _direct(node: syn.Expr, out: list[str], arrays: dict, extents: dict, dtype) -> np.ndarray:
    """`node` elementwise over the output indices `out` (extent-1 axes where it does not use one)."""
    if isinstance(node, syn.Reduce):  # its body over `out` and its own indices, reduced over these
        reduced = [i.name for i in node.indices]
        value = np.broadcast_to(_direct(node.body, out + reduced, arrays, extents, dtype),
                                tuple(extents[i] for i in out + reduced))
        return _reduced(REDUCTIONS[node.name], value, tuple(range(len(out), len(out) + len(reduced))), dtype)
    if isinstance(node, syn.Number):
        return np.asarray(node.value, dtype)
    if isinstance(node, (syn.Access, syn.IndexValue)):
        names = (tuple(i.name for i in node.indices) if isinstance(node, syn.Access) else (node.name,))
        array = arrays[node.name if isinstance(node, syn.Access) else _INDEX + node.name].astype(dtype)
        kept = [i for i in out if i in names]
        letter = {name: chr(ord("a") + k) for k, name in enumerate(out)}
        value = np.einsum(f"{''.join(letter[i] for i in names)}->{''.join(letter[i] for i in kept)}", array)
        return value.reshape([extents[i] if i in kept else 1 for i in out])
    if isinstance(node, syn.Neg):
        return -_direct(node.operand, out, arrays, extents, dtype)
    if isinstance(node, syn.BinOp) and node.op in "+-*/":
        left, right = (_direct(side, out, arrays, extents, dtype) for side in (node.left, node.right))
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}[node.op](left, right)
    name, args = syn.operator(node)
    function = BY_NAME[name]
    values = [_direct(arg, out, arrays, extents, dtype) for arg in args]
    if function.logical or function.name == "where":
        values = [v.astype(bool) if k == 0 or function.logical else v for k, v in enumerate(values)]
    return np.asarray(function.numpy(*values)).astype(dtype)
