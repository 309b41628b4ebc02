"""Dense outputs: one flat array the kernel accumulates into, in the output's level order.

Fresh zeros, or fresh memory when the kernel assigns every entry (`FreshDense`, laid out once per plan: the common call), the caller's array (`=` writes into
it), or its old values (`+=`). A sparse format computed dense (a bitmap output) is made into a tensor of
that format from the array.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from einsparse.compiler.plan import Plan
from einsparse.errors import DTypeError, OperandError, ShapeError
from einsparse.runtime.convert import as_tensor, from_numpy
from einsparse.runtime.tensor import SUPPORTED_DTYPES, VALUE_DTYPES


_UNGUARDED = 2**24  # outputs of fewer elements fit in any memory: not checked


class FreshDense:
    """A dense output started at zero, nothing given for it: the common call, laid out once per plan."""

    __slots__ = ("indices", "mode_order", "inverse_order", "shape", "storage_shape", "vals", "requested",
                 "allocate")

    def __init__(self, plan: Plan):
        fmt = plan.formats[plan.output.tensor]
        self.indices = tuple(plan.output.indices)
        self.mode_order = fmt.mode_order
        identity = self.mode_order == tuple(range(len(self.indices)))
        self.inverse_order = None if identity else tuple(np.argsort(self.mode_order))
        self.requested = None if fmt.is_dense else fmt
        self.allocate = np.empty if plan.written_in_full else np.zeros  # the kernel assigns every entry

    def start(self, extents: dict, dtype: np.dtype, name: str) -> "FreshDense":
        """A new output of this layout over `extents` of `dtype`: zeros, unless the kernel assigns them all."""
        out = object.__new__(FreshDense)
        out.indices, out.mode_order, out.inverse_order, out.requested = (
            self.indices, self.mode_order, self.inverse_order, self.requested)
        out.shape = shape = tuple([extents[i] for i in self.indices])
        out.storage_shape = storage = shape if self.inverse_order is None else tuple(shape[m] for m in self.mode_order)
        size = math.prod(storage)
        if size > _UNGUARDED:
            _guard_dense(size, dtype, shape, name)
        out.vals = self.allocate(size, dtype=dtype)
        return out

    def argument(self, param):
        return self.vals

    def result(self, returned=None):
        if not self.shape:
            return self.vals[0]
        array = self.vals.reshape(self.storage_shape)
        if self.inverse_order is not None:
            array = array.transpose(self.inverse_order)
        if self.requested is not None:  # computed dense, then marked (a bitmap output)
            return from_numpy(array, self.requested)
        return array


class DenseOutput:
    """The dense output buffer: fresh zeros, the caller's array (`=` writes into it), or its old values
    (`+=` accumulates into them)."""

    def __init__(self, plan: Plan, extents: dict, dtype: np.dtype, given):
        self.plan = plan
        self.given = given
        fmt = plan.formats[plan.output.tensor]
        self.shape = tuple(extents[i] for i in plan.output.indices)
        self.storage_shape = tuple(self.shape[m] for m in fmt.mode_order)
        self.mode_order = fmt.mode_order
        # A sparse output computed dense (a bitmap) has its old values read by the kernel as an operand.
        accumulate = plan.statement.op == "+=" and fmt.is_dense
        name = plan.output.tensor
        if isinstance(given, np.ndarray):
            if not given.flags.writeable:
                raise OperandError(f"output {name} is a read-only array; pass a writable one, or leave "
                                   f"{name} out to get a new array")
            if given.dtype.kind not in "biufc":
                raise DTypeError(f"output {name} has dtype {given.dtype}, which einsparse does not compute "
                                 f"with; {SUPPORTED_DTYPES}")
            if not accumulate and not np.can_cast(dtype, given.dtype, "same_kind"):
                raise DTypeError(f"cannot write a {dtype} result into output {name} of dtype "
                                 f"{given.dtype}")
        if accumulate:
            old = (given if isinstance(given, np.ndarray)
                   else as_tensor(given, name=f"output {name}").to_numpy())  # scipy, pydata, Tensor, lists
            if old.dtype not in VALUE_DTYPES:
                raise DTypeError(f"output {name} has dtype {old.dtype}, which einsparse does not compute "
                                 f"with; {SUPPORTED_DTYPES}")
            if not np.can_cast(dtype, old.dtype, "same_kind"):
                raise DTypeError(f"cannot accumulate a {dtype} result into output {name} of dtype "
                                 f"{old.dtype}")
            dtype = old.dtype
        self.dtype = np.dtype(dtype)
        size = math.prod(self.storage_shape)
        _guard_dense(size, self.dtype, self.shape, plan.output.tensor)
        self.in_place = (isinstance(given, np.ndarray) and given.dtype == self.dtype
                         and given.flags.c_contiguous and given.flags.writeable
                         and self.mode_order == tuple(range(len(self.shape))))
        if self.in_place:
            vals = given.reshape(-1)
            if not accumulate and not plan.written_in_full:
                vals.fill(0)
        elif accumulate:
            vals = np.ascontiguousarray(np.transpose(old, self.mode_order), dtype=self.dtype).reshape(-1).copy()
        else:
            vals = (np.empty if plan.written_in_full else np.zeros)(size, dtype=self.dtype)
        self.vals = vals
        self.inverse_order = None if self.mode_order == tuple(range(len(self.shape))) else np.argsort(self.mode_order)

    def argument(self, param):
        return self.vals

    def result(self, returned=None):
        vals = self.vals
        if not self.shape:
            value = vals[0]
            if isinstance(self.given, np.ndarray) and self.given.ndim == 0:
                self.given[()] = value
            return value
        array = vals.reshape(self.storage_shape)
        if self.inverse_order is not None:
            array = array.transpose(self.inverse_order)
        if self.in_place:
            return self.given
        if isinstance(self.given, np.ndarray):
            np.copyto(self.given, array, casting="same_kind")
            return self.given
        requested = self.plan.formats[self.plan.output.tensor]
        if not requested.is_dense:  # computed dense, then marked (a bitmap output)
            return from_numpy(array, requested)
        return array


@functools.lru_cache(maxsize=1)
def _memory_limit():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _guard_dense(size: int, dtype: np.dtype, shape, name: str) -> None:
    limit = _memory_limit()
    if limit is not None and size * dtype.itemsize > limit:
        gib = size * dtype.itemsize / 2**30
        raise ShapeError(f"the dense output {name} of shape {shape} would need {gib:.1f} GiB, more than this "
                         f"machine's memory")
