"""Golden tests: a catalogue of named statements, each run across the formats of every operand (every
mode order), checked against NumPy einsum through einsparse.reference (the statement expanded into products, each run by np.einsum)."""

from __future__ import annotations

import numpy as np
import pytest

import einsparse as es
from einsparse.compiler.parse import parse
from einsparse.reference import dense_reference as reference
from test_tensor import check_structure

FORMATS = {
    0: [""],
    1: ["d", "c"],
    2: ["dense", "csr", "csc", "dcsr", "dcsc", "cd", "dd:1,0", "cd:1,0", "db", "mm:1,0"],
    3: ["ddd", "ccc", "dcc", "ccd:2,0,1", "cdc:1,2,0", "dcd:1,0,2", "ccc:2,1,0", "ddc", "dbm", "mdb:2,0,1"],
}

EXTENTS = {"i": 7, "j": 6, "k": 5, "l": 4}
SQUARE = {"i": 6, "j": 6, "k": 6}

# name: (statement, extents, operands that must stay dense)
CATALOGUE = {
    "spmv": ("y[i] = A[i,j]*x[j]", EXTENTS, ()),
    "spmv_taco_spelling": ("y(i) = A(i,j)*x(j)", EXTENTS, ()),
    "spmm": ("C[i,j] = A[i,k]*B[k,j]", EXTENTS, ()),
    "fused_spmm_add": ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", EXTENTS, ()),
    "sddmm": ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", EXTENTS, ()),
    "mttkrp": ("M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", EXTENTS, ()),
    "ttv": ("M[i,j] = T[i,j,k]*c[k]", EXTENTS, ()),
    "inner_product": ("s = A[i,j]*B[i,j]", EXTENTS, ()),
    "hadamard": ("C[i,j] = A[i,j]*B[i,j]", EXTENTS, ()),
    "row_sums": ("r[i] = A[i,j]", EXTENTS, ()),
    "column_sums": ("c[j] = A[i,j]", EXTENTS, ()),
    "total_sum": ("s = T[i,j,k]", EXTENTS, ()),
    "outer_broadcast": ("C[i,j] = a[i] + b[j]", EXTENTS, ()),
    "matrix_plus_row": ("C[i,j] = A[i,j] + b[j]", EXTENTS, ()),
    "scalar_of_sums": ("s = a[i] + b[j]", EXTENTS, ()),
    "literals": ("C[i,j] = 2*A[i,j] + 0.5", EXTENTS, ()),
    "subtraction": ("C[i,j] = A[i,j] - B[i,j]", EXTENTS, ()),
    "union_of_three": ("C[i,j] = A[i,j] + B[i,j] - E[i,j]", EXTENTS, ()),
    "product_of_union": ("C[i,j] = A[i,j]*(B[i,j] + E[i,j])", EXTENTS, ()),
    "factored_nest": ("C[i,j] = (A[i,k] + B[i,k])*(E[k,j] - F[k,j])", EXTENTS, ()),
    "negated_reduction": ("y[i] = -(A[i,j]*x[j]) + z[i]", EXTENTS, ()),
    "reduction_inside_product": ("y[i] = (z[i] + A[i,j]*x[j])*w[i]", EXTENTS, ()),
    "workspace": ("C[i,j] = (A[i,k]*B[k,j] + E[i,j])*F[i,j]", EXTENTS, ()),
    "division": ("y[i] = A[i,j]*x[j] / d[i]", EXTENTS, ("d",)),
    "division_by_literal": ("C[i,j] = A[i,j] / 4 - B[i,j]", EXTENTS, ()),
    "scalar_operand": ("C[i,j] = alpha*A[i,j]", EXTENTS, ()),
    "diagonal": ("d[i] = A[i,i]", SQUARE, ()),
    "trace_of_product": ("s = A[i,j]*B[j,i]", SQUARE, ()),
    "transpose_add": ("C[i,j] = A[i,j] + B[j,i]", SQUARE, ()),
    "square_of_matrix": ("C[i,j] = A[i,k]*A[k,j]", SQUARE, ()),
    "accumulate": ("C[i,j] += A[i,k]*B[k,j]", EXTENTS, ()),
    "transposed_output": ("C[j,i] = A[i,k]*B[k,j]", EXTENTS, ()),
}


def operand_ranks(statement: str) -> dict[str, int]:
    tree = parse(statement)
    ranks: dict[str, int] = {}

    def walk(node):
        if hasattr(node, "indices"):
            ranks.setdefault(node.name, len(node.indices))
        for child in ("operand", "left", "right"):
            if hasattr(node, child):
                walk(getattr(node, child))

    walk(tree.rhs)
    return ranks


def operand_shapes(statement: str, extents: dict) -> dict[str, tuple]:
    tree = parse(statement)
    shapes = {}

    def walk(node):
        if hasattr(node, "indices"):
            shapes.setdefault(node.name, tuple(extents[i.name] for i in node.indices))
        for child in ("operand", "left", "right"):
            if hasattr(node, child):
                walk(getattr(node, child))

    walk(tree.rhs)
    return shapes


def format_combinations(statement: str, keep_dense=()) -> list[dict]:
    """Latin-square combinations: every operand meets every format of its rank at least once."""
    ranks = operand_ranks(statement)
    names = sorted(ranks)
    rounds = max(len(FORMATS[r]) for r in ranks.values())
    combos = []
    for k in range(rounds):
        combo = {}
        for m, name in enumerate(names):
            choices = FORMATS[ranks[name]] if name not in keep_dense else ["dense" if ranks[name] else ""]
            combo[name] = choices[(k + 3 * m) % len(choices)]
        if combo not in combos:
            combos.append(combo)
    return combos


def random_operands(statement: str, extents: dict, dtype, seed: int, positive=()) -> dict:
    rng = np.random.default_rng(seed)
    operands = {}
    for name, shape in operand_shapes(statement, extents).items():
        values = rng.uniform(-1, 1, size=shape)
        if name in positive:
            values = rng.uniform(1, 2, size=shape)
        else:
            values = values * (rng.random(shape) < 0.4)
        operands[name] = values.astype(dtype)
    return operands


CASES = [
    pytest.param(name, combo, id=f"{name}-{'-'.join(f'{k}={v or 0}' for k, v in combo.items())}")
    for name, (statement, _, dense) in CATALOGUE.items()
    for combo in format_combinations(statement, dense)
]


@pytest.mark.parametrize("name, combo", CASES)
def test_catalogue_float64(name, combo):
    statement, extents, dense = CATALOGUE[name]
    operands = random_operands(statement, extents, np.float64, seed=len(CASES), positive=dense)
    output_name = parse(statement).output.name
    output = None
    if parse(statement).op == "+=":
        output = np.random.default_rng(1).random(tuple(extents[i.name] for i in parse(statement).output.indices))
        expected = reference(statement, operands, output)
        got = es.evaluate(statement, combo, **operands, **{output_name: output.copy()})
    else:
        expected = reference(statement, operands)
        got = es.evaluate(statement, combo, **operands)
    assert np.shape(got) == expected.shape
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)
    if isinstance(got, es.Tensor):  # a structurally sparse result comes back sparse: check it is canonical
        check_structure(got)


@pytest.mark.parametrize("name", [n for n in CATALOGUE if parse(CATALOGUE[n][0]).op == "="])
def test_catalogue_float32(name):
    statement, extents, dense = CATALOGUE[name]
    combo = format_combinations(statement, dense)[1]
    operands = random_operands(statement, extents, np.float32, seed=7, positive=dense)
    got = es.evaluate(statement, combo, **operands)
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(got, reference(statement, operands), rtol=1e-5, atol=1e-5)
