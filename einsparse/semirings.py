"""Semirings by name, for people who think in GraphBLAS terms: `semiring="min_plus"` on `es.einsum`,
`es.evaluate` and `es.compile` turns a product of operands into the same statement with another
reduction (the semiring's add) and another product (its multiply), compiled as any statement is.

As in GraphBLAS, an absent entry takes no part in a semiring product. Where the multiply has a value
that decides it (0 for times, +inf for plus under min, -inf under max), a sparse operand's absent
entries are read as that value, the reduction's identity follows, and the loops walk stored entries
only. Where it has none (`max_times`, `plus_pair`), the product is taken where both operands are
nonzero (`pair` is 1 there): an entry stored as 0 counts as absent, the one difference from GraphBLAS.
An operand's own fill is replaced by the semiring's (say `fill=` to a tensor and evaluate the
statement itself to keep it). Min and max of plus on integer operands are computed in float64 (+inf
is no integer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.errors import NotSupportedError, StatementError
from einsparse.runtime.convert import as_tensor
from einsparse.runtime.display import kernel_html
from einsparse.runtime.tensor import Tensor


@dataclass(frozen=True)
class Semiring:
    name: str
    add: str         # the reduction: sum min max any
    multiply: str    # the binary operator of the product: * + min max and, or pair
    absent: float    # what a sparse operand's absent entries are read as
    nonzero: bool    # the product is taken only where every operand is nonzero (no deciding value)

    def product(self, operands: list) -> syn.Expr:
        """The semiring product of operand accesses (syntax nodes), folded left to right."""
        if self.multiply == "pair":  # 1 where all are nonzero: the condition itself under any
            condition = _all_nonzero(operands)
            return condition if self.add == "any" else syn.Call("where", (condition, syn.Number(1), syn.Number(0)))
        value = operands[0]
        for operand in operands[1:]:
            value = _binary(self.multiply, value, operand)
        if self.nonzero:
            identity = {"min": math.inf, "max": -math.inf, "sum": 0, "any": False}[self.add]
            return _where_all_nonzero(operands, value, syn.Number(identity))
        return value

    def statement(self, output: syn.Access, operands: list) -> str:
        op = "=" if self.name == "plus_times" else f"{self.add}="  # the whole product reduced
        return syn.deparse(syn.Statement(output, op, self.product(operands)))


def _nonzero(operand: syn.Expr) -> syn.Expr:
    return syn.BinOp("!=", operand, syn.Number(0))


def _binary(multiply: str, left: syn.Expr, right: syn.Expr) -> syn.Expr:
    if multiply in ("min", "max"):
        return syn.Call(multiply, (left, right))
    if multiply == "and":  # or_and: the operands' truth, as GraphBLAS casts them to bool
        return syn.BinOp("and", left if isinstance(left, syn.BinOp) else _nonzero(left), _nonzero(right))
    return syn.BinOp(multiply, left, right)


def _all_nonzero(operands: list) -> syn.Expr:
    condition = _nonzero(operands[0])
    for operand in operands[1:]:
        condition = syn.BinOp("and", condition, _nonzero(operand))
    return condition


def _where_all_nonzero(operands: list, value: syn.Expr, otherwise: syn.Expr) -> syn.Expr:
    return syn.Call("where", (_all_nonzero(operands), value, otherwise))


SEMIRINGS: dict[str, Semiring] = {s.name: s for s in (
    Semiring("plus_times", "sum", "*", 0.0, False),
    Semiring("min_plus", "min", "+", math.inf, False),
    Semiring("max_plus", "max", "+", -math.inf, False),
    Semiring("max_min", "max", "min", -math.inf, False),
    Semiring("min_max", "min", "max", math.inf, False),
    Semiring("or_and", "any", "and", 0.0, False),
    Semiring("any_pair", "any", "pair", 0.0, True),
    Semiring("plus_pair", "sum", "pair", 0.0, True),
    Semiring("max_times", "max", "*", 0.0, True),
    Semiring("min_times", "min", "*", 0.0, True),
)}


def semiring(name: str) -> Semiring:
    found = SEMIRINGS.get(name) if isinstance(name, str) else None
    if found is None:
        raise StatementError(f"unknown semiring {name!r}; the semirings are {', '.join(SEMIRINGS)}")
    return found


def rewrite(statement: object, name: str) -> str:
    """`statement`, a product of operands (`C[i,j] = A[i,k]*B[k,j]`), with the semiring's product and
    reduction: `C[i,j] min= A[i,k] + B[k,j]` for min_plus."""
    ring = semiring(name)
    if not isinstance(statement, str):  # a statement built from index notation is rewritten as text only
        raise NotSupportedError(f"semiring= takes the statement as text, such as 'C[i,j] = A[i,k]*B[k,j]', "
                                f"not a {type(statement).__name__}; write the semiring's operators in it")
    parsed = parse(statement)
    if parsed.op != "=":
        raise NotSupportedError(f"a semiring statement assigns with '=', not {parsed.op!r}: {statement}")
    factors = _factors(parsed.rhs)
    if factors is None:
        raise NotSupportedError(f"semiring={name!r} applies to a product of operands, as in "
                                f"C[i,j] = A[i,k]*B[k,j]; {syn.deparse(parsed.rhs)} is not one")
    return ring.statement(parsed.output, factors)


def _factors(node: syn.Expr):
    if isinstance(node, syn.BinOp) and node.op == "*":
        left, right = _factors(node.left), _factors(node.right)
        return None if left is None or right is None else left + right
    return [node] if isinstance(node, syn.Access) else None


def refilled(operand, name: str, ring: Semiring):
    """A sparse operand with its absent entries read as the semiring's `absent` value (a float copy of
    the values for an infinite one on integers); anything else as it is."""
    if isinstance(operand, (np.ndarray, np.generic, int, float, complex, bool)):
        return operand
    tensor = operand if isinstance(operand, Tensor) else as_tensor(operand, None, name=name)
    if tensor.format.is_dense:
        return operand
    if math.isinf(ring.absent) and tensor.vals.dtype.kind in "biu":
        tensor = tensor.astype(np.float64)
    if tensor.vals.dtype.kind in "biu":  # 0 or 1 as a value of the operand's own type
        return tensor.with_fill(tensor.vals.dtype.type(ring.absent))
    return tensor.with_fill(ring.absent)


class SemiringKernel:
    """A compiled semiring statement whose calls read sparse operands as the semiring does.

    `es.compile(statement, formats, semiring=...)` returns one: a call gives each sparse operand the
    semiring's zero as its fill (a min-plus product reads absent entries as +inf), then runs the
    kernel of the statement written with the semiring's operators. Other attributes (`explain()`,
    `source`, `plan`) are the wrapped kernel's.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, einsparse as es
    >>> W = sp.csr_matrix(np.array([[0, 1.0], [4.0, 0]]))
    >>> kernel = es.compile("D[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr"}, semiring="min_plus")
    >>> kernel(A=W, B=W)
    array([[ 5., inf],
           [inf,  5.]])
    """

    def __init__(self, kernel, ring: Semiring):
        self.kernel, self.semiring = kernel, ring

    def __call__(self, shape=None, **operands):
        refill = {name: refilled(value, name, self.semiring) for name, value in operands.items()}
        return self.kernel(**refill) if shape is None else self.kernel(shape=shape, **refill)

    def __getattr__(self, name):
        return getattr(self.kernel, name)

    def __repr__(self) -> str:
        return f"SemiringKernel({self.semiring.name}, {self.kernel!r})"

    def _repr_html_(self) -> str:
        return kernel_html(self, title=f"SemiringKernel ({self.semiring.name})")
