"""Each compiler stage on its own, with no data: index notation, lattices, loop orders, concrete notation."""

from __future__ import annotations

import pytest

from einsparse.compiler import concrete as cin
from einsparse.compiler import index_ir as ir
from einsparse.compiler import lattice as lat
from einsparse.compiler.formats import Format, parse_format
from einsparse.compiler.normalize import normalize
from einsparse.compiler.parse import parse
from einsparse.compiler.pipeline import compile_plan
from einsparse.compiler.room import output_room


@pytest.mark.parametrize("statement, expected", [
    ("C[i,j] = A[i,k]*B[k,j] + D[i,j]", "C[i,j] = Sum(k, A[i,k]*B[k,j]) + D[i,j]"),
    ("s = a[i] + b[j]", "s = Sum(i, a[i]) + Sum(j, b[j])"),
    ("s = a[i] + b[i]", "s = Sum(i, a[i]) + Sum(i1, b[i1])"),
    ("y[i] = (A[i,k] + B[i,k])*(C[k,j] + D[k,j])",
     "y[i] = Sum(k, (A[i,k] + B[i,k])*(Sum(j, C[k,j]) + Sum(j1, D[k,j1])))"),
    ("C[i,j] = (A[i,k] + B[i,k])*(E[k,j] - F[k,j])", "C[i,j] = Sum(k, (A[i,k] + B[i,k])*(E[k,j] - F[k,j]))"),
    ("y[i] = (z[i] + A[i,j]*x[j])*w[i]", "y[i] = (z[i] + Sum(j, A[i,j]*x[j]))*w[i]"),
    ("y[i] = A[i,j]*x[j] / d[i]", "y[i] = Sum(j, A[i,j]*x[j]*1/d[i])"),
    ("s = 2 / d[i]", "s = Sum(i, 2*1/d[i])"),
    ("d[i] = A[i,i]", "d[i] = A[i,i]"),
    ("C[i,j] = -(A[i,k]*B[k,j])", "C[i,j] = -Sum(k, A[i,k]*B[k,j])"),
    # A term without the summed index is not summed over it: the product is distributed where needed.
    ("s = (a[i] + 1)*(b[i] + 1)", "s = Sum(i, a[i]*(b[i] + 1)) + Sum(i1, b[i1]) + 1"),
    ("y[j] = (a[i] + 1)*(b[j] + 1)", "y[j] = (Sum(i, a[i]) + 1)*(b[j] + 1)"),
    ("s = -(a[i]*2)*(b[i] - 3)", "s = Sum(i, -(a[i]*2)*(b[i] - 3))"),
])
def test_reductions_sit_at_the_smallest_product_holding_their_uses(statement, expected):
    assert str(normalize(parse(statement))) == expected


def lattice_of(statement: str, formats: dict, index: str) -> set:
    """The lattice at the outermost loop over `index`, with iterators named like `A2`."""
    assignment = normalize(parse(statement))
    names = {}

    def iterator_of(access: ir.Access):
        fmt = parse_format(formats.get(access.tensor, "dense"), len(access.indices))
        order = [access.indices[m] for m in fmt.mode_order]
        if index in order and fmt.levels[order.index(index)].name == "compressed":
            names[access.id] = f"{access.tensor}{order.index(index) + 1}"
            return access.id
        return None

    points = lat.expr_lattice(assignment.rhs, iterator_of)
    return {frozenset(names[i] for i in point) for point in points}


@pytest.mark.parametrize("statement, formats, expected", [
    ("a[i] = b[i]*c[i]", {"b": "c", "c": "c"}, {frozenset({"b1", "c1"})}),
    ("a[i] = b[i] + c[i]", {"b": "c", "c": "c"},
     {frozenset({"b1", "c1"}), frozenset({"b1"}), frozenset({"c1"})}),
    ("a[i] = b[i] + c[i]", {"b": "c"}, {frozenset({"b1"}), frozenset()}),
    ("a[i] = b[i]*c[i]", {"b": "c"}, {frozenset({"b1"})}),
    ("a[i] = b[i]*(c[i] + d[i])", {"b": "c", "c": "c", "d": "c"},
     {frozenset({"b1", "c1", "d1"}), frozenset({"b1", "c1"}), frozenset({"b1", "d1"})}),
    ("a[i] = b[i]*c[i] + d[i]", {"b": "c", "c": "c", "d": "c"},
     {frozenset({"b1", "c1", "d1"}), frozenset({"b1", "c1"}), frozenset({"d1"})}),
    ("a[i] = 2*b[i]", {"b": "c"}, {frozenset({"b1"})}),
    ("a[i] = b[i] + 1", {"b": "c"}, {frozenset({"b1"}), frozenset()}),
])
def test_merge_lattices(statement, formats, expected):
    assert lattice_of(statement, formats, "i") == expected


@pytest.mark.parametrize("statement, formats, order", [
    ("y[i] = A[i,j]*x[j]", {"A": "csr"}, ("i", "j")),
    ("y[i] = A[i,j]*x[j]", {"A": "csc"}, ("j", "i")),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr"}, ("i", "k", "j")),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csc"}, ("k", "i", "j")),
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr"}, ("i", "k", "j")),
    ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr", "C": "dense"}, ("i", "j", "k")),
    ("M[i,j] = T[i,k,l]*U[k,j]*V[l,j]", {"T": "csf"}, ("i", "k", "l", "j")),
    ("M[i,j] = T[i,j,k]*c[k]", {"T": "csf"}, ("i", "j", "k")),
    ("C[i,j] = D[j,i]", {}, ("i", "j")),
])
def test_loop_order_follows_mode_orders_and_unit_strides(statement, formats, order):
    assert compile_plan(statement, formats).order == order


def test_cyclic_mode_orders_read_a_reordered_copy():
    plan = compile_plan("C[i,j] = A[i,j] + B[j,i]", {"A": "csr", "B": "csr"})
    assert plan.order == ("i", "j")
    copy = plan.operands["B_r"]
    assert copy.tensor == "B" and copy.format == parse_format("csc", 2) and copy.derived
    assert not plan.operands["A"].derived


def test_diagonal_operand_keeps_the_outer_level_kind():
    plan = compile_plan("d[i] = A[i,i]", {"A": "dcsr"})
    (operand,) = [op for op in plan.operands.values() if op.tensor == "A"]
    assert operand.modes == ((0, 1),) and operand.format == Format(("compressed",), (0,))


def concrete_text(statement, formats, order):
    assignment = normalize(parse(statement))
    return cin.show(cin.concretize(assignment, order))


def test_reduction_inside_output_loops_becomes_a_scalar_accumulator():
    assert concrete_text("y[i] = A[i,j]*x[j]", {}, ("i", "j")) == "\n".join([
        "forall i:",
        "  where scalar t0 = 0:",
        "    producer:",
        "      forall j:",
        "        t0 += A[i,j]*x[j]",
        "    consumer:",
        "      y[i] += t0",
    ])


def test_reduction_outside_an_output_index_scatters_and_keeps_other_terms_apart():
    assert concrete_text("C[i,j] = A[i,k]*B[k,j] + D[i,j]", {}, ("i", "k", "j")) == "\n".join([
        "forall i:",
        "  forall j:",
        "    C[i,j] += D[i,j]",
        "  forall k:",
        "    forall j:",
        "      C[i,j] += A[i,k]*B[k,j]",
    ])


def test_nested_reduction_with_unbound_index_uses_a_dense_workspace():
    text = concrete_text("C[i,j] = (A[i,k]*B[k,j] + E[i,j])*F[i,j]", {}, ("i", "k", "j"))
    assert text == "\n".join([
        "forall i:",
        "  where workspace t0[j] = 0:",
        "    producer:",
        "      forall k:",
        "        forall j:",
        "          t0[j] += A[i,k]*B[k,j]",
        "    consumer:",
        "      forall j:",
        "        C[i,j] += (t0[j] + E[i,j])*F[i,j]",
    ])


def test_cost_model_prefers_a_row_workspace_to_walking_dense_operands_across_rows():
    # i,j,k would need no workspace but read B[k,j] down its columns and walk A's row once per j.
    plan = compile_plan("C[i,j] = (A[i,k]*B[k,j] + E[i,j])*F[i,j]", {"A": "csr"})
    assert plan.order == ("i", "k", "j")
    assert cin.temps(plan.concrete)[0].indices == ("j",)
    # A workspace of two dimensions still costs more than any strided walk.
    plan = compile_plan("C[i,j] = (A[k,i]*B[k,j] + E[i,j])*F[i,j]", {"A": "csr"})
    assert max(len(t.indices) for t in cin.temps(plan.concrete)) <= 1


@pytest.mark.parametrize("statement, formats, expected", [
    ("C[i,j] = A[i,j] + B[i,j]", {"A": "csr", "B": "csr"}, 300),           # a union: both together
    ("C[i,j] = A[i,j]*B[i,j]", {"A": "csr", "B": "csr"}, 100),             # an intersection: the shorter
    ("C[i,j] = A[i,j]*U[i,k]*V[j,k]", {"A": "csr"}, 100),                  # SDDMM: A's pattern
    ("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr"}, 300),             # no factor bounds it: a guess
    ("C[i,j] = A[i,j]*b[j]", {"A": "csr", "b": "c"}, 100),                 # a broadcast factor bounds nothing
    ("C[i,j] = A[i,j] + b[j]", {"A": "csr", "b": "c"}, 300),
    ("C[i,j] = U[i,j]*V[i,j]", {}, None),                                   # no sparse operand tells
])
def test_the_room_of_a_sparse_output_follows_its_expression(statement, formats, expected):
    plan = compile_plan(statement, {**formats, "C": "csr"})
    entries = {name: {"A": 100, "B": 200, "b": 200}[name] for name in plan.operands
               if name in formats}
    assert output_room(plan.kernel_assignment)(entries) == expected
