"""`es.einsum`: NumPy's einsum signature, its subscripts as einsparse statements, broadcasting.

`"ik,kj->ij"` with two operands is `out[i,j] = A[i,k]*B[k,j]`. An ellipsis stands for the dimensions
an operand has beyond its letters; they are aligned from the right across operands, as NumPy
broadcasts, and named `e0`, `e1`, ... (no letter is two characters long, so they never clash). In
implicit mode the output is the ellipsis dimensions, then the letters used once in alphabetical
(ASCII) order. An operand dimension of extent 1 under an index that has a larger extent elsewhere is
broadcast: the operand is read at coordinate 0 of it and the index dropped from its subscripts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from einsparse import semirings
from einsparse.api import _calls, evaluate
from einsparse.call_keys import call_key as _call_key
from einsparse.cluster import client as clients
from einsparse.cluster.arrays import einsum as dask_einsum
from einsparse.cluster.arrays import is_dask_array
from einsparse.cluster.persisted import HELD_SEMIRING as _HELD_SEMIRING
from einsparse.cluster.persisted import persisted_client
from einsparse.planned import check_optimize
from einsparse.einsum_broadcast import Named, broadcast
from einsparse.einsum_subscripts import from_sublists, parse, statement  # noqa: F401  (re-exported)
from einsparse.errors import DTypeError, NotSupportedError, OperandError, ShapeError, StatementError
from einsparse.runtime.convert import as_tensor, natural_format, normalize_dtype, operand_shape
from einsparse.runtime.tensor import Tensor

if TYPE_CHECKING:
    from einsparse.types import Array, ClusterClient, EinsumResult, FormatSpec, Operand, Optimize, Result

Casting = Literal["no", "equiv", "safe", "same_kind", "unsafe"]

_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")


def einsum(*arguments: Any, out: Array | None = None, dtype: npt.DTypeLike | None = None, order: str = "K",
           casting: Casting = "safe", optimize: Optimize = True, format: FormatSpec | None = None,  # noqa: A002
           threads: int | str | None = None, semiring: str | None = None,
           client: ClusterClient = None) -> EinsumResult:
    """NumPy's `einsum` on sparse and dense operands, compiled by einsparse.

    ``einsum("ik,kj->ij", A, B)``, implicit output (``"ik,kj"``), ``...``, broadcasting, and the
    sublist form ``einsum(A, [0, 1], B, [1, 2], [0, 2])``, as NumPy takes them; the subscripts
    become an einsparse statement (``out[i,j] = A[i,k]*B[k,j]``).

    Parameters
    ----------
    *arguments : str and operands, or operands and sublists
        The subscripts, then the operands: NumPy arrays, numbers, scipy.sparse matrices,
        pydata/sparse arrays, einsparse tensors (and persisted tensors or dask arrays).
    out : numpy.ndarray, optional
        Written with the result under `casting`, and returned.
    dtype : dtype, optional
        The type the operands are cast to first (under `casting`).
    order : {"K", "C", "F", "A"}, default "K"
        The layout of a dense result.
    casting : {"no", "equiv", "safe", "same_kind", "unsafe"}, default "safe"
        NumPy's casting rule for `dtype` and `out`.
    optimize : bool, str or list, default True
        A product of three or more operands is planned from their statistics unless False (see
        `einsparse.planned`); also "greedy", "optimal" or a contraction path.
    format : str or Format, optional
        The result's format (by default sparse when the result is structurally sparse).
    threads : int or str, optional
        As for `es.compile`.
    semiring : str, optional
        ``"min_plus"``, ``"or_and"``, ... (see `einsparse.semirings`): reduce and multiply with the
        semiring's operators instead of ``+`` and ``*``.
    client : distributed.Client or str, optional
        Run on a Dask cluster, as `es.evaluate`'s (also inside ``with es.on_cluster(client):``).

    Returns
    -------
    numpy.ndarray, Tensor, numpy scalar or dask array
        As `es.evaluate` returns them (`out` when given); a dask array for dask operands.

    Raises
    ------
    StatementError
        Malformed subscripts, or an unknown `order`, `casting` or `optimize`.
    OperandError
        An operand whose rank does not fit its subscripts, an unreadable operand, or a cast
        `casting` forbids.
    ShapeError
        Extents that neither agree nor broadcast, or an `out` of another shape.
    DTypeError, NotSupportedError
        As for `es.evaluate`.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]]))
    >>> x = np.array([1, 2, 3])
    >>> es.einsum("ij,j->i", A, x)
    array([7, 6])
    >>> es.einsum(A, [0, 1], x, [1], [0])
    array([7, 6])
    >>> es.einsum("ij->ji", A)  # a transposed CSR matrix is stored as CSC
    Tensor(shape=(3, 2), format='csc', dtype=int64, nnz=3)
    >>> print(es.einsum("i,i", x, x))
    14
    """
    if not arguments:
        raise StatementError("einsum needs subscripts and operands, such as einsum('ij,jk->ik', A, B)")
    if isinstance(arguments[0], str):
        subscripts, operands = arguments[0], arguments[1:]
    else:
        subscripts, operands = from_sublists(arguments)
    check_optimize(optimize, "einsum")
    if any(is_dask_array(op) for op in operands):
        if out is not None:
            raise StatementError("einsum on dask arrays: out= is not supported (a dask array is computed later)")
        return dask_einsum(subscripts, operands, einsum, dtype=dtype, casting=casting, optimize=optimize,
                           format=format, threads=threads, semiring=semiring)
    held = persisted_client(operands)
    if held is not None and client is not False:
        return _delivered(_on_held(subscripts, operands, client or held, dtype, optimize, format, threads, semiring),
                          out, order, casting)
    if not isinstance(order, str) or order.upper() not in ("C", "F", "A", "K"):
        raise StatementError(f"einsum: order={order!r} is not one of 'C', 'F', 'A' or 'K'")
    if casting not in _CASTINGS:
        raise StatementError(f"einsum: casting={casting!r} is not one of {', '.join(map(repr, _CASTINGS))}")
    if dtype is not None:
        operands = tuple(_cast(op, dtype, casting, k) for k, op in enumerate(operands))
    elif len(operands) > 1:
        operands = _in_one_type(operands)
    if "." in subscripts:
        named, output = parse(subscripts, _ranks(operands))
        statement, names = _statement(named, output)
    else:  # ranks from the letters (checked against the operands' when the kernel is first made)
        named, output, statement, names = _letters_only(subscripts, len(operands))
    formats = {} if format is None else {"out": format}
    if semiring is not None:
        ring = semirings.semiring(semiring)
        operands = tuple(semirings.refilled(op, f"einsum operand {k}", ring) for k, op in enumerate(operands))
        statement = _semiring_statement(statement, semiring)
    try:
        if client is None:
            client = clients.active()
        result = None if client not in (None, False) else _fast(statement, formats, threads,
                                                                  dict(zip(names, operands)), optimize)
        if result is None:
            _check_ranks(subscripts, named, operands)
            named, operands = broadcast(named, operands)
            statement, names = _statement(named, output)
            if semiring is not None:
                statement = _semiring_statement(statement, semiring)
            result = evaluate(statement, formats, threads, optimize=optimize, client=client,
                              **dict(zip(names, operands)))
    except DTypeError as error:  # named by its position, as the caller knows it, not by the statement's letter
        raise _by_position(error, names) from None
    return _delivered(result, out, order, casting)


def _on_held(subscripts: str, operands: tuple[Any, ...], client: ClusterClient, dtype: npt.DTypeLike | None,
             optimize: Optimize, format: FormatSpec | None, threads: int | str | None,  # noqa: A002
             semiring: str | None) -> Result:
    """einsum with operands persisted on a cluster (`es.persist`): run there, each index named."""
    if semiring is not None:
        raise NotSupportedError(_HELD_SEMIRING)
    if "." in subscripts or dtype is not None or len({np.dtype(op.dtype) for op in operands}) > 1:
        raise NotSupportedError("einsum on persisted operands: name every index (no '...'), give operands "
                                "of one dtype and no dtype=")
    _, _, statement, names = _letters_only(subscripts, len(operands))
    result: Result = evaluate(statement, {} if format is None else {"out": format}, threads, optimize=optimize,
                              client=client, **dict(zip(names, operands)))
    return result


@functools.lru_cache(maxsize=512)
def _semiring_statement(statement: str, semiring: str) -> str:
    return semirings.rewrite(statement, semiring)


def _by_position(error: DTypeError, names: Sequence[str]) -> DTypeError:
    message = str(error)
    for position, name in enumerate(names):
        if message.startswith(f"operand {name} "):
            return DTypeError(f"einsum operand {position} " + message[len(f"operand {name} "):])
    return error


def _ranks(operands: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(len(operand_shape(op, name=f"einsum operand {k}")) for k, op in enumerate(operands))


@functools.lru_cache(maxsize=512)
def _letters_only(subscripts: str, count: int) -> tuple[Named, tuple[str, ...], str, tuple[str, ...]]:
    """`parse` and `statement` of subscripts without '...', whose ranks are their letters' counts."""
    terms = subscripts.replace(" ", "").partition("->")[0].split(",")
    named, output = parse(subscripts, tuple(len(term) for term in terms) if len(terms) == count else (0,) * count)
    return (named, output, *_statement(named, output))


def _check_ranks(subscripts: str, named: Named, operands: tuple[Any, ...]) -> None:
    terms = subscripts.replace(" ", "").partition("->")[0].split(",")
    for position, (term, indices, operand) in enumerate(zip(terms, named, operands)):
        shape = operand_shape(operand, name=f"einsum operand {position}")
        if len(shape) != len(indices):
            raise OperandError(f"einsum operand {position} has rank {len(shape)} (shape {shape}) but its "
                               f"subscripts {term!r} name {len(indices)} ind{'ex' if len(indices) == 1 else 'ices'}")


def _fast(statement: str, formats: dict[str, Any], threads: int | str | None, named: dict[str, Any],
          optimize: Optimize = True) -> Result | None:
    """The result from a kernel met before with these kinds of operands, or None (first call, or
    extents that need broadcasting: `broadcast` then reports any real mismatch)."""
    key = _call_key(statement, formats, threads, named, optimize)
    kernel = _calls.get(key) if key is not None else None
    if kernel is None:
        return None
    try:
        result: Result = kernel(**named)
    except ShapeError:
        return None
    return result


@functools.lru_cache(maxsize=512)
def _statement(named: Named, output: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    return statement(named, output)


def _cast(operand: Any, dtype: npt.DTypeLike, casting: Casting, position: int) -> Array | Tensor:
    """`operand` in `dtype`, if NumPy's `casting` rule allows it (einsum's `dtype=`)."""
    dtype = np.dtype(dtype)
    source = as_tensor(operand, natural_format(operand), name=f"einsum operand {position}") \
        if not isinstance(operand, (np.ndarray, np.generic, int, float, complex, list, tuple)) else None
    current = source.dtype if source is not None else np.asarray(operand).dtype
    if not np.can_cast(current, dtype, casting):
        raise OperandError(f"einsum: cannot cast operand {position} from {current} to {dtype} "
                           f"under casting={casting!r}")
    if source is None:
        return np.asarray(operand).astype(dtype, copy=False)
    return Tensor(source.shape, source.format, source.levels, source.vals.astype(dtype, copy=False))


def _in_one_type(operands: tuple[Any, ...]) -> tuple[Any, ...]:
    """Operands of different types cast to their common type first, as NumPy's einsum does: it computes
    every product in the result's type (int8 times int16 is an int16 product), not step by step as
    index notation does."""
    types = [getattr(op, "dtype", None) for op in operands]
    if all(t is not None and t == types[0] for t in types):
        return operands
    for position, (operand, t) in enumerate(zip(operands, types)):
        if t is None:
            operand_shape(operand, name=f"einsum operand {position}")  # a readable operand, or its error
    types = [np.asarray(op).dtype if t is None else np.dtype(t) for op, t in zip(operands, types)]
    for position, t in enumerate(types):
        normalize_dtype(t, name=f"einsum operand {position}")  # a type refused is named, not cast first
    common = np.result_type(*types)
    return tuple(op if t == common else _cast(op, common, "safe", k)
                 for k, (op, t) in enumerate(zip(operands, types)))


def _delivered(result: Result, out: Array | None, order: str, casting: Casting) -> Result:
    """`result` written into `out` (NumPy's rule: `casting`), or laid out in `order`."""
    if out is None:
        if isinstance(result, np.ndarray) and order.upper() in ("C", "F") and result.ndim > 1:
            return np.asarray(result, order=cast(Literal["C", "F"], order.upper()))
        return result
    if not isinstance(out, np.ndarray):
        raise OperandError(f"einsum: out must be a NumPy array, not {type(out).__name__}")
    value = result.to_numpy() if isinstance(result, Tensor) else np.asarray(result)
    if out.shape != value.shape:
        raise ShapeError(f"einsum: out has shape {out.shape} but the result has shape {value.shape}")
    if not np.can_cast(value.dtype, out.dtype, casting):
        raise OperandError(f"einsum: cannot write the {value.dtype} result into out of dtype {out.dtype} "
                           f"under casting={casting!r}")
    np.copyto(out, value, casting="unsafe")
    return out


def einsum_path(subscripts: str, *operands: Operand, optimize: Optimize = "greedy") -> tuple[list[Any], str]:
    """NumPy's `einsum_path`: the contraction path einsparse takes for these operands.

    The plan is run once to measure its temporaries. A product that runs as one fused nest is one
    step over every operand.

    Parameters
    ----------
    subscripts : str
        Subscripts without ``...``, such as ``"ij,jk,k->i"``.
    *operands
        The operands, as for `einsum`.
    optimize : bool, str or list, default "greedy"
        As for `einsum`.

    Returns
    -------
    path : list
        ``["einsum_path", (0, 1), ...]``: each step's operands removed and its result put last.
    report : str
        The plan: each kernel, its temporary's format, estimated and measured size, and the
        estimated cost of the plan and of the one fused nest.

    Raises
    ------
    StatementError
        Subscripts with ``...`` or malformed, or an unknown `optimize`.
    OperandError, ShapeError
        As for `einsum`.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import einsparse as es
    >>> A = sp.csr_matrix(np.eye(3))
    >>> path, report = es.einsum_path("ij,jk,k->i", A, A, np.ones(3), optimize=False)
    >>> path
    ['einsum_path', (0, 1, 2)]
    >>> print(report)
      Complete contraction:  ij,jk,k->i
      one fused nest over every operand (optimize=False)
    """
    from einsparse.api import _kernel_for
    from einsparse.planned import PlannedKernel

    check_optimize(optimize, "einsum_path")
    if not isinstance(subscripts, str) or "." in subscripts:
        raise StatementError("einsum_path takes subscripts without '...', such as einsum_path('ij,jk,k->i', A, B, x)")
    named, output, statement, names = _letters_only(subscripts, len(operands))
    _check_ranks(subscripts, named, operands)
    given: dict[str, Any] = dict(zip(names, operands))
    kernel = _kernel_for(statement, {}, None, given, True if optimize is True else optimize)
    kernel(**given)
    found = kernel.last if isinstance(kernel, PlannedKernel) and kernel.last else None
    measured: dict[str, int]
    plan, measured = found if found is not None else (None, {})
    lines = [f"  Complete contraction:  {subscripts}"]
    if plan is None:
        path = [tuple(range(len(operands)))]
        why = "optimize=False" if optimize is False else "estimated cheapest for these operands"
        lines.append(f"  one fused nest over every operand ({why})")
        return ["einsum_path", *path], "\n".join(lines)
    path, current = [], list(names)
    for step in plan.steps:
        positions = tuple(sorted(current.index(name) for name in step.inputs))
        path.append(positions)
        current = [name for k, name in enumerate(current) if k not in positions] + [step.output]
    lines.append(f"  Planned:  {len(plan.steps)} kernels, estimated cost {plan.cost:.3g} coordinates visited "
                 f"(one fused nest: {plan.fused_cost:.3g})")
    lines.append("-" * 96)
    lines.append(f"  {'kernel':44s} {'temporary':10s} {'estimated':>12s} {'measured':>12s}")
    lines.append("-" * 96)
    for step in plan.steps:
        last = step is plan.steps[-1]
        kind = "(result)" if last else "dense" if step.dense else "sparse"
        stored = "" if last else str(measured.get(step.output, ""))
        estimated = "" if last else f"{step.estimated_entries:.3g}"
        lines.append(f"  {step.statement:44s} {kind:10s} {estimated:>12s} {stored:>12s}")
    return ["einsum_path", *path], "\n".join(lines)
