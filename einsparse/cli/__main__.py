"""`python -m einsparse.cli ...`: the command line, as `python -m einsparse`."""

import sys

from einsparse.cli.parser import main

if __name__ == "__main__":
    sys.exit(main())
