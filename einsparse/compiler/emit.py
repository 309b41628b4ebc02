"""Loop IR -> the source of a Python module holding one Numba kernel, and the kernel's argument list.

The kernel takes, in this order: the extent of every index (`n_i`), the arrays of every kernel
operand (`A2_pos`, `A2_crd`, `A_vals`; the output's last), the dense workspaces, and `zero`, a zero of
the result's dtype that temporaries start from. The source does not depend on dtypes: Numba
specializes it for the arrays it receives.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from einsparse.compiler import loop_ir as loop


@dataclass(frozen=True)
class KernelParam:
    """One kernel argument: `kind` is extent, pos, crd, vals, workspace, typed_zero or zero."""

    name: str
    kind: str
    operand: str = ""       # kernel operand (pos, crd, vals)
    level: int = -1         # level of a pos or crd array
    indices: tuple = ()     # the index of an extent; the indices of a workspace
    expr: object = None     # the sum a typed_zero stands for (its type is the sum's, by NumPy's rules)


# error_model="numpy": a division by zero gives inf or nan as in NumPy, instead of raising.
DECORATOR = '@numba.njit(cache=True, nogil=True, error_model="numpy")'


GROW = """@numba.njit(cache=True, nogil=True)
def grow(array, needed):
    \"\"\"A zero-padded copy of `array` with room for `needed` entries, at least twice as long.\"\"\"
    bigger = np.empty(max(needed, 2 * len(array)), array.dtype)  # written once: np.zeros would write twice
    # Loops, not slice assignments: they compile to the same copy, and Numba compiles them 30x faster.
    for q in range(len(array)):
        bigger[q] = array[q]
    for q in range(len(array), len(bigger)):
        bigger[q] = 0
    return bigger


@numba.njit(cache=True, nogil=True)
def extend(array, needed, projected):
    \"\"\"A copy of `array` with room for `needed` entries, for arrays appended to (entries past the old
    length are written before they are read, so they are left unset and their pages untouched): twice
    as long, or as long as `projected` (the final length the outer loop's progress points to) and an
    eighth, whichever is longer, but at most eight times as long.\"\"\"
    size = max(needed, 2 * len(array), min(projected + projected // 8, 8 * len(array)))
    bigger = np.empty(size, array.dtype)
    for q in range(len(array)):
        bigger[q] = array[q]
    return bigger


"""


MERGE_PAIRS = """@numba.njit(cache=True, nogil=True)
def merge_pairs(crd, vals, count):
    \"\"\"Sort the first `count` (coordinate, value) pairs by coordinate, add up the values of equal
    coordinates, and return how many distinct coordinates remain at the front of the arrays.\"\"\"
    order = np.argsort(crd[:count], kind="mergesort")
    sorted_crd = crd[:count][order]
    sorted_vals = vals[:count][order]
    distinct = 0
    for q in range(count):
        if distinct > 0 and sorted_crd[q] == crd[distinct - 1]:
            vals[distinct - 1] += sorted_vals[q]
        else:
            crd[distinct] = sorted_crd[q]
            vals[distinct] = sorted_vals[q]
            distinct += 1
    return distinct


"""


SORT_TOUCHED = """@numba.njit(cache=True, nogil=True)
def sort_prefix(a, n):
    \"\"\"Sort a[:n] in place by heap sort: n log n steps at worst, and a loop Numba compiles in a third
    of a quicksort's time (the rows sorted here are the short ones, whose touched coordinates lie too
    far apart for the bitmap walk; `ndarray.sort` compiles several times slower still).\"\"\"
    start = n // 2
    end = n
    while end > 1:
        if start > 0:  # first build the heap, from the last parent up
            start -= 1
        else:  # then move its largest to the end, one at a time
            end -= 1
            a[0], a[end] = a[end], a[0]
        root = start
        while 2 * root + 1 < end:  # sift the root down
            child = 2 * root + 1
            if child + 1 < end and a[child] < a[child + 1]:
                child += 1
            if a[root] < a[child]:
                a[root], a[child] = a[child], a[root]
                root = child
            else:
                break


# De Bruijn multiplication finds the index of a word's lowest set bit without a loop.
DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
BIT_INDEX = np.zeros(64, np.int64)
for _bit in range(64):
    BIT_INDEX[((int(DEBRUIJN) << _bit) % 2**64) >> 58] = _bit


@numba.njit(cache=True, nogil=True)
def sort_touched(listed, count, bits, summary):
    \"\"\"Sort the first `count` coordinates of `listed`, each marked in the bitmap `bits` (64 a word), and
    clear `bits` and `summary` for the next use: mark in `summary` the nonzero words of `bits` (4096
    coordinates a word; marked here, in a loop of its own, rather than as coordinates are touched, where
    each mark waited on the last one written to the same word: 12% of SpGEMM), then walk the set bits of
    both from the smallest coordinate to the largest, which costs a word read per 4096 coordinates of
    span plus a few per coordinate (against tens of nanoseconds per coordinate sorted), else, when the
    span is too long for the count, sort.\"\"\"
    if count < 2:
        if count == 1:
            bits[u(listed[0]) >> u(6)] = 0
        return
    low = listed[0]
    high = listed[0]
    for q in range(count):
        low = min(low, listed[q])
        high = max(high, listed[q])
        summary[u(listed[q]) >> u(12)] |= u(1) << ((u(listed[q]) >> u(6)) & u(63))
    first = low >> 12
    last = high >> 12
    if last - first + 1 > 16 * count:
        sort_prefix(listed, count)
        for q in range(count):
            bits[u(listed[q]) >> u(6)] = 0
            summary[u(listed[q]) >> u(12)] = 0
        return
    q = 0
    for s in range(first, last + 1):
        nonzero = summary[u(s)]
        summary[u(s)] = 0
        while nonzero:
            lowest_word = nonzero & (~nonzero + u(1))
            w = (s << 6) + BIT_INDEX[u((lowest_word * DEBRUIJN) >> u(58))]
            word = bits[u(w)]
            bits[u(w)] = 0
            while word:
                lowest = word & (~word + u(1))
                listed[u(q)] = (w << 6) + BIT_INDEX[u((lowest * DEBRUIJN) >> u(58))]
                q += 1
                word ^= lowest
            nonzero ^= lowest_word

"""


GALLOP = """@numba.njit(cache=True, nogil=True)
def gallop(crd, lo, hi, target):
    \"\"\"The first position in [lo, hi) whose coordinate is at least `target`, else hi: steps of 1, 2, 4, ...
    while the coordinates are smaller, then a binary search in the last step.\"\"\"
    if lo >= hi or crd[lo] >= target:
        return lo
    step = 1
    while lo + step < hi and crd[lo + step] < target:  # crd[lo] < target holds throughout
        lo += step
        step *= 2
    high = min(lo + step, hi)
    lo += 1
    while lo < high:
        middle = (lo + high) >> 1
        if crd[middle] < target:
            lo = middle + 1
        else:
            high = middle
    return lo


"""

# Prefetching: a loop that walks a sparse operand's coordinates and reads, for each, a row of a dense
# operand (SpMM's B[k,:], SDDMM's V[j,:]) asks for the row of the coordinate some entries ahead, so that
# the loads of several random rows overlap instead of waiting for each other in turn (SDDMM 2x faster).
PREFETCH = """@intrinsic
def prefetch(typingctx, array, index):
    \"\"\"Start loading array[index] into the caches. No effect on results: a prefetch never faults.\"\"\"
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        byte_pointer = llvm_ir.IntType(8).as_pointer()
        int32 = llvm_ir.IntType(32)
        function = builder.module.declare_intrinsic(
            "llvm.prefetch", [byte_pointer],
            llvm_ir.FunctionType(llvm_ir.VoidType(), [byte_pointer, int32, int32, int32]))
        address = builder.bitcast(builder.gep(data, [args[1]]), byte_pointer)
        # read (0), keep in every cache level (3), data (1)
        builder.call(function, [address, int32(0), int32(3), int32(1)])
        return context.get_dummy_value()
    return types.void(array, types.intp), codegen


"""

SUM_ADD = """def _adding(flags, name):
    def adding(typingctx, total, term):
        result = typingctx.unify_types(total, term)
        def codegen(context, builder, signature, args):
            kind = signature.return_type
            a, b = (context.cast(builder, arg, given, kind) for arg, given in zip(args, signature.args))
            if isinstance(kind, types.Float):
                return builder.fadd(a, b, flags=flags)
            return context.compile_internal(builder, lambda x, y: x + y, kind(kind, kind), [a, b])
        return result(total, term), codegen
    adding.__name__ = name
    return intrinsic(adding)


# total + term for a sum over a reduction index. On floats the add carries LLVM's `reassoc` flag, and
# nothing else does: a loop of such adds may be split into partial sums and vectorized (SDDMM's dot
# products over a dense index), which changes results by rounding only, as in BLAS.
sum_add = _adding(("reassoc",), "sum_add")
# The same add in order, for a loop over a sparse level: its terms are gathered (`x[j]` at the row's
# columns), and vectorized gathers over short rows cost more than they save (SpMV 25% on 10 a row).
sum_add_in_order = _adding((), "sum_add_in_order")


"""

PICK = """@intrinsic
def pick(typingctx, condition, chosen, other):
    \"\"\"`chosen if condition else other`, computed without a branch. x86 has no conditional move for a
    float register, and LLVM turns a float select into a jump (folding away any bit casts around it);
    here, on x86-64, a float is moved as the integer of its bits by a `cmov` that LLVM cannot see into.
    A merge of two sorted rows picks on every step, and which side it takes is data the processor
    cannot predict (SpAdd's kernel: 15.7 ms jumping, 8.0 ms with a cmov).\"\"\"
    kind = typingctx.unify_types(chosen, other)
    def codegen(context, builder, signature, args):
        flag = context.cast(builder, args[0], signature.args[0], types.boolean)
        a, b = (context.cast(builder, arg, given, kind) for arg, given in zip(args[1:], signature.args[1:]))
        if not (isinstance(kind, types.Float) and X86_64 and kind.bitwidth in (32, 64)):
            return builder.select(flag, a, b)
        bits = llvm_ir.IntType(kind.bitwidth)
        test = builder.zext(flag, bits)
        # result starts as `a` (tied operand 0); `cmovz` replaces it by `b` when the flag is zero
        moved = builder.asm(llvm_ir.FunctionType(bits, [bits, bits, bits]), "test $2, $2\\n\\tcmovz $3, $0",
                            "=r,0,r,r,~{flags}", [builder.bitcast(a, bits), test, builder.bitcast(b, bits)],
                            side_effect=False)
        return builder.bitcast(moved, a.type)
    return kind(condition, chosen, other), codegen


"""

AS_TYPE_OF = """@intrinsic
def as_type_of(typingctx, value, like):
    \"\"\"`value` converted to the type of `like`, as NumPy stores it in an array of that type (integers
    wrap, floats round). Numba computes small integers in int64: an int8 product of 16*16 is 256 until
    it is stored, and whether a sparse output keeps it must be asked of the stored 0. A complex value
    becomes a real one by its real part (a real sum kept in a complex register).\"\"\"
    def codegen(context, builder, signature, args):
        given, wanted = signature.args
        value = args[0]
        if isinstance(given, types.Complex) and not isinstance(wanted, types.Complex):
            value = context.make_complex(builder, given, value).real
            given = given.underlying_float
        return context.cast(builder, value, given, wanted)
    return like(value, like), codegen


"""

ZERO_LIKE = """@intrinsic
def zero_like(typingctx, array):
    \"\"\"A 0 of `array`'s type: what an absent entry of a fill-0 operand is in an operator.\"\"\"
    def codegen(context, builder, signature, args):
        return context.get_constant(signature.return_type, 0)
    return array.dtype(array), codegen


"""

WIDEN = """@intrinsic
def widen(typingctx, value):
    \"\"\"An integer narrower than 64 bits as an int64, anything else as it is. What is subtracted or
    negated is widened first: Numba computes uint8 - uint8 in uint64, which a later division or float
    would see as a huge number where NumPy's context has a signed type.\"\"\"
    wide = types.int64 if isinstance(value, types.Integer) and value.bitwidth < 64 else value
    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], signature.return_type)
    return wide(value), codegen


"""

TWO_SUM = """@numba.njit(cache=True, nogil=True)
def two_sum(total, compensation, term):
    \"\"\"(total + term, compensation plus the rounding error of that add): Knuth's TwoSum, exact for any
    magnitudes, so a sum of blocks keeps what each add rounds away (see `compiler.sums`).\"\"\"
    added = total + term
    if added - added != 0:  # inf or nan: the sum is that from now on, and an error term would be nan
        return added, compensation
    back = added - total
    return added, compensation + ((total - (added - back)) + (term - back))


"""

ACTIVATIONS = """@numba.njit(cache=True, nogil=True, error_model="numpy")
def sigmoid(x):
    \"\"\"1 / (1 + exp(-x)) (scipy's expit).\"\"\"
    return 1.0 / (1.0 + np.exp(-np.float64(x)))


"""

# Not called by kernels: the runtime makes a sparse output's counts of children per parent into its
# positions with it, after the kernel (np.cumsum takes 0.4 ms for 200,000 rows, this loop 0.08 ms).
PREFIX_SUM = """@numba.njit(cache=True, nogil=True)
def prefix_sum(counts, out):
    \"\"\"out[k] = counts[0] + ... + counts[k], in the dtype of `out`.\"\"\"
    total = 0
    for k in range(len(counts)):
        total += counts[k]
        out[k] = total
    return out


"""

# The helpers above, in one module of their own that kernel modules import from: Numba compiles (and
# caches) each helper once per machine instead of once per kernel (SpGEMM's sort alone took 0.7 s). Its
# name carries a digest of its source, so a kernel compiled against other helpers is never reused.
HELPERS_SOURCE = (
    "# einsparse kernel helpers: imported by the kernel modules in this directory\n"
    "import platform\n\n"
    "import numba\n"
    "import numpy as np\n"
    "from llvmlite import binding as llvm\n"
    "from llvmlite import ir as llvm_ir\n"
    "from numba import types\n"
    "from numba.extending import intrinsic\n\n"
    "X86_64 = platform.machine().lower() in ('x86_64', 'amd64')\n"
    "if X86_64:\n"
    "    llvm.initialize_native_asmparser()  # `pick` writes a cmov in assembly; Numba loads no parser\n"
    "u = np.uint64  # subscripts are cast to unsigned: see loop_ir.subscript\n\n\n"
    + GROW + MERGE_PAIRS + SORT_TOUCHED + GALLOP + PREFETCH + SUM_ADD + PICK + AS_TYPE_OF + ZERO_LIKE + WIDEN + TWO_SUM + ACTIVATIONS + PREFIX_SUM
)
HELPERS_MODULE = "einsparse_helpers_" + hashlib.sha256(HELPERS_SOURCE.encode()).hexdigest()[:16]


HELPER_NAMES = ("extend", "grow", "merge_pairs", "sort_touched", "prefetch", "sum_add", "sum_add_in_order", "pick",
                "as_type_of", "widen", "two_sum", "gallop", "sigmoid", "zero_like")


def module_source(header: list[str], params: list[KernelParam], body: tuple[loop.Node, ...]) -> str:
    comments = "\n".join(f"# {line}" for line in header)
    signature = ",\n        ".join(p.name for p in params)
    code = loop.to_python(body)
    used = [name for name in HELPER_NAMES if re.search(rf"\b{name}\(", code)]
    return (
        f"{comments}\n"
        "import numba\n"
        "import numpy as np\n"
        + (f"from {HELPERS_MODULE} import {', '.join(used)}\n" if used else "")
        + "\nu = np.uint64  # subscripts are cast to unsigned: see loop_ir.subscript\n\n\n"
        f"{DECORATOR}\n"
        f"def kernel(\n        {signature},\n):\n"
        f"{code}\n"
    )
