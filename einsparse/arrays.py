"""Tensors that behave like arrays: operators, `.T`, `.sum`, `.dot`, `.reshape`, comparisons, and NumPy's
`__array_ufunc__` / `__array_function__` protocols (as pydata/sparse implements them).

Arithmetic is a statement run through `evaluate`'s memoized path (`A @ x` is `einsum("ij,j->i", A, x)`),
so a repeated operator neither parses nor plans. Broadcasting is NumPy's. A result is an einsparse
tensor when it is sparse and a NumPy array when it is dense, as `evaluate` returns them. Installed into
`Tensor` with `use_arrays` when the package's front ends load; the runtime never imports it.
"""

from __future__ import annotations

import math
import numbers
import operator
import sys

import numpy as np

from einsparse.api import evaluate
from einsparse.arg_reductions import arg_reduced
from einsparse.errors import EinsparseError, NotSupportedError, ShapeError
from einsparse.einsum_broadcast import broadcast
from einsparse.numpy_einsum import einsum
from einsparse.runtime.convert import as_tensor, from_coo, natural_format, operand_shape
from einsparse.runtime.array_methods import use_arrays
from einsparse.runtime.tensor import Tensor

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SYMBOLS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "power", "%": "mod",
            "max": "maximum", "min": "minimum"}
_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                "==": operator.eq, "!=": operator.ne}


# -- arithmetic ------------------------------------------------------------------------------------
def elementwise(op: str, left, right):
    """`left op right` with NumPy's broadcasting; one of them is a Tensor. A Python number promotes
    weakly, as in NumPy (`float32 tensor * 2.5` stays float32)."""
    literal = _literal(op, left, right) or _literal(op, right, left)
    if literal is not None:  # a number where its value decides what may be skipped: written out
        tensor = left if literal[1] is right else right
        indices = tuple(f"i{k}" for k in range(tensor.ndim))
        a, b = (_access("A", indices), literal[0]) if literal[1] is right else (literal[0], _access("A", indices))
        text = f"{_access('C', indices)} = {f'{op}({a}, {b})' if op.isalpha() else f'({a}) {op} ({b})'}"
        return evaluate(text, None, A=tensor)
    left, right = _as_operand(left, right), _as_operand(right, left)
    shapes = (operand_shape(left), operand_shape(right))
    shape = _broadcast_shape(_SYMBOLS[op], *shapes)
    indices = tuple(f"i{k}" for k in range(len(shape)))
    named = tuple(indices[len(shape) - len(s):] for s in shapes)
    if any(1 in s and s != shape[len(shape) - len(s):] for s in shapes):  # extent-1 dimensions to broadcast
        named, (left, right) = broadcast(named, (left, right))
    a, b = _access('A', named[0]), _access('B', named[1])
    text = f"{_access('C', indices)} = {f'{op}({a}, {b})' if op.isalpha() else f'{a} {op} {b}'}"
    return evaluate(text, None, A=left, B=right)


def negative(tensor: Tensor):
    indices = tuple(f"i{k}" for k in range(tensor.ndim))
    return evaluate(f"{_access('C', indices)} = -{_access('A', indices)}", None, A=tensor)


_MATMUL = {(2, 2): "C[i,k] = A[i,j]*B[j,k]", (2, 1): "C[i] = A[i,j]*B[j]", (1, 2): "C[k] = A[j]*B[j,k]",
           (1, 1): "C = A[j]*B[j]"}


def matmul(left, right):
    """NumPy's `matmul`: 1-d operands are vectors, more than 2 dimensions are stacks of matrices."""
    shapes = (_shape(left, "matmul operand 0"), _shape(right, "matmul operand 1"))
    if not shapes[0] or not shapes[1]:
        raise ShapeError(f"matmul: operand {0 if not shapes[0] else 1} is 0-d; use * to scale by a number")
    inner = shapes[1][0] if len(shapes[1]) == 1 else shapes[1][-2]
    if shapes[0][-1] != inner:
        raise ShapeError(f"matmul: operand 0 of shape {shapes[0]} has {shapes[0][-1]} columns but operand 1 "
                         f"of shape {shapes[1]} has {inner} rows")
    statement = _MATMUL.get((len(shapes[0]), len(shapes[1])))
    if statement is not None:  # straight to evaluate's memo: A @ x in a loop parses nothing
        return evaluate(statement, None, A=left, B=right)
    first = "j" if len(shapes[0]) == 1 else "...ij"
    second = "j" if len(shapes[1]) == 1 else "...jk"
    output = "..." + ("i" if len(shapes[0]) > 1 else "") + ("k" if len(shapes[1]) > 1 else "")
    return einsum(f"{first},{second}->{output}", left, right)


def dot(left, right):
    """NumPy's `dot`: the last axis of `left` with the second-to-last of `right` (the only one of a
    vector); a number scales."""
    shapes = (operand_shape(left, name="dot operand 0"), operand_shape(right, name="dot operand 1"))
    if not shapes[0] or not shapes[1]:
        return elementwise("*", left, right)
    a = LETTERS[:len(shapes[0])]
    b = LETTERS[len(a):len(a) + len(shapes[1])]
    contracted = -2 if len(b) > 1 else -1
    b = b.replace(b[contracted], a[-1])
    output = a[:-1] + b[:contracted] + (b[-1] if len(b) > 1 else "")
    if shapes[0][-1] != shapes[1][contracted]:
        raise ShapeError(f"dot: operand 0 of shape {shapes[0]} and operand 1 of shape {shapes[1]} do not "
                         f"align ({shapes[0][-1]} != {shapes[1][contracted]})")
    return einsum(f"{a},{b}->{output}", left, right)


def tensordot(left, right, axes=2):
    """NumPy's `tensordot`: `axes` is a count (the last of `left` with the first of `right`) or a pair
    of axis lists."""
    shapes = (operand_shape(left, name="tensordot operand 0"), operand_shape(right, name="tensordot operand 1"))
    if isinstance(axes, numbers.Integral):
        pairs = (list(range(len(shapes[0]) - axes, len(shapes[0]))), list(range(axes)))
    else:
        pairs = tuple([a] if isinstance(a, numbers.Integral) else list(a) for a in axes)
    if len(pairs) != 2 or len(pairs[0]) != len(pairs[1]):
        raise ShapeError(f"tensordot: axes={axes!r} must be a count or two lists of the same length")
    a = list(LETTERS[:len(shapes[0])])
    b = list(LETTERS[len(a):len(a) + len(shapes[1])])
    for x, y in zip(*pairs):
        x, y = _axis(x, len(a), "tensordot"), _axis(y, len(b), "tensordot")
        if shapes[0][x] != shapes[1][y]:
            raise ShapeError(f"tensordot: axis {x} of operand 0 has extent {shapes[0][x]} but axis {y} of "
                             f"operand 1 has {shapes[1][y]}")
        b[y] = a[x]
    output = [c for c in a if c not in b] + [c for c in b if c not in a]
    return einsum(f"{''.join(a)},{''.join(b)}->{''.join(output)}", left, right)


def total(tensor: Tensor, axis=None, dtype=None, keepdims=False):
    """NumPy's `sum`: small integers and booleans are summed in int64 (uint64 for unsigned ones)."""
    axes = range(tensor.ndim) if axis is None else axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = sorted({_axis(a, tensor.ndim, "sum") for a in axes})
    letters = LETTERS[:tensor.ndim]
    kept = "".join(c for k, c in enumerate(letters) if k not in axes)
    if dtype is None and tensor.dtype.kind in "biu" and tensor.dtype.itemsize < 8:
        dtype = np.uint64 if tensor.dtype.kind == "u" else np.int64
    result = einsum(f"{letters}->{kept}", tensor, dtype=dtype)
    if keepdims:
        result = reshape(result, tuple(1 if k in axes else n for k, n in enumerate(tensor.shape)))
    return result


def reduced(tensor: Tensor, name: str, axis=None, keepdims=False):
    """NumPy's `min`, `max`, `prod`, `any` and `all` over `axis` as one statement with that reduction
    (`out[i] = min[j](T[i,j])`); the result is sparse where the reduction of the fill keeps it so
    (`max` over rows of a fill-0 CSR is a sparse vector of fill 0). An empty axis is NumPy's error."""
    axes = range(tensor.ndim) if axis is None else axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = sorted({_axis(a, tensor.ndim, name) for a in axes})
    if name in ("min", "max") and any(tensor.shape[a] == 0 for a in axes):
        raise ShapeError(f"{name}: the reduction over an axis of extent 0 has no identity (as in NumPy)")
    if not axes:
        return tensor
    letters = LETTERS[:tensor.ndim]
    kept = "".join(c for k, c in enumerate(letters) if k not in axes)
    if name == "prod" and tensor.dtype.kind in "biu" and tensor.dtype.itemsize < 8:
        tensor = astype(tensor, np.uint64 if tensor.dtype.kind == "u" else np.int64)  # NumPy's prod widens
    body = f"T[{','.join(letters)}]" + (" != 0" if name in ("any", "all") and tensor.dtype != np.bool_ else "")
    reduced_letters = ",".join(letters[a] for a in axes)
    result = evaluate(f"out[{','.join(kept)}] = {name}[{reduced_letters}]({body})" if kept
                      else f"out = {name}[{reduced_letters}]({body})", T=tensor)
    if keepdims:
        result = reshape(result, tuple(1 if k in axes else n for k, n in enumerate(tensor.shape)))
    return result


# -- structure -------------------------------------------------------------------------------------
def transpose(tensor: Tensor, axes=None) -> Tensor:
    """The same storage read in another mode order: no copy, as scipy's `.T` of a CSR is a CSC."""
    order = tuple(reversed(range(tensor.ndim))) if axes is None or axes == () else tuple(
        _axis(a, tensor.ndim, "transpose") for a in axes)
    if sorted(order) != list(range(tensor.ndim)):
        raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the {tensor.ndim} axes")
    where = {mode: position for position, mode in enumerate(order)}
    fmt = type(tensor.format)(tensor.format.levels, tuple(where[m] for m in tensor.format.mode_order))
    return Tensor(tuple(tensor.shape[m] for m in order), fmt, tensor.levels, tensor.vals, fill=tensor._fill)


def reshape(tensor, shape, order="C"):
    """Entries moved to the coordinates of `shape` in C order; a tensor keeps its format when the rank
    does not change."""
    if order != "C":
        raise NotSupportedError(f"reshape: order={order!r}: einsparse reshapes in C order only")
    shape = _new_shape(shape, operand_shape(tensor))
    if not isinstance(tensor, Tensor):
        return np.reshape(tensor, shape)
    coords, values = tensor.to_coo()
    keys = np.ravel_multi_index(tuple(coords), tensor.shape) if tensor.ndim else np.zeros(len(values), np.int64)
    new = np.array(np.unravel_index(keys, shape), dtype=np.int64).reshape(len(shape), len(values))
    fmt = tensor.format if len(shape) == tensor.ndim else None
    made = from_coo(new, values, shape, fmt, name="reshape")
    return made if tensor._fill is None else made.with_fill(tensor._fill)


def astype(tensor: Tensor, dtype) -> Tensor:
    fill = None if tensor._fill is None else np.asarray(tensor._fill).astype(dtype)[()]
    return Tensor(tensor.shape, tensor.format, tensor.levels, tensor.vals.astype(dtype), fill=fill)


# -- comparisons and other elementwise functions -----------------------------------------------------
def compare(op: str, left, right):
    """A comparison, elementwise with broadcasting. Where the unstored zeros compare False the result is
    a boolean tensor over the stored entries; otherwise it is a dense boolean array."""
    function = _COMPARISONS[op]
    tensor, other, flipped = (left, right, False) if isinstance(left, Tensor) else (right, left, True)
    ordered = (lambda x, y: function(y, x)) if flipped else function
    if not _is_sparse(other) and np.ndim(other) == 0:
        if not ordered(tensor.fill, other):
            # The stored values compared, then copied by a kernel, which stores no False (a computed
            # zero is not stored): the pattern of the True entries, in the tensor's own format.
            flags = Tensor.trusted(tensor.shape, tensor.format, tensor.levels, ordered(tensor.vals, other))
            indices = tuple(f"i{k}" for k in range(tensor.ndim))
            return evaluate(f"{_access('C', indices)} = {_access('A', indices)}", {"C": tensor.format}, A=flags)
        return ordered(tensor.to_numpy(), other)
    if (_is_sparse(other) and operand_shape(other) == tensor.shape and not function(0, 0)
            and tensor._fill is None and getattr(other, "_fill", None) is None):
        return _union_compare(ordered, tensor, as_tensor(other, natural_format(other)))
    return function(np.asarray(left) if not _is_sparse(left) else _dense(left),
                    np.asarray(right) if not _is_sparse(right) else _dense(right))


def _union_compare(ordered, tensor: Tensor, other: Tensor) -> Tensor:
    """Compare two sparse operands of one shape on the union of their stored coordinates."""
    keys = [np.ravel_multi_index(tuple(t.to_coo()[0]), t.shape) if t.ndim else np.zeros(t.nnz, np.int64)
            for t in (tensor, other)]
    union = np.union1d(*keys)
    values = []
    for t, k in zip((tensor, other), keys):
        full = np.zeros(len(union), t.dtype)
        full[np.searchsorted(union, k)] = t.to_coo()[1]
        values.append(full)
    keep = ordered(*values)
    coords = np.array(np.unravel_index(union[keep], tensor.shape), dtype=np.int64).reshape(tensor.ndim, -1)
    return from_coo(coords, keep[keep], tensor.shape, tensor.format, name="comparison")


def apply_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """`Tensor.__array_ufunc__`: arithmetic, power, remainder, maximum, minimum, matmul and comparisons
    compile; a one-input function maps the stored values and the fill (`np.sqrt` keeps fill 0, `np.exp`
    makes it 1); anything else is computed by NumPy on dense arrays."""
    if method == "__call__" and not kwargs:
        symbol = _UFUNC_SYMBOLS.get(ufunc.__name__)
        if symbol in _SYMBOLS and len(inputs) == 2:
            return elementwise(symbol, *inputs)
        if symbol in _COMPARISONS:
            return compare(symbol, *inputs)
        if ufunc is np.matmul:
            return matmul(*inputs)
        if ufunc is np.negative:
            return negative(inputs[0])
        if len(inputs) == 1 and ufunc.nout == 1:
            return _map_values(ufunc, inputs[0])
    if method == "reduce" and ufunc is np.add and set(kwargs) <= {"axis", "dtype", "keepdims"}:
        return total(inputs[0], kwargs.get("axis", 0), kwargs.get("dtype"), kwargs.get("keepdims", False))
    outs = kwargs.get("out", ())
    if any(isinstance(v, Tensor) for v in (outs if isinstance(outs, tuple) else (outs,))):
        raise NotSupportedError(f"np.{ufunc.__name__}: out= an einsparse tensor; pass a NumPy array")
    return getattr(ufunc, method)(*(_dense(x) for x in inputs), **kwargs)


_UFUNC_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/",
                  "power": "**", "remainder": "%", "maximum": "max", "minimum": "min",
                  "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=", "equal": "==",
                  "not_equal": "!="}


def _map_values(ufunc, tensor: Tensor):
    """f of the stored values, with f(fill) the new fill (Finch's rule): `np.exp` of a CSR matrix is a
    CSR matrix with fill 1; formats that pad with zeros keep fill 0 only, so others go dense."""
    with np.errstate(all="ignore"):
        fill = ufunc(tensor.fill)
    try:
        return Tensor(tensor.shape, tensor.format, tensor.levels, ufunc(tensor.vals), fill=fill)
    except EinsparseError:  # a padded format, or a type f's result cannot be stored in
        return ufunc(tensor.to_numpy())


def apply_function(func, args: tuple, kwargs: dict):
    """`Tensor.__array_function__`: einsum, matmul, dot, tensordot, sum, transpose and reshape run in
    einsparse; other NumPy functions see dense arrays."""
    own = _FUNCTIONS.get(func)
    if own is not None:
        return own(*args, **kwargs)
    return func(*_densified(args), **{k: _densified(v) for k, v in kwargs.items()})


def _transpose(a, axes=None):
    return transpose(a, axes) if isinstance(a, Tensor) else np.transpose(a, axes)


def _sum(a, axis=None, dtype=None, out=None, keepdims=False):
    if out is not None:
        return np.sum(_dense(a), axis=axis, dtype=dtype, out=out, keepdims=keepdims)
    return total(as_tensor(a), axis, dtype, keepdims)


def _reduction(name: str, numpy_function):
    def reduce(a, axis=None, out=None, keepdims=False, **rest):
        if out is not None or rest:
            return numpy_function(_dense(a), axis=axis, out=out, keepdims=keepdims, **rest)
        return reduced(as_tensor(a), name, axis, keepdims)
    return reduce


def _arg_reduction(name: str, numpy_function):
    def reduce(a, axis=None, out=None, keepdims=False):
        if out is not None:
            return numpy_function(_dense(a), axis=axis, out=out, keepdims=keepdims)
        return arg_reduced(as_tensor(a), name, axis, keepdims)
    return reduce


_FUNCTIONS = {np.einsum: einsum, np.matmul: matmul, np.dot: dot, np.tensordot: tensordot,
              np.transpose: _transpose, np.sum: _sum, np.reshape: reshape,
              **{function: _reduction(name, function) for name, function in (
                  ("min", np.min), ("max", np.max), ("prod", np.prod), ("any", np.any), ("all", np.all))},
              **{function: _arg_reduction(name, function) for name, function in (
                  ("argmin", np.argmin), ("argmax", np.argmax))}}


# -- helpers ---------------------------------------------------------------------------------------
def _literal(op: str, number, other):
    """(text, number) for a finite Python number beside a tensor in `**`, `%`, max or min: the result's
    fill depends on the number (max(A, 0.3) has fill 0.3), so it is a literal of the statement rather
    than a 0-d operand (one kernel per number, as NumPy's function of it)."""
    if (op in ("**", "%", "max", "min") and type(number) in (int, float) and np.isfinite(number)
            and isinstance(other, Tensor)):
        return repr(number), number
    return None


def _as_operand(value, other):
    """A Python number as a 0-d array of the type NumPy would give it next to `other` (weak promotion),
    so a statement's text does not depend on the number and one kernel serves every value."""
    if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
        like = other.dtype if isinstance(other, Tensor) or hasattr(other, "dtype") else None
        try:
            return np.asarray(value, dtype=np.result_type(like, value) if like is not None else None)
        except OverflowError:
            raise ShapeError(f"the number {value} does not fit the operand's type {like}") from None
    return value


def _shape(value, name: str) -> tuple:
    shape = getattr(value, "shape", None)  # arrays, matrices and tensors: no conversion
    return shape if type(shape) is tuple else operand_shape(value, name=name)


def _broadcast_shape(name: str, *shapes) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"{name}: operands of shapes {' and '.join(map(str, shapes))} do not broadcast "
                         f"together") from None


def _access(name: str, indices) -> str:
    return f"{name}[{','.join(indices)}]" if indices else name


def _axis(axis, ndim: int, what: str) -> int:
    if not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ShapeError(f"{what}: axis {axis!r} is out of range for {ndim} dimensions")
    return int(axis) % ndim


def _new_shape(shape, old: tuple) -> tuple:
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    size = math.prod(old)
    if shape.count(-1) == 1:
        known = math.prod(n for n in shape if n != -1)
        shape = tuple(size // known if n == -1 and known and size % known == 0 else n for n in shape)
    if any(n < 0 for n in shape) or math.prod(shape) != size:
        raise ShapeError(f"reshape: cannot reshape {old} ({size} entries) to {shape}")
    return tuple(int(n) for n in shape)


def _is_sparse(value) -> bool:
    return isinstance(value, Tensor) or (hasattr(value, "nnz") and hasattr(value, "shape"))


def _dense(value):
    if isinstance(value, Tensor):
        return value.to_numpy()
    if hasattr(value, "toarray"):
        return value.toarray()
    if hasattr(value, "todense"):
        return np.asarray(value.todense())
    return value


def _densified(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_densified(v) for v in value)
    return _dense(value) if isinstance(value, Tensor) else value


use_arrays(sys.modules[__name__])
