"""The `einsparse` command line: in-process through `einsparse.cli.main`, and a few runs as a subprocess.

Few distinct statements are compiled (each costs a Numba compile): `y[i] = a*A[i,j]*x[j]` for most
`run` tests, `C[i,j] = A[i,k]*B[k,j] + D[i,j]` for `check` and the README's main job, `C[i,j] =
A[i,j] + B[i,j]` for a sparse output.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import einsparse as es
from einsparse import cli, reference
from einsparse.cli import progress
from einsparse.runtime import io

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
EXAMPLE = ROOT / "examples" / "data" / "662_bus.mtx"
SPMV = "y[i] = a*A[i,j]*x[j]"
SPMM = "C[i,j] = A[i,k]*B[k,j] + D[i,j]"


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def files(tmp_path):
    A = sp.random(6, 5, density=0.5, format="csr", random_state=1)
    x = np.arange(1.0, 6.0)
    io.write(tmp_path / "A.mtx", A)
    io.write(tmp_path / "A.tns", A)
    io.write(tmp_path / "A.npz", A)
    np.save(tmp_path / "x.npy", x)
    return tmp_path, A, x


# ---------------------------------------------------------------------------------------------- run


def test_run_writes_npy(capsys, files):
    tmp, A, x = files
    status, out, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}", "a=2",
                           "-o", tmp / "y.npy")
    assert (status, err) == (0, "")
    assert out.startswith("wrote y: dense, shape (6,), float64")
    assert np.allclose(np.load(tmp / "y.npy"), 2 * (A @ x))


def test_run_on_two_threads(capsys, files):
    tmp, A, x = files
    status, out, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}", "a=2",
                           "--threads", "2", "-o", tmp / "y.npy")
    assert (status, err) == (0, "")
    assert np.allclose(np.load(tmp / "y.npy"), 2 * (A @ x))
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", "x=ones", "a=2", "--threads", "-1")
    assert status == 2
    assert err == ("einsparse run: error: argument --threads: expected a number of threads (0 for every "
                   "core), not -1 (see 'einsparse run --help')\n")


@pytest.mark.parametrize("source", ["A.tns:csr", "A.npz", "A.mtx:csr"])
def test_run_reads_every_file_type(capsys, files, source):
    tmp, A, x = files
    status, out, err = run(capsys, "run", SPMV, f"A={tmp / source}", f"x={tmp / 'x.npy'}", "a=0.5")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("y: dense, shape (6,), float64")
    assert np.allclose(np.fromstring(" ".join(lines[1:]).strip(" []"), sep=" "), 0.5 * (A @ x))


def test_run_ones_random_and_seed(capsys, files):
    tmp, A, _ = files
    status, out, _ = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", "x=ones", "a=1", "-o", tmp / "y.npy")
    assert status == 0
    assert np.allclose(np.load(tmp / "y.npy"), A.sum(axis=1).A1)
    for name in ("r1", "r2"):
        assert run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", "x=random", "a=1", "--seed", "3",
                   "-o", tmp / f"{name}.npy")[0] == 0
    assert np.array_equal(np.load(tmp / "r1.npy"), np.load(tmp / "r2.npy"))


def test_run_options_after_operands_and_time(capsys, files):
    tmp, _, _ = files
    status, out, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", "--time", "3", "x=ones",
                           "--print-kernel", "a=1")
    assert (status, err) == (0, "")
    assert "einsparse kernel for: y[i] = a*A[i,j]*x[j]" in out
    assert "first call: " in out
    assert "3 calls: min " in out and "median" in out and "GB/s" in out


def test_run_sparse_output_to_mtx(capsys, files):
    tmp, A, _ = files
    status, out, err = run(capsys, "run", "C[i,j] = A[i,j] + B[i,j]", f"A={tmp / 'A.mtx'}",
                           f"B={tmp / 'A.npz'}", "-o", tmp / "C.mtx")
    assert (status, err) == (0, "")
    assert out.startswith(f"wrote C: csr, shape (6, 5), float64, {A.nnz} stored entries to ")
    assert np.allclose(io.read(tmp / "C.mtx").toarray(), 2 * A.toarray())
    status, out, _ = run(capsys, "run", "C[i,j] = A[i,j] + B[i,j]", f"A={tmp / 'A.mtx'}",
                         f"B={tmp / 'A.npz'}")
    assert out.splitlines()[0] == f"C: csr, shape (6, 5), float64, {A.nnz} stored entries"
    assert len(out.splitlines()) == 1 + A.nnz  # small: every entry printed


def test_run_vector_from_one_column_mtx(capsys, files):
    tmp, A, x = files
    io.write(tmp / "x.mtx", x)  # an n x 1 array file
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.mtx'}", "a=1",
                         "-o", tmp / "y.tns")
    assert (status, err) == (0, "")
    assert np.allclose(io.read(tmp / "y.tns", shape=(6,)).to_numpy(), A @ x)


def test_run_main_job(capsys, tmp_path):
    """The README's main job: SpMM plus a dense matrix on the example matrix."""
    status, out, err = run(capsys, "run", SPMM, f"A={EXAMPLE}", "B=random", "D=random", "--shape", "B=662,32",
                           "--time", "3", "-o", tmp_path / "C.npy")
    assert (status, err) == (0, "")
    assert "wrote C: dense, shape (662, 32), float64" in out
    A = sp.csr_matrix(scipy.io.mmread(EXAMPLE))
    rng = np.random.default_rng(0)
    B, D = rng.random((662, 32)), rng.random((662, 32))  # generated in the order given
    assert np.allclose(np.load(tmp_path / "C.npy"), A @ B + D)


@pytest.mark.skipif(not (SHARED / "1138_bus.mtx").is_file(), reason="../shared/data is not here")
@pytest.mark.parametrize("matrix", ["1138_bus.mtx", "lp_afiro.mtx", "karate.mtx"])
def test_run_on_shared_matrices(capsys, tmp_path, matrix):
    path = SHARED / matrix
    status, _, err = run(capsys, "run", SPMV, f"A={path}", "x=ones", "a=1", "-o", tmp_path / "y.npy")
    assert (status, err) == (0, "")
    A = sp.csr_matrix(scipy.io.mmread(path))
    assert np.allclose(np.load(tmp_path / "y.npy"), A @ np.ones(A.shape[1]))


# ---------------------------------------------------------------------------------------------- run errors


def test_missing_file(capsys, files):
    tmp, _, _ = files
    status, out, err = run(capsys, "run", SPMV, f"A={tmp / 'nope.mtx'}", "x=ones", "a=1")
    assert (status, out) == (1, "")
    assert err == f"einsparse run: error: {tmp / 'nope.mtx'}: no such file\n"
    status, _, err = run(capsys, "run", SPMV, "A=onse", "x=ones", "a=1")
    assert status == 1
    assert err.startswith("einsparse run: error: A=onse: no such file (an operand is NAME=PATH[:FORMAT]")


def test_malformed_mtx_names_the_line(capsys, files):
    tmp, _, _ = files
    bad = tmp / "bad.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 x 2.0\n")
    status, _, err = run(capsys, "run", SPMV, f"A={bad}", "x=ones", "a=1")
    assert status == 1
    assert err == f"einsparse run: error: {bad}:4: column 'x' is not an integer\n"


def test_out_of_range_tns(capsys, files):
    tmp, _, _ = files
    bad = tmp / "bad.tns"
    bad.write_text("1 1 2.0\n3 7 1.0\n")
    status, _, err = run(capsys, "run", SPMV, f"A={bad}", "x=ones", "a=1", "--shape", "A=3,5")
    assert status == 1
    assert err == f"einsparse run: error: {bad}:2: mode 1 coordinate 7 is out of range 1..5\n"


def test_bad_statement_has_a_caret(capsys):
    status, out, err = run(capsys, "run", "y[i] = A[i,j]*/x[j]", "A=a.mtx", "x=ones")
    assert (status, out) == (2, "")
    assert err == ("einsparse run: error: unexpected '/' at column 15: expected an operand, a number, "
                   "'-', '(' or '~'\n    y[i] = A[i,j]*/x[j]\n                  ^\n")


def test_shape_mismatch(capsys, files):
    tmp, _, _ = files
    np.save(tmp / "x3.npy", np.ones(3))
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x3.npy'}", "a=1")
    assert status == 1
    assert err == ("einsparse run: error: index j has extent 5 in A[i,j] (mode 1) but 3 in x[j] (mode 0)\n")


def test_wrong_rank_file(capsys, files):
    tmp, _, _ = files
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'A.npz'}", "a=1")
    assert status == 1
    assert err.startswith("einsparse run: error: operand x has rank 2 (shape (6, 5)) but is indexed with "
                          "1 index\n    y[i] = a*A[i,j]*x[j]\n")


def test_unknown_format(capsys, files):
    tmp, _, _ = files
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}:xyz", "x=ones", "a=1")
    assert status == 2
    assert err.startswith("einsparse run: error: format of A 'xyz' is unknown: use one of csr, csc,")
    status, _, err = run(capsys, "run", SPMV, f"A={tmp / 'A.mtx'}", "--format", "A=ccc", "x=ones", "a=1")
    assert status == 2
    assert "format of A" in err


@pytest.mark.parametrize("argv, message", [
    (["x=ones", "a=1"], "missing operand A of y[i] = a*A[i,j]*x[j]: give A=PATH[:FORMAT], A=<number> or "
                        "A=ones|zeros|random"),
    (["A=a.mtx", "x=ones", "a=1", "Q=ones"], "operand Q: Q is not a tensor of y[i] = a*A[i,j]*x[j]"),
    (["A=a.mtx", "x=ones", "a=1", "x=zeros"], "operand x is given twice"),
    (["A=ones", "x=ones", "a=1"], "cannot tell the shape of A: the extent of index i comes from no operand "
                                  "read from a file; give --shape A=d0,d1,..."),
    (["A=ones", "x=ones", "a=1", "--shape", "A=3"],
     "--shape A=3 has rank 1, but y[i] = a*A[i,j]*x[j] indexes A with 2 indices"),
])
def test_usage_errors(capsys, argv, message):
    status, _, err = run(capsys, "run", SPMV, *argv)
    assert status == 2
    assert err == f"einsparse run: error: {message}\n"


def test_argparse_errors_are_one_line(capsys):
    status, _, err = run(capsys, "run", SPMV, "A=a.mtx", "--time", "0")
    assert status == 2
    assert err == ("einsparse run: error: argument --time: expected a positive integer, not 0 "
                   "(see 'einsparse run --help')\n")
    status, _, err = run(capsys, "frobnicate")
    assert status == 2 and err.startswith("einsparse: error: argument COMMAND: invalid choice: 'frobnicate'")
    status, _, err = run(capsys, "run", SPMV, "A=a.mtx", "--bogus")
    assert status == 2 and err.startswith("einsparse run: error: unrecognized arguments: --bogus")


def test_unknown_output_type_and_debug(capsys, files):
    tmp, _, _ = files
    argv = ["run", SPMV, f"A={tmp / 'A.mtx'}", "x=ones", "a=1", "-o", tmp / "y.txt"]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert err == (f"einsparse run: error: cannot write {tmp / 'y.txt'}: unknown file type; use .mtx, "
                   f".mtx.gz, .tns, .tns.gz, .npy or .npz\n")
    assert "Traceback" not in err
    status, _, err = run(capsys, *argv, "--debug")
    assert status == 1 and "Traceback (most recent call last)" in err
    assert not (tmp / "y.txt").exists()


# ---------------------------------------------------------------------------------------------- show


def test_show_stages(capsys):
    argv = ["show", "C[i,j] = A[i,k]*B[k,j]", "--format", "A=csr", "--format", "B=csr", "--format", "C=csr"]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert out.startswith("# einsparse kernel for: C[i,j] = A[i,k]*B[k,j]\n")
    assert run(capsys, *argv, "--stage", "ir")[1] == "C[i,j] = Sum(k, A[i,k]*B[k,j])\n"
    status, out, _ = run(capsys, *argv, "--stage", "schedule")
    assert "loop order:     i, k, j" in out and "concrete index notation:" in out and "forall i:" in out
    status, out, _ = run(capsys, *argv, "--stage", "schedule", "--dot")
    assert out.startswith("digraph iteration_graph {")
    assert '"i" -> "k" [label="A (csr)", style=solid];' in out
    assert '"k" -> "j" [label="B (csr)", style=solid];' in out
    assert '"i" -> "k" [label="loop order"' in out
    assert out.rstrip().endswith("}")


def test_show_chooses_the_output_format_as_run_does(capsys):
    status, out, _ = run(capsys, "show", "C[i,j] = A[i,j] + B[i,j]", "--format", "A=csr", "--format", "B=csr")
    assert status == 0 and "formats: C=csr, A=csr, B=csr" in out


def test_show_errors(capsys):
    status, _, err = run(capsys, "show", "C[i,j] = A[i,k]*B[k,j]", "--format", "Z=csr")
    assert (status, err) == (2, "einsparse show: error: --format Z=csr: Z is not a tensor of "
                                "C[i,j] = A[i,k]*B[k,j]\n")
    status, _, err = run(capsys, "show", "C[i,j] = A[i,k]*B[k,j]", "--format", "A=ccc")
    assert status == 2 and "format of A" in err
    status, _, err = run(capsys, "show", "C[i,i] = A[i,i]")
    assert status == 2 and err.startswith("einsparse show: error: ") and "^" in err
    status, _, err = run(capsys, "show", "C[i,j] = A[i,k]*B[k,j]", "--stage", "ir", "--dot")
    assert (status, err) == (2, "einsparse show: error: --dot goes with --stage schedule\n")


# ---------------------------------------------------------------------------------------------- check


def test_check_agrees(capsys):
    status, out, err = run(capsys, "check", SPMM, "--format", "A=csr", "--trials", "8", "--seed", "1")
    assert (status, err) == (0, "")
    assert out == (f"8/8 trials agreed with NumPy einsum: {SPMM} with C=dense, A=csr, B=dense, "
                   f"D=dense\n")


def test_check_reports_a_mismatch(capsys, monkeypatch):
    real = reference.dense_reference
    calls = []

    def wrong(statement, operands, output=None, shape=None):  # wrong in every second trial
        calls.append(1)
        return real(statement, operands, output, shape) + (1.0 if len(calls) % 2 == 0 else 0.0)

    monkeypatch.setattr(reference, "dense_reference", wrong)
    status, out, err = run(capsys, "check", SPMM, "--format", "A=csr", "--trials", "8", "--seed", "1")
    assert status == 1
    assert out.startswith("4/8 trials agreed with NumPy einsum")
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("einsparse check: mismatch: trial 2 (extents i=")
    assert "max |difference| 1 at (" in lines[0] and "NumPy einsum gives" in lines[0]


def test_check_reference_semantics():
    operands = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0, 5.0])}
    assert reference.dense_reference("s = a[i] + b[j]", operands) == 15.0
    A = np.arange(4.0).reshape(2, 2) + 1
    assert np.allclose(reference.dense_reference("C[i,j] = A[i,j]/d[j] - 2", {"A": A, "d": np.array([2.0, 4.0])}),
                       A / [2, 4] - 2)


# ---------------------------------------------------------------------------------------------- cache, spy


def test_cache_info_and_clear(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EINSPARSE_CACHE_DIR", str(tmp_path))
    (tmp_path / "einsparse_abc.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "einsparse_abc.kernel-3.py311.nbi").write_bytes(b"0" * 100)
    (tmp_path / "keep.txt").write_text("not a kernel")
    status, out, _ = run(capsys, "cache", "info")
    assert status == 0
    assert out.splitlines()[:2] == [f"directory: {tmp_path}", "kernels:   1"]
    status, out, _ = run(capsys, "cache", "clear")
    assert (status, out) == (0, f"removed 1 kernel (106 bytes) from {tmp_path}\n")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["__pycache__", "keep.txt"]
    assert run(capsys, "cache", "info")[1].splitlines()[1] == "kernels:   0"


def test_spy_without_matplotlib(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    status, out, err = run(capsys, "spy", EXAMPLE, "-o", "x.png")
    assert (status, out) == (1, "")
    assert err == "einsparse spy: needs matplotlib, an optional extra: pip install einsparse[plot]\n"


def test_spy_draws(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, _ = run(capsys, "spy", EXAMPLE, "-o", tmp_path / "p.png")
    assert status == 0 and "shape 662 x 662, nnz 2474" in out
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------------- help


@pytest.mark.parametrize("command", [[], ["run"], ["show"], ["check"], ["cache"], ["spy"], ["info"]])
def test_help_has_examples(capsys, command):
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0
    assert "examples:" in out and "einsparse " in out


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.startswith(f"einsparse {es.__version__} (numba ")


def test_info_prints_the_versions(capsys):
    status, out, err = run(capsys, "info")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == f"einsparse {es.__version__}"
    assert f"  numpy             {np.__version__}" in out.splitlines()


# ---------------------------------------------------------------------------------------------- status lines


class Terminal(StringIO):
    def isatty(self):
        return True


def test_no_status_lines_when_stderr_is_not_a_terminal(capsys, files, monkeypatch):
    tmp, A, x = files
    monkeypatch.setattr(progress, "DELAY", 0.0)  # every step counts as slow
    status, out, err = run(capsys, "run", "y[i] = 59*A[i,j]*x[j]", f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}")
    assert (status, err) == (0, "")
    assert out.startswith("y: dense, shape (6,)")


def test_a_terminal_sees_the_compile_and_quiet_sees_nothing(capsys, files, monkeypatch):
    tmp, A, x = files
    monkeypatch.setattr(progress, "DELAY", 0.0)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["run", "y[i] = 61*A[i,j]*x[j]", f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}"]) == 0
    lines = terminal.getvalue().splitlines()
    assert re.fullmatch(r"einsparse: reading .*A\.mtx\.\.\. done in \d+\.\d s", lines[0])
    compiling = re.escape("einsparse: compiling y[i] = 61*A[i,j]*x[j] (A: csr, x: dense, y: dense)... done in ")
    assert any(re.fullmatch(compiling + r"\d+\.\d s", line) for line in lines), lines
    assert logging.getLogger("einsparse.runtime.compile_log").handlers == []  # the status handler is gone

    terminal.seek(0)
    terminal.truncate()
    for quiet in (["run", "-q"], ["--quiet", "run"]):
        statement = f"y[i] = {67 + len(quiet[0])}*A[i,j]*x[j]"  # a compile each time
        assert cli.main([*quiet, statement, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}"]) == 0
    assert terminal.getvalue() == ""
    assert "y: dense, shape (6,)" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------- subprocess


def einsparse(*argv, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "einsparse", *map(str, argv)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_subprocess_run_and_errors(files):
    tmp, A, x = files
    done = einsparse("run", SPMV, f"A={tmp / 'A.mtx'}", f"x={tmp / 'x.npy'}", "a=2", "-o", tmp / "y.npy")
    assert (done.returncode, done.stderr) == (0, "")
    assert np.allclose(np.load(tmp / "y.npy"), 2 * (A @ x))
    done = einsparse("run", "y[i] = A[i,j]*/x[j]", "A=a.mtx", "x=ones")
    assert done.returncode == 2
    assert done.stderr.endswith("    y[i] = A[i,j]*/x[j]\n                  ^\n")
    assert "Traceback" not in done.stderr
    done = einsparse("run", SPMV, f"A={tmp / 'nope.mtx'}", "x=ones", "a=1")
    assert (done.returncode, done.stderr) == (1, f"einsparse run: error: {tmp / 'nope.mtx'}: no such file\n")


def test_subprocess_show_and_version():
    done = einsparse("show", "y(i) = A(i,j)*x(j)", "--format", "A=csr", "--stage", "ir")
    assert (done.returncode, done.stdout) == (0, "y[i] = Sum(j, A[i,j]*x[j])\n")
    done = einsparse("--version")
    assert done.returncode == 0 and done.stdout.startswith("einsparse ")


def test_run_reads_one_column_and_one_row_matrix_market_files_as_vectors(capsys, tmp_path):
    column, row = tmp_path / "v.mtx", tmp_path / "w.mtx"
    column.write_text("%%MatrixMarket matrix coordinate real general\n3 1 2\n1 1 2.0\n3 1 4\n")
    row.write_text("%%MatrixMarket matrix coordinate real general\n1 3 2\n1 1 3.0\n1 2 5\n")
    status, out, err = run(capsys, "run", "s = v(i)*w(i)", f"v={column}", f"w={row}")
    assert (status, out.strip(), err) == (0, "s = 6.0", "")


def test_run_a_semiring_product_and_a_reduction(capsys, files):
    tmp, A, x = files
    status, out, err = run(capsys, "run", "C[i,j] = A[i,k]*B[j,k]", f"A={tmp / 'A.mtx'}", f"B={tmp / 'A.mtx'}",
                           "--semiring", "min_plus", "-o", tmp / "C.npz")
    assert (status, err) == (0, "")
    assert ", fill inf to " in out
    a = A.toarray()
    both = (a != 0)[:, None, :] & (a != 0)[None, :, :]
    expected = np.min(np.where(both, a[:, None, :] + a[None, :, :], np.inf), axis=2)
    np.testing.assert_array_equal(io.read(tmp / "C.npz", as_tensor=True).to_numpy(), expected)
    status, out, err = run(capsys, "run", "y[i] = max[k](A[i,k])", f"A={tmp / 'A.mtx'}", "-o", tmp / "y.npy")
    assert (status, err) == (0, "")
    np.testing.assert_array_equal(np.load(tmp / "y.npy"), a.max(axis=1))


def test_run_explain_prints_a_long_products_plan(capsys, tmp_path):
    rng = np.random.default_rng(7)
    n = 3000
    a = sp.csr_matrix((rng.random(n * 20), (np.repeat(np.arange(n), 20), rng.integers(0, n, n * 20))), shape=(n, n))
    x = rng.random(n)
    io.write(tmp_path / "A.mtx", a)
    np.save(tmp_path / "x.npy", x)
    status, out, err = run(capsys, "run", "y[i] = A[i,j]*A[j,k]*x[k]", f"A={tmp_path / 'A.mtx'}",
                           f"x={tmp_path / 'x.npy'}", "--explain", "-o", tmp_path / "y.npy")
    assert (status, err) == (0, "")
    assert out.split("\n")[1:4] == ["  1. T0[j] = A[j,k]*x[k]  (T0 dense, about 3e+03 entries)",
                                    "  2. y[i] = A[i,j]*T0[j]  (y dense, about 3e+03 entries)",
                                    "  after the last call: T0 stored 3000 entries (estimated 3e+03)"]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), a @ (a @ x), rtol=1e-10)


def test_show_says_a_long_product_is_planned_at_each_call(capsys):
    status, out, err = run(capsys, "show", "y[i] = A[i,j]*A[j,k]*x[k]", "--format", "A=csr", "--stage", "schedule")
    assert (status, err) == (0, "")
    assert out.rstrip("\n").split("\n")[-1] == (
        "plan:           this is the fused nest; a call plans the product from its operands' statistics "
        "(give the operands, NAME=PATH, to see the plan for them)")


def test_show_with_operands_prints_the_plan_run_would_run(capsys, tmp_path):
    rng = np.random.default_rng(7)
    n = 3000
    a = sp.csr_matrix((rng.random(n * 20), (np.repeat(np.arange(n), 20), rng.integers(0, n, n * 20))), shape=(n, n))
    io.write(tmp_path / "A.mtx", a)
    status, out, err = run(capsys, "show", "y[i] = A[i,j]*A[j,k]*x[k]", f"A={tmp_path / 'A.mtx'}", "x=ones",
                           "--stage", "schedule")
    assert (status, err) == (0, "")
    lines = out.rstrip("\n").split("\n")
    assert "formats:        y=dense, A=csr, x=dense" in lines
    assert lines[-3].startswith("plan:           2 kernels, estimated cost ")
    assert lines[-2:] == ["  1. T0[j] = A[j,k]*x[k]  (T0 dense, about 3e+03 entries)",
                          "  2. y[i] = A[i,j]*T0[j]  (y dense, about 3e+03 entries)"]
    status, out, err = run(capsys, "show", "y[i] = A[i,j]*A[j,k]*x[k]", f"A={tmp_path / 'A.mtx'}")
    assert (status, out) == (2, "")
    assert err.strip().endswith("missing operand x of y[i] = A[i,j]*A[j,k]*x[k]: give x=PATH[:FORMAT], "
                                "x=<number> or x=ones|zeros|random")
