"""Statements on a Dask cluster (`client=` on `evaluate`, `compile`, `einsum`; `--cluster` on the command
line): `client` resolves what names a cluster, `run` cuts a call into blocks and puts them together."""
