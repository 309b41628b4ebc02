"""A dense NumPy reference for a statement, independent of einsparse's compiler (only its parser).

The meaning of a statement, computed the slow obvious way: expand the right side into a sum of
products, reduce each product over its indices that are not on the left with `np.einsum`, broadcast it
over the output indices it lacks, and add the products up. Division is multiplication by the reciprocal
of a literal or a dense operand. `einsparse check` compares compiled kernels with this.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse

# a product: (coefficient, [(tensor, indices, reciprocal?), ...])
_INDEX = "#"  # an index used as a value is the tensor "#i": no tensor's name starts with '#'

Product = tuple[complex, list[tuple[str, tuple[str, ...], bool]]]


def products(node: syn.Expr) -> list[Product]:
    """The right side `node` as a sum of products."""
    if isinstance(node, syn.Number):
        return [(node.value, [])]
    if isinstance(node, syn.Access):
        return [(1, [(node.name, tuple(i.name for i in node.indices), False)])]
    if isinstance(node, syn.IndexValue):  # the vector of its coordinates, 0, 1, ... (see `dense_reference`)
        return [(1, [(_INDEX + node.name, (node.name,), False)])]
    if isinstance(node, syn.Neg):
        return [(-c, f) for c, f in products(node.operand)]
    left, right = products(node.left), products(node.right)
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
    return {name for _, factors in products(tree.rhs) for name, _, recip in factors if recip}


def dense_reference(statement: "str | syn.Statement", operands: dict, output=None, shape=None) -> np.ndarray:
    """The dense result of `statement` on dense `operands` (NumPy arrays or numbers); `output` holds
    the old values for `+=`; it or `shape` gives extents of output indices that no operand has. An
    index used as a value is the vector of its coordinates."""
    tree = parse(statement) if isinstance(statement, str) else statement
    out = [i.name for i in tree.output.indices]
    terms = products(tree.rhs)
    arrays = {name: np.asarray(value) for name, value in operands.items()}
    extents: dict[str, int] = {}
    for _, factors in terms:
        for name, indices, _ in factors:
            if name in arrays:
                extents.update(zip(indices, arrays[name].shape))
    if output is not None or shape is not None:
        extents.update(zip(out, np.shape(output) if output is not None else shape))
    for _, factors in terms:
        arrays.update({name: np.arange(extents[indices[0]]) for name, indices, _ in factors
                       if name.startswith(_INDEX)})
    shape = tuple(extents[i] for i in out)
    # Integers without division are summed in int64, exact modulo 2^64 as NumPy's wrapping is; anything
    # else in float64 (or complex128).
    exact = (all(a.dtype.kind in "biu" for a in arrays.values())
             and all(isinstance(c, int) and not any(recip for _, _, recip in f) for c, f in terms))
    dtype = np.dtype(np.int64) if exact else np.result_type(*[a.dtype for a in arrays.values()], np.float64)
    total = np.zeros(shape, dtype)
    for coefficient, factors in terms:
        used = sorted({i for _, indices, _ in factors for i in indices} | set(out))
        letter = {name: chr(ord("a") + k) if k < 26 else chr(ord("A") + k - 26) for k, name in enumerate(used)}
        kept = [i for i in out if any(i in indices for _, indices, _ in factors)]
        inputs = [1 / arrays[name].astype(dtype) if recip else arrays[name].astype(dtype, copy=False)
                  for name, _, recip in factors]
        if factors:
            spec = ",".join("".join(letter[i] for i in indices) for _, indices, _ in factors)
            value = np.einsum(f"{spec}->{''.join(letter[i] for i in kept)}", *inputs)
        else:
            value = np.asarray(1.0)
        total = total + coefficient * value.reshape([extents[i] if i in kept else 1 for i in out])
    if output is not None:
        total = total + np.asarray(output)
    return total
