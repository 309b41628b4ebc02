"""The parser never crashes: random text and mutations of valid statements either compile (to a plan;
nothing is run) or raise an EinsparseError, and a statement error shows the statement with a caret."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import einsparse as es

VALID = [
    "C[i,j] = A[i,k]*B[k,j] + D[i,j]",
    "y(i) += A(i,j)*x(j)",
    "s = a[i]*b[i]",
    "M[i,j] = T[i,k,l]*U[k,j]*V[l,j]",
    "C[i,j] = -(A[i,j] - 2.5e-1*B[j,i])/d[j]",
    "d[i] = A[i,i]",
    "s = alpha*3 + beta[]",
]
ALPHABET = "ABCijk_0123456789.eE+-*/=()[], \t\n;#'\"@!\\é" + "\x00"

EXAMPLES = int(os.environ.get("EINSPARSE_FUZZ_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="EINSPARSE_FUZZ_EXAMPLES" not in os.environ,
                    database=None, suppress_health_check=list(HealthCheck))


@st.composite
def mutated(draw):
    text = list(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        char = draw(st.sampled_from(ALPHABET))
        if action == "insert" or not text:
            text.insert(where, char)
        elif action == "delete":
            del text[min(where, len(text) - 1)]
        elif action == "replace":
            text[min(where, len(text) - 1)] = char
        else:
            end = draw(st.integers(where, len(text)))
            text[where:where] = text[where:end]
    return "".join(text)


def compiles_or_points(text: str) -> None:
    try:
        es.compile(text)  # parse, check, schedule and emit: no Numba until the kernel is called
    except (es.ParseError, es.StatementError) as error:
        lines = str(error).split("\n")
        if not text.strip():
            assert lines == ["the statement is empty"]
            return
        assert len(lines) == 3 and lines[2].strip().startswith("^"), str(error)
        shown = lines[1][4:]
        assert shown in text, (shown, text)  # the statement's own line, under which the caret points
    except es.EinsparseError as error:
        assert not isinstance(error, es.InternalError), f"{text!r}: {error}"


@SETTINGS
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_random_text(text):
    compiles_or_points(text)


@SETTINGS
@given(mutated())
def test_mutated_statements(text):
    compiles_or_points(text)


def test_valid_statements_compile():
    for text in VALID:
        assert es.compile(text).statement
