"""Sphinx configuration of einsparse's documentation site (`make docs`)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))           # the checkout's einsparse, not an installed copy
sys.path.insert(0, str(HERE / "_ext"))  # run_example: an example's output, run at build time
sys.path.insert(0, str(HERE))           # level_pictures, which the Formats page imports in its examples

import einsparse  # noqa: E402

project = "einsparse"
author = "the einsparse authors"
copyright = "the einsparse authors, MIT license"
release = einsparse.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "numpydoc",
    "run_example",
]
# Pages are Markdown (MyST), as the README they grew from; ```{doctest} blocks are run by `-b doctest`.
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# The API pages are autodoc + numpydoc. numpydoc checks that every documented parameter exists and
# every parameter is documented (PR01, PR02), and the sections' form (PR10: "name : type"; GL07: their
# order). PersistedTensor and Expr are exempt: `es.persist` and indexing make them, and their
# constructors take internal types.
numpydoc_validation_checks = {"PR01", "PR02", "PR10", "GL07"}
numpydoc_validation_exclude = {r"\.PersistedTensor$", r"\.Expr$"}
numpydoc_show_class_members = False
autodoc_member_order = "bysource"
# Signatures are shown without their annotations: the numpydoc sections say each parameter's type in
# words, and the aliases' names (`einsparse.types`, listed on the API page) do not survive autodoc:
# Sphinx 9 prints an optional alias as `TypeAliasForwardRef('einsparse.types.Formats') | None`, and
# expanded unions reach into NumPy's private typing names. Editors and type checkers read the
# annotations themselves.
autodoc_typehints = "none"

# Nitpicky (-n): every cross-reference must resolve. No intersphinx (the build is offline), so the
# types of other libraries that signatures mention cannot resolve; these, and only these, are ignored.
nitpick_ignore = [
    ("py:class", "numpy.ndarray"),
    ("py:class", "np.ndarray"),
    ("py:class", "numpy.dtype"),
    ("py:class", "scipy.sparse.csr_matrix"),
]

doctest_global_setup = """
import numpy as np
import scipy.sparse as sp
import einsparse as es
np.set_printoptions(precision=4, suppress=True, linewidth=100)
"""

html_theme = "pydata_sphinx_theme"
html_title = f"einsparse {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
pygments_style = "sphinx"

# Kernels compiled while building (doctests, examples) go to a cache inside the build folder unless
# EINSPARSE_CACHE_DIR says otherwise, so a rebuild loads them instead of compiling again.
os.environ.setdefault("EINSPARSE_CACHE_DIR", str(HERE / "_build" / "kernel-cache"))
