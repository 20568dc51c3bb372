"""Pass a test process's subunit events on and remember each test's last status (the lane's accounting)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any, Protocol

from partitioner.run.stream import PacketResult
from partitioner.statuses import FAILING, FINAL

_TEXT = "text/plain;charset=utf8"


class Sink(Protocol):
    """**Protocol:** where a lane's events go: its own stdout (a
    :class:`~partitioner.run.stream.MergedOutput`), or, for a lane inside the runner, its tagged stream."""

    def status(self, **event: Any) -> None: ...

    def packets(self, data: bytes, events: list[dict[str, Any]]) -> None:
        """Events read as whole packets, ``data`` their bytes in order: a sink that passes events on unchanged
        writes the bytes; one that changes them (the runner's tags) encodes each event again."""
        ...

    def flush(self) -> None: ...


class Relay(PacketResult):
    """Forwards events unchanged (testr/stestr add the worker tags) and tracks each test's last status.

    A worker's packet is passed on as the bytes it was read as (:meth:`packet`), not encoded again, and the
    packets read together are written together, once the reader has no more to parse (:meth:`idle`): each
    is accounted for and told to :attr:`before` then, right before the write, never earlier. The lane's
    stream holds the same events at less cost per event, and a lane killed while it holds packets has told
    the dispatcher nothing about them.

    :ivar last: test id -> the last status it reported
    :ivar failed: a test reported ``fail``/``uxsuccess``, or :meth:`fail` wrote one
    :ivar synthetic: how many failures :meth:`fail` wrote
    """

    def __init__(self, output: Sink) -> None:
        super().__init__()
        self.output = output
        self.last: dict[str, str] = {}
        self.failed = False
        self.synthetic = 0
        #: called with (test id, status) before a test's ``inprogress`` or final event is passed on
        self.before: Callable[[str, str], None] | None = None
        #: when set, called once with every (test id, status) of the packets written together, before they are
        #: written, instead of :attr:`before` per event (a lane sends one message per batch, not one per event)
        self.before_batch: Callable[[list[tuple[str, str]]], None] | None = None
        #: listed ids that ran as scenarios (``id(scenario)`` reported a final status)
        self.scenarios: set[str] = set()
        self._held: list[tuple[bytes, dict[str, Any]]] = []
        self._lock = threading.RLock()  # the reader thread relays, the lane's thread writes failures

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: Any = None) -> None:
        with self._lock:
            self.idle()  # what was read before it goes first
            if test_id is not None and test_status is not None:
                self._account(test_id, test_status)
            self.output.status(test_id=test_id, test_status=test_status, test_tags=test_tags, runnable=runnable,
                               file_name=file_name, file_bytes=file_bytes, eof=eof, mime_type=mime_type,
                               route_code=route_code, timestamp=timestamp)

    def packet(self, data: bytes, event: dict[str, Any]) -> None:
        """A worker's packet: held until :meth:`idle`, unaccounted for and untold till then."""
        with self._lock:
            self._held.append((data, event))

    def idle(self) -> None:
        """Account for the held packets, tell :attr:`before` of each start and end, then write them at once."""
        with self._lock:
            held, self._held = self._held, []
            if not held:
                return
            told: list[tuple[str, str]] | None = [] if self.before_batch is not None else None
            for _, event in held:
                test_id, test_status = event.get("test_id"), event.get("test_status")
                if test_id is not None and test_status is not None:
                    self._account(test_id, test_status, told)
            if told and self.before_batch is not None:
                self.before_batch(told)
            self.output.packets(b"".join(data for data, _ in held), [event for _, event in held])

    def _account(self, test_id: str, test_status: str, told: list[tuple[str, str]] | None = None) -> None:
        """Remember a test's status; tell :attr:`before` of a start or an end (before the event is written), or
        add it to ``told`` (a batch :attr:`before_batch` is told of at once)."""
        self.last[test_id] = test_status
        self.failed = self.failed or test_status in FAILING
        if "(" in test_id and test_status in FINAL:  # testscenarios runs a listed id as id(scenario)
            self.scenarios.add(test_id.partition("(")[0])
        if test_status == "inprogress" or test_status in FINAL:
            if told is not None:
                told.append((test_id, test_status))
            elif self.before is not None:
                self.before(test_id, test_status)

    def finished(self, test_id: str) -> bool:
        """The test reported a final status (itself, or as scenarios: ``id(scenario)``)."""
        return self.last.get(test_id) in FINAL or test_id in self.scenarios

    def fail(self, test_id: str, reason: str) -> None:
        """Write ``test_id`` as failed with a ``reason`` attachment (``inprogress`` first if needed)."""
        with self._lock:
            self.idle()
            self._fail(test_id, reason)

    def _fail(self, test_id: str, reason: str) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        if self.before is not None:
            self.before(test_id, "fail")
        if self.last.get(test_id) != "inprogress":
            self.output.status(test_id=test_id, test_status="inprogress", timestamp=now)
        self.output.status(test_id=test_id, test_status="fail", file_name="reason", file_bytes=reason.encode(),
                           mime_type=_TEXT, eof=True, timestamp=now)
        self.last[test_id] = "fail"
        self.failed = True
        self.synthetic += 1
