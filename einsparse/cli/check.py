"""`einsparse check`: compare a compiled statement with NumPy einsum on random operands."""

from __future__ import annotations

import sys

from einsparse.cli.operands import _formats
from einsparse.cli.statement import _compile, _output_format, _statement
from einsparse.cli.status import EXIT_DATA, EXIT_OK


def cmd_check(args) -> int:
    import numpy as np
    from einsparse import reference
    from einsparse.runtime.tensor import Tensor

    st = _statement(args.statement)
    formats = _formats(args.format, st)
    chosen = {name: formats.get(name) for name in st.inputs}
    from einsparse.compiler.formats import Format

    chosen = {name: fmt if fmt is not None else Format.dense(st.ranks[name]) for name, fmt in chosen.items()}
    chosen[st.output] = _output_format(st, {**formats, **chosen}, {})
    kernel = _compile(st, chosen)
    divisors = reference.divisors(st.parsed)
    indices = list(dict.fromkeys(i for _, idx in st.accesses for i in idx))
    rhs_indices = {i for name, idx in st.accesses[1:] for i in idx}
    agreed, failures = 0, []
    for trial in range(args.trials):
        rng = np.random.default_rng([args.seed, trial])
        extents = {i: int(rng.integers(2, 7)) for i in indices}
        operands = {}
        for name in st.inputs:
            shape = next(tuple(extents[i] for i in idx) for n, idx in st.accesses[1:] if n == name)
            operands[name] = _random_operand(rng, shape, nonzero=name in divisors)
        out_shape = tuple(extents[i] for i in st.output_indices)
        old = _random_operand(rng, out_shape, nonzero=False) if st.op == "+=" else None
        if old is not None:
            result = kernel(**operands, **{st.output: old})
        elif not set(st.output_indices) <= rhs_indices:  # `a[i,j] = i + j`: no operand tells i's extent
            result = kernel(**operands, shape=out_shape)
        else:
            result = kernel(**operands)
        got = result.to_numpy() if isinstance(result, Tensor) else np.asarray(result)
        expected = np.asarray(reference.dense_reference(st.parsed, operands, old, shape=out_shape))
        problem = _compare(got, expected)
        if problem is None:
            agreed += 1
        else:
            extents_text = ", ".join(f"{i}={n}" for i, n in extents.items())
            failures.append(f"trial {trial + 1} (extents {extents_text}): {problem}")
    described = ", ".join(f"{name}={fmt.name}" for name, fmt in kernel.plan.formats.items())
    print(f"{agreed}/{args.trials} trials agreed with NumPy einsum: {st.text} with {described}")
    if failures:
        for failure in failures[:5]:
            print(f"einsparse check: mismatch: {failure}", file=sys.stderr)
        if len(failures) > 5:
            print(f"einsparse check: ... and {len(failures) - 5} more mismatches", file=sys.stderr)
        return EXIT_DATA
    return EXIT_OK


def _random_operand(rng, shape, nonzero: bool):
    import numpy as np
    if nonzero:  # a divisor: no zeros
        return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    density = rng.uniform(0.1, 1.0)
    values = rng.standard_normal(shape) * (rng.random(shape) < density)
    return values if shape else np.float64(values)


def _compare(got, expected):
    import numpy as np
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    if np.allclose(got, expected, rtol=1e-9, atol=1e-12 * max(scale, 1.0), equal_nan=True):
        return None
    difference = np.abs(got - expected)
    where = np.unravel_index(int(np.nanargmax(difference)), difference.shape) if difference.ndim else ()
    return (f"max |difference| {float(np.nanmax(difference)):.3g} at {tuple(int(w) for w in where)}: "
            f"got {got[where]}, NumPy einsum gives {expected[where]}")
