"""The public face: `compile`, `evaluate`, `einsum` and `tensor` (index notation is in notation.py)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, overload

from einsparse.compiler import index_ir as ir
from einsparse.compiler import syntax as syn
from einsparse.compiler.check import check_operand_ranks, choose_output_format, resolve_formats
from einsparse.compiler.formats import Format, parse_format
from einsparse.compiler.normalize import normalize
from einsparse.compiler.parse import parse
from einsparse.compiler.pipeline import compile_plan
from einsparse.errors import NotSupportedError, OperandError, ParseError
from einsparse.runtime.convert import natural_format, operand_shape, tensor  # noqa: F401  (re-exported)
from einsparse.runtime.stored import operand_fill
from einsparse.runtime.kernel import Kernel
from einsparse.runtime.parallel import thread_count
from einsparse import semirings
from einsparse.cluster import client as clients
from einsparse.cluster.persisted import HELD_SEMIRING, PersistedTensor, persisted_client
from einsparse.call_keys import call_key, checked_formats, format_key, optimize_key
from einsparse.memo import CallMemo
from einsparse.planned import PlannedKernel, check_optimize, plannable, statistics

if TYPE_CHECKING:
    from einsparse.types import ClusterClient, Compiled, Formats, Operand, Optimize, Result

class BuiltStatement:
    """A statement built in Python rather than written as text (`es.statement(C[i, j], expr)` in
    `einsparse.notation`, which subclasses this): `syntax` is its syntax tree, `formats` its tensors'
    formats, and `run(threads)` runs it on its own tensors and returns its output."""

    syntax: syn.Statement
    formats: dict[str, Format]

    def run(self, threads: int | str | None = None) -> Result:
        raise NotSupportedError(f"{type(self).__name__} does not say how to run itself")


_kernels: dict[tuple[Any, ...], Kernel] = {}
_planned: dict[tuple[Any, ...], PlannedKernel] = {}
_kernels_lock = threading.Lock()
# What `evaluate` and `einsum` found for a call (the statement's text, the formats asked for, what kind
# of object each operand is, the threads): the kernel, so that the next such call does no parsing and
# no planning. Bounded, least recently used first out.
_calls = CallMemo(256)


def compile(statement: str | BuiltStatement | syn.Statement, formats: Formats | None = None,  # noqa: A001
            threads: int | str | None = None, semiring: str | None = None, optimize: Optimize = True,
            client: ClusterClient = None) -> Compiled:
    """Compile a statement into a kernel for the given storage formats.

    The result is cached in memory by statement and formats, and its machine code on disk, so a
    second `compile` of the same statement is a dictionary look-up.

    Parameters
    ----------
    statement : str or Statement
        The statement, such as ``"C[i,j] = A[i,k]*B[k,j]"``. A statement built from index notation
        (``es.statement(C[i, j], expr)``) is compiled for its tensors' formats.
    formats : dict, optional
        Tensor names to format strings or `Format`s (``{"A": "csr"}``); unnamed tensors are dense.
    threads : int or str, optional
        How many threads a call may use (default ``$EINSPARSE_THREADS``, else 1; 0 for every core);
        the outermost loop runs in chunks on them when it is over an output index.
    semiring : str, optional
        ``"min_plus"``, ``"or_and"``, ... (see `einsparse.semirings`): a product of operands becomes
        the semiring's; the kernel then reads its sparse operands' absent entries as the semiring does.
    optimize : bool, str or list, default True
        A statement that is one product of three or more tensors is planned at each call from its
        operands' statistics (`einsparse.planned`): True, ``"greedy"``, ``"optimal"``, or a
        NumPy-style contraction path to follow; False always runs the one fused nest.
    client : distributed.Client or str, optional
        The kernel's calls run on a Dask cluster, as `evaluate`'s with ``client=`` (also inside
        ``with es.on_cluster(client):``).

    Returns
    -------
    Kernel, PlannedKernel, SemiringKernel or ClusterKernel
        Call it with the operands as keyword arguments. A planned, semiring or cluster kernel wraps
        a `Kernel` and answers what it does (`source`, `explain`, `formats`).

    Raises
    ------
    ParseError
        The statement does not follow the grammar.
    StatementError
        It parses but means nothing valid, or `optimize` or `semiring` is not a known value.
    FormatError
        A format is malformed or does not fit its tensor's rank.
    NotSupportedError
        A valid request einsparse does not implement (a semiring on a sum, ...).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    >>> kernel.formats
    {'y': 'dense', 'A': 'csr', 'x': 'dense'}
    >>> A = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]]))
    >>> kernel(A=A, x=np.array([1, 2, 3]))
    array([7, 6])
    >>> es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"}) is kernel  # cached
    True
    """
    check_optimize(optimize)
    if client is None:
        client = clients.active()
    if semiring is not None:
        ring = semirings.semiring(semiring)
        return semirings.SemiringKernel(compile(semirings.rewrite(statement, semiring), formats, threads,
                                                client=client), ring)
    if isinstance(statement, BuiltStatement):
        formats = {**statement.formats, **checked_formats(formats)}
        statement = statement.syntax
    parsed = _parsed(statement)
    checked = checked_formats(formats)
    count = thread_count(threads)
    plan_key = (syn.deparse(parsed), format_key(checked, parsed))
    kernel = _kernels.get((plan_key, count))
    if kernel is None:
        serial = _kernels.get((plan_key, 1))
        kernel = Kernel(serial.plan if serial is not None else compile_plan(parsed, checked), count)
        with _kernels_lock:
            kernel = _kernels.setdefault((plan_key, count), kernel)
    if optimize is not False and plannable(kernel.plan.index_notation):
        planned_key = (plan_key, count, optimize_key(optimize))
        planned = _planned.get(planned_key)
        if planned is None:
            planned = PlannedKernel(kernel, kernel.plan.index_notation, kernel.plan.formats, threads,
                                    lambda text, fmts, n: compile(text, fmts, n, optimize=False, client=False),
                                    optimize)
            with _kernels_lock:
                planned = _planned.setdefault(planned_key, planned)
        chosen: Kernel | PlannedKernel = planned
    else:
        chosen = kernel
    if client is not None and client is not False:
        from einsparse.cluster.run import ClusterKernel

        return ClusterKernel(chosen, plan_key[0], clients.resolve(client), evaluate, threads, optimize)
    return chosen


def _parsed(statement: object) -> syn.Statement:
    if isinstance(statement, syn.Statement):
        return statement
    if isinstance(statement, str):
        return parse(statement)
    raise ParseError(f"the statement must be a string such as 'C[i,j] = A[i,k]*B[k,j]', "
                     f"not {type(statement).__name__}")


@overload
def evaluate(statement: str | BuiltStatement, formats: Formats | None = None, threads: int | str | None = None,
             shape: int | tuple[int, ...] | None = None, semiring: str | None = None, optimize: Optimize = True,
             client: ClusterClient = None, *, persist: Literal[False] = False, **operands: Operand) -> Result: ...


@overload
def evaluate(statement: str | BuiltStatement, formats: Formats | None = None, threads: int | str | None = None,
             shape: int | tuple[int, ...] | None = None, semiring: str | None = None, optimize: Optimize = True,
             client: ClusterClient = None, *, persist: Literal[True], **operands: Operand) -> PersistedTensor: ...


def evaluate(statement: str | BuiltStatement, formats: Formats | None = None, threads: int | str | None = None,
             shape: int | tuple[int, ...] | None = None, semiring: str | None = None, optimize: Optimize = True,
             client: ClusterClient = None, *, persist: bool = False, **operands: Operand) -> Result | PersistedTensor:
    """Compile (cached) and run a statement on the operands given by name.

    Formats default to the operands' own. Without a format for the output, it is sparse when the
    result is structurally sparse (``A + B``, ``A .* B``, SDDMM, SpGEMM of sparse operands; see
    `check.choose_output_format`), else a dense array. A statement built from index notation runs on
    its own tensors and returns its filled output.

    Parameters
    ----------
    statement : str or Statement
        The statement, such as ``"C[i,j] = A[i,k]*B[k,j] + D[i,j]"``.
    formats : dict, optional
        Tensor names to formats, as for `compile`; the output's among them.
    threads : int or str, optional
        As for `compile`.
    shape : int or tuple of int, optional
        The output's shape where no operand tells an index's extent (``a[i,j] = i + j``); passing
        the output array by name does too.
    semiring : str, optional
        As for `compile`: ``evaluate("C[i,j] = A[i,k]*B[k,j]", semiring="min_plus", A=A, B=B)``.
    optimize : bool, str or list, default True
        As for `compile`: ``y[i] = A[i,j]*A[j,k]*x[k]`` runs as two products by default.
    client : distributed.Client or str, optional
        Run on a Dask cluster (a ``distributed.Client``, ``"local"`` or ``"local:N"`` for a local
        cluster of N worker processes kept for the session, or a scheduler address): the outermost
        loop is cut into blocks balanced by stored entries, each run on a worker, the results joined
        (`einsparse.cluster`). False runs here even inside ``es.on_cluster``.
    persist : bool, default False
        On a cluster: leave the result's blocks on the workers, where they were computed, and return
        them as a `PersistedTensor` (as `persist` would) for the next call, instead of joining them
        here. For iterations such as ``x = es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=x, persist=True)``.
    **operands
        The tensors by name: NumPy arrays, numbers, scipy.sparse matrices, pydata/sparse arrays,
        einsparse tensors, persisted tensors; the output too for ``+=`` (or to be written in place).

    Returns
    -------
    numpy.ndarray, Tensor, numpy scalar or PersistedTensor
        A dense result as an array, a sparse one as a `Tensor`, a 0-d one as a scalar; with
        ``persist=True``, a `PersistedTensor`.

    Raises
    ------
    ParseError, StatementError
        The statement is malformed or means nothing valid.
    OperandError
        An operand is missing, unexpected, of the wrong rank or unreadable; ``persist=True`` off a
        cluster.
    ShapeError
        Extents of one index disagree, or an output extent is unknown.
    FormatError, DTypeError, NotSupportedError
        A bad format, a value type einsparse does not compute with, a request not implemented.
    ClusterError
        A run on a cluster failed for a reason outside the statement.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]]))
    >>> es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=np.array([1, 2, 3]))
    array([7, 6])
    >>> C = es.evaluate("C[i,j] = A[i,j]*B[i,j]", A=A, B=A)  # structurally sparse: a Tensor
    >>> C
    Tensor(shape=(2, 3), format='csr', dtype=int64, nnz=3)
    >>> C.to_numpy()
    array([[1, 0, 4],
           [0, 9, 0]])
    >>> es.evaluate("a[i,j] = i + j", shape=(2, 2))
    array([[0, 1],
           [1, 2]])
    """
    if persist is not False:
        return _persisted_result(statement, formats, threads, optimize, shape, semiring, client, persist, operands)
    if semiring is not None:
        ring = semirings.semiring(semiring)
        if persisted_client(operands.values()) is not None:
            raise NotSupportedError(HELD_SEMIRING)
        operands = {name: semirings.refilled(value, name, ring) for name, value in operands.items()}
        statement = semirings.rewrite(statement, semiring)
    if isinstance(statement, BuiltStatement):
        if formats is not None or operands or shape is not None:
            raise OperandError(f"{statement} runs on its own tensors; pass no operands, formats or shape")
        return statement.run(threads)
    if optimize is not True:
        check_optimize(optimize)
    if client is None:
        client = clients.active()
    if client is not None and client is not False:
        joined: Result = _on_cluster(client, statement, formats, threads, optimize, shape, operands)
        return joined
    key = call_key(statement, formats, threads, operands, optimize)
    kernel = _calls.get(key) if key is not None else None
    if kernel is None:
        holder = persisted_client(operands.values()) if key is None else None  # a persisted operand's kind is no key
        if holder is not None:
            if client is False:
                raise OperandError("client=False: an operand is persisted on a cluster; gather() it to run here")
            gathered: Result = _on_cluster(holder, statement, formats, threads, optimize, shape, operands)
            return gathered
        kernel = _kernel_for(statement, formats, threads, operands, optimize)
        if key is not None:
            _calls.put(key, kernel)
    given: dict[str, Any] = operands  # by name; `shape` is no operand's name (a keyword of this function)
    return kernel(**given) if shape is None else kernel(shape=shape, **given)


def _on_cluster(client: ClusterClient, statement: str | BuiltStatement, formats: Formats | None,
                threads: int | str | None, optimize: Optimize, shape: Any, operands: dict[str, Operand],
                keep: bool = False) -> Any:
    from einsparse.cluster import run

    if isinstance(statement, BuiltStatement):
        if formats is not None or operands or shape is not None:
            raise OperandError(f"{statement} runs on its own tensors; pass no operands, formats or shape")
        with clients.on_cluster(client):
            return statement.run(threads)
    if shape is not None:
        raise NotSupportedError("client=: shape= is not cut into blocks; pass the output by name instead")
    seen = {name: value.stand_in if isinstance(value, PersistedTensor) else value for name, value in operands.items()}
    kernel = _kernel_for(statement, formats, threads, seen, optimize)
    formats = {name: fmt for name, fmt in kernel.plan.formats.items()}
    return run.run(clients.resolve(client), evaluate, kernel, statement, formats, operands, threads, optimize,
                   keep=keep)


def _persisted_result(statement: str | BuiltStatement, formats: Formats | None, threads: int | str | None,
                      optimize: Optimize, shape: Any, semiring: str | None, client: ClusterClient, persist: object,
                      operands: dict[str, Operand]) -> PersistedTensor:
    """`evaluate(..., persist=True)`: the result left on the workers of the call's cluster."""
    if persist is not True:
        raise OperandError(f"persist= takes True or False, not {persist!r}")
    if client is None:
        client = clients.active() or persisted_client(operands.values())
    if client is None or client is False:
        raise OperandError("persist=True leaves the result on a cluster's workers: pass client= (or run inside "
                           "es.on_cluster, or on a persisted operand)")
    if semiring is not None or isinstance(statement, BuiltStatement) or shape is not None:
        raise NotSupportedError("persist=True takes a statement as text and its operands by name, without "
                                "semiring= or shape=")
    if optimize is not True:
        check_optimize(optimize)
    kept: PersistedTensor = _on_cluster(client, statement, formats, threads, optimize, shape, operands, keep=True)
    return kept


def _kernel_for(statement: str | syn.Statement, formats: Formats | None, threads: int | str | None,
                operands: dict[str, Any], optimize: Optimize = True) -> Compiled:
    """The kernel `evaluate` runs: the statement parsed and checked against its operands, the formats
    not given taken from the operands, the output's chosen."""
    parsed = _parsed(statement)
    chosen = checked_formats(formats)
    output = parsed.output.name
    # Statement errors first, then operands whose rank does not fit the statement: both before any
    # format is derived from an operand, so a wrong rank is reported as the operand's, not a format's.
    assignment = normalize(parsed)
    inputs = {access.tensor for access in ir.accesses(assignment.rhs)}
    shapes = {name: operand_shape(value, name=f"{'output' if name == output else 'operand'} {name}")
              for name, value in operands.items() if name in inputs or name == output}
    check_operand_ranks(assignment, shapes, parsed.text or syn.deparse(parsed))
    for name, value in operands.items():
        if name not in chosen and name in inputs:
            chosen[name] = natural_format(value, name=f"operand {name}")
    if output not in chosen:
        if output in operands:  # a given output keeps its own format
            chosen[output] = natural_format(operands[output], name=f"output {output}")
        else:
            resolved = resolve_formats(assignment, chosen, parsed.text or syn.deparse(parsed))
            fills = {name: operand_fill(value) for name, value in operands.items() if name in inputs}
            chosen[output] = choose_output_format(assignment, resolved, fills)
    return compile(parsed, chosen, threads, optimize=optimize)


__all__ = ["compile", "evaluate", "tensor", "Format", "parse_format", "Kernel"]


def persist(value: Operand, client: ClusterClient = None, along: int = 0) -> PersistedTensor:
    """Keep `value` on a Dask cluster's workers for the calls that follow.

    It is cut along mode `along` into blocks balanced by stored entries, each held by a worker. A call
    given the result as an operand runs on that cluster and reads the blocks where they are: a call cut
    along the same index sends nothing of it; one that reads it whole or cut along another mode gets it
    joined or cut again on the workers, never through this process.

    Parameters
    ----------
    value : array_like, Tensor, scipy.sparse matrix or pydata/sparse array
        Any operand `evaluate` reads.
    client : distributed.Client or str, optional
        As for `evaluate` (default: the one of an enclosing ``es.on_cluster``).
    along : int, default 0
        The mode the blocks are cut along.

    Returns
    -------
    PersistedTensor
        An operand for `evaluate`, compiled kernels and `einsum`; ``gather()`` brings it back,
        ``release()`` frees the workers.

    Raises
    ------
    OperandError
        No cluster is given or active, `value` is persisted already or unreadable, or `along` is
        not one of its modes.
    ClusterError
        The cluster cannot be reached.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = sp.random(1000, 1000, density=0.01, format="csr")
    >>> with es.on_cluster("local:2"):  # doctest: +SKIP
    ...     held = es.persist(A)
    ...     y = es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(1000))
    """
    from einsparse.cluster.persisted import persist as scattered

    if client is None:
        client = clients.active()
    if client is None or client is False:
        raise OperandError("persist needs a cluster: pass client= (a distributed.Client, 'local', 'local:N' "
                           "or a scheduler address) or call it inside `with es.on_cluster(...)`")
    made = scattered(value, clients.resolve(client), along)
    made.planning_stats = statistics(value)
    return made
