"""The benchmark harness's machinery on tiny inputs: cases, peers, checks, summary and JSON."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks import inputs, kernels, report, suite
from benchmarks.checks import compare
from benchmarks.systems.einsparse_system import EinsparseOneThread, EinsparseSystem, EinsparseUnfused
from benchmarks.systems.scipy_peer import ScipyPeer, unfold
from benchmarks.sweep import fitted_exponent

TINY = inputs.Size(n=300, nnz=3000, tensor_dim=12, tensor_nnz=400)


def test_suite_rows_are_checked_and_summarized(tmp_path):
    cases = kernels.standard_cases(TINY, kernels={"K1", "K5"}, shared=False)
    assert [(c.spec.label, c.input.split()[0]) for c in cases if c.spec.key == "K1"] == [
        ("K1 SpMV", "uniform"), ("K1 SpMV", "power-law"), ("K1 SpMV", "banded"), ("K1 SpMV (A band)", "banded")]
    rows = suite.run_suite(cases, [EinsparseSystem(), EinsparseUnfused(), ScipyPeer()], threads=1,
                           repeat=5, budget_s=0.0)
    assert len(rows) == 4 * 2 + 3   # K1: einsparse and scipy on four cases; K5: all three systems
    for row in rows:
        assert row["check"] == "ok", row
        assert row["runs"] >= 5 and 0 < row["median_s"] <= row["first_s"] + 1.0
        assert row["threads"] == 1
    summary = report.summarize(rows, 1)
    assert {e["kernel"] for e in summary} == {"K1 SpMV", "K1 SpMV (A band)", "K5 fused SpMM+add"}
    for entry in summary:
        assert entry["best_peer"] == "scipy (1t)"   # the unfused einsparse variant is not a peer
        assert entry["ratio_to_best_peer"] == pytest.approx(entry["einsparse_s"] / entry["best_peer_s"])
    path = tmp_path / "out.json"
    report.write_json(path, {"results": rows, "summary": {1: summary}})
    loaded = json.loads(path.read_text())
    assert set(loaded["results"][0]) >= {"kernel", "input", "system", "threads", "first_s", "median_s",
                                         "check", "convert_s"}
    assert loaded["summary"]["1"][0]["ratio_to_best_peer"] > 0


def test_speed_up_on_two_threads_is_timed_against_one_thread_in_the_same_rounds():
    cases = kernels.standard_cases(TINY, kernels={"K6"}, shared=False)
    systems = [EinsparseSystem(), EinsparseOneThread(), ScipyPeer()]
    assert suite.run_suite(cases, systems, threads=1, repeat=5, budget_s=0.0)[1]["system"] == "scipy"
    rows = suite.run_suite(cases, systems, threads=2, repeat=5, budget_s=0.0)
    assert [(r["system"], r["threads"], r["rounds_threads"]) for r in rows] == [
        ("einsparse", 2, 2), ("einsparse on 1 thread", 1, 2)]   # scipy has no 2-thread rows
    assert all(r["check"] == "ok" and r["runs"] >= 5 for r in rows)
    (entry,) = report.scaling(rows)
    assert entry["speed_up"] == rows[1]["median_s"] / rows[0]["median_s"] and entry["target"] == 1.7
    assert report.summarize(rows, 2)[0]["best_peer"] is None   # einsparse on 1 thread is not a peer


def test_a_wrong_result_is_reported_as_mismatch():
    case = kernels.standard_cases(TINY, kernels={"K1"}, shared=False)[0]
    expected = kernels.reference(case)
    wrong = expected.copy()
    wrong[3] += 1.0
    assert compare(expected, expected)[0]
    ok, detail = compare(wrong, expected)
    assert not ok and "max error 1" in detail
    A = case.data["A"]
    assert not compare(A * 2.0, A)[0] and compare(A.tocsc(), A)[0]


def test_tensor_references_agree_with_unfoldings():
    T = inputs.tensor3(TINY.tensor_dim, TINY.tensor_nnz, 5)
    case = kernels.make_tensor_case(kernels.SPECS["K8 TTV (M dense)"], T, 20, TINY)
    expected = kernels.reference(case)
    assert np.allclose((unfold(T, 2) @ case.data["c"]).reshape(T.shape[:2]), expected)
    dense = np.zeros(T.shape)
    dense[tuple(T.coords)] = T.values
    assert np.allclose(np.einsum("ijk,k->ij", dense, case.data["c"]), expected)


def test_generated_inputs_have_their_shapes():
    power, band = inputs.power_law(1000, 10_000, 3), inputs.banded(1000, 11_000, 4)
    lengths = np.diff(power.indptr)
    assert lengths.max() > 5 * lengths.mean()          # a few long rows
    assert band.nnz == 11 * 1000 - 2 * (1 + 2 + 3 + 4 + 5)
    assert sp.triu(band, 6).nnz == 0 and band.has_sorted_indices


def test_fitted_exponent():
    work = np.array([1e3, 1e4, 1e5])
    assert fitted_exponent(work, 2e-9 * work) == pytest.approx(1.0)
    assert fitted_exponent(work, 1e-12 * work ** 2) == pytest.approx(2.0)
