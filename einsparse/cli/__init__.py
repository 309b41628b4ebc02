"""The `einsparse` command: run statements on files, show kernels, check them against NumPy.

    einsparse run "y(i) = A(i,j)*x(j)" A=matrix.mtx x=ones -o y.npy --time 10
    einsparse show "C[i,j] = A[i,k]*B[k,j]" --format A=csr --format B=csr --format C=csr
    einsparse check "C[i,j] = A[i,k]*B[k,j] + D[i,j]" --format A=csc --trials 20
    einsparse cache info | einsparse cache clear
    einsparse spy matrix.mtx -o pattern.png
    einsparse info

`main(argv)` returns the exit status instead of exiting, so tests call it in-process: 0 on success, 2 for
a usage or statement error, 1 for a data error (a file missing or malformed, shapes that disagree, a
format the data cannot take). Errors are one message on stderr (a statement error adds the statement
with a caret under the spot); `--debug` adds the Python traceback.
"""

from __future__ import annotations

from einsparse.cli.cache import cmd_cache
from einsparse.cli.check import cmd_check
from einsparse.cli.info import cmd_info
from einsparse.cli.operands import GENERATED
from einsparse.cli.parser import build_parser, main
from einsparse.cli.run import SMALL, cmd_run
from einsparse.cli.show import cmd_show
from einsparse.cli.spy import cmd_spy
from einsparse.cli.status import EXIT_DATA, EXIT_OK, EXIT_USAGE, UsageError
