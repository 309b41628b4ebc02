"""`einsparse run`: read the operands, compile the statement, run it, time it, write or print the result."""

from __future__ import annotations

import time

from einsparse.cli.loading import load_operands
from einsparse.cli.progress import CompileStatus, Progress, quiet
from einsparse.cli.statement import _compile, _output_format, _statement
from einsparse.cli.status import EXIT_OK, UsageError

SMALL = 20  # outputs with at most this many entries are printed


def cmd_run(args) -> int:
    from einsparse.runtime import io
    from einsparse.runtime.convert import as_tensor

    ring = None
    if args.semiring is not None:
        from einsparse import semirings

        ring = semirings.semiring(args.semiring)
        args.statement = semirings.rewrite(args.statement, args.semiring)
    st = _statement(args.statement)
    values, sources, formats, output_shape = load_operands(args, st)
    if ring is not None:  # absent entries read as the semiring reads them (+inf for min_plus)
        values = {name: semirings.refilled(value, name, ring) if name in st.inputs else value
                  for name, value in values.items()}
    chosen = dict(formats)
    from einsparse.runtime.convert import natural_format

    for name in st.inputs:
        if name not in chosen:
            chosen[name] = natural_format(values[name], name=f"operand {name}")
    chosen[st.output] = _output_format(st, chosen, values)
    kernel = _compile(st, chosen, args.threads, _cluster(args.cluster, quiet(args)))
    if args.print_kernel:
        print(kernel.source)
    prepared = {}
    for name in st.inputs:
        with Progress(f"converting {name} to {chosen[name].name}", quiet(args)):
            prepared[name] = as_tensor(values[name], kernel.plan.formats[name],
                                       name=f"operand {name} ({sources[name]})")
    given_output = values.get(st.output)

    def call():
        if given_output is None:
            return kernel(**prepared, shape=output_shape)
        return kernel(**prepared, **{st.output: given_output})

    with CompileStatus(quiet(args)):  # kernels compile at their first call (a planned product's later too)
        start = time.perf_counter()
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


def _cluster(option, silent: bool):
    """`--cluster`'s value as `client=` takes it: local, local:N or a scheduler's address."""
    if option is None:
        return None
    from einsparse.cluster.client import resolve
    from einsparse.errors import OperandError

    try:
        with Progress(f"starting or reaching the cluster {option}", silent):
            return resolve(option)
    except OperandError as error:
        if "is not a dask.distributed Client" in str(error):
            raise UsageError(f"--cluster {option}: expected local, local:N or a scheduler address such as "
                             f"tcp://host:8786") from None
        reason = str(error).removeprefix(f"client={option!r}").lstrip(": ")
        raise UsageError(f"--cluster {option}: {reason}") from None


def _report_times(call, count: int, first: float, prepared: dict, result) -> None:
    import numpy as np
    from einsparse.runtime.stored import storage_bytes

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
    moved = sum(storage_bytes(t) for t in prepared.values()) + storage_bytes(result)
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
