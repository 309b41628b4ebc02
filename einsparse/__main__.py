"""`python -m einsparse ...`: the command line (see einsparse/cli/)."""

import sys

from einsparse.cli import main

if __name__ == "__main__":
    sys.exit(main())
