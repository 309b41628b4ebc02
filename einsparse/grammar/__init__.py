"""The lark grammar of one statement (einsum.lark), built once on first use and shared."""

from __future__ import annotations

from functools import lru_cache

from lark import Lark


@lru_cache(maxsize=None)
def parser() -> Lark:
    """The LALR parser of einsum.lark; tokens and trees carry source positions."""
    return Lark.open_from_package(
        "einsparse.grammar",
        "einsum.lark",
        parser="lalr",
        lexer="basic",  # the terminals never clash, and one lexer keeps error reports predictable
        propagate_positions=True,
        start="statement",
    )
