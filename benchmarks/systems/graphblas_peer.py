"""python-graphblas (SuiteSparse:GraphBLAS): matrices and vectors, dense operands as full matrices."""

from __future__ import annotations

from benchmarks.systems import Prepared, System, Unsupported
from benchmarks.systems.scipy_peer import unfold
from benchmarks.systems.timer import timed


class GraphBLASPeer(System):
    name = "graphblas"

    def unavailable(self):
        try:
            import graphblas  # noqa: F401
        except Exception as error:   # not installed, or its SuiteSparse binary failed to load
            return f"python-graphblas not importable ({type(error).__name__}: {error})"
        return None

    def set_threads(self, threads: int) -> int:
        import graphblas as gb

        gb.ss.config["nthreads"] = threads
        return int(gb.ss.config["nthreads"])

    def prepare(self, case) -> Prepared:
        import graphblas as gb
        from graphblas import binary, monoid

        key, d = case.spec.key, case.data

        def convert():
            out = {}
            for name, value in d.items():
                if name == "T":
                    continue
                if hasattr(value, "tocsr"):
                    out[name] = gb.io.from_scipy_sparse(value)
                elif value.ndim == 1:
                    out[name] = gb.Vector.from_dense(value)
                else:
                    out[name] = gb.Matrix.from_dense(value)
            if "T" in d and key == "K8":
                out["T"] = gb.io.from_scipy_sparse(unfold(d["T"], 2))
            return out

        if key == "K7":
            raise Unsupported("matrices and vectors only (no 3-d tensors)")
        g, convert_s = timed(convert)
        note = ""
        if key == "K1":
            op = lambda: g["A"].mxv(g["x"]).new()  # noqa: E731
            back = lambda r: r.to_dense(fill_value=0.0)  # noqa: E731
        elif key in ("K2", "K3"):
            op = lambda: g["A"].mxm(g["B"]).new()  # noqa: E731
            back = gb.io.to_scipy_sparse
        elif key == "K4":
            op = lambda: g["A"].ewise_add(g["B"], binary.plus).new()  # noqa: E731
            back = gb.io.to_scipy_sparse
        elif key == "K5":
            def op():
                C = g["D"].dup()
                C(accum=binary.plus) << g["A"].mxm(g["B"])
                return C
            back = gb.io.to_scipy_sparse
            note = "C = D.dup(); C(accum=plus) << A.mxm(B)"
        elif key == "K6":
            def op():
                dots = g["U"].mxm(g["V"].T).new(mask=g["A"].S)   # masked: only A's pattern computed
                return g["A"].ewise_mult(dots, binary.times).new()
            back = gb.io.to_scipy_sparse
            note = "masked U.mxm(V.T), then ewise_mult with A"
        elif key == "K8":
            shape = d["T"].shape[:2]
            op = lambda: g["T"].mxv(g["c"]).new()  # noqa: E731
            back = lambda r: r.to_dense(fill_value=0.0).reshape(shape)  # noqa: E731
            note = "(i,j)-by-k reshape mxv c"
        elif key == "K9":
            op = lambda: g["A"].ewise_mult(g["B"], binary.times).reduce_scalar(monoid.plus).new().value  # noqa: E731
            back = float
        elif key == "K10":
            op = lambda: g["A"].ewise_mult(g["B"], binary.times).new()  # noqa: E731
            back = gb.io.to_scipy_sparse
        else:
            raise ValueError(key)
        return Prepared(lambda: op, back, convert_s, note)
