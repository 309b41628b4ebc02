"""The reference semantics, computed with NumPy and nothing of einsparse's compiler but its parser.

A statement means: expand the right side into a sum of products, reduce each product over its indices
that are not on the left with `np.einsum`, broadcast it over the output indices it lacks, add them up.
Division is multiplication by the reciprocal of a dense operand or a literal.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse


def expand(node) -> list[tuple[complex, list[tuple[str, tuple[str, ...], bool]]]]:
    """A sum of products: [(coefficient, [(tensor, indices, reciprocal?), ...]), ...]."""
    if isinstance(node, syn.Number):
        return [(node.value, [])]
    if isinstance(node, syn.Access):
        return [(1, [(node.name, tuple(i.name for i in node.indices), False)])]
    if isinstance(node, syn.Neg):
        return [(-c, f) for c, f in expand(node.operand)]
    left, right = expand(node.left), expand(node.right)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left + [(-c, f) for c, f in right]
    if node.op == "*":
        return [(c1 * c2, f1 + f2) for c1, f1 in left for c2, f2 in right]
    if node.op == "/":
        (coefficient, factors), = right  # a literal or a single operand
        inverted = [(name, idx, not recip) for name, idx, recip in factors]
        return [(c / coefficient, f + inverted) for c, f in left]
    raise AssertionError(node)


def reference(statement: str, operands: dict, output=None) -> np.ndarray:
    """The dense result of `statement` on `operands` (dense NumPy arrays); `output` for `+=`."""
    tree = parse(statement)
    out_indices = [i.name for i in tree.output.indices]
    extents = {}
    for coefficient, factors in expand(tree.rhs):
        for name, indices, _ in factors:
            for index, extent in zip(indices, np.shape(operands[name])):
                extents[index] = extent
    if output is not None:
        extents.update(zip(out_indices, np.shape(output)))
    shape = tuple(extents[i] for i in out_indices)
    total = np.zeros(shape, dtype=np.result_type(*[np.asarray(a).dtype for a in operands.values()], 0.0))
    for coefficient, factors in expand(tree.rhs):
        arrays = [1 / np.asarray(operands[n], float) if r else np.asarray(operands[n]) for n, _, r in factors]
        used = {i for _, idx, _ in factors for i in idx}
        kept = [i for i in out_indices if i in used]
        letters = {name: chr(ord("a") + k) for k, name in enumerate(sorted(used | set(out_indices)))}
        spec = ",".join("".join(letters[i] for i in idx) for _, idx, _ in factors)
        value = np.einsum(f"{spec}->{''.join(letters[i] for i in kept)}", *arrays) if factors else np.asarray(1.0)
        view = value.reshape([extents[i] if i in used else 1 for i in out_indices])
        total = total + coefficient * view
    if output is not None:
        total = total + np.asarray(output)
    return total
