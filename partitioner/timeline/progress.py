"""A live progress line on the terminal: tests done of total, failures, workers busy, ETA, queue left.

:class:`ProgressLine` is a :class:`testtools.StreamResult`: feed it the run's events (tee them to it with
:class:`testtools.CopyStreamResult` beside the subunit output) and it keeps ONE line on its stream, redrawn
in place (``\\r`` + erase-line), at most every ``interval`` seconds, and erased at the end so the terminal
is left as it was. It draws only when its stream is a terminal and not standard output (the subunit stream
goes there), and never when ``quiet``: under CI, with stderr in a log file, it is silent.

Lines meant for the same terminal while the line shows (the runner's warnings, a worker's fate) go through
:meth:`ProgressLine.beside`, a text stream that erases the line before each of them and redraws it after:
written straight to the terminal, a warning would start in the middle of the line's row.

The ETA comes from predicted seconds per test (:func:`partitioner.timeline.model.lane_costs` derives them
from predicted lanes, class setups included): with the plan's lanes known it is the longest lane's predicted
remainder, else the remainder spread over the workers; a running test counts what is left of its prediction.
Without predictions it extrapolates the mean time per finished test.

Imports stay light (stdlib and testtools): the runner imports this before its workers start.
"""

from __future__ import annotations

import datetime
import io
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, TextIO

import testtools

__all__ = ["ProgressLine", "format_eta"]

#: statuses that end a test
_FINAL = frozenset({"success", "fail", "skip", "xfail", "uxsuccess"})
_FAILING = frozenset({"fail", "uxsuccess"})
#: carriage return, then erase the whole line (ECMA-48 EL 2): the cursor stays in column 1
ERASE = "\r\x1b[2K"


def format_eta(seconds: float) -> str:
    """``45s``, ``3m05s``, ``1h02m``."""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _draws_on(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is a terminal that is not standard output."""
    if stream is None:
        return False
    try:
        fd = stream.fileno()
        return stream.isatty() and fd != 1 and fd != _stdout_fd()
    except (AttributeError, OSError, ValueError):
        return False


def _stdout_fd() -> int:
    try:
        return sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
    except (OSError, ValueError):
        return 1


class ProgressLine(testtools.StreamResult):
    """One updating line of progress on a terminal (see the module docstring).

    :param stream: where to draw (stderr); ``None`` or a non-terminal means never draw
    :param total: how many tests the run will report (0: unknown)
    :param costs: predicted seconds per test id
    :param workers: how many workers run at once
    :param lanes: test id -> the worker the plan put it on (static plans), for a per-lane ETA
    :param queue_left: returns how many groups the dispatcher still holds (dynamic dispatch)
    :param quiet: never draw
    :param clock: monotonic seconds (tests pass a fake one)
    :param interval: least seconds between two redraws
    :param label: what the line starts with
    """

    def __init__(self, stream: IO[str] | None, total: int = 0, costs: Mapping[str, float] | None = None,
                 workers: int = 1, lanes: Mapping[str, str] | None = None,
                 queue_left: Callable[[], int] | None = None, quiet: bool = False,
                 clock: Callable[[], float] = time.monotonic, interval: float = 0.1,
                 label: str = "partitioner") -> None:
        super().__init__()
        self.stream = stream
        self.enabled = not quiet and _draws_on(stream)
        self.total = total
        self.costs = dict(costs or {})
        self.workers = max(1, workers)
        self.lanes = dict(lanes or {})
        self.queue_left = queue_left
        self.clock = clock
        self.interval = interval
        self.label = label
        self.done = 0
        self.failures = 0
        self._finished: set[str] = set()
        self._running: dict[str, tuple[str, float]] = {}  # test id -> (worker, started at)
        self._left: dict[str, float] = {}  # predicted seconds still to run, per lane
        self._left_total = math.fsum(self.costs.values())
        for test_id, seconds in self.costs.items():
            lane = self.lanes.get(test_id, "")
            self._left[lane] = self._left.get(lane, 0.0) + seconds
        self._lock = threading.Lock()
        self._started: float | None = None
        self._last_draw: float | None = None
        self._shown = False
        self._closed = False
        self._ticker: threading.Thread | None = None
        self._stop_ticking = threading.Event()

    # -- StreamResult ------------------------------------------------------------------------------------------

    def startTestRun(self) -> None:
        with self._lock:
            if self._started is None:
                self._started = self.clock()
            self._draw(force=True)

    def stopTestRun(self) -> None:
        self.close()

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: datetime.datetime | None = None) -> None:
        if test_id is None or test_status is None:
            return
        with self._lock:
            now = self.clock()
            if self._started is None:
                self._started = now
            if test_status == "inprogress":
                if test_id not in self._finished:
                    self._running[test_id] = (_worker(test_tags, route_code), now)
            elif test_status in _FINAL and test_id not in self._finished:
                self._finished.add(test_id)
                self._running.pop(test_id, None)
                self.done += 1
                self.failures += test_status in _FAILING
                seconds = self.costs.get(test_id)
                if seconds is not None:
                    lane = self.lanes.get(test_id, "")
                    self._left[lane] = self._left.get(lane, 0.0) - seconds
                    self._left_total -= seconds
            self._draw()

    # -- the line ----------------------------------------------------------------------------------------------

    def eta(self) -> float | None:
        """Predicted seconds until the last test ends, ``None`` when nothing can be said yet."""
        now = self.clock()
        if self.costs:
            overrun: dict[str, float] = {}
            for test_id, (_, began) in self._running.items():
                seconds = self.costs.get(test_id)
                if seconds is not None:  # what a running test already spent is no longer ahead of us
                    lane = self.lanes.get(test_id, "")
                    overrun[lane] = overrun.get(lane, 0.0) + min(seconds, now - began)
            if self.lanes:
                return max((max(0.0, left - overrun.get(lane, 0.0)) for lane, left in self._left.items()),
                           default=0.0)
            return max(0.0, self._left_total - sum(overrun.values())) / self.workers
        if not self.done or not self.total or self._started is None:
            return None
        per_test = (now - self._started) * self.workers / self.done
        return max(0, self.total - self.done) * per_test / self.workers

    def text(self) -> str:
        """The line as it would be drawn now (not cut to the terminal's width)."""
        total = f"/{self.total:,}" if self.total else ""
        parts = [f"{self.label}: {self.done:,}{total} tests"]
        parts.append(f"{self.failures:,} failed" if self.failures else "no failures")
        busy = len({worker for worker, _ in self._running.values()})
        parts.append(f"{busy}/{self.workers} workers busy")
        if self.queue_left is not None:
            parts.append(f"queue {self.queue_left():,}")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {format_eta(eta)}")
        return " \u00b7 ".join(parts)

    def _width(self) -> int:
        """The terminal's columns; 80 where it does not say (a pseudo-terminal of size 0x0, as ``script`` and some
        CI runners make, reports 0 columns: the line was cut to 20 characters there)."""
        try:
            assert self.stream is not None
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AssertionError, OSError, ValueError):
            return 80
        return max(20, columns) if columns > 0 else 80

    def _draw(self, force: bool = False) -> None:
        """Redraw (with the lock held) unless closed, disabled, or drawn less than ``interval`` ago."""
        if not self.enabled or self._closed or self.stream is None:
            return
        now = self.clock()
        if not force and self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        line = self.text()[: self._width() - 1]  # never wrap: a wrapped line cannot be erased in place
        try:
            self.stream.write(f"{ERASE}{line}")
            self.stream.flush()
            self._shown = True
        except (OSError, ValueError):
            self.enabled = False

    @property
    def showing(self) -> bool:
        """Whether the line is (or will be) drawn: enabled and not closed."""
        return self.enabled and not self._closed

    def write_lines(self, text: str) -> None:
        """Write ``text`` (whole lines) to the line's stream without sharing a row with the line: erase it
        first, redraw it after (once closed or disabled, ``text`` is written as it is)."""
        with self._lock:
            if self.stream is None:
                return
            showing = self.showing
            try:
                if showing and self._shown:
                    self.stream.write(ERASE)
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                return
            if showing:
                self._draw(force=True)

    def beside(self) -> TextIO:
        """A text stream for what else goes to this terminal while the line shows: each complete line written to
        it goes through :meth:`write_lines` (a partial line waits for its end, or for :meth:`close`)."""
        return _Beside(self)

    def tick(self) -> None:
        """Redraw now (the ETA moves while a long test runs); the runner's poll loop may call it."""
        with self._lock:
            self._draw(force=True)

    def start_ticker(self, every: float = 1.0) -> None:
        """Redraw every ``every`` seconds from a daemon thread until :meth:`close`."""
        if not self.enabled or self._ticker is not None:
            return

        def loop() -> None:
            while not self._stop_ticking.wait(every):
                self.tick()

        self._ticker = threading.Thread(target=loop, name="progress-line", daemon=True)
        self._ticker.start()

    def close(self) -> None:
        """Stop drawing and erase the line, leaving the cursor at the start of an empty line."""
        self._stop_ticking.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._shown and self.stream is not None:
                try:
                    self.stream.write(ERASE)
                    self.stream.flush()
                except (OSError, ValueError):
                    pass


class _Beside(io.TextIOBase, TextIO):
    """:meth:`ProgressLine.beside`'s stream: whole lines to :meth:`ProgressLine.write_lines`."""

    def __init__(self, progress: ProgressLine) -> None:
        super().__init__()
        self._progress = progress
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            whole, newline, self._pending = (self._pending + text).rpartition("\n")
        if newline:
            self._progress.write_lines(whole + newline)
        return len(text)

    def flush(self) -> None:
        """Write a partial line only once the progress line is gone (drawn after it, the line would erase it)."""
        if self._progress.showing:
            return
        with self._lock:
            pending, self._pending = self._pending, ""
        if pending:
            self._progress.write_lines(pending)

    def close(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, ""
        if pending:
            self._progress.write_lines(pending)
        super().close()

    def fileno(self) -> int:
        if self._progress.stream is None:
            raise io.UnsupportedOperation("no stream")
        return self._progress.stream.fileno()

    def isatty(self) -> bool:
        return self._progress.stream is not None and self._progress.stream.isatty()


def _worker(tags: set[str] | None, route_code: str | None) -> str:
    """The worker an event came from: its ``worker-N`` tag (the highest-numbered: testr adds ``worker-0`` to
    everything a single test_command reports), else the first part of its route code."""
    workers = [tag for tag in tags or () if tag.startswith("worker-")]
    if workers:
        return max(workers, key=lambda t: (len(t), t))
    if route_code:
        return f"route-{route_code.split('/', 1)[0]}"
    return ""
