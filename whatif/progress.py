"""Progress on stderr for long steps: one reporter for every command.

- On a terminal: a bar redrawn in place (``simulating [#####.....] 3,000/10,000 30% 4s``), and
  for steps without a count (optimize, generate, report) a start line and an end line with the
  elapsed time.
- Piped or redirected: a plain line every ``interval`` seconds (5 by default), so a log shows the
  job is alive without a carriage-return mess; a step that ends within the first interval prints
  nothing at all, which keeps scripted use quiet.
- ``quiet``: nothing (``reachmix --quiet`` / ``REACHMIX_QUIET=1``).

Only stderr is used: stdout carries the result (JSON, CSV) and must stay clean. Callbacks have
the ``progress(done, total)`` signature the library's long functions already take.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

#: Seconds between lines when stderr is not a terminal.
PIPED_INTERVAL = 5.0
#: Seconds between redraws of a terminal bar (redrawing per chunk would flood slow terminals).
TTY_REDRAW = 0.1
BAR_WIDTH = 30


def _elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


class Progress:
    """Makes ``progress(done, total)`` callbacks and ``step`` blocks that write to ``stream``."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None, tty: bool | None = None,
                 interval: float = PIPED_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.quiet = quiet
        self._stream = stream
        self._tty = tty
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr  # looked up late: tests swap stderr

    @property
    def tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or a broken pipe: progress is never worth failing for
                pass

    def bar(self, label: str) -> Callable[[int, int], None] | None:
        """A ``progress(done, total)`` callback, or None when quiet (so callers skip the work)."""
        if self.quiet:
            return None
        start = self.clock()
        state = {"last": None, "printed": False}

        def progress(done: int, total: int) -> None:
            now = self.clock()
            finished = done >= total
            if self.tty:
                if not finished and state["last"] is not None and now - state["last"] < TTY_REDRAW:
                    return
                filled = int(BAR_WIDTH * done / max(total, 1))
                percent = 100 * done // max(total, 1)
                self._write(f"\r{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,} "
                            f"{percent}% {_elapsed(now - start)}" + ("\n" if finished else ""))
                state["last"] = now
                return
            if finished:
                if state["printed"]:
                    self._write(f"{label}: done, {total:,} in {_elapsed(now - start)}\n")
                return
            if now - (state["last"] if state["last"] is not None else start) >= self.interval:
                percent = 100 * done // max(total, 1)
                self._write(f"{label}: {done:,}/{total:,} ({percent}%), {_elapsed(now - start)} elapsed\n")
                state["last"], state["printed"] = now, True

        return progress

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """A block without a count: start and end lines on a terminal; when piped, a line every
        ``interval`` seconds while it runs and an end line only if one was printed."""
        if self.quiet:
            yield
            return
        start = self.clock()
        printed = threading.Event()
        stop = threading.Event()
        if self.tty:
            self._write(f"{label}...\n")
            printed.set()
            beat = None
        else:
            def heartbeat() -> None:
                while not stop.wait(self.interval):
                    self._write(f"{label}: still running, {_elapsed(self.clock() - start)} elapsed\n")
                    printed.set()

            beat = threading.Thread(target=heartbeat, name="reachmix-progress", daemon=True)
            beat.start()
        ok = False
        try:
            yield
            ok = True
        finally:
            stop.set()
            if beat is not None:
                beat.join()
            if printed.is_set():
                self._write(f"{label}: {'done' if ok else 'stopped'} after {_elapsed(self.clock() - start)}\n")


# The command line installs its reporter here once per invocation, so that library steps deep in
# whatif (reading a large pool) can report without every function taking a progress argument.
# Library callers (a notebook) get a quiet reporter unless they install one.
_CURRENT: ContextVar[Progress | None] = ContextVar("reachmix_progress", default=None)


def install(progress: Progress) -> None:
    """Make ``progress`` the reporter that ``current()`` returns (the CLI does this at start)."""
    _CURRENT.set(progress)


def current() -> Progress:
    """The installed reporter, or a quiet one."""
    found = _CURRENT.get()
    return found if found is not None else Progress(quiet=True)
