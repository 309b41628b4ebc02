"""Differential fuzzing of planned products: random einsum calls of 3 to 6 operands (matrices and
vectors in random formats, over random letters) run with `optimize=False` (one fused nest) and along a
random contraction path (followed as given, so every grouping's kernels and temporaries are exercised),
both against `np.einsum`. CI runs `EXAMPLES` seeds; `EINSPARSE_PLANFUZZ_EXAMPLES=N` runs N from
`EINSPARSE_PLANFUZZ_SEED`."""

from __future__ import annotations

import os

import numpy as np
import pytest

import einsparse as es

EXAMPLES = int(os.environ.get("EINSPARSE_PLANFUZZ_EXAMPLES", "10"))
START = int(os.environ.get("EINSPARSE_PLANFUZZ_SEED", "0"))
LETTERS = "abcdef"


def draw(seed: int):
    """(subscripts, operands, path): a product of 3-6 operands of rank 1-2 whose letters chain them."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(3, 7))
    extents = {c: int(rng.integers(2, 6)) for c in LETTERS}
    terms, operands = [], []
    for k in range(count):
        rank = 2 if rng.random() < 0.7 else 1
        letters = "".join(rng.choice(list(LETTERS), rank, replace=False))
        if terms and not set(letters) & set("".join(terms)):  # share a letter with what came before
            letters = rng.choice(list("".join(terms))) + letters[1:]
        values = np.round(rng.uniform(-1, 1, [extents[c] for c in letters]), 2)
        values[rng.random(values.shape) < 0.5] = 0
        fmt = rng.choice(["dense", "csr", "csc", "coo"] if rank == 2 else ["dense", "c"])
        terms.append(letters)
        operands.append(es.tensor(values, str(fmt)))
    used = sorted(set("".join(terms)))
    output = "".join(c for c in used if rng.random() < 0.35)
    path, parts = [], count
    while parts > 1:
        pair = tuple(sorted(rng.choice(parts, 2, replace=False).tolist()))
        path.append(pair)
        parts -= 1
    return f"{','.join(terms)}->{output}", operands, path


@pytest.mark.parametrize("seed", range(START, START + EXAMPLES))
def test_planned_products_match_numpy(seed):
    subscripts, operands, path = draw(seed)
    expected = np.einsum(subscripts, *[t.to_numpy() for t in operands])
    for optimize in (False, ["einsum_path", *path]):
        result = es.einsum(subscripts, *operands, optimize=optimize)
        got = result.to_numpy() if isinstance(result, es.Tensor) else np.asarray(result)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{subscripts} optimize={optimize}")
