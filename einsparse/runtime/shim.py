"""The common call of a kernel, written out as one Python function of its own (a shim).

Most calls pass operands already stored as the kernel reads them (C-ordered NumPy arrays, canonical
scipy CSR/CSC matrices, einsparse tensors of the kernel's formats), want a new dense output and run on
one thread. For those, the general call path (tensors, a context, an argument maker per argument) costs
several times the kernel itself on small operands. The shim does the same work in straight-line code
generated from the plan: check each operand's type and layout, read its arrays and extents, check that
the extents agree, allocate the output, call the compiled kernel. Anything it does not expect (another
type, a non-canonical matrix, disagreeing extents, a new dtype, a large output) makes it return `FULL`,
and the general path, which converts and reports mistakes, takes the call.
"""

from __future__ import annotations

import numpy as np

from einsparse.compiler import index_ir as ir

from einsparse.runtime.call import TempType
from einsparse.runtime.stored import is_scipy
from einsparse.runtime.tensor import VALUE_DTYPES, Tensor

FULL = object()  # the shim does not take this call

_SCIPY_CLASSES = {"csr": ("csr_matrix", "csr_array"), "csc": ("csc_matrix", "csc_array")}
_SCIPY_ARRAYS = {"pos": "indptr", "crd": "indices"}
_LARGEST = 2**24  # larger outputs take the general path, which checks that they fit in memory


def make_shim(plan, dispatcher, dtypes: dict, wrap_error):
    """The shim of a plan whose call it can make (else None): `dtypes` maps the inputs' value dtypes to
    the result's, as the general path fills it; `wrap_error` makes a kernel failure the library's."""
    typed_zeros: dict = {}
    source = _source(plan, typed_zeros)
    if source is None:
        return None
    namespace = {"FULL": FULL, "np": np, "ndarray": np.ndarray, "Tensor": Tensor, "VALUE": VALUE_DTYPES,
                 "is_scipy": is_scipy, "dispatcher": dispatcher, "dtypes": dtypes, "wrap": wrap_error,
                 "LARGEST": _LARGEST, "formats": {name: plan.formats[name] for name in plan.inputs},
                 "scipy_classes": _SCIPY_CLASSES, **typed_zeros}
    exec(source, namespace)  # noqa: S102 (text generated from the plan, no user text in it)
    return namespace["shim"]


def _source(plan, typed_zeros: dict) -> "str | None":
    """The shim's text; the `TempType` look-ups it calls go into `typed_zeros` by their names there."""
    output = plan.output.tensor
    lines = ["def shim(operands):", f"    if len(operands) != {len(plan.inputs)}:", "        return FULL"]
    shapes = {}
    for k, name in enumerate(plan.inputs):
        fmt = plan.formats[name]
        lines += _read_operand(k, name, fmt)
        shapes[name] = [f"s{k}_{m}" for m in range(fmt.rank)]
    extents: dict[str, str] = {}
    for access in _accesses(plan):
        for mode, index in enumerate(access.indices):
            index, shape = plan.origin(index), shapes[access.tensor][mode]
            if index not in extents:
                extents[index] = f"e{len(extents)}"
                lines.append(f"    {extents[index]} = {shape}")
            else:
                lines += [f"    if {shape} != {extents[index]}:", "        return FULL"]
    dtype_key = ", ".join(f"vals{k}.dtype" for k in range(len(plan.inputs)))
    lines += [f"    dt = dtypes.get(({dtype_key}{',' if len(plan.inputs) == 1 else ''}))",
              "    if dt is None:", "        return FULL"]
    out_fmt = plan.formats[output]
    shape = [extents.get(plan.origin(i)) for i in plan.output.indices]
    if None in shape or not out_fmt.is_dense:
        return None
    storage = [shape[m] for m in out_fmt.mode_order]
    size = " * ".join(storage) or "1"
    lines += [f"    size = {size}", "    if size > LARGEST:", "        return FULL",
              f"    out = np.{'empty' if plan.written_in_full else 'zeros'}(size, dt)"]
    arguments = []
    for param in plan.params:
        argument = _argument(plan, param, extents, typed_zeros)
        if argument is None:
            return None
        arguments.append(argument)
    lines += ["    try:", f"        dispatcher({', '.join(arguments)})",
              "    except Exception as error:", "        raise wrap(error) from error"]
    if not shape:
        lines.append("    return out[0]")
    elif len(shape) == 1:
        lines.append("    return out")
    else:
        result = f"out.reshape(({', '.join(storage)},))"
        if out_fmt.mode_order != tuple(range(len(shape))):
            result += f".transpose({tuple(int(m) for m in np.argsort(out_fmt.mode_order))})"
        lines.append(f"    return {result}")
    return "\n".join(lines) + "\n"


def _accesses(plan):
    return list(ir.accesses(plan.index_notation.rhs))


def _read_operand(k: int, name: str, fmt) -> list[str]:
    """Lines binding operand `name` (the `k`th input) as `v{k}`, its values `vals{k}`, its extents
    `s{k}_{mode}` and its level arrays `a{k}_{level}_{array}`; FULL when it is not stored as `fmt`."""
    v, rank = f"v{k}", fmt.rank
    shape = "".join(f"s{k}_{m}, " for m in range(rank))
    lines = [f"    {v} = operands.get({name!r})", f"    if type({v}) is Tensor:",
             f"        if {v}.format != formats[{name!r}] or {v}._fill is not None:", "            return FULL",
             f"        vals{k} = {v}.vals"]
    if rank:
        lines.append(f"        {shape}= {v}.shape")
    for level, kind in enumerate(fmt.levels):
        for array in _level_arrays(kind):
            lines.append(f"        a{k}_{level}_{array} = {v}.levels[{level}].{array}")
    if fmt.is_dense and fmt.mode_order == tuple(range(rank)):
        lines += [f"    elif type({v}) is ndarray and {v}.ndim == {rank} and {v}.dtype in VALUE "
                  f"and {v}.flags.c_contiguous:",
                  f"        vals{k} = {v}" + ("" if rank == 1 else ".reshape(-1)")]
        if rank:
            lines.append(f"        {shape}= {v}.shape")
    elif fmt.name in _SCIPY_CLASSES:
        lines += [f"    elif type({v}).__name__ in scipy_classes[{fmt.name!r}] and is_scipy({v}) "
                  f"and {v}.has_canonical_format:",
                  f"        a{k}_1_pos, a{k}_1_crd, vals{k} = {v}.indptr, {v}.indices, {v}.data",
                  f"        if a{k}_1_pos.dtype != a{k}_1_crd.dtype or vals{k}.dtype not in VALUE:",
                  "            return FULL",
                  f"        {shape}= {v}.shape"]
    lines += ["    else:", "        return FULL"]
    return lines


def _level_arrays(kind) -> tuple:
    """The arrays a level of `kind` hands to a kernel, by the names its storage has them under."""
    code = kind.code("x", 0, "n", _Names())
    return tuple(param.kind for param in code.params)


class _Names:
    """The naming a level's code generator asks for, just to learn which arrays it reads."""

    def array(self, name: str) -> str:
        return name


def _argument(plan, param, extents: dict, typed_zeros: dict) -> "str | None":
    kind = param.kind
    if kind in ("typed_zero", "identity"):
        typed = TempType(param.expr)
        if not set(typed.names) <= set(plan.inputs):
            return None
        name = f"typed{len(typed_zeros)}"
        typed_zeros[name] = typed.zero if kind == "typed_zero" else typed.identity
        key = "".join(f"vals{plan.inputs.index(n)}.dtype, " for n in typed.names)
        return f"{name}(({key}))"
    if kind == "extent":
        return extents.get(param.indices[0], "0")
    if kind in ("chunk_lo", "chunk_hi"):
        if plan.split is None:
            return "0"
        if plan.split.kind != "range":
            return None
        return "0" if kind == "chunk_lo" else extents[plan.split.over]
    if kind == "zero":
        return "dt.type(0)"
    if param.operand == plan.output.tensor:
        return "out" if kind == "vals" else None
    if param.operand not in plan.inputs:
        return None
    k = plan.inputs.index(param.operand)
    if kind == "vals":
        return f"vals{k}"
    if param.level >= 0 and kind.isidentifier():
        return f"a{k}_{param.level}_{kind}"
    return None
