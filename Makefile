# The two jobs the README opens with, each from a clean clone on a fresh machine:
#   make run   sets up .venv and runs the main job: a fused sparse statement on examples/data
#   make test  sets up .venv with the test extra and runs the test suite on every core
# and, to package it:
#   make dist  builds the sdist and the wheel into dist/ (an isolated build: pip fetches setuptools)
.PHONY: run test dist

run:
	python3 -m venv .venv && .venv/bin/pip install --quiet .
	.venv/bin/einsparse run "C[i,j] = A[i,k]*B[k,j] + D[i,j]" A=examples/data/662_bus.mtx B=random D=random --shape B=662,32 --time 10 -o C.npy

test:
	python3 -m venv .venv && .venv/bin/pip install --quiet ".[test]"
	.venv/bin/python -m pytest -n auto

dist:
	python3 -m venv .venv && .venv/bin/pip install --quiet build
	.venv/bin/python -m build
