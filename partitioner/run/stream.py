"""Subunit plumbing for the runner: merge tagged worker streams into one, safely.

:class:`WorkerStream` is where the runner's accounting lives: it forwards one worker's events to the
shared :class:`MergedOutput` with the worker's tag and route, remembers each test's last status, and
writes the synthetic ``inprogress``/``fail`` pair for a test the worker never finished.
"""

from __future__ import annotations

import datetime
import threading
from typing import IO, Any

import subunit
import testtools

from partitioner.statuses import FAIL, FAILING, INPROGRESS

_TEXT = "text/plain;charset=utf8"


class MergedOutput:
    """The one subunit v2 output stream: thread-safe, and quiet once the reader has gone away.

    :ivar broken: ``True`` once a write failed because the reader closed the pipe
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._lock = threading.Lock()
        self._stream = stream
        self._writer = subunit.StreamResultToBytes(stream)
        self.broken = False

    def status(self, **event: Any) -> None:
        """Write one event (the keywords of ``StreamResult.status``)."""
        with self._lock:
            if self.broken:
                return
            try:
                self._writer.status(**event)
            except (BrokenPipeError, ConnectionResetError, ValueError):
                self.broken = True

    def flush(self) -> None:
        """Flush the underlying stream, tolerating a closed reader."""
        with self._lock:
            try:
                self._stream.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError):
                self.broken = True


class WorkerStream(testtools.StreamResult):
    """Forwards one worker's events to the merged output, tagged, and remembers each test's last status.

    :ivar last: test id -> last status it reported
    :ivar routes: test id -> route code of its last event (so synthesised events pair with it)
    :ivar failed: whether any test reported ``fail`` or ``uxsuccess``
    """

    def __init__(self, index: int, output: MergedOutput) -> None:
        super().__init__()
        self.index = index
        self.tag = f"worker-{index}"
        self.output = output
        self.last: dict[str, str] = {}
        self.routes: dict[str, str] = {}
        self.failed = False

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: Any = None) -> None:
        tags = {tag for tag in test_tags or () if not tag.startswith("worker-")} | {self.tag}
        route = str(self.index) if route_code is None else f"{self.index}/{route_code}"
        if test_id is not None:
            self.routes[test_id] = route
            if test_status is not None:
                self.last[test_id] = test_status
                self.failed = self.failed or test_status in FAILING
        self.output.status(test_id=test_id, test_status=test_status, test_tags=tags, runnable=runnable,
                           file_name=file_name, file_bytes=file_bytes, eof=eof, mime_type=mime_type,
                           route_code=route, timestamp=timestamp)

    def fail_unreported(self, test_id: str, reason: str) -> None:
        """Record ``test_id`` as failed with a ``reason`` attachment (``inprogress`` first if needed)."""
        route = self.routes.get(test_id, str(self.index))
        now = _now()
        if self.last.get(test_id) != INPROGRESS:
            self.output.status(test_id=test_id, test_status=INPROGRESS, test_tags={self.tag},
                               route_code=route, timestamp=now)
        self.output.status(test_id=test_id, test_status=FAIL, test_tags={self.tag}, route_code=route,
                           file_name="reason", file_bytes=reason.encode("utf-8"), mime_type=_TEXT,
                           eof=True, timestamp=now)
        self.last[test_id] = FAIL
        self.failed = True


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
