"""Operands kept on a cluster's workers across calls (`es.persist`): a tensor cut once along one mode
into blocks balanced by stored entries, each block scattered to a worker. A call on the cluster then
reads the blocks where they are instead of sending the tensor from this process each time; only what
the call cuts differently is cut again, on the workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from einsparse.cluster import sizing
from einsparse.errors import ClusterError, OperandError
from einsparse.runtime.blocks import balanced_ranges, entries_along, joined, slices
from einsparse.runtime.convert import as_tensor, from_coo, natural_format, operand_shape
from einsparse.runtime.stored import is_scipy, operand_fill
from einsparse.runtime.tensor import Tensor

if TYPE_CHECKING:
    from einsparse.compiler.formats import Format
    from einsparse.compiler.planner import Stats
    from einsparse.runtime.annotations import Array, Operand

# dask.distributed's clients and futures are Any: the checker skips dask.distributed (pyproject.toml).

HELD_SEMIRING = ("semiring= on persisted operands: not supported (the semiring reads absent entries as its own "
                 "fill); persist es.tensor(A, fill=...) and write the semiring's operators in the statement")


class PersistedTensor:
    """A tensor whose blocks along mode `along` live on a Dask cluster's workers (`es.persist`).

    Give it to `evaluate`, `compile`d kernels or `einsum` like any operand: the call runs on its
    cluster and reads the blocks where they are. `gather()` brings it back; `release()` lets the
    workers drop it.

    Attributes
    ----------
    shape : tuple of int
        The tensor's shape.
    format : Format
        The format its blocks are stored in (and calls read it in).
    dtype : numpy.dtype
        Its values' type.
    fill : scalar
        The value of the entries not stored.
    nnz : int
        Stored entries.
    along : int
        The mode it is cut along.
    ranges : list of (int, int)
        Each block's coordinates ``lo..hi-1`` along `along`.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, einsparse as es
    >>> A = sp.random(1000, 1000, density=0.01, format="csr")
    >>> held = es.persist(A, client="local")  # doctest: +SKIP
    >>> y = es.evaluate("y[i] = A[i,j]*x[j]", A=held, x=np.ones(1000))  # doctest: +SKIP
    >>> held.release()  # doctest: +SKIP
    """

    def __init__(self, client: Any, shape: tuple[int, ...], fmt: Format, dtype: np.dtype[Any],
                 fill: complex | np.generic, along: int, ranges: list[tuple[int, int]], parts: list[Any],
                 counts: dict[int, Array], as_tensor_back: bool = False):
        self.client, self.shape, self.format, self.dtype, self.fill = client, shape, fmt, dtype, fill
        self.along, self.ranges, self.parts, self.counts = along, ranges, parts, counts
        self.planning_stats: Stats | None = None  # shape, stored entries and occupied coordinates, for the planner
        self._as_tensor_back = as_tensor_back
        self._whole: Any = None  # a future, once joined
        self._stand_in: Array | Tensor | None = None
        self.released = False

    @property
    def ndim(self) -> int:
        """The number of modes."""
        return len(self.shape)

    @property
    def nnz(self) -> int:
        """Stored entries, over all the blocks."""
        return int(self.counts[self.along].sum())

    @property
    def fill_is_zero(self) -> bool:
        """Whether the unstored entries are 0 (of any sign)."""
        return _is_zero(self.fill)

    @property
    def stand_in(self) -> Array | Tensor:
        """What compiling a statement sees of this tensor: its shape, format, dtype and fill, no entries."""
        if self._stand_in is None:
            if self.format.is_dense:
                self._stand_in = np.broadcast_to(np.zeros((), dtype=self.dtype), self.shape)
            else:
                empty = from_coo(np.zeros((self.ndim, 0), dtype=np.int64), np.zeros(0, dtype=self.dtype),
                                 self.shape, self.format)
                self._stand_in = empty if _is_zero(self.fill) else empty.with_fill(self.fill)
        return self._stand_in

    def check_client(self, client: Any, name: str) -> None:
        """ClusterError unless `client` talks to the scheduler that holds this tensor's blocks.

        Parameters
        ----------
        client : distributed.Client
            The client a call runs on.
        name : str
            The operand's name in the statement, for the message.
        """
        if self.released:
            raise ClusterError(f"operand {name} was released from its cluster; persist it again")
        if client is not self.client and client.scheduler.address != self.client.scheduler.address:
            raise ClusterError(f"operand {name} is persisted on the cluster at {self.client.scheduler.address}, "
                               f"not on the one at {client.scheduler.address} this call runs on")

    def futures(self) -> list[Any]:
        """The futures holding the tensor on the workers: its blocks, and the whole once joined."""
        return [*self.parts, *([self._whole] if self._whole is not None else [])]

    def whole(self) -> Any:
        """A future of the whole tensor, joined from its blocks on a worker (made once)."""
        if self._whole is None:
            self._whole = self.client.submit(rejoined, self.parts, self.along,
                                             key=f"einsparse-whole-{uuid.uuid4().hex[:12]}", pure=False)
        return self._whole

    def pieces(self, mode: int, ranges: Sequence[Sequence[int]]) -> list[Any]:
        """Futures of the tensor restricted to each range of `mode`: its own blocks when they are those,
        else cut from the whole on the workers.

        Parameters
        ----------
        mode : int
            The mode a call is cut along.
        ranges : sequence of (int, int)
            Each block's coordinates ``lo..hi-1`` along `mode`.
        """
        if mode == self.along and [tuple(r) for r in ranges] == self.ranges:
            return list(self.parts)
        whole = self.whole()
        return [self.client.submit(_piece, whole, mode, lo, hi, pure=False) for lo, hi in ranges]

    def gather(self) -> Operand:
        """The tensor, brought back to this process.

        Returns
        -------
        Tensor, numpy.ndarray, scipy.sparse matrix or pydata/sparse array
            Of the kind it was persisted from.

        Raises
        ------
        ClusterError
            When it was released.
        """
        if self.released:
            raise ClusterError("the tensor was released from its cluster; persist it again")
        made = rejoined(self.client.gather(self.parts), self.along)
        return as_tensor(made, self.format) if self._as_tensor_back else made

    def release(self) -> None:
        """Let the workers drop the blocks (the tensor cannot be used afterwards)."""
        for future in self.futures():
            future.release()
        self._whole, self.released = None, True

    def __repr__(self) -> str:
        blocks = f"{len(self.parts)} block{'s' if len(self.parts) != 1 else ''}"
        return (f"PersistedTensor(shape={self.shape}, format={self.format.name}, dtype={self.dtype}, "
                f"nnz={self.nnz}, {blocks} along mode {self.along} on "
                f"{self.client.scheduler.address})")


def persist(value: Operand, client: Any, along: int = 0) -> PersistedTensor:
    """`value` cut along mode `along` into blocks balanced by stored entries (two per worker thread,
    none under `sizing.SMALLEST_BLOCK` entries), each scattered to a worker of `client`."""
    if isinstance(value, PersistedTensor):
        raise OperandError("persist: the tensor is persisted already")
    if not (isinstance(value, (Tensor, np.ndarray)) or is_scipy(value) or _is_pydata(value)):
        operand_shape(value, name="persist")  # a readable operand, or its error
        value = np.asarray(value)
    shape = operand_shape(value, name="persist")
    if not isinstance(along, (int, np.integer)) or isinstance(along, bool) or not 0 <= along < len(shape):
        raise OperandError(f"persist: along={along!r} is not a mode of a tensor of {len(shape)} modes")
    along = int(along)
    fmt = natural_format(value, name="persist")
    counts = {mode: entries_along(value, mode, extent) for mode, extent in enumerate(shape)}
    wanted = sizing.BLOCKS_PER_THREAD * sizing.thread_count(client)
    ranges = balanced_ranges(counts[along], sizing.block_count(int(counts[along].sum()), wanted))
    parts = client.scatter(slices(value, along, ranges), hash=False)
    return PersistedTensor(client, tuple(shape), fmt, np.dtype(value.dtype), operand_fill(value), along,
                           ranges, parts, counts, as_tensor_back=isinstance(value, Tensor))


def kept_on_workers(client: Any, parts: list[Any], along: int, ranges: list[tuple[int, int]],
                    fmt: Format) -> PersistedTensor:
    """The blocks a call computed on the workers (`parts`, futures along mode `along` over `ranges`) as a
    persisted tensor, where they are: only their dtype, fill and stored entries per coordinate come here."""
    facts = client.gather([client.submit(_facts, part, pure=False) for part in parts])
    shape = list(facts[0][0])
    shape[along] = ranges[-1][1]
    counts = {mode: np.concatenate([fact[3][mode] for fact in facts]) if mode == along
              else np.sum([fact[3][mode] for fact in facts], axis=0) for mode in range(len(shape))}
    return PersistedTensor(client, tuple(shape), fmt, facts[0][1], facts[0][2], along, list(ranges), parts,
                           counts, as_tensor_back=facts[0][4])


def _facts(block: Operand) -> tuple[tuple[int, ...], np.dtype[Any], Any, dict[int, Array], bool]:
    """A block's shape, dtype, fill, entries stored at each coordinate of each mode, and whether it is a
    Tensor (computed on its worker)."""
    shape = operand_shape(block, name="block")
    counts = {mode: entries_along(block, mode, extent) for mode, extent in enumerate(shape)}
    return tuple(shape), np.dtype(block.dtype), operand_fill(block), counts, isinstance(block, Tensor)


def rejoined(parts: list[Any], mode: int) -> Operand:
    """Blocks cut by `runtime.blocks.slices` along `mode`, joined back into one of their kind."""
    first = parts[0]
    if is_scipy(first):
        stack = sp.vstack if mode == 0 else sp.hstack
        return stack(parts, format=first.format)
    if _is_pydata(first):
        import sparse

        return sparse.concatenate(parts, axis=mode)
    return joined(parts, mode)


def _piece(whole: Operand, mode: int, lo: int, hi: int) -> Operand:
    return slices(whole, mode, [(lo, hi)])[0]


def _is_pydata(value: object) -> bool:
    return hasattr(value, "coords") and hasattr(value, "fill_value")


def _is_zero(fill: object) -> bool:
    try:
        return bool(fill == 0)
    except (TypeError, ValueError):
        return False


def persisted_client(values: Iterable[Any]) -> Any:
    """The client holding the first persisted one of `values`, or None when there is none."""
    for value in values:
        if isinstance(value, PersistedTensor):
            return value.client
    return None

