"""`es.einsum` on dask arrays: a dask array whose blocks are einsparse's einsum of the operands' blocks.

As dask's own einsum does, every index (the summed ones too) is an index of the blockwise result, the
summed ones with one entry per block; Dask then sums those over the blocks. Blocks may be NumPy arrays,
scipy.sparse matrices or pydata/sparse arrays; a block's result is a NumPy array, or a pydata/sparse
array when it is sparse (a block type Dask reduces).
"""

from __future__ import annotations

import itertools

import numpy as np

from einsparse.errors import NotSupportedError, StatementError


def is_dask_array(value) -> bool:
    return type(value).__module__.startswith("dask.array") and hasattr(value, "chunks")


def einsum(subscripts: str, operands: tuple, evaluate_einsum, **options):
    """The dask array of `einsum(subscripts, *operands)`; `evaluate_einsum` computes a block's (the
    single-process `es.einsum`, given here so that this module needs no front end)."""
    import dask.array as da

    if "." in subscripts:
        raise NotSupportedError("einsum on dask arrays: '...' in the subscripts is not supported; write the "
                                "indices out")
    inputs, output = _split(subscripts.replace(" ", ""), len(operands))
    arrays = [op if is_dask_array(op) else da.asarray(op) for op in operands]
    for letters, array in zip(inputs, arrays):
        if len(letters) != array.ndim:
            raise StatementError(f"einsum: operand of {array.ndim} dimensions is given subscripts '{letters}'")
        if len(set(letters)) != len(letters):
            raise NotSupportedError(f"einsum on dask arrays: a repeated index in one operand ('{letters}') is "
                                    f"not supported")
    summed = "".join(dict.fromkeys(c for c in "".join(inputs) if c not in output))
    dtype = np.result_type(*[array.dtype for array in arrays])
    block_subscripts = f"{','.join(inputs)}->{output}"
    sparse_blocks = _sparse_result(block_subscripts, arrays, evaluate_einsum, options)

    def block(*blocks):
        result = evaluate_einsum(block_subscripts, *blocks, **options)
        result = _as_block(result, sparse_blocks)
        return result.reshape(result.shape + (1,) * len(summed))

    meta = _meta(len(output) + len(summed), dtype, sparse_blocks)
    pairs = itertools.chain.from_iterable((array, letters) for array, letters in zip(arrays, inputs))
    spread = da.blockwise(block, output + summed, *pairs, adjust_chunks={c: 1 for c in summed}, dtype=dtype,
                          meta=meta, concatenate=True)
    if not summed:
        return spread
    return spread.sum(axis=tuple(range(len(output), len(output) + len(summed))), dtype=dtype)


def _split(subscripts: str, count: int) -> tuple[list[str], str]:
    left, arrow, output = subscripts.partition("->")
    inputs = left.split(",")
    if len(inputs) != count:
        raise StatementError(f"einsum: subscripts '{subscripts}' name {len(inputs)} operands but {count} are given")
    if not arrow:  # NumPy's implicit output: the letters used once, in alphabetical order
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, output


def _sparse_result(subscripts: str, arrays: list, evaluate_einsum, options: dict) -> bool:
    """Whether the blocks' results are sparse: the einsum of the operands' empty blocks (their meta)."""
    metas = [getattr(array, "_meta", None) for array in arrays]
    if all(meta is None or isinstance(meta, np.ndarray) for meta in metas):
        return False
    try:
        sample = evaluate_einsum(subscripts, *[meta.astype(array.dtype) if meta is not None else
                                                np.empty((0,) * array.ndim, array.dtype)
                                                for meta, array in zip(metas, arrays)], **options)
    except Exception:  # noqa: BLE001 (an empty block it cannot take: judge by the blocks' types)
        return True
    return hasattr(sample, "to_pydata") or hasattr(sample, "tocoo")


def _meta(ndim: int, dtype, sparse_blocks: bool):
    if sparse_blocks:
        import sparse

        return sparse.COO.from_numpy(np.empty((0,) * ndim, dtype=dtype))
    return np.empty((0,) * ndim, dtype=dtype)


def _as_block(result, sparse_blocks: bool):
    """A block's result as a type Dask reduces: NumPy, or pydata/sparse for a sparse one."""
    if hasattr(result, "to_pydata"):  # an einsparse tensor: sparse
        return result.to_pydata() if sparse_blocks else result.to_numpy()
    if hasattr(result, "tocoo") and not hasattr(result, "coords"):  # a scipy matrix
        import sparse

        return sparse.COO.from_scipy_sparse(result)
    array = np.asarray(result)
    if sparse_blocks and array.ndim:
        import sparse

        return sparse.COO.from_numpy(array)
    return array
