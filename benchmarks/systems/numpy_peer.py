"""NumPy einsum on dense copies of every operand, only where those fit in `DENSE_LIMIT_BYTES`."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.inputs import Coo3
from benchmarks.systems import Prepared, System, Unsupported
from benchmarks.systems.timer import timed

DENSE_LIMIT_BYTES = 400 * 2 ** 20
DENSE_LIMIT_WORK = 1e9   # multiply-adds of the dense loop nest: beyond it one call takes seconds


def dense_work(spec, case) -> int:
    """Product of the extents of every index: the multiply-adds of the dense loop nest."""
    extents = {}
    for letters, name in zip(spec.einsum.split("->")[0].split(","), spec.operands):
        extents.update(zip(letters, case.data[name].shape))
    return math.prod(extents.values())


def dense_bytes(case) -> int:
    total = 0
    for value in case.data.values():
        shape = value.shape
        total += 8 * math.prod(shape)
    return total


class NumpyEinsumPeer(System):
    name = "numpy einsum"

    def __init__(self):
        self.threads = 1

    def set_threads(self, threads: int) -> int:
        # einsum's optimized paths may call BLAS: its pool is capped for the process when threadpoolctl is
        # installed (the limit stays until the next call); otherwise BLAS keeps its default, recorded as 0.
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            self.threads = 0
            return 0
        threadpool_limits(limits=threads, user_api="blas")
        self.threads = threads
        return threads

    def prepare(self, case) -> Prepared:
        spec = case.spec
        if not spec.einsum:
            raise Unsupported("a sum of terms, not one einsum")
        if dense_bytes(case) > DENSE_LIMIT_BYTES:
            raise Unsupported(f"dense operands need {dense_bytes(case) / 2**20:.0f} MiB")
        if dense_work(spec, case) > DENSE_LIMIT_WORK:
            raise Unsupported(f"dense work {dense_work(spec, case):.1e} multiply-adds")

        def densify():
            out = []
            for name in spec.operands:
                value = case.data[name]
                if isinstance(value, Coo3):
                    array = np.zeros(value.shape)
                    array[tuple(value.coords)] = value.values
                    out.append(array)
                elif hasattr(value, "toarray"):
                    out.append(value.toarray())
                else:
                    out.append(value)
            return out

        arrays, convert_s = timed(densify)
        path = np.einsum_path(spec.einsum, *arrays, optimize="optimal")[0]
        run = lambda: np.einsum(spec.einsum, *arrays, optimize=path)  # noqa: E731
        return Prepared(lambda: run, np.asarray, convert_s,
                        "" if self.threads else "BLAS threads at their default")
