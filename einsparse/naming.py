"""The names tensors get in a statement built from index notation (see `notation`).

Tensors have no Python variable names: each appears in an expression's tree under a placeholder until
the statement is complete, then gets its own name (`es.tensor(..., name="A")`), or a positional one by
role: inputs `A`, `B`, ... in order of first appearance, the output `out`, skipping names in use (the
statement's index names included).
"""

from __future__ import annotations

import string

from einsparse.compiler import syntax as syn
from einsparse.errors import StatementError


def names(expr, output) -> dict[str, str]:
    """Placeholder -> operand name for the `notation.Expr`s `expr` and `output` (None while only `expr`
    is printed): a tensor's own name, else by role (inputs A, B, ..., output `out`).

    StatementError when two different tensors carry the same name.
    """
    tensors = dict(expr.tensors)
    if output is not None:
        tensors.update(output.tensors)
    owners: dict = {}
    for tensor in tensors.values():
        if tensor.name is not None and owners.setdefault(tensor.name, tensor) is not tensor:
            raise StatementError(f"two different tensors are named {tensor.name} in one statement; "
                                 f"give them different names")
    names = {placeholder: t.name for placeholder, t in tensors.items() if t.name is not None}
    taken = set(owners) | set(syn.index_names(expr.node))
    if output is not None:
        taken |= set(syn.index_names(output.node))
    if output is not None and output.node.name not in names:
        candidates = ("out" if n == 0 else f"out{n}" for n in range(len(taken) + 1))
        names[output.node.name] = _fresh(candidates, taken)
    letters = _positional()
    for placeholder in _first_appearances(expr.node):
        if placeholder not in names:
            names[placeholder] = _fresh(letters, taken)
    return names


def _positional():
    yield from string.ascii_uppercase
    count = 0
    while True:
        yield f"T{count}"
        count += 1


def _fresh(candidates, taken: set) -> str:
    name = next(c for c in candidates if c not in taken)
    taken.add(name)
    return name


def _first_appearances(node) -> list[str]:
    """The placeholders of `node`'s accesses, left to right, each once."""
    if isinstance(node, syn.Access):
        return [node.name]
    found: list[str] = []
    for child in syn.children(node):
        found += [p for p in _first_appearances(child) if p not in found]
    return found


def renamed(node, names: dict[str, str]):
    if isinstance(node, syn.Access):
        return syn.Access(names[node.name], node.indices)
    if isinstance(node, (syn.Neg, syn.Not)):
        return type(node)(renamed(node.operand, names))
    if isinstance(node, syn.BinOp):
        return syn.BinOp(node.op, renamed(node.left, names), renamed(node.right, names))
    if isinstance(node, syn.Call):
        return syn.Call(node.name, tuple(renamed(arg, names) for arg in node.args))
    if isinstance(node, syn.Reduce):
        return syn.Reduce(node.name, node.indices, renamed(node.body, names))
    return node
