"""The Dask client a call runs on: one given, a scheduler's address, or a local cluster of worker
processes started once for the session (`"local"`, `"local:N"`) and closed at exit.

Nothing here schedules, moves data or retries: dask.distributed does, and its errors a user can cause
(an address nobody answers at) become one-line `ClusterError`s naming the address.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import contextvars
import logging
import re
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union

from einsparse.errors import ClusterError, NotSupportedError, OperandError

if TYPE_CHECKING:
    from distributed import Client

# Where a call runs: a `distributed.Client`, "local" or "local:N" (a local cluster of N worker
# processes), a scheduler's address ("tcp://host:8786"), None (an enclosing `es.on_cluster`, else
# here) or False (here, whatever encloses the call).
ClusterClient = Union["Client", str, bool, None]

CONNECT_SECONDS = 5   # how long a client waits for a scheduler before saying it cannot reach it
LOCAL_WORKERS = 2     # worker processes of "local" (one thread each)

_local: dict[int, tuple[Any, Any]] = {}  # workers -> (LocalCluster, Client) started by this process
_lock = threading.Lock()
_active = contextvars.ContextVar("einsparse_cluster", default=None)
_ADDRESS = re.compile(r"^([a-z]+://)?[^\s:/]+:\d+$")  # tcp://host:8786, or host:8786


def active() -> Any:
    """The client of the innermost `on_cluster` block around this call, or None."""
    return _active.get()


@contextlib.contextmanager
def on_cluster(client: ClusterClient = "local") -> Iterator[Any]:
    """Run every statement inside the block on a Dask cluster.

    `evaluate`, `compile`, `einsum`, `persist` and index-notation assignments inside the ``with`` block
    run on the cluster as if given ``client=``; outside it nothing changes (a Dask client active in the
    program is not used unless asked).

    Parameters
    ----------
    client : distributed.Client or str
        A client, ``"local"`` or ``"local:N"`` (a LocalCluster of N one-thread worker processes on
        loopback, started once for the session and closed at exit; 2 by default), or a scheduler's
        address such as ``"tcp://host:8786"``.

    Yields
    ------
    distributed.Client
        The client the statements run on.

    Raises
    ------
    ClusterError
        When no Dask scheduler answers at the address within 5 seconds.
    NotSupportedError
        When dask.distributed is not installed (``pip install "einsparse[cluster]"``).
    OperandError
        When `client` names no cluster.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, einsparse as es
    >>> A = sp.random(1000, 1000, density=0.01, format="csr")
    >>> with es.on_cluster("local") as client:  # doctest: +SKIP
    ...     y = es.evaluate("y[i] = A[i,j]*x[j]", A=A, x=np.ones(1000))
    """
    resolved = resolve(client)
    token = _active.set(resolved)
    try:
        yield resolved
    finally:
        _active.reset(token)


def distributed() -> Any:  # the checker skips dask.distributed (pyproject.toml): its names are Any
    """The dask.distributed module, or a clear error when it is not installed."""
    try:
        import distributed as module
    except ImportError:
        raise NotSupportedError("running on a cluster needs dask.distributed: pip install 'einsparse[cluster]'") \
            from None
    return module


def resolve(client: ClusterClient) -> Any:
    """The `distributed.Client` that `client` names: a Client (used as given), "local" or "local:N" (a
    LocalCluster of N worker processes, 2 by default, started on first use), or a scheduler's address
    ("tcp://host:8786")."""
    module = distributed()
    if isinstance(client, module.Client):
        return client
    if isinstance(client, str):
        if client == "local" or client.startswith("local:"):
            return local(_workers(client))
        if _ADDRESS.match(client):
            return connect(client)
    raise OperandError(f"client={client!r} is not a dask.distributed Client, 'local', 'local:N' or a "
                       f"scheduler address such as 'tcp://host:8786'")


def _workers(text: str) -> int:
    count = text.partition(":")[2] or str(LOCAL_WORKERS)
    if not count.isdigit() or int(count) < 1:
        raise OperandError(f"client={text!r}: the number of local workers must be a positive integer "
                           f"('local:4')")
    return int(count)


def local(workers: int = LOCAL_WORKERS) -> Any:
    """A client of a LocalCluster of `workers` processes of one thread each, on loopback, kept for the
    session and closed at exit."""
    module = distributed()
    with _lock:
        found = _local.get(workers)
        if found is not None and found[1].status == "running":
            return found[1]
        # Its HTTP endpoints on a free port: two sessions on one machine do not fight over 8787.
        cluster = module.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0")
        client = module.Client(cluster, set_as_default=False)
        if not _local:  # after dask's own exit handlers, so that it runs before them
            atexit.register(_close_local)
        _local[workers] = (cluster, client)
        return client


def connect(address: str) -> Any:
    """A client of the scheduler at `address`; ClusterError within `CONNECT_SECONDS` when nobody answers
    there as a Dask scheduler."""
    module = distributed()
    try:
        return module.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except Exception as error:  # noqa: BLE001 (whatever the other end made the handshake raise)
        _close_half_made(error, module.Client)
        if isinstance(error, (OSError, TimeoutError)):
            reason = str(error).split("\n")[0] or type(error).__name__
        else:
            reason = "the other end did not answer as a Dask scheduler"
        raise ClusterError(f"cannot reach the Dask scheduler at {address} within {CONNECT_SECONDS} s "
                           f"({reason})") from None


def _close_half_made(error: Exception, client_class: type[Any]) -> None:
    """Close the client a failed constructor left behind now, quietly: left to the garbage collector,
    it would print a traceback of its own at exit after a 10-second wait."""
    frame = error.__traceback__
    made: list[Any] = []  # the Client objects the frames hold
    while frame is not None:
        candidate = frame.tb_frame.f_locals.get("self")
        if isinstance(candidate, client_class) and candidate not in made:
            made.append(candidate)
        frame = frame.tb_next
    hook, sys.unraisablehook = sys.unraisablehook, lambda *_: None
    try:
        for client in made:
            with contextlib.suppress(Exception):
                client.close(timeout=1)
        del made
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _close_local() -> None:
    # At exit, what the workers still hold is dropped on purpose: the scheduler need not warn of it.
    for name in [name for name in logging.root.manager.loggerDict if name.startswith("distributed")]:
        logging.getLogger(name).setLevel(logging.ERROR)
    for cluster, client in list(_local.values()):
        with contextlib.suppress(Exception):  # closing at exit: nothing is left to tell
            client.close()
            cluster.close()
    _local.clear()
