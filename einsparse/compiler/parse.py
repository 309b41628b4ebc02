"""Statement text -> syntax tree (syntax.py nodes with spans), or a ParseError that points at the culprit.

The grammar lives in einsparse/grammar/einsum.lark; this module turns lark's parse tree into syntax nodes and
lark's errors into one-line messages in human words followed by the statement with a caret.
"""

from __future__ import annotations

import math
import re

from lark import Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, VisitError

from einsparse.compiler.functions import FUNCTIONS, known_functions
from einsparse.compiler.reductions import REDUCTIONS, known_reductions
from einsparse.compiler.syntax import (Access, BinOp, Call, Expr, Index, IndexValue, Neg, Not, Number, Reduce, Span,
                                      Statement, accesses, index_names)
from einsparse.errors import ParseError, StatementError, point_at
from einsparse.grammar import parser

__all__ = ["parse"]


def parse(text: str) -> Statement:
    """Parse one statement such as `C[i,j] = A[i,k]*B[k,j]`; raises ParseError if it is malformed."""
    if not text.strip():
        raise ParseError("the statement is empty")
    try:
        tree = parser().parse(text)
    except UnexpectedInput as error:
        raise ParseError(_describe(text, error)) from None
    # Non-recursive so that deeply nested input cannot overflow the stack here.
    try:
        left, op, rhs, start = _BUILD.transform(tree)
    except VisitError as error:
        if not isinstance(error.orig_exc, _Refused):
            raise
        refused = error.orig_exc
        raise ParseError(point_at(str(refused), text, refused.start, refused.end)) from None
    if isinstance(left, IndexValue):  # a bare output such as `s` is a 0-d tensor
        left = Access(left.name, (), left.span)
    # The grammar reads the left side as an expression; only a plain, unparenthesized access is an output.
    if not isinstance(left, Access) or left.span.start != start:
        kind = "a number" if isinstance(left, Number) else "an expression"
        message = f"the left side of '{op}' must be the output, like C[i,j], not {kind}"
        raise ParseError(point_at(message, text, start, len(text[: op.start_pos].rstrip())))
    indices = {index.name for index in left.indices} | set(index_names(_with_tensors(rhs, set())))
    _check_tensor_names(left, rhs, indices, text)
    return Statement(left, "".join(op.value.split()), _with_tensors(rhs, indices), text=text)


def _with_tensors(node: Expr, indices: set) -> Expr:
    """`node` with every bare name that is not one of the statement's `indices` read as a constant
    (`inf`, `nan`) or a 0-d tensor (the builder reads each bare name as an index value first)."""
    if isinstance(node, IndexValue):
        if node.name in indices:
            return node
        if node.name in CONSTANTS:  # `inf` and `nan` as NumPy spells them, `True` and `False`
            return Number(CONSTANTS[node.name], node.span)
        return Access(node.name, (), node.span)
    if isinstance(node, (Neg, Not)):
        return type(node)(_with_tensors(node.operand, indices), node.span)
    if isinstance(node, BinOp):
        return BinOp(node.op, _with_tensors(node.left, indices), _with_tensors(node.right, indices), node.span)
    if isinstance(node, Call):
        return Call(node.name, tuple(_with_tensors(arg, indices) for arg in node.args), node.span)
    if isinstance(node, Reduce):
        return Reduce(node.name, node.indices, _with_tensors(node.body, indices), node.span)
    return node


def _check_tensor_names(output: Access, rhs: Expr, indices: set, text: str) -> None:
    """A tensor may not share its name with an index: in `y[i] = A[i,j]*j[]`, which `j` would be meant
    where it stands alone?"""
    for access in [output, *accesses(rhs)]:
        if access.name in indices:
            raise StatementError(point_at(
                f"{access.name} names both a tensor and an index of the statement; rename one of them",
                text, access.span.start, access.span.end))



def _span(meta) -> Span:
    return Span(meta.start_pos, meta.end_pos)


@v_args(meta=True)
class _Build(Transformer_NonRecursive):
    """Lark tree -> syntax nodes. Every terminal is named, so children include the punctuation tokens."""

    def statement(self, meta, children):
        left, op, rhs = children
        return left, op, rhs, meta.start_pos

    def binop(self, meta, children) -> BinOp:
        left, op, right = children
        return BinOp(_SPELLED.get(op.value, op.value), left, right, _span(meta))

    def lnot(self, meta, children) -> Not:
        return Not(children[1], _span(meta))

    def call(self, meta, children) -> "Call | Access":
        name, _, *rest = children
        args = [child for child in rest if not isinstance(child, Token)]
        function = FUNCTIONS.get(name.value)
        if function is None:
            if all(isinstance(arg, IndexValue) for arg in args):  # TACO's `A(i,j)`: an access
                return Access(name.value, tuple(Index(arg.name, arg.span) for arg in args), _span(meta))
            raise _Refused(f"unknown function {name.value}; the functions are {known_functions()}",
                           name.start_pos, name.end_pos)
        if len(args) != function.arity:
            given = f"{len(args)} argument{'s' if len(args) != 1 else ''}"
            wanted = f"{function.arity} argument{'s' if function.arity != 1 else ''}"
            raise _Refused(f"{name.value} takes {wanted}, not {given}", meta.start_pos, meta.end_pos)
        return Call(name.value, tuple(args), _span(meta))

    def reduction(self, meta, children) -> Reduce:
        name, *rest = children
        body = next(child for child in rest if not isinstance(child, Token))
        indices = tuple(Index(t.value, Span(t.start_pos, t.end_pos)) for t in rest
                        if isinstance(t, Token) and t.type == "NAME")
        if name.value not in REDUCTIONS:
            raise _Refused(f"unknown reduction {name.value}; the reductions are {known_reductions()}, "
                           f"as in max[k](A[i,k])", name.start_pos, name.end_pos)
        seen = set()
        for index in indices:
            if index.name in seen:
                raise _Refused(f"{name.value} lists index {index.name} twice", index.span.start, index.span.end)
            seen.add(index.name)
        if REDUCTIONS[name.value].arg and len(indices) != 1:
            raise _Refused(f"{name.value} reduces one index (as NumPy's {name.value} one axis), not "
                           f"{len(indices)}: {', '.join(i.name for i in indices)}", meta.start_pos, meta.end_pos)
        return Reduce(name.value, indices, body, _span(meta))

    def neg(self, meta, children) -> Neg:
        return Neg(children[1], _span(meta))

    def paren(self, meta, children) -> Expr:
        return children[1]

    def number(self, meta, children) -> Number:
        token = children[0]
        # The grammar admits only ASCII digits, so all-digits means an integer literal.
        return Number(int(token) if token.isdigit() else float(token), _span(meta))

    def access(self, meta, children) -> "Access | IndexValue":
        name, *rest = children
        if not rest:  # a bare name: an index value if the statement uses it as an index (see parse)
            return IndexValue(name.value, _span(meta))
        indices = tuple(Index(t.value, Span(t.start_pos, t.end_pos)) for t in rest if t.type == "NAME")
        return Access(name.value, indices, _span(meta))


_BUILD = _Build()
CONSTANTS = {"inf": math.inf, "nan": math.nan, "True": True, "False": False}
_SPELLED = {"&": "and", "|": "or"}


class _Refused(Exception):
    """A call the grammar accepts but the language does not: its message and where it is."""

    def __init__(self, message: str, start: int, end: int):
        super().__init__(message)
        self.start, self.end = start, end

# What each lark terminal is called in a message, in the order a message lists them.
_WORDS = {
    "NAME": "an operand",  # "an index" inside brackets, where a number may not appear
    "NUMBER": "a number",
    "MINUS": "'-'",
    "LPAR": "'('",
    "LSQB": "'['",
    "COMMA": "','",
    "RSQB": "']'",
    "RPAR": "')'",
    "EQUAL": "'='",
    "TILDE": "'~'",
    "NOT": "'not'",
    "PLUSEQUAL": "'+='",
    "REDUCE_EQUAL": "a reduction such as 'min='",
    "$END": "the end of the statement",
}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH"}
_MORE_OPERATORS = {"PERCENT", "POW", "COMPARE", "AND", "OR", "AMP", "PIPE"}

# A lone output access such as `C`, `C[i,j]` or `y(i)` (the parser has already accepted what is inside).
_OUTPUT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*(\[[^\]]*\]|\([^)]*\))?")


def _expected(names: set[str]) -> str:
    """A set of lark terminal names in words: `an operand, a number, '-' or '('`."""
    names = set(names)
    words = []
    if _OPERATORS <= names:
        words.append("an operator")
        # Where an operator may follow, '[' and '(' could only open the indices of the name just read.
        names -= _OPERATORS | _MORE_OPERATORS | {"LSQB", "LPAR"}
    for name, phrase in _WORDS.items():
        if name in names:
            words.append("an index" if name == "NAME" and "NUMBER" not in names else phrase)
    words += sorted(names - _WORDS.keys())  # not expected to happen; raw names beat dropping them
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _column(text: str, pos: int) -> int:
    """1-based column of offset `pos` within its line."""
    return pos - text.rfind("\n", 0, pos)


def _describe(text: str, error: UnexpectedInput) -> str:
    """The ParseError message for a lark error: one line, then the statement with a caret."""
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream
        return point_at(f"unexpected character {text[pos]!r} at column {_column(text, pos)}", text, pos)
    token = getattr(error, "token", None)
    at_end = token is None or token.type == "$END"
    pos = len(text.rstrip()) if at_end else token.start_pos  # at the end: just after the last token
    expected = _acceptable(text[:pos])
    before = " ".join(text[:pos].split())  # one line even if the output spans several
    if "EQUAL" in expected and _OUTPUT.fullmatch(before):
        return point_at(f"missing '=' or '+=' after the output {before}", text, pos)
    if at_end:
        return point_at(f"the statement ends too early: expected {_expected(expected)}", text, pos)
    message = f"unexpected {token.value!r} at column {_column(text, pos)}: expected {_expected(expected)}"
    return point_at(message, text, pos)


def _acceptable(prefix: str) -> set[str]:
    """The terminals that may follow `prefix`, which parses so far.

    Lark's own expected set is blurred by LALR's merged states (the left and right sides share their
    states, so it would offer '=' on the right); trying each terminal on the parser is exact.
    """
    interactive = parser().parse_interactive(prefix)
    interactive.exhaust_lexer()
    return interactive.accepts()
