"""Hypothesis-generated statements with random formats, checked against the reference semantics."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import einsparse as es
from einsparse.reference import dense_reference as reference
from test_catalogue import FORMATS
from test_tensor import check_structure

# Output formats drawn for the result (None: einsparse chooses), by output rank.
OUTPUT_FORMATS = {0: [""], 1: ["d", "c"], 2: ["dense", "csr", "csc", "dcsr", "coo", "cd:1,0"],
                  3: ["ddd", "csf", "coo", "dcc:2,0,1"]}

EXTENTS = {"i": 3, "j": 4, "k": 2, "l": 3}
INDICES = list(EXTENTS)


@st.composite
def statements(draw):
    """(statement text, {operand: rank}, {dense-only operand}, output indices, op)."""
    ranks: dict[str, tuple[str, ...]] = {}
    divisors: set[str] = set()

    def access():
        if ranks and draw(st.integers(0, 4)) == 0:  # reuse an operand with its own indices
            name = draw(st.sampled_from(sorted(n for n in ranks if n not in divisors) or ["x"]))
            if name in ranks:
                return f"{name}[{','.join(ranks[name])}]" if ranks[name] else name
        rank = draw(st.integers(0, 3))
        indices = tuple(draw(st.sampled_from(INDICES)) for _ in range(rank))
        name = f"T{len(ranks)}"
        ranks[name] = indices
        return f"{name}[{','.join(indices)}]" if indices else name

    def factor(depth):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return draw(st.sampled_from(["2", "0.5", "3"]))
        if choice == 1 and depth < 2:
            return f"({expression(depth + 1)})"
        if choice == 2:
            return "-" + access()
        return access()

    def product(depth):
        text = "*".join(factor(depth) for _ in range(draw(st.integers(1, 3))))
        if draw(st.integers(0, 5)) == 0:
            if draw(st.booleans()):
                text += "/" + draw(st.sampled_from(["2", "4"]))
            else:
                name = f"d{len(divisors)}"
                index = draw(st.sampled_from(INDICES))
                ranks[name] = (index,)
                divisors.add(name)
                text += f"/{name}[{index}]"
        return text

    def expression(depth):
        text = product(depth)
        for _ in range(draw(st.integers(0, 2))):
            text += draw(st.sampled_from([" + ", " - "])) + product(depth)
        return text

    rhs = expression(0)
    used = sorted({i for indices in ranks.values() for i in indices})
    output = draw(st.permutations(used).map(lambda p: p[: draw(st.integers(0, min(2, len(p))))]))
    op = draw(st.sampled_from(["=", "=", "+="]))
    lhs = f"OUT[{','.join(output)}]" if output else "OUT"
    return f"{lhs} {op} {rhs}", ranks, divisors, tuple(output), op


@settings(max_examples=int(os.environ.get("EINSPARSE_FUZZ_EXAMPLES", "60")), deadline=None, derandomize="EINSPARSE_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=statements(), data=st.data())
def test_random_statement_matches_reference(case, data):
    statement, ranks, divisors, output, op = case
    assume(len(ranks) <= 7)  # many sparse operands co-iterated at once are refused (2**n branches)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    operands, formats = {}, {}
    for name, indices in ranks.items():
        shape = tuple(EXTENTS[i] for i in indices)
        if name in divisors:
            operands[name] = rng.uniform(1, 2, shape)
            continue
        density = data.draw(st.sampled_from([0.0, 0.3, 1.0]))
        operands[name] = rng.uniform(-1, 1, shape) * (rng.random(shape) < density)
        formats[name] = data.draw(st.sampled_from(FORMATS[len(indices)]))
    output_format = data.draw(st.sampled_from([None, *OUTPUT_FORMATS[len(output)]]))
    if output_format is not None:
        formats["OUT"] = output_format
    if op == "+=":
        old = rng.random(tuple(EXTENTS[i] for i in output))
        old = old * (rng.random(old.shape) < 0.5)
        expected = reference(statement, operands, old)
        given = old.copy() if output_format is None else es.tensor(old, format=output_format)
        got = es.evaluate(statement, formats, OUT=given, **operands)
    else:
        expected = reference(statement, operands)
        got = es.evaluate(statement, formats, **operands)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-10,
                               err_msg=f"{statement} {formats}")
    if isinstance(got, es.Tensor):
        check_structure(got)
