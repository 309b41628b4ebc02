# The two jobs the README opens with, each from a clean clone on a fresh machine:
#   make run   sets up .venv and runs the main job: a fused sparse statement on examples/data
#   make test  sets up .venv with the test extra and runs the test suite on every core
# and, to package it:
#   make dist  builds the sdist and the wheel into dist/ (an isolated build: pip fetches setuptools)
# and the documentation site (Sphinx, warnings are errors, every cross-reference checked):
#   make docs          sets up .venv with the docs extra and builds docs/_build/html
#   make docs-doctest  also runs the pages' examples (what tests/test_docs.py checks)
# Either takes PYTHON=/path/to/python to use an interpreter that already has the docs extra.
.PHONY: run test dist docs docs-doctest

PYTHON ?=
SPHINX = -m sphinx -W --keep-going -n -j 1

run:
	python3 -m venv .venv && .venv/bin/pip install --quiet .
	.venv/bin/einsparse run "C[i,j] = A[i,k]*B[k,j] + D[i,j]" A=examples/data/662_bus.mtx B=random D=random --shape B=662,32 --time 10 -o C.npy

test:
	python3 -m venv .venv && .venv/bin/pip install --quiet ".[test]"
	.venv/bin/python -m pytest -n auto

dist:
	python3 -m venv .venv && .venv/bin/pip install --quiet build
	.venv/bin/python -m build

docs:
ifeq ($(PYTHON),)
	python3 -m venv .venv && .venv/bin/pip install --quiet ".[docs]"
	$(MAKE) docs PYTHON=.venv/bin/python
else
	$(PYTHON) $(SPHINX) -b html docs docs/_build/html
	@echo "The site is in docs/_build/html (open docs/_build/html/index.html)."
endif

docs-doctest:
ifeq ($(PYTHON),)
	python3 -m venv .venv && .venv/bin/pip install --quiet ".[docs]"
	$(MAKE) docs-doctest PYTHON=.venv/bin/python
else
	$(PYTHON) $(SPHINX) -b html docs docs/_build/html
	$(PYTHON) $(SPHINX) -b doctest docs docs/_build/doctest
endif
