"""A tensor read both with and without the index blocks are cut along (`C[i,j] = A[i,k]*A[k,j]` cut
along i) is sent twice: sliced for the reads holding the index, whole for the others. The statement the
workers run names the sliced reads apart (`C[i,j] = A_i0[i,k]*A[k,j]`)."""

from __future__ import annotations

import dataclasses
import functools

from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse


@functools.lru_cache(maxsize=256)
def separate_reads(statement: str, index: str) -> tuple[str, dict]:
    """(the statement with each read of a tensor that holds `index` where another read of it does not,
    or holds it elsewhere, renamed; {new name: the tensor it reads}). Unchanged when no tensor is so read."""
    parsed = parse(statement)
    places: dict = {}
    for access in syn.accesses(parsed.rhs):
        names = [i.name for i in access.indices]
        places.setdefault(access.name, set()).add(names.index(index) if index in names else None)
    split = {name for name, found in places.items() if len(found) > 1}
    if not split:
        return statement, {}
    taken = {parsed.output.name, *places}
    aliases: dict = {}

    def renamed(access: syn.Access) -> syn.Access:
        names = [i.name for i in access.indices]
        if access.name not in split or index not in names:
            return access
        alias = f"{access.name}_{index}{names.index(index)}"
        while alias in taken and aliases.get(alias) != access.name:
            alias += "_"
        taken.add(alias)
        aliases[alias] = access.name
        return dataclasses.replace(access, name=alias)

    rhs = _mapped(parsed.rhs, renamed)
    return syn.deparse(syn.Statement(parsed.output, parsed.op, rhs)), aliases


def _mapped(node, change):
    """`node` with every access replaced by `change(access)`."""
    if isinstance(node, syn.Access):
        return change(node)
    if isinstance(node, (syn.Neg, syn.Not)):
        return dataclasses.replace(node, operand=_mapped(node.operand, change))
    if isinstance(node, syn.BinOp):
        return dataclasses.replace(node, left=_mapped(node.left, change), right=_mapped(node.right, change))
    if isinstance(node, syn.Call):
        return dataclasses.replace(node, args=tuple(_mapped(arg, change) for arg in node.args))
    if isinstance(node, syn.Reduce):
        return dataclasses.replace(node, body=_mapped(node.body, change))
    return node
