"""Differential fuzzing: hypothesis-generated statements over random formats, extents, densities and
dtypes, each compared with NumPy einsum through `einsparse.reference`.

A drawn example is one statement with its formats and dtypes (one compiled kernel); it is then run on
`TRIALS` data sets of different extents (0 and 1 included) and densities (empty and full included),
which reuse the kernel, so the number of Numba compilations stays bounded by the number of examples.

CI runs a fixed, derandomized set. `EINSPARSE_FUZZ_EXAMPLES=N` runs N random examples instead
(`EINSPARSE_FUZZ_SEED` fixes the seed); `EINSPARSE_FUZZ_LOG=path` appends one JSON line per example.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis import strategies as st

import einsparse as es
from einsparse.compiler import syntax as syn
from einsparse.compiler.parse import parse
from einsparse.reference import dense_reference, products
from einsparse.runtime import parallel
from test_tensor import all_formats, check_structure

INDICES = ["i", "j", "k", "l", "m"]
# Small integer types wrap in NumPy's arithmetic: the reference's exact int64 values, made the result
# type, wrap the same way; a statement NumPy wraps earlier (README: "Value types") is refused, as drawn.
DTYPES = [np.float64, np.float32, np.int64, np.complex128, np.int8, np.uint8, np.int16, np.complex64]
LITERALS = ["2", "0.5", "3", "0", "1", "1e-1"]
FORMATS = {rank: [str(f) for f in all_formats(rank)] for rank in range(5)}
# A format with a band or bitmap level is drawn as often as one of the older kinds only.
NEWER_LETTERS = "bm"
TRIALS = 6
MAX_PRODUCTS = 48  # the reference expands the right side; nested sums of sums would explode it

LONG = "EINSPARSE_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("EINSPARSE_FUZZ_EXAMPLES", "20"))
# With more than one thread, every call runs in chunks, tiny ones included: the chunks' join is fuzzed too.
THREADS = int(os.environ.get("EINSPARSE_FUZZ_THREADS", "1"))


@pytest.fixture(autouse=True, scope="module")
def _tiny_calls_in_chunks():
    with pytest.MonkeyPatch.context() as patch:
        if THREADS > 1:
            patch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
        yield


@st.composite
def statements(draw):
    """(statement text, {operand: indices}, {divisor operand}, output indices, op)."""
    ranks: dict[str, tuple[str, ...]] = {}
    divisors: set[str] = set()

    def access():
        reusable = sorted(n for n in ranks if n not in divisors)
        if reusable and draw(st.integers(0, 4)) == 0:  # the same operand again, maybe transposed
            name = draw(st.sampled_from(reusable))
            indices = ranks[name][::-1] if draw(st.booleans()) else ranks[name]
            return _written(name, indices)
        rank = draw(st.integers(0, 4))
        pool = INDICES[: draw(st.integers(1, len(INDICES)))]
        indices = tuple(draw(st.sampled_from(pool)) for _ in range(rank))  # repeats read diagonals
        name = f"T{len(ranks)}"
        ranks[name] = indices
        return _written(name, indices)

    def factor(depth):
        choice = draw(st.integers(0, 11))
        if choice == 0:
            return draw(st.sampled_from(LITERALS))
        if choice in (1, 2) and depth < 3:
            return f"({expression(depth + 1)})"
        if choice == 3:
            return "-" + factor(depth)
        used = sorted({i for indices in ranks.values() for i in indices})
        if choice == 4 and used:  # an index of the statement used as a value: its coordinate
            return draw(st.sampled_from(used))
        return access()

    def product(depth):
        text = "*".join(factor(depth) for _ in range(draw(st.integers(1, 4))))
        if draw(st.integers(0, 6)) == 0:
            if draw(st.booleans()):
                text += "/" + draw(st.sampled_from(["2", "4"]))
            else:
                name = f"d{len(divisors)}"
                ranks[name] = (draw(st.sampled_from(INDICES)),)
                divisors.add(name)
                text += f"/{_written(name, ranks[name])}"
        return text

    def expression(depth):
        text = ("-" if draw(st.integers(0, 5)) == 0 else "") + product(depth)
        for _ in range(draw(st.integers(0, 3 if depth == 0 else 1))):
            text += draw(st.sampled_from([" + ", " - "])) + product(depth)
        return text

    rhs = expression(0)
    used = sorted({i for indices in ranks.values() for i in indices})
    output = draw(st.permutations(used).map(lambda p: p[: draw(st.integers(0, min(4, len(p))))]))
    op = draw(st.sampled_from(["=", "=", "+="]))
    return f"{_written('OUT', output)} {op} {rhs}", ranks, divisors, tuple(output), op


def _written(name, indices):
    return f"{name}[{','.join(indices)}]" if indices else name


def expected_dtype(node, dtypes: dict) -> np.dtype:
    """NumPy's own promotion, computed by NumPy on one-element arrays (literals stay Python numbers,
    so they promote weakly)."""
    def value(node):
        if isinstance(node, syn.Number):
            return node.value
        if isinstance(node, syn.Access):
            return np.ones(1, dtypes[node.name])
        if isinstance(node, syn.IndexValue):  # coordinates are an int64 array, as np.arange gives
            return np.ones(1, np.int64)
        if isinstance(node, syn.Neg):
            return -value(node.operand)
        left, right = value(node.left), value(node.right)
        if not isinstance(left, np.ndarray) and not isinstance(right, np.ndarray):
            # Literals with literals stay Python numbers, as in Python (np.multiply(2, 3) is a strong
            # np.int64); only their kind matters here, and true division makes a float.
            return 1.0 if node.op == "/" else {"+": left + right, "-": left - right, "*": left * right}[node.op]
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}[node.op](left, right)

    result = value(node)
    return np.asarray(result).dtype if isinstance(result, np.ndarray) else np.result_type(result)


def random_values(rng, shape, dtype, density, divisor=False):
    if divisor:  # never zero: the statement divides by it
        values = rng.integers(1, 4, shape) * rng.choice([-1, 1], shape)
        return values.astype(dtype) if np.dtype(dtype).kind != "c" else (values * (1 + 0.5j)).astype(dtype)
    if np.dtype(dtype).kind in "iu":
        values = rng.integers(-3, 4, shape)  # negative ones wrap in unsigned types: large values
    elif np.dtype(dtype).kind == "c":
        values = rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)
    else:
        values = rng.uniform(-1, 1, shape)
    return (values * (rng.random(shape) < density)).astype(dtype)


def tolerance(dtypes) -> float:
    """NumPy computes float32 * float32 in float32 even when another operand is float64, and so does
    einsparse; the reference computes everything in float64, so float32 anywhere means float32 accuracy."""
    return 2e-4 if {np.dtype(np.float32), np.dtype(np.complex64)} & set(dtypes) else 1e-9


def random_extents(rng) -> dict[str, int]:
    return {index: int(rng.choice([0, 1, 2, 3, 4], p=[0.05, 0.15, 0.3, 0.3, 0.2])) for index in INDICES}


def unify(statement: syn.Statement, extents: dict) -> dict:
    """One operand, one shape: indices an operand is accessed with in two orders get one extent."""
    seen: dict[str, tuple] = {}
    tied = dict(extents)
    changed = True
    while changed:
        changed = False
        for access in syn.accesses(statement.rhs):
            names = tuple(i.name for i in access.indices)
            if access.name in seen and seen[access.name] != names:
                for a, b in zip(seen[access.name], names):
                    if tied[a] != tied[b]:
                        tied[a] = tied[b] = min(tied[a], tied[b])
                        changed = True
            seen.setdefault(access.name, names)
    return tied


def check_case(statement, formats, dtypes, divisors, output, op, rng):
    """Run one data set through the statement and compare with the reference; returns the result."""
    tree = parse(statement)
    extents = unify(tree, random_extents(rng))
    density = float(rng.choice([0.0, 0.2, 0.5, 1.0]))
    operands = {}
    for access in syn.accesses(tree.rhs):
        if access.name in operands:
            continue
        shape = tuple(extents[i.name] for i in access.indices)
        operands[access.name] = random_values(rng, shape, dtypes[access.name], density,
                                              divisor=access.name in divisors)
    try:
        dtype = expected_dtype(tree.rhs, dtypes)
    except OverflowError:  # NumPy refuses a literal out of an integer operand's range: so must einsparse
        given = {"OUT": np.zeros(tuple(extents[i] for i in output))} if op == "+=" else {}
        with pytest.raises(es.DTypeError, match="does not fit"):
            es.evaluate(statement, {k: v for k, v in formats.items() if k != "OUT"}, threads=THREADS,
                        **given, **operands)
        return None
    given = {}
    old = None
    if op == "+=":
        old = random_values(rng, tuple(extents[i] for i in output), dtype, 0.5)
        given["OUT"] = old.copy() if "OUT" not in formats else es.tensor(old, format=formats["OUT"])
    expected = dense_reference(statement, operands, old)
    got = es.evaluate(statement, formats, threads=THREADS, **given, **operands)
    if isinstance(got, es.Tensor):
        check_structure(got)
        check_no_empty_fiber(got)
    result = np.asarray(got)
    context = f"{statement} formats={formats} dtypes={dtypes} extents={extents}"
    assert result.shape == expected.shape, context
    assert result.dtype == dtype, f"dtype {result.dtype}, NumPy gives {dtype}: {context}"
    if dtype.kind in "iu":
        assert np.array_equal(result, expected.real.astype(np.int64).astype(dtype)), context
    else:
        tol = tolerance({*dtypes.values(), dtype})
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        np.testing.assert_allclose(result, expected, rtol=tol, atol=tol * scale, err_msg=context)


def _log(record: dict) -> None:
    path = os.environ.get("EINSPARSE_FUZZ_LOG")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")


def fuzz_settings(test):
    test = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                    phases=[Phase.explicit, Phase.generate],  # the log and message carry the case; shrinking is slow
                    suppress_health_check=list(HealthCheck))(test)
    if LONG and "EINSPARSE_FUZZ_SEED" in os.environ:
        test = seed(int(os.environ["EINSPARSE_FUZZ_SEED"]))(test)
    return test


def check_no_empty_fiber(t: es.Tensor) -> None:
    """Below the last compressed or singleton level of a sparse output, only dense levels: every fiber
    stored there holds a value that is not zero (TACO's assembly; a computed zero is not stored)."""
    levels = t.format.levels
    kinds = [str(kind) for kind in levels]
    last = max((k for k, kind in enumerate(kinds) if kind in "cus"), default=None)
    if last is None or last == len(levels) - 1 or any(kind != "d" for kind in kinds[last + 1:]):
        return
    block = int(np.prod([t.shape[m] for m in t.format.mode_order[last + 1:]]))
    if block and len(t.vals):
        fibers = np.asarray(t.vals).reshape(-1, block)
        assert np.all(np.any((fibers != 0) | np.isnan(fibers), axis=1)), f"an empty fiber in {t.format.name}"


@st.composite
def formats_of(draw, rank: int) -> str:
    """A format of `rank`: one of TACO's kinds (d, c, u, s) in every mode order, or, half the time,
    the same with some levels made band or bitmap."""
    fmt = draw(st.sampled_from(FORMATS[rank]))
    if rank == 0 or draw(st.booleans()):
        return fmt
    letters, _, order = fmt.partition(":")
    if "u" in letters:  # a COO chain stays: its levels share positions
        return fmt
    chosen = [draw(st.sampled_from(letters[k] + NEWER_LETTERS)) for k in range(rank)]
    return "".join(chosen) + (":" + order if order else "")


@pytest.mark.parametrize("family", ["real", "mixed"])
@fuzz_settings
@given(case=statements(), data=st.data())
def test_random_statement_matches_numpy(family, case, data):
    statement, ranks, divisors, output, op = case
    assume(len(ranks) <= 7 and len(products(parse(statement).rhs)) <= MAX_PRODUCTS)
    choices = DTYPES[:1] if family == "real" else DTYPES
    dtypes = {name: np.dtype(data.draw(st.sampled_from(choices))) for name in ranks}
    formats = {name: data.draw(formats_of(len(indices))) for name, indices in ranks.items() if name not in divisors}
    output_format = data.draw(st.one_of(st.none(), formats_of(len(output))))
    if output_format is not None:
        formats["OUT"] = output_format
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    record = {"statement": statement, "formats": formats, "dtypes": {k: str(v) for k, v in dtypes.items()}}
    start = time.perf_counter()
    try:
        for _ in range(TRIALS):
            check_case(statement, formats, dtypes, divisors, output, op, rng)
    except es.NotSupportedError as error:  # documented limits (co-iteration width, kernel size)
        _log({**record, "outcome": "refused", "error": str(error)})
        assume(False)
    except Exception as error:
        _log({**record, "outcome": "failed", "error": f"{type(error).__name__}: {error}"[:2000]})
        raise
    _log({**record, "outcome": "ok", "cases": TRIALS, "seconds": round(time.perf_counter() - start, 2)})
