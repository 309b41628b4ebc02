"""NumPy's einsum subscripts read as einsparse statements: `"ik,kj->ij"` and the sublist form
`(A, [0, 1], B, [1, 2], [0, 2])` become index names per operand and the statement
`out[i,j] = A[i,k]*B[k,j]`.

An ellipsis stands for the dimensions an operand has beyond its letters; they are aligned from the
right across operands, as NumPy broadcasts, and named `e0`, `e1`, ... (no letter is two characters
long, so they never clash). In implicit mode the output is the ellipsis dimensions, then the letters
used once in alphabetical (ASCII) order. Text only: reading the operands is `numpy_einsum.py`'s.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from einsparse.errors import OperandError, StatementError

_OPERAND_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy: 0-25 are A-Z, 26-51 a-z


def from_sublists(arguments: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """`einsum(a, [0, 1], b, [1, 2], [0, 2])` -> ("Ab,bC->AC"-like subscripts, (a, b))."""
    operands, terms = arguments[0::2], arguments[1::2]
    output = None
    if len(arguments) % 2 == 1:  # an odd count ends with the output's sublist
        operands, output = arguments[0:-1:2], arguments[-1]
        terms = arguments[1:-1:2]
    text = ",".join(_sublist_text(term, k) for k, term in enumerate(terms))
    if output is not None:
        text += "->" + _sublist_text(output, None)
    return text, tuple(operands)


def _sublist_text(term: Any, position: int | None) -> str:
    where = "the output sublist" if position is None else f"the sublist of operand {position}"
    if isinstance(term, np.ndarray) and term.ndim == 1 and term.dtype.kind in "iu":
        term = term.tolist()  # NumPy takes an integer array as a sublist too
    if not isinstance(term, (list, tuple)):
        raise StatementError(f"einsum subscripts must be a string such as 'ij,jk->ik', or a list after each "
                             f"operand such as einsum(A, [0, 1], B, [1, 2], [0, 2]); {where} is a "
                             f"{type(term).__name__}")
    letters = []
    for item in term:
        if item is Ellipsis:
            letters.append("...")
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < 52:
            letters.append(_SUBLIST_LETTERS[item])
        else:
            raise StatementError(f"einsum: {where} holds {item!r}; subscripts in a sublist are integers "
                                 f"from 0 to 51 or Ellipsis")
    return "".join(letters)


@functools.lru_cache(maxsize=512)
def parse(subscripts: str, ranks: tuple[int, ...]) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(index names of each operand, index names of the output) for operands of `ranks`."""
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise StatementError(f"einsum subscripts {subscripts!r} have more than one '->'")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ranks):
        raise OperandError(f"einsum subscripts {subscripts!r} name {len(terms)} operand"
                           f"{'s' if len(terms) != 1 else ''} but {len(ranks)} "
                           f"{'was' if len(ranks) == 1 else 'were'} given")
    for term in terms + ([output] if arrow else []):
        _check_letters(subscripts, term)
    widths = []  # ellipsis dimensions of each operand
    for position, (term, rank) in enumerate(zip(terms, ranks)):
        letters = len(term.replace("...", ""))
        if ("..." in term and letters > rank) or ("..." not in term and letters != rank):
            raise OperandError(f"einsum operand {position} has rank {rank} but its subscripts {term!r} name "
                               f"{letters} ind{'ex' if letters == 1 else 'ices'}")
        widths.append(rank - letters if "..." in term else 0)
    width = max(widths, default=0)
    ellipsis = tuple(f"e{k}" for k in range(width))
    named = tuple(_expand(term, ellipsis[width - w:]) for term, w in zip(terms, widths))
    if arrow:
        if "..." not in output and width and any(widths):
            raise StatementError(f"einsum subscripts {subscripts!r}: the operands have '...' dimensions but "
                                 f"the output has no '...' to put them in")
        out = _expand(output, ellipsis)
        for position, index in enumerate(out):
            if index in out[:position]:
                raise StatementError(f"einsum subscripts {subscripts!r}: output index {index} appears twice")
            if not any(index in term for term in named):
                raise StatementError(f"einsum subscripts {subscripts!r}: output index {index} is not in any "
                                     f"operand's subscripts")
    else:
        written = "".join(inputs.replace("...", "").split(","))
        out = ellipsis + tuple(sorted(c for c in set(written) if written.count(c) == 1))
    return named, out


def _check_letters(subscripts: str, term: str) -> None:
    if term.count("...") > 1:
        raise StatementError(f"einsum subscripts {subscripts!r}: more than one '...' in {term!r}")
    bad = [c for c in term.replace("...", "") if c not in string.ascii_letters]
    if bad:
        raise StatementError(f"einsum subscripts {subscripts!r}: {bad[0]!r} is not an index letter "
                             f"(use a-z and A-Z, and '...')")


def _expand(term: str, ellipsis: tuple[str, ...]) -> tuple[str, ...]:
    before, dots, after = term.partition("...")
    return tuple(before) + (ellipsis if dots else ()) + tuple(after)


def statement(named: Sequence[Sequence[str]], output: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The statement text for index names `named` (one tuple per operand) and `output`, and the
    operand names it uses: A, B, ... skipping the subscripts' letters, then T0, T1, ..."""
    letters = {index for term in named for index in term} | set(output)
    free = [name for name in _OPERAND_NAMES if name not in letters]
    names = tuple(free[:len(named)]) + tuple(f"T{n}" for n in range(len(named) - len(free)))
    factors = "*".join(_access(name, term) for name, term in zip(names, named)) or "1"
    return f"{_access('out', output)} = {factors}", names


def _access(name: str, indices: Sequence[str]) -> str:
    return f"{name}[{','.join(indices)}]" if indices else name
