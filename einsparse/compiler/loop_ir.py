"""Loop IR: the kernel as loops, branches and plain statements, printed as Python source.

Statements hold their expressions as Python text built by the lowering; the structure (what runs
inside what) is explicit, so it can be printed, inspected and tested without Numba.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from einsparse.levels.base import subscript  # noqa: F401  (the lowerer's subscripts)


@dataclass(frozen=True)
class Line:
    text: str  # one simple statement: `t0 = zero`, `C_vals[pC2] += ...`


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class For:
    var: str
    start: str
    stop: str
    body: tuple["Node", ...]
    step: str = "1"


@dataclass(frozen=True)
class While:
    condition: str
    body: tuple["Node", ...]


@dataclass(frozen=True)
class If:
    branches: tuple[tuple[str, tuple["Node", ...]], ...]  # (condition, body), as if / elif ...
    orelse: Optional[tuple["Node", ...]] = None


Node = Union[Line, Comment, For, While, If]


def to_python(nodes: tuple[Node, ...], indent: int = 1) -> str:
    return "\n".join(_lines(nodes, indent))


def _lines(nodes, indent: int):
    pad = "    " * indent
    if not nodes:
        yield pad + "pass"
    for node in nodes:
        if isinstance(node, Line):
            yield pad + node.text
        elif isinstance(node, Comment):
            yield pad + "# " + node.text
        elif isinstance(node, For):
            start = "" if node.start == "0" and node.step == "1" else f"{node.start}, "
            step = "" if node.step == "1" else f", {node.step}"
            yield f"{pad}for {node.var} in range({start}{node.stop}{step}):"
            yield from _lines(node.body, indent + 1)
        elif isinstance(node, While):
            yield f"{pad}while {node.condition}:"
            yield from _lines(node.body, indent + 1)
        elif isinstance(node, If):
            for k, (condition, body) in enumerate(node.branches):
                yield f"{pad}{'if' if k == 0 else 'elif'} {condition}:"
                yield from _lines(body, indent + 1)
            if node.orelse is not None:
                yield f"{pad}else:"
                yield from _lines(node.orelse, indent + 1)
        else:
            raise TypeError(f"not a loop IR node: {node!r}")


def count_lines(nodes) -> int:
    """How many lines `to_python` prints for `nodes`."""
    total = 0
    for node in nodes:
        if isinstance(node, (For, While)):
            total += 1 + max(1, count_lines(node.body))
        elif isinstance(node, If):
            total += sum(1 + max(1, count_lines(body)) for _, body in node.branches)
            if node.orelse is not None:
                total += 1 + max(1, count_lines(node.orelse))
        else:
            total += 1
    return total
