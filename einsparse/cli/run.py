"""`einsparse run`: read the operands, compile the statement, run it, time it, write or print the result."""

from __future__ import annotations

import math
import sys
import threading
import time

from einsparse.cli.operands import (
    GENERATED,
    _as_rank,
    _extents,
    _formats,
    _generated_shape,
    _number,
    _pairs,
    _parse_operand,
    _shape_option,
)
from einsparse.cli.statement import _compile, _output_format, _statement
from einsparse.cli.status import EXIT_OK, UsageError
from einsparse.runtime.convert import _guard

SMALL = 20  # outputs with at most this many entries are printed


class _Progress:
    """Prints `message` on stderr when the work takes more than `delay` seconds, on a terminal only."""

    def __init__(self, message: str, delay: float = 1.0):
        self.message, self.delay, self.shown = message, delay, False
        self.timer = None

    def _show(self):
        self.shown = True
        sys.stderr.write(f"einsparse: {self.message}...")
        sys.stderr.flush()

    def __enter__(self):
        try:
            terminal = sys.stderr.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if terminal:
            self.timer = threading.Timer(self.delay, self._show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc):
        if self.timer is not None:
            self.timer.cancel()
            if self.shown:
                sys.stderr.write(" done\n")
                sys.stderr.flush()
        return False


def cmd_run(args) -> int:
    import numpy as np
    from einsparse.compiler.check import check_operand_ranks
    from einsparse.runtime import io
    from einsparse.runtime.convert import as_tensor, operand_shape

    ring = None
    if args.semiring is not None:
        from einsparse import semirings

        ring = semirings.semiring(args.semiring)
        args.statement = semirings.rewrite(args.statement, args.semiring)
    st = _statement(args.statement)
    operands = {}
    for option in args.operands:
        operand = _parse_operand(option, st)
        if operand.name in operands:
            raise UsageError(f"operand {operand.name} is given twice")
        operands[operand.name] = operand
    missing = [name for name in st.inputs if name not in operands]
    if missing:
        raise UsageError(f"missing operand {missing[0]} of {st.text}: give {missing[0]}=PATH[:FORMAT], "
                         f"{missing[0]}=<number> or {missing[0]}=ones|zeros|random")
    if st.op == "+=" and st.output not in operands:
        raise UsageError(f"'+=' accumulates into {st.output}: give {st.output}=PATH")
    formats = _formats(args.format, st, {n: o.format for n, o in operands.items() if o.format})
    shapes = {name: _shape_option(name, text) for name, text in _pairs(args.shape, "--shape").items()}
    for name, shape in shapes.items():
        if name not in st.ranks:
            raise UsageError(f"--shape {name}=...: {name} is not a tensor of {st.text}")
        if len(shape) != st.ranks[name]:
            raise UsageError(f"--shape {name}={','.join(map(str, shape))} has rank {len(shape)}, but "
                             f"{st.text} indexes {name} with {st.ranks[name]} indices")

    # read the files (data errors from here on: exit 1)
    values, sources = {}, {}
    for name, operand in operands.items():
        if operand.kind == "file":
            with _Progress(f"reading {operand.path}"):
                values[name] = _as_rank(io.read(operand.path, shape=shapes.get(name), as_tensor=True),
                                        st.ranks[name])
            sources[name] = operand.path
        elif operand.kind == "scalar":
            values[name] = np.asarray(_number(operand.text))[()]
            sources[name] = operand.text
    rank_shapes = {name: operand_shape(value, name=name) for name, value in values.items()}
    check_operand_ranks(st.assignment, rank_shapes, st.text)
    rng = np.random.default_rng(args.seed)
    generated = [o for o in operands.values() if o.kind in GENERATED]
    generated.sort(key=lambda o: o.name not in shapes)  # those with --shape give extents to the others
    for operand in generated:
        name = operand.name
        if name in shapes:
            shape = shapes[name]
        else:
            known = {**shapes, **{n: tuple(np.shape(v)) if not hasattr(v, "shape") else tuple(v.shape)
                                  for n, v in values.items()}}
            extents = _extents(st, known)
            shape = _generated_shape(st, name, extents)
        _guard(math.prod(shape), np.float64, shape, f"operand {name}={operand.kind}")  # before allocating
        values[name] = (np.ones(shape) if operand.kind == "ones" else np.zeros(shape)
                        if operand.kind == "zeros" else rng.random(shape))
        sources[name] = f"{operand.kind} {shape}"
    output_shape = shapes.get(st.output) if st.output not in values else None
    if output_shape is None and st.output not in values:
        _generated_shape(st, st.output, _extents(st, {n: tuple(np.shape(v)) if not hasattr(v, "shape")
                                                      else tuple(v.shape) for n, v in values.items()}))

    if ring is not None:  # absent entries read as the semiring reads them (+inf for min_plus)
        values = {name: semirings.refilled(value, name, ring) if name in st.inputs else value
                  for name, value in values.items()}
    chosen = dict(formats)
    from einsparse.runtime.convert import natural_format

    for name in st.inputs:
        if name not in chosen:
            chosen[name] = natural_format(values[name], name=f"operand {name}")
    chosen[st.output] = _output_format(st, chosen, values)
    kernel = _compile(st, chosen, args.threads)
    if args.print_kernel:
        print(kernel.source)
    prepared = {}
    for name in st.inputs:
        with _Progress(f"converting {name} to {chosen[name].name}"):
            prepared[name] = as_tensor(values[name], kernel.plan.formats[name],
                                       name=f"operand {name} ({sources[name]})")
    given_output = values.get(st.output)

    def call():
        if given_output is None:
            return kernel(**prepared, shape=output_shape)
        return kernel(**prepared, **{st.output: given_output})

    start = time.perf_counter()
    with _Progress("compiling the kernel"):
        result = call()
    first = time.perf_counter() - start
    if args.explain:
        print(kernel.explain())
    if args.time:
        _report_times(call, args.time, first, prepared, result)
    if args.output:
        io.write(args.output, result)
        print(f"wrote {st.output}: {_describe(result)} to {args.output}")
    else:
        _print_result(st.output, result)
    return EXIT_OK


def _storage_bytes(value) -> int:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(value, Tensor):
        total = value.vals.nbytes
        for level in value.levels:
            for attr in ("pos", "crd"):
                array = getattr(level, attr, None)
                if isinstance(array, np.ndarray):
                    total += array.nbytes
        return total
    return np.asarray(value).nbytes


def _report_times(call, count: int, first: float, prepared: dict, result) -> None:
    import numpy as np
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    best = times[0]
    print(f"first call: {_ms(first)} (compile, or load from the kernel cache, then run)")
    print(f"{count} call{'s' if count != 1 else ''}: min {_ms(best)}, median {_ms(float(np.median(times)))}, "
          f"max {_ms(times[-1])}")
    moved = sum(_storage_bytes(t) for t in prepared.values()) + _storage_bytes(result)
    if best > 0:
        print(f"~{moved / best / 1e9:.2f} GB/s (operand and result storage, {moved / 1e6:.2f} MB, "
              f"each read or written once in the fastest call)")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _describe(result) -> str:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(result, Tensor):
        fill = "" if result.fill == 0 else f", fill {result.fill}"
        return (f"{result.format.name}, shape {result.shape}, {result.dtype}, "
                f"{result.nnz} stored entr{'y' if result.nnz == 1 else 'ies'}{fill}")
    array = np.asarray(result)
    if array.ndim == 0:
        return f"scalar {array.dtype}"
    nonzeros = int(np.count_nonzero(array))
    return f"dense, shape {array.shape}, {array.dtype}, {nonzeros} nonzero{'s' if nonzeros != 1 else ''}"


def _print_result(name: str, result) -> None:
    import numpy as np
    from einsparse.runtime.tensor import Tensor

    if isinstance(result, Tensor):
        print(f"{name}: {_describe(result)}")
        if result.nnz <= SMALL:
            coords, vals = result.to_coo()
            for k in range(len(vals)):
                print(f"  {tuple(int(c) for c in coords[:, k])}  {vals[k]}")
        return
    array = np.asarray(result)
    if array.ndim == 0:
        print(f"{name} = {array[()]}")
        return
    print(f"{name}: {_describe(array)}")
    if array.size <= SMALL:
        print("  " + np.array2string(array, prefix="  ").replace("\n", "\n"))
