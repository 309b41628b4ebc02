"""``.. example-output:: examples/spmm.py``: run an example at build time and show what it prints.

The script runs with the interpreter that runs Sphinx, from the repository's root, so the page shows
what the code prints now. A script that fails, or prints to stderr without its output, fails the build
(an error of this directive is a Sphinx warning, and the site is built with -W).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]


class ExampleOutput(SphinxDirective):
    required_arguments = 1
    option_spec = {"args": directives.unchanged, "timeout": directives.positive_int}

    def run(self):
        script = ROOT / self.arguments[0]
        self.env.note_dependency(str(script))
        command = [sys.executable, str(script), *self.options.get("args", "").split()]
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        start = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True,
                                  timeout=self.options.get("timeout", 120))
        except subprocess.TimeoutExpired:
            raise self.error(f"{self.arguments[0]} ran longer than its timeout")
        if done.returncode != 0:
            raise self.error(f"{self.arguments[0]} exited with status {done.returncode}:\n{done.stderr}")
        seconds = time.perf_counter() - start
        shown = " ".join(["python", self.arguments[0], *self.options.get("args", "").split()])
        block = nodes.literal_block(done.stdout, done.stdout, language="text")
        note = nodes.paragraph()
        note += nodes.Text(f"Output of `{shown}`, run when this page was built ({seconds:.1f} s, "
                           f"kernel compiles included when the cache was cold):")
        return [note, block]


def setup(app):
    app.add_directive("example-output", ExampleOutput)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
