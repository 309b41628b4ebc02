"""Differential fuzzing of the operators beyond + - * / and of fill values: random statements of
functions, max/min, comparisons, logic and where, over sparse operands of random formats and fills (0, 1,
inf, -inf, nan) and dense ones, each compared with `einsparse.reference` on the same values as dense
arrays (a sparse operand's unstored entries hold its fill there).

The functions drawn are total on the values drawn (stored values in [-1, 1], fills anything): the
statements test the algebra of fills, not the domain of log. Division is by literals only: an absent
entry times what a dense operand computes is 0 by the structural rule (README: "Fill values"), where
NumPy could give nan; `test_operators` tests that rule on its own.

CI runs `EXAMPLES` fixed seeds. `EINSPARSE_OPFUZZ_EXAMPLES=N` runs N seeds from `EINSPARSE_OPFUZZ_SEED`
(default 0), and `EINSPARSE_OPFUZZ_LOG=path` appends one JSON line per statement.
"""

from __future__ import annotations

import json
import os
import random
import re

import numpy as np
import pytest

import einsparse as es
from einsparse.reference import dense_reference

EXTENTS = {"i": 5, "j": 4, "k": 3}
UNARY = ["abs", "exp", "sin", "cos", "tanh", "arctan", "sigmoid", "relu", "sign", "floor", "ceil", "round"]
BINARY = ["+", "-", "*", "max", "min"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
LITERALS = ["0", "1", "2", "0.5", "3"]
FILLS = [0.0, 0.0, 1.0, np.inf, -np.inf, np.nan]
FORMATS = {1: ["c", "d"], 2: ["csr", "csc", "coo", "dcsr", "dense"]}
MAX_OPERANDS = 5  # more co-iterated sparse operands make kernels past the compiler's size limit
START = int(os.environ.get("EINSPARSE_OPFUZZ_SEED", "0"))
EXAMPLES = int(os.environ.get("EINSPARSE_OPFUZZ_EXAMPLES", "24"))


class Draw:
    """One random statement: its text and operands (values, format, fill)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.operands: dict[str, tuple[tuple[str, ...], str, float]] = {}
        self.reducing = False  # inside a reduction's body (reductions do not nest here)
        self.reductions = 0

    def access(self) -> str:
        rng = self.rng
        if self.operands and (rng.random() < 0.3 or len(self.operands) == MAX_OPERANDS):  # an operand again
            name = rng.choice(sorted(self.operands))
            return f"{name}[{','.join(self.operands[name][0])}]"
        rank = rng.choice([1, 2, 2])
        indices = tuple(rng.sample(["i", "j", "k"], rank))
        fmt = rng.choice(FORMATS[rank])
        fill = 0.0 if fmt in ("d", "dense") else rng.choice(FILLS)
        name = "ABCDEFGH"[len(self.operands)]
        self.operands[name] = (indices, fmt, fill)
        return f"{name}[{','.join(indices)}]"

    def value(self, depth: int) -> str:
        rng = self.rng
        choice = rng.random()
        if depth >= 3 or choice < 0.35:
            return self.access() if rng.random() < 0.85 else rng.choice(LITERALS)
        if choice < 0.6:
            return f"{rng.choice(UNARY)}({self.value(depth + 1)})"
        if choice < 0.85:
            op = rng.choice(BINARY)
            left, right = self.value(depth + 1), self.value(depth + 1)
            return f"{op}({left}, {right})" if op.isalpha() else f"({left} {op} {right})"
        if choice < 0.9:
            return f"({self.value(depth + 1)})/{rng.choice(['2', '4'])}"
        if choice < 0.96 and not self.reducing:
            return self.reduction(depth)
        return f"where({self.condition(depth + 1)}, {self.value(depth + 1)}, {self.value(depth + 1)})"

    def reduction(self, depth: int, logical: bool = False) -> str:
        """`min[m](...)`, `max`, `argmin` or `argmax` of a value, `any`/`all` of a condition, over an
        index of its body renamed there (m, n, p, ...: a name of its own, so no output index and nothing
        outside uses it; reductions do not nest)."""
        rng = self.rng
        self.reducing = True
        name = rng.choice(["any", "all"] if logical else ["min", "max", "min", "max", "argmin", "argmax"])
        body = self.condition(depth + 1) if logical else self.value(depth + 1)
        self.reducing = False
        used = sorted(set("".join(re.findall(r"\[([ijk,]+)\]", body)).replace(",", "")))
        if not used:
            return body
        index, fresh = rng.choice(used), "mnpqrs"[self.reductions % 6]
        self.reductions += 1
        body = re.sub(r"\[([ijk,]+)\]", lambda found: found.group(0).replace(index, fresh), body)
        return f"{name}[{fresh}]({body})"

    def condition(self, depth: int) -> str:
        rng = self.rng
        if not self.reducing and depth < 3 and rng.random() < 0.08:
            return self.reduction(depth, logical=True)
        text = f"{self.value(depth + 1)} {rng.choice(COMPARE)} {self.value(depth + 1)}"
        if rng.random() < 0.3:
            other = f"{self.value(depth + 1)} {rng.choice(COMPARE)} {rng.choice(LITERALS)}"
            text = f"({text}) {rng.choice(['and', 'or', '&', '|'])} ({other})"
        return f"not ({text})" if rng.random() < 0.15 else text

    def statement(self) -> str:
        rng = self.rng
        rhs = self.condition(1) if rng.random() < 0.15 else self.value(0)
        used = sorted(set("".join(re.findall(r"\[([ijk,]+)\]", rhs)).replace(",", "")))
        # Sums are drawn only over finite fills: a sum of products is factored (sum_k a[k]*b is
        # b*sum_k a[k]), which with infinities is not NumPy's sum of products (README: "Fill values").
        finite = all(np.isfinite(fill) for _, _, fill in self.operands.values())
        output = [i for i in used if rng.random() < 0.8 or not finite]
        rng.shuffle(output)
        return f"OUT[{','.join(output)}] = {rhs}" if output else f"OUT = {rhs}"


def operand_values(rng: np.random.Generator, indices, fmt: str, fill: float) -> np.ndarray:
    shape = tuple(EXTENTS[i] for i in indices)
    values = np.round(rng.uniform(-1, 1, shape), 2)
    if fmt not in ("d", "dense"):
        values[rng.random(shape) < rng.choice([0.3, 0.6, 1.0])] = fill
    return values


def check(seed: int) -> dict:
    draw = Draw(seed)
    statement = draw.statement()
    rng = np.random.default_rng(seed)
    arrays = {name: operand_values(rng, *spec) for name, spec in draw.operands.items()}
    tensors = {name: es.tensor(arrays[name], fmt, fill=None if fill == 0 else fill)
               for name, (_, fmt, fill) in draw.operands.items()}
    record = {"seed": seed, "statement": statement,
              "operands": {n: [fmt, repr(fill)] for n, (_, fmt, fill) in draw.operands.items()}}
    with np.errstate(all="ignore"):
        expected = dense_reference(statement, arrays)
    try:
        result = es.evaluate(statement, **tensors)
    except es.NotSupportedError as error:  # a kernel past the size limit: refused as documented
        assert "lines (at most" in str(error), str(error)
        record["refused"] = str(error).split(":")[0]
        return record
    got = result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)
    record["fill"] = repr(result.fill) if isinstance(result, es.Tensor) else None
    if got.dtype == np.bool_:  # a sum of bools into a bool is True where any is, as NumPy's einsum
        expected = expected.astype(bool)
    np.testing.assert_allclose(got.astype(expected.dtype), expected, rtol=1e-9, atol=1e-12, equal_nan=True,
                               err_msg=json.dumps(record))
    return record


@pytest.mark.parametrize("seed", range(START, START + EXAMPLES))
def test_random_operator_statement_matches_numpy(seed):
    record = check(seed)
    log = os.environ.get("EINSPARSE_OPFUZZ_LOG")
    if log:
        with open(log, "a") as out:
            out.write(json.dumps(record) + "\n")
