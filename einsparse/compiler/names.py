"""Every name in generated code is made here, so kernels read the same everywhere.

Tensor `A`'s level 2 arrays are `A2_pos` and `A2_crd`, its values `A_vals`, its position at level 2
`pA2`; index `i` loops as `i` with extent `n_i`; temporaries are `t0`, `t1`, ... A name already taken
(by the user's tensors and indices, Python keywords or the builtins kernels use) gets a numeric suffix.
"""

from __future__ import annotations

import builtins
import keyword

_RESERVED = {
    "np", "numba", "kernel", "zero", "u", "range", "min", "max", "abs",
    "chunk_lo", "chunk_hi", "DEBRUIJN", "BIT_INDEX", "llvm_ir", "llvm", "types", "intrinsic", "platform", "X86_64",
    # the helpers of compiler.emit a kernel may import
    "grow", "extend", "merge_pairs", "sort_touched", "sort_prefix", "prefetch", "gallop", "sum_add", "sum_add_in_order", "pick",
    "as_type_of", "widen", "two_sum", "prefix_sum",
} | set(dir(builtins))


class Namer:
    def __init__(self, user_names=()):
        self._taken: set[str] = set(_RESERVED) | set(keyword.kwlist)
        self._user = set(user_names)
        self._memo: dict[tuple, str] = {}

    def fresh(self, preferred: str) -> str:
        candidate, n = preferred, 2
        while candidate in self._taken or candidate in self._user:
            candidate, n = f"{preferred}_{n}", n + 1
        self._taken.add(candidate)
        return candidate

    def once(self, key: tuple, preferred: str) -> str:
        """The same fresh name for the same key, every time it is asked for."""
        if key not in self._memo:
            self._memo[key] = self.fresh(preferred)
        return self._memo[key]

    def index(self, name: str) -> str:
        """A user's index keeps its name as the loop variable unless Python reserves it."""
        key = ("index", name)
        if key not in self._memo:
            ok = name not in self._taken and not keyword.iskeyword(name)
            self._memo[key] = name if ok else self.fresh(f"{name}_")
            self._taken.add(self._memo[key])
        return self._memo[key]

    def extent(self, index: str) -> str:
        return self.once(("extent", index), f"n_{index}")

    def array(self, name: str) -> str:
        return self.once(("array", name), name)

    def vals(self, operand: str) -> str:
        return self.once(("vals", operand), f"{operand}_vals")

    def position(self, access_id: int, operand: str, level: int) -> str:
        return self.once(("pos", access_id, level), f"p{operand}{level + 1}")

    def end(self, access_id: int, operand: str, level: int) -> str:
        return self.once(("end", access_id, level), f"p{operand}{level + 1}_end")

    def coordinate(self, access_id: int, index: str, operand: str) -> str:
        return self.once(("crd", access_id, index), f"{index}{operand}")

    def present(self, access_id: int, operand: str, level: int) -> str:
        return self.once(("here", access_id, level), f"{operand}{level + 1}_here")
