"""The documentation site builds with no warning, has its pages, and the examples on its pages run.

Builds docs/ with Sphinx as `make docs` does (-W: a warning fails; -n: every cross-reference must
resolve) into a temporary folder, then runs the pages' ```{doctest} blocks with Sphinx's doctest
builder over the same parsed pages. Needs the docs' packages (in the test extra, and the docs extra);
skipped without them. About a minute with a cold kernel cache, most of it compiling the pages'
kernels; the examples of examples/ run once, while the pages are read.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NEEDED = ("sphinx", "pydata_sphinx_theme", "numpydoc", "myst_parser")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"the documentation needs {', '.join(MISSING)}: pip install '.[docs]' (or '.[test]')")

PAGES = [
    "index", "getting-started", "api", "comparison", "adding-a-level-kind",
    "concepts/index", "concepts/language", "concepts/arrays", "concepts/formats", "concepts/fills",
    "concepts/semirings", "concepts/planning", "concepts/cache-and-threads", "concepts/dask",
    "concepts/command-line", "concepts/errors", "concepts/compiler",
    "examples/index", "examples/spmm", "examples/graphs",
]
# The pages whose examples are run, each with at least one doctest.
WITH_EXAMPLES = [
    "index", "getting-started", "concepts/language", "concepts/arrays", "concepts/formats",
    "concepts/fills", "concepts/semirings", "concepts/planning", "concepts/cache-and-threads",
    "concepts/dask", "concepts/command-line", "concepts/errors", "concepts/compiler",
]


def sphinx(builder: str, out: Path, doctrees: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-j", "1", "-q",
               "-b", builder, "-d", str(doctrees), str(DOCS), str(out)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    html = sphinx("html", base / "html", base / "doctrees")
    return base, html


def test_the_site_builds_without_a_warning(built):
    base, html = built
    assert html.returncode == 0, f"sphinx-build -W -b html failed:\n{html.stdout}\n{html.stderr}"
    assert "WARNING" not in html.stderr, html.stderr


def test_every_page_is_built(built):
    base, _ = built
    missing = [page for page in PAGES if not (base / "html" / f"{page}.html").is_file()]
    assert not missing, f"pages not built: {missing}"


def test_the_api_reference_lists_every_public_name(built):
    base, _ = built
    import einsparse
    from einsparse import _LAZY

    text = (base / "html" / "api.html").read_text(encoding="utf-8")
    errors = [name for name in einsparse.__all__ if name.endswith("Error")]
    names = [*_LAZY, *errors]
    absent = [name for name in names if f'id="einsparse.{name}"' not in text]
    assert not absent, f"not in the API reference: {absent}"
    assert 'id="einsparse.cluster.persisted.PersistedTensor"' in text
    import einsparse.types

    aliases = [name for name in einsparse.types.__all__ if f'id="einsparse.types.{name}"' not in text]
    assert not aliases, f"type aliases not in the API reference: {aliases}"


def test_the_example_pages_show_what_the_examples_print(built):
    base, _ = built
    spmm = (base / "html" / "examples" / "spmm.html").read_text(encoding="utf-8")
    assert "max |C - (A @ B + D)|" in spmm and "loop order:" in spmm
    graphs = (base / "html" / "examples" / "graphs.html").read_text(encoding="utf-8")
    assert graphs.count("matches: True") == 6


def test_the_examples_on_the_pages_run(built):
    base, html = built
    assert html.returncode == 0
    doctest = sphinx("doctest", base / "doctest", base / "doctrees")
    report = (base / "doctest" / "output.txt").read_text(encoding="utf-8")
    assert doctest.returncode == 0, f"the pages' examples failed:\n{report}\n{doctest.stderr}"
    assert "0 failures in tests" in report
    tested = {line.split(": ", 1)[1] for line in report.splitlines() if line.startswith("Document: ")}
    assert set(WITH_EXAMPLES) <= tested, f"pages whose examples did not run: {set(WITH_EXAMPLES) - tested}"
