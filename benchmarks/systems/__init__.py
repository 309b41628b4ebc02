"""The systems measured: einsparse and its peers, each behind one small adapter.

An adapter converts a case's neutral data into its own formats (timed apart, as `convert_s`, never inside
the operation), returns a runner factory whose first call is the compile or setup, and turns its result
back into scipy/NumPy for the correctness check (also outside the timed region).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class Unsupported(Exception):
    """The system has no way to run this kernel (or not on these inputs); the reason is reported."""


@dataclass
class Prepared:
    make_runner: Callable[[], Callable[[], object]]   # compile or set up; returns the timed operation
    to_common: Callable[[object], object]             # result -> scipy sparse, ndarray or float
    convert_s: float = 0.0                            # bringing the data into the system's formats
    note: str = ""


class System:
    name = "?"
    is_peer = True          # einsparse's own variants are not peers

    def unavailable(self) -> "str | None":
        """None when the system can run here, else why not (e.g. not installed)."""
        return None

    def applies(self, case) -> bool:
        """Whether the system belongs in this case's rows at all (einsparse's own variants do not)."""
        return True

    def set_threads(self, threads: int) -> int:
        """Ask for `threads`; return how many the system will actually use."""
        return 1

    def runs_at(self, threads: int, used: int) -> bool:
        """Whether the system is timed in the rounds at `threads` threads, where it uses `used`: at more
        than one thread, only systems that use them (the 1-thread rows stand for the others)."""
        return threads == 1 or used == threads

    def prepare(self, case) -> Prepared:
        raise Unsupported("not implemented")


def all_systems() -> list[System]:
    from benchmarks.systems.einsparse_system import EinsparseOneThread, EinsparseSystem, EinsparseUnfused
    from benchmarks.systems.graphblas_peer import GraphBLASPeer
    from benchmarks.systems.numpy_peer import NumpyEinsumPeer
    from benchmarks.systems.pydata_sparse_peer import PydataSparsePeer
    from benchmarks.systems.scipy_peer import ScipyPeer
    from benchmarks.systems.tensora_peer import TensoraPeer

    return [EinsparseSystem(), EinsparseOneThread(), EinsparseUnfused(), ScipyPeer(), GraphBLASPeer(), PydataSparsePeer(),
            TensoraPeer(), NumpyEinsumPeer()]
