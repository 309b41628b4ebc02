"""einsparse as users call it: operands converted once to the kernel's formats (scipy CSR and NumPy arrays
are read as they are), then `es.evaluate` on every run, so the per-call work (finding the kernel, checking
and wrapping operands, allocating the output) is timed with the kernel."""

from __future__ import annotations

import inspect

import numpy as np
import scipy.sparse as sp

from benchmarks.inputs import Coo3
from benchmarks.systems import Prepared, System
from benchmarks.systems.timer import timed


def supports_threads() -> bool:
    """Whether this einsparse takes `threads=` in `compile` (and so `evaluate`)."""
    import einsparse as es

    return "threads" in inspect.signature(es.compile).parameters


def compile_kernel(statement: str, formats: dict, threads: int):
    import einsparse as es

    if supports_threads():
        return es.compile(statement, formats, threads=threads)
    return es.compile(statement, formats)


def evaluator(statement: str, formats: dict, threads: int):
    """A function of the operands calling `es.evaluate` as a user would, after one warm-up compile."""
    import einsparse as es

    compile_kernel(statement, formats, threads)
    if supports_threads():
        return lambda **operands: es.evaluate(statement, formats, threads=threads, **operands)
    return lambda **operands: es.evaluate(statement, formats, **operands)


def to_einsparse(value, fmt: "str | None"):
    import einsparse as es

    if isinstance(value, Coo3):
        return es.tensor((value.coords, value.values), shape=value.shape, format="coo").asformat(fmt or "csf")
    if sp.issparse(value) and (fmt or "csr") == "csr" and value.format == "csr":
        return value                                   # users pass their scipy CSR matrices as they are
    if sp.issparse(value):
        return es.tensor(value, format=fmt or "csr")
    return value                                       # dense NumPy arrays are read as they are


def from_einsparse(result):
    import einsparse as es

    if isinstance(result, es.Tensor):
        return result.to_scipy() if result.ndim == 2 else result.to_numpy()
    return result


class EinsparseSystem(System):
    name = "einsparse"
    is_peer = False

    def __init__(self):
        self.threads = 1

    def set_threads(self, threads: int) -> int:
        self.threads = threads if supports_threads() else 1
        return self.threads

    def prepare(self, case) -> Prepared:
        spec = case.spec
        operands, convert_s = timed(lambda: {name: to_einsparse(value, spec.formats.get(name))
                                             for name, value in case.data.items()})

        def make_runner():
            run = evaluator(spec.statement, spec.formats, self.threads)
            return lambda: run(**operands)

        return Prepared(make_runner, from_einsparse, convert_s)


class EinsparseUnfused(EinsparseSystem):
    """K5 as two einsparse statements, `T = A*B` then `C = T + D`, to show what fusion is worth."""
    name = "einsparse A*B, then +D"

    def applies(self, case) -> bool:
        return case.spec.key == "K5"

    def prepare(self, case) -> Prepared:
        A = to_einsparse(case.data["A"], "csr")
        B, D = case.data["B"], case.data["D"]

        def make_runner():
            product = evaluator("T[i,j] = A[i,k]*B[k,j]", {"A": "csr"}, self.threads)
            add = evaluator("C[i,j] = T[i,j] + D[i,j]", {}, self.threads)
            return lambda: add(T=product(A=A, B=B), D=D)

        return Prepared(make_runner, np.asarray, 0.0)


class EinsparseOneThread(EinsparseSystem):
    """einsparse on 1 thread, timed in the same rounds as einsparse on more: their ratio is the speed-up
    that threads give, side by side, without the drift between the 1-thread and N-thread passes."""
    name = "einsparse on 1 thread"

    def set_threads(self, threads: int) -> int:
        self.threads = 1
        return 1

    def runs_at(self, threads: int, used: int) -> bool:
        return threads > 1 and supports_threads()
