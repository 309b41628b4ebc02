"""The `einsparse` command: run statements on files, show kernels, check them against NumPy.

    einsparse run "y(i) = A(i,j)*x(j)" A=matrix.mtx x=ones -o y.npy --time 10
    einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr
    einsparse check "C[i,j] = A[i,k]*B[k,j] + D[i,j]" --format A=csc --trials 20
    einsparse cache info | einsparse cache clear
    einsparse spy matrix.mtx -o pattern.png

`main(argv)` returns the exit status instead of exiting, so tests call it in-process: 0 on success, 2 for
a usage or statement error, 1 for a data error (a file missing or malformed, shapes that disagree, a
format the data cannot take). Errors are one message on stderr (a statement error adds the statement
with a caret under the spot); `--debug` adds the Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

from einsparse.errors import (
    EinsparseError,
    FileFormatError,
    NotSupportedError,
    ParseError,
    StatementError,
)
from einsparse.runtime.convert import _guard

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
GENERATED = ("ones", "zeros", "random")
SMALL = 20  # outputs with at most this many entries are printed

# errors in the statement itself, whenever they are found: usage errors (exit 2)
_STATEMENT_ERRORS = (ParseError, StatementError, NotSupportedError)


class UsageError(Exception):
    """A mistake on the command line (exit status 2)."""


class _ArgumentError(Exception):
    """A command-line usage mistake: reported with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line that raises instead of exiting, so `main` can return."""

    def error(self, message):
        raise _ArgumentError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


# ============================================================================================ parser


_RUN_EPILOG = """\
operands:
  NAME=PATH[:FORMAT]   a file: .mtx/.mtx.gz (Matrix Market), .tns (FROSTT), .npy, .npz (scipy save_npz);
                       the format defaults to the file's own (csr for a Matrix Market coordinate file,
                       dense for .npy and Matrix Market array files, coo for .tns)
  NAME=2.5             a scalar
  NAME=ones|zeros|random
                       a dense operand whose shape follows from the other operands (or --shape)

examples:
  einsparse run "C[i,j] = A[i,k]*B[k,j] + D[i,j]" A=bcsstk.mtx:csr B=b.npy D=d.npy -o C.npy
  einsparse run "y(i) = A(i,j)*x(j)" A=1138_bus.mtx x=ones -o y.npy --time 10
  einsparse run "M[i,j] = T[i,k,l]*U[k,j]*V[l,j]" T=t.tns:csf U=u.npy V=v.npy --shape T=2000,2000,2000
  einsparse run "C[i,j] = A[i,k]*A[k,j]" A=662_bus.mtx --format C=csr -o C.mtx
  einsparse run "s = a*A[i,j]*A[i,j]" A=662_bus.mtx a=0.5
"""

_SHOW_EPILOG = """\
stages:
  source     the generated kernel (default)
  ir         the index notation: reductions made explicit as Sum(...)
  schedule   the loop order, co-iteration at each loop, temporaries and the concrete index notation;
             with --dot, the iteration graph and the loop order as Graphviz dot

examples:
  einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr
  einsparse show "y(i) = A(i,j)*x(j)" --format A=coo --stage schedule
  einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --stage schedule --dot | dot -Tpng > g.png
"""

_CHECK_EPILOG = """\
Each trial gives every index a random extent in 2..6 and every operand random values at a random density,
runs the compiled kernel and compares it with NumPy einsum (the statement expanded into products).
Exit status 1 when any trial disagrees.

examples:
  einsparse check "C[i,j] = A[i,k]*B[k,j] + D[i,j]" --format A=csc --trials 20
  einsparse check "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr --seed 7
"""

_CACHE_EPILOG = """\
The kernel cache is $EINSPARSE_CACHE_DIR, else $XDG_CACHE_HOME/einsparse, else ~/.cache/einsparse.

examples:
  einsparse cache info
  einsparse cache clear
"""

_SPY_EPILOG = """\
A matrix gives one picture; a tensor of rank 3 or more gives one per pair of modes (the pattern
projected onto them). Needs matplotlib: pip install einsparse[plot]

examples:
  einsparse spy 662_bus.mtx -o pattern.png
  einsparse spy t.tns -o t.png --shape 100,80,60
"""

_MAIN_EPILOG = """\
examples:
  einsparse run "y(i) = A(i,j)*x(j)" A=matrix.mtx x=ones --time 10
  einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr
  einsparse check "C[i,j] = A[i,k]*B[k,j] + D[i,j]" --format A=csc --trials 20
  einsparse cache info
  einsparse spy matrix.mtx -o pattern.png

exit status: 0 success, 2 usage or statement error, 1 data error (file missing or malformed, shapes
that disagree, a format the data cannot take). Run 'einsparse COMMAND --help' for each command.
"""


def _version() -> str:
    import numba
    import numpy as np

    from einsparse.version import __version__

    return (f"einsparse {__version__} (numba {numba.__version__}, numpy {np.__version__}, "
            f"python {'.'.join(map(str, sys.version_info[:3]))})")


class _VersionAction(argparse.Action):
    """`--version`, which loads Numba for its version only when asked (so `--help` stays fast)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the versions and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the Python traceback of an error")
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="einsparse", parents=[common], formatter_class=raw, epilog=_MAIN_EPILOG,
                     description="Compile sparse tensor algebra statements to fused Numba kernels, "
                                 "run them on files, show them, check them.")
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def statement(sub):
        sub.add_argument("statement", metavar="STATEMENT",
                         help="an index-notation statement, such as 'C[i,j] = A[i,k]*B[k,j] + D[i,j]'")

    def formats(sub, what="a tensor's"):
        sub.add_argument("--format", action="append", default=[], metavar="NAME=FMT",
                         help=f"{what} storage format: dense, csr, csc, dcsr, dcsc, coo, csf, or level "
                              f"letters such as dc:1,0 (repeatable)")

    run = commands.add_parser("run", parents=[common], formatter_class=raw, epilog=_RUN_EPILOG,
                              help="run a statement on operands read from files",
                              description="Compile a statement and run it on operands read from files.")
    statement(run)
    run.add_argument("operands", nargs="*", metavar="NAME=VALUE",
                     help="an operand: NAME=PATH[:FORMAT], NAME=<number>, NAME=ones|zeros|random")
    run.add_argument("-o", "--output", metavar="PATH",
                     help="write the result to PATH (.mtx, .mtx.gz, .tns, .npy or .npz); without it, "
                          "print a summary and, when small, the entries")
    formats(run, "an operand's or the output's")
    run.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...",
                     help="the shape of a .tns operand (default: its largest coordinates), of a "
                          "ones/zeros/random operand, or of a dense output (repeatable)")
    run.add_argument("--print-kernel", action="store_true", help="print the generated kernel")
    run.add_argument("--time", type=_positive, metavar="N",
                     help="time the first call (compile or load from the cache), then N calls")
    run.add_argument("--seed", type=int, default=0, help="seed of NAME=random operands (default 0)")
    run.add_argument("--threads", type=_threads, default=None, metavar="N",
                     help="threads a call may use, 0 for every core (default $EINSPARSE_THREADS, else 1); "
                          "the outermost loop runs in chunks when it is over an output index")
    run.set_defaults(func=cmd_run)

    show = commands.add_parser("show", parents=[common], formatter_class=raw, epilog=_SHOW_EPILOG,
                               help="show the kernel, index notation or schedule (no data needed)",
                               description="Show what a statement compiles to, for given formats; "
                                           "tensors without a format are dense, the output's format is "
                                           "chosen as 'run' would.")
    statement(show)
    formats(show)
    show.add_argument("--stage", choices=("ir", "schedule", "source"), default=None,
                      help="what to show (default: source)")
    show.add_argument("--dot", action="store_true",
                      help="with --stage schedule: the iteration graph and loop order as Graphviz dot")
    show.set_defaults(func=cmd_show)

    check = commands.add_parser("check", parents=[common], formatter_class=raw, epilog=_CHECK_EPILOG,
                                help="compare a compiled statement with NumPy einsum on random data",
                                description="Compile a statement for given formats and compare it "
                                            "with NumPy einsum on random operands of small random shapes.")
    statement(check)
    formats(check)
    check.add_argument("--trials", type=_positive, default=10, metavar="N", help="trials (default 10)")
    check.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    check.set_defaults(func=cmd_check)

    cache = commands.add_parser("cache", parents=[common], formatter_class=raw, epilog=_CACHE_EPILOG,
                                help="show or clear the kernel cache",
                                description="Show (info) or empty (clear) the on-disk kernel cache.")
    cache.add_argument("action", choices=("info", "clear"))
    cache.set_defaults(func=cmd_cache)

    spy = commands.add_parser("spy", parents=[common], formatter_class=raw, epilog=_SPY_EPILOG,
                              help="draw the sparsity pattern of a file (needs matplotlib)",
                              description="Draw the sparsity pattern of a matrix or tensor file.")
    spy.add_argument("path", metavar="PATH", help="a .mtx, .tns, .npy or .npz file")
    spy.add_argument("-o", "--output", metavar="PNG", help="the picture (default: PATH's name with .png)")
    spy.add_argument("--shape", metavar="d0,d1,...", help="the shape of a .tns file")
    spy.set_defaults(func=cmd_spy)
    return parser


def _whole_number(minimum: int, what: str):
    """An argparse type: a whole number of at least `minimum`, else `expected <what>`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, not {value}")
        return value
    return parse


_positive = _whole_number(1, "a positive integer")
_threads = _whole_number(0, "a number of threads (0 for every core)")


# ============================================================================================ main


def main(argv=None) -> int:
    """Run the command line `argv` (default sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    try:
        # operands may come after options (`run ... --format A=csr x=ones`): argparse leaves those over
        args, extra = parser.parse_known_args(argv)
        if extra:
            command = getattr(args, "command", None)
            bad = [e for e in extra if command != "run" or e.startswith("-")]
            if bad:
                prog = f"einsparse {command}" if command else "einsparse"
                raise _ArgumentError(f"{prog}: error: unrecognized arguments: {' '.join(bad)} "
                                     f"(see '{prog} --help')")
            args.operands = [*args.operands, *extra]
    except _ArgumentError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as stop:  # --help, --version
        return stop.code if isinstance(stop.code, int) else EXIT_OK
    debug = getattr(args, "debug", False)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args) or EXIT_OK
    except UsageError as error:
        return _fail(f"einsparse {args.command}: error: {error}", EXIT_USAGE, debug)
    except _STATEMENT_ERRORS as error:
        return _fail(f"einsparse {args.command}: error: {error}", EXIT_USAGE, debug)
    except EinsparseError as error:
        return _fail(f"einsparse {args.command}: error: {error}", EXIT_DATA, debug)
    except KeyboardInterrupt:
        return _fail("einsparse: interrupted", 130, debug)
    except BrokenPipeError:  # `einsparse show ... | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as error:  # a bug: one line, the traceback with --debug
        return _fail(f"einsparse {args.command}: internal error (a bug in einsparse, please report it): "
                     f"{type(error).__name__}: {error}"
                     + ("" if debug else "; run with --debug for the traceback"), EXIT_DATA, debug)


def _fail(message: str, status: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(message, file=sys.stderr)
    return status


class _Progress:
    """Prints `message` on stderr when the work takes more than `delay` seconds, on a terminal only."""

    def __init__(self, message: str, delay: float = 1.0):
        self.message, self.delay, self.shown = message, delay, False
        self.timer = None

    def _show(self):
        self.shown = True
        sys.stderr.write(f"einsparse: {self.message}...")
        sys.stderr.flush()

    def __enter__(self):
        try:
            terminal = sys.stderr.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if terminal:
            self.timer = threading.Timer(self.delay, self._show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc):
        if self.timer is not None:
            self.timer.cancel()
            if self.shown:
                sys.stderr.write(" done\n")
                sys.stderr.flush()
        return False


# ============================================================================================ statements


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

    def walk(node):
        if isinstance(node, syn.Access):
            accesses.append((node.name, tuple(i.name for i in node.indices)))
        elif isinstance(node, syn.Neg):
            walk(node.operand)
        elif isinstance(node, syn.BinOp):
            walk(node.left)
            walk(node.right)

    walk(parsed.rhs)
    inputs = list(dict.fromkeys(name for name, _ in accesses[1:]))
    ranks = {name: len(indices) for name, indices in accesses}
    return _Statement(parsed, assignment, parsed.text or text, parsed.output.name, parsed.op,
                      accesses[0][1], inputs, accesses, ranks)


def _pairs(options, what: str) -> dict:
    """`NAME=VALUE` options as a dict; UsageError for a malformed or repeated one."""
    found = {}
    for option in options:
        name, sep, value = option.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value:
            raise UsageError(f"{what} {option!r}: expected NAME=VALUE")
        if name in found:
            raise UsageError(f"{what} for {name} is given twice")
        found[name] = value
    return found


def _formats(options, st: _Statement, extra: dict | None = None) -> dict:
    """--format options (and `extra` from NAME=PATH:FORMAT) as parsed Formats; UsageError if bad."""
    from einsparse.compiler.formats import parse_format

    specs = _pairs(options, "--format")
    for name, spec in (extra or {}).items():
        if name in specs and specs[name] != spec:
            raise UsageError(f"{name} is given format {spec} and --format {name}={specs[name]}")
        specs[name] = spec
    formats = {}
    for name, spec in specs.items():
        if name not in st.ranks:
            raise UsageError(f"--format {name}={spec}: {name} is not a tensor of {st.text}")
        try:
            formats[name] = parse_format(spec, st.ranks[name], what=f"format of {name}")
        except EinsparseError as error:
            raise UsageError(str(error)) from None
    return formats


def _shape_option(name: str, text: str) -> tuple:
    try:
        shape = tuple(int(n) for n in text.replace("x", ",").split(",") if n.strip())
    except ValueError:
        shape = None
    if shape is None or any(n < 0 for n in shape):
        raise UsageError(f"--shape {name}={text}: expected non-negative integers such as 2000,2000,2000")
    return shape


def _output_format(st: _Statement, formats: dict, values: dict):
    """The output's format as `es.evaluate` chooses it: given, the given output's own, else sparse
    when the result is structurally sparse."""
    from einsparse.compiler.check import choose_output_format, resolve_formats
    from einsparse.runtime.convert import natural_format

    if st.output in formats:
        return formats[st.output]
    if st.output in values:
        return natural_format(values[st.output], name=f"output {st.output}")
    return choose_output_format(st.assignment, resolve_formats(st.assignment, formats, st.text))


def _compile(st: _Statement, formats: dict, threads=None):
    from einsparse.api import compile as compile_kernel

    return compile_kernel(st.parsed, formats, threads)


# ============================================================================================ run


@dataclass
class _Operand:
    name: str
    kind: str          # "file", "scalar" or one of GENERATED
    text: str          # as given
    path: str = None
    format: str = None


def _parse_operand(option: str, st: _Statement) -> _Operand:
    from einsparse.runtime.io import file_kind

    name, sep, value = option.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name.isidentifier() or not value:
        raise UsageError(f"operand {option!r}: expected NAME=PATH[:FORMAT], NAME=<number> or "
                         f"NAME=ones|zeros|random")
    if name not in st.ranks:
        raise UsageError(f"operand {name}: {name} is not a tensor of {st.text}")
    if name == st.output and st.op == "=" and value in GENERATED + ("",):
        raise UsageError(f"operand {name} is the output of {st.text}; give --shape {name}=... for its shape")
    if value in GENERATED:
        return _Operand(name, value, value)
    if _number(value) is not None:
        return _Operand(name, "scalar", value)
    if os.path.exists(value):
        return _Operand(name, "file", value, value)
    for position, char in enumerate(value):
        if char == ":" and file_kind(value[:position]):
            return _Operand(name, "file", value, value[:position], value[position + 1:] or None)
    if file_kind(value) is None:
        raise FileFormatError(f"{name}={value}: no such file (an operand is NAME=PATH[:FORMAT] with a .mtx, "
                              f".tns, .npy or .npz file, NAME=<number> or NAME=ones|zeros|random)")
    return _Operand(name, "file", value, value)


def _number(text: str):
    """`text` as an int, float or complex number, or None when it is not one."""
    kinds = (int, float, complex) if "j" in text else (int, float)
    for kind in kinds:
        with contextlib.suppress(ValueError):
            return kind(text)
    return None


def cmd_run(args) -> int:
    import numpy as np
    from einsparse.compiler.check import check_operand_ranks
    from einsparse.runtime import io
    from einsparse.runtime.convert import as_tensor, operand_shape

    st = _statement(args.statement)
    operands = {}
    for option in args.operands:
        operand = _parse_operand(option, st)
        if operand.name in operands:
            raise UsageError(f"operand {operand.name} is given twice")
        operands[operand.name] = operand
    missing = [name for name in st.inputs if name not in operands]
    if missing:
        raise UsageError(f"missing operand {missing[0]} of {st.text}: give {missing[0]}=PATH[:FORMAT], "
                         f"{missing[0]}=<number> or {missing[0]}=ones|zeros|random")
    if st.op == "+=" and st.output not in operands:
        raise UsageError(f"'+=' accumulates into {st.output}: give {st.output}=PATH")
    formats = _formats(args.format, st, {n: o.format for n, o in operands.items() if o.format})
    shapes = {name: _shape_option(name, text) for name, text in _pairs(args.shape, "--shape").items()}
    for name, shape in shapes.items():
        if name not in st.ranks:
            raise UsageError(f"--shape {name}=...: {name} is not a tensor of {st.text}")
        if len(shape) != st.ranks[name]:
            raise UsageError(f"--shape {name}={','.join(map(str, shape))} has rank {len(shape)}, but "
                             f"{st.text} indexes {name} with {st.ranks[name]} indices")

    # read the files (data errors from here on: exit 1)
    values, sources = {}, {}
    for name, operand in operands.items():
        if operand.kind == "file":
            with _Progress(f"reading {operand.path}"):
                values[name] = _as_rank(io.read(operand.path, shape=shapes.get(name), as_tensor=True),
                                        st.ranks[name])
            sources[name] = operand.path
        elif operand.kind == "scalar":
            values[name] = np.asarray(_number(operand.text))[()]
            sources[name] = operand.text
    rank_shapes = {name: operand_shape(value, name=name) for name, value in values.items()}
    check_operand_ranks(st.assignment, rank_shapes, st.text)
    rng = np.random.default_rng(args.seed)
    generated = [o for o in operands.values() if o.kind in GENERATED]
    generated.sort(key=lambda o: o.name not in shapes)  # those with --shape give extents to the others
    for operand in generated:
        name = operand.name
        if name in shapes:
            shape = shapes[name]
        else:
            known = {**shapes, **{n: tuple(np.shape(v)) if not hasattr(v, "shape") else tuple(v.shape)
                                  for n, v in values.items()}}
            extents = _extents(st, known)
            shape = _generated_shape(st, name, extents)
        _guard(math.prod(shape), np.float64, shape, f"operand {name}={operand.kind}")  # before allocating
        values[name] = (np.ones(shape) if operand.kind == "ones" else np.zeros(shape)
                        if operand.kind == "zeros" else rng.random(shape))
        sources[name] = f"{operand.kind} {shape}"
    if st.output in shapes and st.output not in values:
        fmt = formats.get(st.output)
        if fmt is not None and not fmt.is_dense:
            raise UsageError(f"--shape {st.output}=... gives the shape of a dense output only")
        _guard(math.prod(shapes[st.output]), np.float64, shapes[st.output], f"output {st.output}")
        values[st.output] = np.zeros(shapes[st.output])

    chosen = dict(formats)
    from einsparse.runtime.convert import natural_format

    for name in st.inputs:
        if name not in chosen:
            chosen[name] = natural_format(values[name], name=f"operand {name}")
    chosen[st.output] = _output_format(st, chosen, values)
    kernel = _compile(st, chosen, args.threads)
    if args.print_kernel:
        print(kernel.source)
    prepared = {}
    for name in st.inputs:
        with _Progress(f"converting {name} to {chosen[name].name}"):
            prepared[name] = as_tensor(values[name], kernel.plan.formats[name],
                                       name=f"operand {name} ({sources[name]})")
    given_output = values.get(st.output)

    def call():
        if given_output is None:
            return kernel(**prepared)
        return kernel(**prepared, **{st.output: given_output})

    start = time.perf_counter()
    with _Progress("compiling the kernel"):
        result = call()
    first = time.perf_counter() - start
    if args.time:
        _report_times(call, args.time, first, prepared, result)
    if args.output:
        io.write(args.output, result)
        print(f"wrote {st.output}: {_describe(result)} to {args.output}")
    else:
        _print_result(st.output, result)
    return EXIT_OK


def _as_rank(value, rank: int):
    """A one-row or one-column matrix (how Matrix Market and .npz store vectors) as a vector when the
    statement indexes it with one index; anything else unchanged (a wrong rank is reported later)."""
    import numpy as np

    from einsparse.runtime.convert import from_coo
    from einsparse.runtime.tensor import Tensor

    shape = tuple(value.shape)
    if rank != 1 or len(shape) != 2 or 1 not in shape:
        return value
    if isinstance(value, Tensor):
        coords, values = value.to_coo()
        return from_coo(coords[1 if shape[0] == 1 else 0][None, :], values, (max(shape),), "c", name="vector")
    if type(value).__module__.startswith("scipy."):
        coo = value.tocoo()
        coords = (coo.col if shape[0] == 1 else coo.row).astype(np.int64)[None, :]
        return from_coo(coords, coo.data, (max(shape),), "c", name="vector")
    return np.asarray(value).reshape(-1)


def _extents(st: _Statement, shapes: dict) -> dict:
    """Index -> extent from the shapes of the operands known so far (first access wins; a conflict is
    left for the kernel to report with its culprits)."""
    extents = {}
    for name, indices in st.accesses:
        if name in shapes:
            for index, extent in zip(indices, shapes[name]):
                extents.setdefault(index, int(extent))
    return extents


def _generated_shape(st: _Statement, name: str, extents: dict) -> tuple:
    indices = next(indices for tensor, indices in st.accesses if tensor == name)
    unknown = [i for i in indices if i not in extents]
    if unknown:
        raise UsageError(f"cannot tell the shape of {name}: the extent of index {unknown[0]} comes from no "
                         f"operand read from a file; give --shape {name}=d0,d1,...")
    return tuple(extents[i] for i in indices)


def _storage_bytes(value) -> int:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(value, Tensor):
        total = value.vals.nbytes
        for level in value.levels:
            for attr in ("pos", "crd"):
                array = getattr(level, attr, None)
                if isinstance(array, np.ndarray):
                    total += array.nbytes
        return total
    return np.asarray(value).nbytes


def _report_times(call, count: int, first: float, prepared: dict, result) -> None:
    import numpy as np
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    best = times[0]
    print(f"first call: {_ms(first)} (compile, or load from the kernel cache, then run)")
    print(f"{count} call{'s' if count != 1 else ''}: min {_ms(best)}, median {_ms(float(np.median(times)))}, "
          f"max {_ms(times[-1])}")
    moved = sum(_storage_bytes(t) for t in prepared.values()) + _storage_bytes(result)
    if best > 0:
        print(f"~{moved / best / 1e9:.2f} GB/s (operand and result storage, {moved / 1e6:.2f} MB, "
              f"each read or written once in the fastest call)")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _describe(result) -> str:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(result, Tensor):
        return (f"{result.format.name}, shape {result.shape}, {result.dtype}, "
                f"{result.nnz} stored entr{'y' if result.nnz == 1 else 'ies'}")
    array = np.asarray(result)
    if array.ndim == 0:
        return f"scalar {array.dtype}"
    nonzeros = int(np.count_nonzero(array))
    return f"dense, shape {array.shape}, {array.dtype}, {nonzeros} nonzero{'s' if nonzeros != 1 else ''}"


def _print_result(name: str, result) -> None:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(result, Tensor):
        print(f"{name}: {_describe(result)}")
        if result.nnz <= SMALL:
            coords, vals = result.to_coo()
            for k in range(len(vals)):
                print(f"  {tuple(int(c) for c in coords[:, k])}  {vals[k]}")
        return
    array = np.asarray(result)
    if array.ndim == 0:
        print(f"{name} = {array[()]}")
        return
    print(f"{name}: {_describe(array)}")
    if array.size <= SMALL:
        print("  " + np.array2string(array, prefix="  ").replace("\n", "\n"))


# ============================================================================================ show


def cmd_show(args) -> int:
    from einsparse.compiler import concrete
    from einsparse.compiler.pipeline import compile_plan

    st = _statement(args.statement)
    if args.dot and args.stage not in (None, "schedule"):
        raise UsageError("--dot goes with --stage schedule")
    stage = "schedule" if args.dot else (args.stage or "source")
    formats = _formats(args.format, st)
    formats[st.output] = _output_format(st, formats, {})
    plan = compile_plan(st.parsed, formats)
    if stage == "source":
        print(plan.source.rstrip("\n"))
    elif stage == "ir":
        print(str(plan.index_notation))
    elif args.dot:
        print(_dot(plan))
    else:
        print(plan.explanation.rstrip("\n"))
        if "concrete index notation" not in plan.explanation:
            print("concrete index notation:")
            print(concrete.show(plan.concrete, 1).rstrip("\n"))
    return EXIT_OK


def _dot(plan) -> str:
    """The iteration graph as Graphviz dot: one node per index, an edge from each level's index to the
    next level's for every tensor (solid for sparse, dotted for dense), and the loop order as a chain."""
    from einsparse.compiler import index_ir as ir

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ["digraph iteration_graph {",
             f"  label={quoted(str(plan.statement) + chr(10) + 'loop order: ' + ', '.join(plan.order))};",
             "  labelloc=t;", "  node [shape=circle];"]
    indices = list(plan.order)
    for access in [plan.output, *ir.accesses(plan.index_notation.rhs)]:
        for index in access.indices:
            if index not in indices:
                indices.append(index)
    lines += [f"  {quoted(i)};" for i in indices]
    seen = set()
    for access in [plan.output, *ir.accesses(plan.index_notation.rhs)]:
        fmt = plan.formats[access.tensor]
        by_level = [access.indices[mode] for mode in fmt.mode_order]
        style = "dotted" if fmt.is_dense else "solid"
        for a, b in zip(by_level, by_level[1:]):
            key = (a, b, access.tensor)
            if a != b and key not in seen:
                seen.add(key)
                lines.append(f"  {quoted(a)} -> {quoted(b)} [label={quoted(f'{access.tensor} ({fmt.name})')}, "
                             f"style={style}];")
    for a, b in zip(plan.order, plan.order[1:]):
        lines.append(f"  {quoted(a)} -> {quoted(b)} [label=\"loop order\", color=blue, style=dashed, "
                     f"constraint=false];")
    lines.append("}")
    return "\n".join(lines)


# ============================================================================================ check


def cmd_check(args) -> int:
    import numpy as np
    from einsparse import reference
    from einsparse.runtime.tensor import Tensor

    st = _statement(args.statement)
    formats = _formats(args.format, st)
    chosen = {name: formats.get(name) for name in st.inputs}
    from einsparse.compiler.formats import Format

    chosen = {name: fmt if fmt is not None else Format.dense(st.ranks[name]) for name, fmt in chosen.items()}
    chosen[st.output] = _output_format(st, {**formats, **chosen}, {})
    kernel = _compile(st, chosen)
    divisors = reference.divisors(st.parsed)
    indices = list(dict.fromkeys(i for _, idx in st.accesses for i in idx))
    rhs_indices = {i for name, idx in st.accesses[1:] for i in idx}
    agreed, failures = 0, []
    for trial in range(args.trials):
        rng = np.random.default_rng([args.seed, trial])
        extents = {i: int(rng.integers(2, 7)) for i in indices}
        operands = {}
        for name in st.inputs:
            shape = next(tuple(extents[i] for i in idx) for n, idx in st.accesses[1:] if n == name)
            operands[name] = _random_operand(rng, shape, nonzero=name in divisors)
        out_shape = tuple(extents[i] for i in st.output_indices)
        old = None
        if st.op == "+=":
            old = _random_operand(rng, out_shape, nonzero=False)
        elif not set(st.output_indices) <= rhs_indices and chosen[st.output].is_dense:
            old = np.zeros(out_shape)
        given = {} if old is None else {st.output: old}
        result = kernel(**operands, **given)
        got = result.to_numpy() if isinstance(result, Tensor) else np.asarray(result)
        expected = np.asarray(reference.dense_reference(st.parsed, operands, old if st.op == "+=" else None))
        problem = _compare(got, expected)
        if problem is None:
            agreed += 1
        else:
            extents_text = ", ".join(f"{i}={n}" for i, n in extents.items())
            failures.append(f"trial {trial + 1} (extents {extents_text}): {problem}")
    described = ", ".join(f"{name}={fmt.name}" for name, fmt in kernel.plan.formats.items())
    print(f"{agreed}/{args.trials} trials agreed with NumPy einsum: {st.text} with {described}")
    if failures:
        for failure in failures[:5]:
            print(f"einsparse check: mismatch: {failure}", file=sys.stderr)
        if len(failures) > 5:
            print(f"einsparse check: ... and {len(failures) - 5} more mismatches", file=sys.stderr)
        return EXIT_DATA
    return EXIT_OK


def _random_operand(rng, shape, nonzero: bool):
    import numpy as np
    if nonzero:  # a divisor: no zeros
        return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    density = rng.uniform(0.1, 1.0)
    values = rng.standard_normal(shape) * (rng.random(shape) < density)
    return values if shape else np.float64(values)


def _compare(got, expected):
    import numpy as np
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    if np.allclose(got, expected, rtol=1e-9, atol=1e-12 * max(scale, 1.0), equal_nan=True):
        return None
    difference = np.abs(got - expected)
    where = np.unravel_index(int(np.nanargmax(difference)), difference.shape) if difference.ndim else ()
    return (f"max |difference| {float(np.nanmax(difference)):.3g} at {tuple(int(w) for w in where)}: "
            f"got {got[where]}, NumPy einsum gives {expected[where]}")


# ============================================================================================ cache


def cmd_cache(args) -> int:
    from einsparse.runtime import cache

    if args.action == "info":
        info = cache.info()
        print(f"directory: {info['directory']}")
        print(f"kernels:   {info['kernels']}")
        print(f"size:      {_size(info['bytes'])}")
        return EXIT_OK
    directory = cache.cache_dir()
    removed, freed = 0, 0
    if directory.is_dir():
        files = list(directory.glob("einsparse_*.py"))
        pycache = directory / "__pycache__"
        compiled = list(pycache.glob("einsparse_*")) if pycache.is_dir() else []
        for path in files + compiled:
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise FileFormatError(f"cannot remove {path}: {error.strerror or error}") from None
            freed += size
            removed += path.suffix == ".py"
    print(f"removed {removed} kernel{'s' if removed != 1 else ''} ({_size(freed)}) from {directory}")
    return EXIT_OK


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


# ============================================================================================ spy


def cmd_spy(args) -> int:
    import numpy as np
    from einsparse.runtime import io

    shape = _shape_option("spy", args.shape) if args.shape else None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("einsparse spy: needs matplotlib, an optional extra: pip install einsparse[plot]",
              file=sys.stderr)
        return EXIT_DATA
    value = io.read(args.path, shape=shape)
    coords, full_shape = _pattern(value)
    nnz = coords.shape[1]
    size = math.prod(full_shape)
    density = nnz / size if size else 0.0
    name = os.path.basename(args.path)
    title = f"{name}: shape {' x '.join(map(str, full_shape))}, nnz {nnz}, density {density:.3g}"
    rank = len(full_shape)
    if rank < 2:
        coords = np.vstack([np.zeros_like(coords[:1]) if rank else np.zeros((1, nnz), np.int64),
                            coords if rank else np.zeros((1, nnz), np.int64)])
        full_shape = (1, full_shape[0] if rank else 1)
        rank = 2
    pairs = [(a, b) for a in range(rank) for b in range(a + 1, rank)]
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 4.5 * rows + 0.5), squeeze=False)
    marker = max(0.05, min(4.0, 2000.0 / max(nnz, 1) ** 0.5 / max(full_shape) ** 0.5))
    for ax, (a, b) in zip(axes.flat, pairs):
        ax.plot(coords[b], coords[a], "s", markersize=marker, color="black", linestyle="none")
        ax.set_xlim(-0.5, full_shape[b] - 0.5)
        ax.set_ylim(full_shape[a] - 0.5, -0.5)
        ax.set_aspect("equal" if rank == 2 else "auto")
        ax.set_xlabel(f"mode {b}")
        ax.set_ylabel(f"mode {a}")
        if rank > 2:
            ax.set_title(f"modes {a}, {b}", fontsize=9)
    for ax in list(axes.flat)[len(pairs):]:
        ax.axis("off")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    output = args.output or (os.path.splitext(name[:-3] if name.endswith(".gz") else name)[0] + ".png")
    try:
        with io.atomic_file(output) as handle:
            figure.savefig(handle, format="png", dpi=120)
    finally:
        plt.close(figure)
    print(f"wrote {output}: {title}")
    return EXIT_OK


def _pattern(value):
    """(coords (rank, nnz), shape) of the stored entries of anything `io.read` returns."""
    import numpy as np
    import scipy.sparse as sp

    from einsparse.runtime.tensor import Tensor

    if isinstance(value, Tensor):
        coords, _ = value.to_coo()
        return coords, value.shape
    if sp.issparse(value):
        coo = value.tocoo()
        return np.array([coo.row, coo.col], np.int64).reshape(2, -1), coo.shape
    array = np.asarray(value)
    return np.array(np.nonzero(array), np.int64).reshape(array.ndim, -1), array.shape


if __name__ == "__main__":
    sys.exit(main())
