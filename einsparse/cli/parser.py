"""The command line's parser and `main`: the arguments of each command, and the exit status and the
one-line message of every error."""

from __future__ import annotations

import argparse
import sys
import traceback

from einsparse.cli.cache import cmd_cache
from einsparse.cli.check import cmd_check
from einsparse.cli.info import cmd_info
from einsparse.cli.run import cmd_run
from einsparse.cli.show import cmd_show
from einsparse.cli.spy import cmd_spy
from einsparse.cli.status import EXIT_CLUSTER, EXIT_DATA, EXIT_OK, EXIT_USAGE, UsageError
from einsparse.errors import ClusterError, EinsparseError, NotSupportedError, ParseError, StatementError

# errors in the statement itself, whenever they are found: usage errors (exit 2)
_STATEMENT_ERRORS = (ParseError, StatementError, NotSupportedError)


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
             with --dot, the iteration graph and the loop order as Graphviz dot; with operands
             given (read, not computed with), a long product's plan for them as a call would make it

examples:
  einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr
  einsparse show "y(i) = A(i,j)*x(j)" --format A=coo --stage schedule
  einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --stage schedule --dot | dot -Tpng > g.png
  einsparse show "y[i] = A[i,j]*A[j,k]*x[k]" A=matrix.mtx x=ones --stage schedule
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

_INFO_EPILOG = """\
Paste its output into a bug report: the versions of einsparse, Python, NumPy, Numba, llvmlite, lark,
SciPy and the optional packages (Dask, python-graphblas, pydata/sparse), the platform, the kernel
cache's directory, entries and size, and the thread settings. In Python: einsparse.show_config().

examples:
  einsparse info
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
  einsparse info                  versions, platform, kernel cache and threads, for a bug report

Slow steps (reading a file, converting an operand, compiling a kernel) show a status line on stderr
after a second when stderr is a terminal; --quiet turns these off.

exit status: 0 success, 2 usage or statement error, 1 data error (file missing or malformed, shapes
that disagree, a format the data cannot take), 3 cluster failure (--cluster: the scheduler cannot be
reached, a block's workers died). Run 'einsparse COMMAND --help' for each command.
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
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="show no status lines on stderr for slow steps (reading, converting, compiling)")
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
    run.add_argument("--explain", action="store_true",
                     help="print how the statement ran: the plan of a long product and its temporaries' "
                          "sizes, else the kernel's loops")
    run.add_argument("--time", type=_positive, metavar="N",
                     help="time the first call (compile or load from the cache), then N calls")
    run.add_argument("--seed", type=int, default=0, help="seed of NAME=random operands (default 0)")
    run.add_argument("--semiring", metavar="NAME", default=None,
                     help="compute a product of operands over a semiring (min_plus, or_and, ...: GraphBLAS's "
                          "meaning, absent entries take no part)")
    run.add_argument("--threads", type=_threads, default=None, metavar="N",
                     help="threads a call may use, 0 for every core (default $EINSPARSE_THREADS, else 1); "
                          "the outermost loop runs in chunks when it is over an output index")
    run.add_argument("--cluster", metavar="local[:N]|ADDRESS", default=None,
                     help="run on a Dask cluster: local[:N] starts N worker processes on this machine (2 by "
                          "default), tcp://host:8786 connects to a scheduler (needs einsparse[cluster])")
    run.set_defaults(func=cmd_run)

    show = commands.add_parser("show", parents=[common], formatter_class=raw, epilog=_SHOW_EPILOG,
                               help="show the kernel, index notation or schedule (no data needed), or a plan",
                               description="Show what a statement compiles to, for given formats; "
                                           "tensors without a format are dense, the output's format is "
                                           "chosen as 'run' would.")
    statement(show)
    show.add_argument("operands", nargs="*", metavar="NAME=VALUE",
                      help="operands as for run (read, not computed with): formats are then chosen as run "
                           "chooses them, and --stage schedule shows the plan of a long product for them")
    formats(show)
    show.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...",
                      help="as for run: the shape of a .tns, ones, zeros or random operand")
    show.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
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

    info = commands.add_parser("info", parents=[common], formatter_class=raw, epilog=_INFO_EPILOG,
                               help="print versions, platform, kernel cache and threads (for bug reports)",
                               description="Print what a bug report needs to say about this installation.")
    info.set_defaults(func=cmd_info)
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
    except ClusterError as error:
        return _fail(f"einsparse {args.command}: error: {error}", EXIT_CLUSTER, debug)
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
