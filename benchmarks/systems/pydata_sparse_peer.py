"""pydata/sparse: COO arrays (its native format), its operators and `sparse.einsum`."""

from __future__ import annotations

import numpy as np

from benchmarks.inputs import Coo3
from benchmarks.systems import Prepared, System, Unsupported
from benchmarks.systems.timer import timed

EINSUM_WORK_LIMIT = 4e6


class PydataSparsePeer(System):
    name = "pydata/sparse"

    def unavailable(self):
        try:
            import sparse  # noqa: F401
        except ImportError:
            return "sparse (pydata) not installed"
        return None

    def prepare(self, case) -> Prepared:
        import sparse

        key, d = case.spec.key, case.data
        if key == "K6":
            raise Unsupported("no sampled product: einsum would form the dense U V^T")
        if key == "K7" and d["T"].nnz * d["U"].shape[1] > EINSUM_WORK_LIMIT:
            # sparse.einsum is far slower than every other system here (seconds a call at the small
            # size), so larger tensors would dominate the whole run
            raise Unsupported(f"sparse.einsum skipped above {EINSUM_WORK_LIMIT:.0e} entries x columns")

        def convert():
            out = {}
            for name, value in d.items():
                if isinstance(value, Coo3):
                    out[name] = sparse.COO(value.coords, value.values, shape=value.shape,
                                           sorted=True, has_duplicates=False)
                elif hasattr(value, "tocoo"):
                    out[name] = sparse.COO.from_scipy_sparse(value)
                else:
                    out[name] = value
            return out

        s, convert_s = timed(convert)
        ops = {
            "K1": lambda: s["A"] @ s["x"],
            "K2": lambda: s["A"] @ s["B"],
            "K3": lambda: s["A"] @ s["B"],
            "K4": lambda: s["A"] + s["B"],
            "K5": lambda: s["A"] @ s["B"] + s["D"],
            "K7": lambda: sparse.einsum("ikl,kj,lj->ij", s["T"], s["U"], s["V"]),
            "K8": lambda: sparse.tensordot(s["T"], s["c"], axes=([2], [0])),
            "K9": lambda: (s["A"] * s["B"]).sum(),
            "K10": lambda: s["A"] * s["B"],
        }
        return Prepared(lambda: ops[key], _common, convert_s)


def _common(result):
    if hasattr(result, "to_scipy_sparse") and result.ndim == 2:
        return result.to_scipy_sparse().tocsr()
    if hasattr(result, "todense"):
        return result.todense()
    return np.asarray(result)
