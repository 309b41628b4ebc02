"""Exit statuses, and the usage error a command raises for `main` to report with status 2."""

from __future__ import annotations

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_CLUSTER = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake on the command line (exit status 2)."""
