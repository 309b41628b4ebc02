"""`einsparse info`: the versions, platform, kernel cache and thread settings a bug report needs."""

from __future__ import annotations

from einsparse.cli.status import EXIT_OK


def cmd_info(args) -> int:
    from einsparse.diagnostics import show_config

    show_config()
    return EXIT_OK
