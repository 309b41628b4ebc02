"""NumPy's `argmin` and `argmax` on tensors: `t.argmin(axis=1)`, `np.argmax(t, axis=0)`."""

from __future__ import annotations

import numbers

import numpy as np

from einsparse.api import evaluate
from einsparse.errors import ShapeError
from einsparse.runtime.tensor import Tensor

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def arg_reduced(tensor: Tensor, name: str, axis=None, keepdims=False):
    """NumPy's `argmin`/`argmax` (the first best coordinate; over the flattened tensor without `axis`) as
    the statement `out[i] = argmin[j](T[i,j])` (a tensor not stored with `axis` last is read from a copy
    that is: the schedule keeps the reduced loop innermost)."""
    if axis is None:
        flat = tensor.reshape((-1,))
        return arg_reduced(flat, name, 0).reshape((1,) * tensor.ndim if keepdims else ())
    if not isinstance(axis, numbers.Integral) or not -tensor.ndim <= axis < tensor.ndim:  # NumPy's AxisError
        raise ShapeError(f"{name}: axis {axis!r} is out of range for {tensor.ndim} dimensions")
    axis = int(axis) % tensor.ndim
    if tensor.shape[axis] == 0:
        raise ShapeError(f"{name}: an axis of extent 0 has no first {name[3:]} (as in NumPy)")
    letters = LETTERS[:tensor.ndim]
    kept = ",".join(c for k, c in enumerate(letters) if k != axis)
    result = evaluate(f"out[{kept}] = {name}[{letters[axis]}](T[{','.join(letters)}])" if kept
                      else f"out = {name}[{letters[axis]}](T[{letters}])", {"out": "dense"}, T=tensor)
    return np.expand_dims(result, axis) if keepdims else result
