"""The statement a command is given, parsed, with what the commands need from it: its tensors, their
ranks and accesses, the output's format as `es.evaluate` chooses it, and the compiled kernel."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Statement:
    """A parsed statement and what the command line needs from it."""

    parsed: object
    assignment: object
    text: str
    output: str
    op: str
    output_indices: tuple
    inputs: list = field(default_factory=list)              # in order of first appearance
    accesses: list = field(default_factory=list)            # (tensor, index names), output first
    ranks: dict = field(default_factory=dict)

    @property
    def tensors(self) -> list:
        return [self.output, *[n for n in self.inputs if n != self.output]]


def _statement(text: str) -> _Statement:
    from einsparse.compiler import syntax as syn
    from einsparse.compiler.check import resolve_formats
    from einsparse.compiler.normalize import normalize
    from einsparse.compiler.parse import parse

    parsed = parse(text)
    assignment = normalize(parsed)
    resolve_formats(assignment, {}, parsed.text or text)  # a tensor indexed with two ranks: exit 2
    accesses = [(parsed.output.name, tuple(i.name for i in parsed.output.indices))]

    accesses += [(node.name, tuple(i.name for i in node.indices)) for node in syn.accesses(parsed.rhs)]
    inputs = list(dict.fromkeys(name for name, _ in accesses[1:]))
    ranks = {name: len(indices) for name, indices in accesses}
    return _Statement(parsed, assignment, parsed.text or text, parsed.output.name, parsed.op,
                      accesses[0][1], inputs, accesses, ranks)


def _output_format(st: _Statement, formats: dict, values: dict):
    """The output's format as `es.evaluate` chooses it: given, the given output's own, else sparse
    when the result is structurally sparse."""
    from einsparse.compiler.check import choose_output_format, resolve_formats
    from einsparse.runtime.convert import natural_format

    if st.output in formats:
        return formats[st.output]
    if st.output in values:
        return natural_format(values[st.output], name=f"output {st.output}")
    from einsparse.runtime.stored import operand_fill

    fills = {name: operand_fill(value) for name, value in values.items() if name in st.inputs}
    return choose_output_format(st.assignment, resolve_formats(st.assignment, formats, st.text), fills)


def _compile(st: _Statement, formats: dict, threads=None, cluster=None):
    from einsparse.api import compile as compile_kernel

    return compile_kernel(st.parsed, formats, threads, client=cluster)
