"""Status lines on stderr for slow steps of a command: `einsparse: reading A.mtx... done in 2.1 s`.

A line appears only when its step has taken more than `DELAY` seconds, only when stderr is a terminal
(a pipe or a log file gets nothing), and never under `--quiet`. Kernel compiles are seen through the
library's log records (`runtime/compile_log.py`): a first call that loads its kernel from the cache, or
that runs long without compiling, shows no "compiling" line.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

DELAY = 1.0  # seconds a step runs before its line is shown


def quiet(args) -> bool:
    return bool(getattr(args, "quiet", False))


def _terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


class Progress:
    """`einsparse: <message>...` on stderr once the step has run `DELAY` seconds, then its time."""

    def __init__(self, message: str, quiet: bool = False):
        self.message = message
        self.active = not quiet and _terminal()
        self.shown = self.finished = False
        self.timer = None
        self.lock = threading.Lock()  # the timer's thread shows the line, the caller finishes it
        self.start = time.perf_counter()

    def begin(self) -> "Progress":
        self.start = time.perf_counter()
        if self.active:
            if DELAY <= 0:
                self._show()
            else:
                self.timer = threading.Timer(DELAY, self._show)
                self.timer.daemon = True
                self.timer.start()
        return self

    def _show(self) -> None:
        with self.lock:
            if not self.finished:
                self.shown = True
                sys.stderr.write(f"einsparse: {self.message}...")
                sys.stderr.flush()

    def finish(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            if self.shown and not self.finished:
                sys.stderr.write(f" done in {time.perf_counter() - self.start:.1f} s\n")
                sys.stderr.flush()
            self.finished = True

    def __enter__(self) -> "Progress":
        return self.begin()

    def __exit__(self, *exc) -> bool:
        self.finish()
        return False


class CompileStatus(logging.Handler):
    """While it is entered, a `compiling <statement> (<formats>)` line for each kernel compile that runs
    longer than `DELAY` (from the library's "kernel cache miss" record to its "compiled" record)."""

    def __init__(self, quiet: bool = False):
        super().__init__(logging.DEBUG)
        self.active = not quiet and _terminal()
        self.logger = logging.getLogger("einsparse.runtime.compile_log")
        self.saved_level = self.logger.level
        self.current: "Progress | None" = None

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "kernel_event", None)
        if event == "miss":
            self._finish()
            self.current = Progress(f"compiling {record.kernel}").begin()
        elif event == "compiled":
            self._finish()

    def _finish(self) -> None:
        if self.current is not None:
            self.current.finish()
            self.current = None

    def __enter__(self) -> "CompileStatus":
        if self.active:  # records of DEBUG and up reach this handler, and no other output appears
            self.logger.addHandler(self)
            self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> bool:
        if self.active:
            self.logger.removeHandler(self)
            self.logger.setLevel(self.saved_level)
            self._finish()
        return False
