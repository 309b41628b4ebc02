"""The public face: `compile`, `evaluate`, `einsum` and `tensor`."""

from __future__ import annotations

import threading

from einsparse.compiler import syntax as syn
from einsparse.compiler.formats import Format, parse_format
from einsparse.compiler.parse import parse
from einsparse.compiler.pipeline import compile_plan
from einsparse.errors import NotSupportedError, OperandError, StatementError
from einsparse.runtime.convert import natural_format, tensor  # noqa: F401  (re-exported)
from einsparse.runtime.kernel import Kernel

_kernels: dict[tuple, Kernel] = {}
_kernels_lock = threading.Lock()


def compile(statement: str, formats: "dict | None" = None) -> Kernel:  # noqa: A001 (numpy-like name)
    """Compile `statement` for the given formats (names to format strings; unnamed tensors are dense).

    The result is cached in memory by statement and formats, and its machine code on disk.
    """
    parsed = parse(statement) if isinstance(statement, str) else statement
    plan_key = (syn.deparse(parsed), _format_key(formats))
    kernel = _kernels.get(plan_key)
    if kernel is None:
        kernel = Kernel(compile_plan(parsed, formats))
        with _kernels_lock:
            kernel = _kernels.setdefault(plan_key, kernel)
    return kernel


def _format_key(formats) -> tuple:
    if not formats:
        return ()
    return tuple(sorted((name, str(spec)) for name, spec in formats.items()))


def evaluate(statement: str, formats: "dict | None" = None, **operands):
    """Compile (cached) and run `statement` on `operands`; formats default to the operands' own."""
    parsed = parse(statement)
    chosen = dict(formats or {})
    output = parsed.output.name
    for name, value in operands.items():
        if name not in chosen and name != output:
            chosen[name] = natural_format(value, name=f"operand {name}")
    kernel = compile(parsed, {k: v for k, v in chosen.items() if _in_statement(parsed, k)})
    return kernel(**operands)


def _in_statement(statement: syn.Statement, name: str) -> bool:
    if statement.output.name == name:
        return True
    return any(access.name == name for access in _accesses(statement.rhs))


def _accesses(node):
    if isinstance(node, syn.Access):
        yield node
    elif isinstance(node, syn.Neg):
        yield from _accesses(node.operand)
    elif isinstance(node, syn.BinOp):
        yield from _accesses(node.left)
        yield from _accesses(node.right)


def einsum(subscripts: str, *operands, format=None):  # noqa: A002 (numpy's parameter name)
    """NumPy's `einsum` subscripts (`"ik,kj->ij"`, or implicit output `"ik,kj"`) over any operands."""
    statement, names = einsum_statement(subscripts, len(operands))
    formats = {} if format is None else {"out": format}
    return evaluate(statement, formats, **dict(zip(names, operands)))


_OPERAND_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_statement(subscripts: str, count: int) -> tuple[str, list[str]]:
    """`"ik,kj->ij"` with 2 operands -> (`"out[i,j] = A[i,k]*B[k,j]"`, ["A", "B"])."""
    text = subscripts.replace(" ", "")
    if "." in text:
        raise NotSupportedError(f"einsum subscripts {subscripts!r}: ellipsis ('...') is not supported yet")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise OperandError(f"einsum subscripts {subscripts!r} name {len(terms)} operand"
                           f"{'s' if len(terms) != 1 else ''} but {count} were given")
    for term in terms + [output]:
        bad = [c for c in term if not c.isalpha()]
        if bad:
            raise StatementError(f"einsum subscripts {subscripts!r}: {bad[0]!r} is not an index letter")
    if not arrow:
        counts = {c: inputs.count(c) for c in inputs if c.isalpha()}
        output = "".join(sorted(c for c, n in counts.items() if n == 1))
    if count > len(_OPERAND_NAMES):
        raise NotSupportedError(f"einsum with more than {len(_OPERAND_NAMES)} operands")
    names = list(_OPERAND_NAMES[:count])
    factors = "*".join(_access(name, term) for name, term in zip(names, terms)) or "1"
    return f"{_access('out', output)} = {factors}", names


def _access(name: str, letters: str) -> str:
    return f"{name}[{','.join(letters)}]" if letters else name


__all__ = ["compile", "evaluate", "einsum", "tensor", "Format", "parse_format", "Kernel"]
