"""Compiles and kernel-cache loads are logged under the `einsparse` logger, with their times."""

from __future__ import annotations

import logging
import re
import sys

import numpy as np

import einsparse as es
from einsparse import api
from einsparse.runtime import cache

LOGGER = "einsparse.runtime.compile_log"


def kernel_records(caplog) -> list[tuple[str, str]]:
    return [(record.kernel_event, record.getMessage()) for record in caplog.records
            if record.name == LOGGER and hasattr(record, "kernel_event")]


def test_a_fresh_statement_misses_and_compiles_then_a_new_process_hits(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    caplog.set_level(logging.DEBUG, logger="einsparse")
    statement = "y[i] = 43*x[i] - x[i]"  # compiled nowhere else
    label = f"{statement} (x: dense, y: dense)"
    kernel = es.compile(statement)
    np.testing.assert_array_equal(kernel(x=np.ones(3)), [42.0, 42.0, 42.0])
    records = kernel_records(caplog)
    assert [event for event, _ in records] == ["miss", "compiled"]
    assert records[0][1] == f"kernel cache miss for {label}"
    assert re.fullmatch(re.escape(f"compiled {label} in ") + r"(\d+ ms|\d+\.\d\d s)", records[1][1])
    compiled = next(r for r in caplog.records if getattr(r, "kernel_event", None) == "compiled")
    assert compiled.levelno == logging.INFO and compiled.kernel == label and compiled.seconds > 0

    caplog.clear()
    kernel(x=np.ones(5))  # the same types: nothing compiled, nothing logged
    assert kernel_records(caplog) == []

    # As a new process would: no kernel in memory, its machine code on disk.
    monkeypatch.setattr(api, "_kernels", {})
    monkeypatch.delitem(sys.modules, f"einsparse_{cache.kernel_key(kernel.source)}")
    again = es.compile(statement)
    assert again is not kernel
    np.testing.assert_array_equal(again(x=np.ones(2)), [42.0, 42.0])
    records = kernel_records(caplog)
    assert [event for event, _ in records] == ["hit"]
    assert re.fullmatch(re.escape(f"kernel cache hit for {label} in ") + r"(\d+ ms|\d+\.\d\d s)", records[0][1])


def test_a_sparse_output_logs_both_passes_with_formats(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    caplog.set_level(logging.INFO, logger="einsparse")
    A = es.tensor(np.array([[0.0, 2.0], [3.0, 0.0]]), "csr")
    C = es.evaluate("C[i,j] = A[i,k]*A[k,j]*47", {"C": "csr"}, A=A)
    np.testing.assert_array_equal(C.to_numpy(), [[282.0, 0.0], [0.0, 282.0]])
    messages = [message for _, message in kernel_records(caplog)]
    label = "C[i,j] = A[i,k]*A[k,j]*47 (A: csr, C: csr)"
    assert [m.split(" in ")[0] for m in messages] == [f"compiled {label}, counting pass", f"compiled {label}"]


def test_silent_unless_logging_is_configured():
    handlers = logging.getLogger("einsparse").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)
