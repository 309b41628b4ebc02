"""The examples in the public API's docstrings run and print what they say (`doctest`), so an example
that stops being true fails here."""

import doctest
import importlib

import pytest

# Modules whose docstrings hold examples; each must have some, so that a module that loses them is noticed.
MODULES = [
    "einsparse.api",
    "einsparse.runtime.convert",
    "einsparse.numpy_einsum",
    "einsparse.errors",
    "einsparse.compiler.formats",
    "einsparse.runtime.tensor",
    "einsparse.runtime.array_methods",
    "einsparse.runtime.export_methods",
    "einsparse.runtime.reduction_methods",
    "einsparse.runtime.kernel",
    "einsparse.notation",
    "einsparse.index_expressions",
    "einsparse.new_tensors",
    "einsparse.operators",
    "einsparse.diagnostics",
    "einsparse.semirings",
    "einsparse.planned",
    "einsparse.cluster.persisted",
    "einsparse.cluster.client",
    "einsparse.cluster.run",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_a_module_run_as_written(name):
    module = importlib.import_module(name)
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert results.attempted > 0, f"{name} has no examples"
    assert results.failed == 0, f"{results.failed} of {name}'s {results.attempted} examples failed (printed above)"
