"""`einsparse cache`: show or empty the on-disk kernel cache."""

from __future__ import annotations

from einsparse.cli.status import EXIT_OK
from einsparse.diagnostics import readable_size
from einsparse.errors import FileFormatError


def cmd_cache(args) -> int:
    from einsparse.runtime import cache

    if args.action == "info":
        info = cache.info()
        print(f"directory: {info['directory']}")
        print(f"kernels:   {info['kernels']}")
        print(f"size:      {readable_size(info['bytes'])}")
        return EXIT_OK
    directory = cache.cache_dir()
    removed, freed = 0, 0
    if directory.is_dir():
        files = list(directory.glob("einsparse_*.py"))
        pycache = directory / "__pycache__"
        compiled = list(pycache.glob("einsparse_*")) if pycache.is_dir() else []
        for path in files + compiled:
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise FileFormatError(f"cannot remove {path}: {error.strerror or error}") from None
            freed += size
            removed += path.suffix == ".py"
    print(f"removed {removed} kernel{'s' if removed != 1 else ''} ({readable_size(freed)}) from {directory}")
    return EXIT_OK

