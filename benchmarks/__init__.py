"""The einsparse benchmark harness (issue 5): the K1-K10 suite against peers, a triad, compile figures.

Run it as `python -m benchmarks` or `python benchmarks/run.py`; `--help` lists the options.
"""
