"""Subunit plumbing for the runner: read worker streams without losing sync, merge them into one, safely.

:func:`read_worker_stream` parses a worker's stdout with python-subunit, resynchronising after a damaged
packet. :class:`WorkerStream` is where the runner's accounting lives: it forwards one worker's events to the
shared :class:`MergedOutput` with the worker's tag and route, remembers each test's last status, and
writes the synthetic ``inprogress``/``fail`` pair for a test the worker never finished.

A test's events reach the output together, once it has a final status, so that testr, which reads the output, never
holds a test as running: a Ctrl-C that reaches testr too stops it reading at once, and testr would store each test it
held so as a failure with no details, timed 0 s in its ``times.dbm``. And a failure for not running to its end is
written with the timestamps that keep testr's earlier time for the test (:mod:`partitioner.run.kept`), which needs
the test's first event still in hand.
"""

from __future__ import annotations

import datetime
import select
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import subunit
import testtools

from partitioner.statuses import EXISTS, FAIL, FAILING, INPROGRESS, SUBUNIT_PARSER

if TYPE_CHECKING:
    from partitioner.run.kept import KeptTimes

#: the attachment name bytes that are not subunit get in the merged stream (as testr and stestr name them)
NON_SUBUNIT = "stdout"
_SIGNATURE = b"\xb3"
_CHUNK = 65536
_ALL = 1 << 62


class _Source:
    """The bytes the parser reads: it remembers what it handed out since the last event, takes bytes back to
    be read again, and hides from the parser that text bytes are UTF-8.

    python-subunit reads text one byte at a time and tracks UTF-8 characters in it, and a 0xB3 that follows
    a lead byte counts as part of a character: a packet written right after text that ends in a lead byte
    (binary output, a cut character) would be taken for text and lost. The parser reads packet bodies in
    chunks of two or more bytes and everything else one byte at a time, so every single byte from 0x80 up,
    0xB3 aside, is shown to it as ``?``; :class:`_Resync` passes the real bytes on from :attr:`log`.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        #: reads what is there (at most one read that may wait), when ``raw`` can
        self._read1: Callable[[int], bytes] | None = getattr(raw, "read1", None)
        #: called before each read of ``raw``, which may wait for the worker
        self.idle: Callable[[], None] | None = None
        #: bytes read, or taken back, and not handed out yet
        self.pending = bytearray()
        #: the real bytes handed out since the parser's last event
        self.log = bytearray()
        self._eof = False

    def _fill(self, size: int) -> None:
        """Read until :attr:`pending` holds ``size`` bytes or the worker's stdout ends."""
        pending = self.pending
        while len(pending) < size and not self._eof:
            if self.idle is not None:
                self.idle()
            chunk = self._read1(_CHUNK) if self._read1 is not None else self.raw.read(size - len(pending))
            if not chunk:
                self._eof = True
            pending += chunk

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""
        pending = self.pending
        if size is None or size < 0:
            self._fill(_ALL)
            size = len(pending)
        elif len(pending) < size:  # never hand out less than asked when more may come: packet reads stay whole
            self._fill(size)
        chunk = bytes(pending[:size])
        del pending[:size]
        self.log += chunk
        if size == 1 and chunk and chunk[0] >= 0x80 and chunk != _SIGNATURE:
            return b"?"
        return chunk

    def fileno(self) -> int:
        return self.raw.fileno()


class _Resync:
    """Between python-subunit's parser and the real result: a damaged packet is not allowed to swallow the
    packets after it.

    The parser reads a packet from every 0xB3 byte. Text a test prints can hold one (a Latin-1 '³', binary
    output), and then the parser takes the bytes that follow, real packets included, as that packet's body,
    and reports a ``subunit.parser`` failure: the tests those packets carried are never reported. Here,
    when the parser reports a damaged packet, every byte it read after that 0xB3 goes back to be read
    again, the 0xB3 passes on as non-subunit bytes, and the ``subunit.parser`` events are dropped.

    The parser's calls are told apart by their keywords: non-subunit bytes come with ``file_name`` and
    ``file_bytes`` alone (their real bytes are the first ones of the source's log), a packet with every
    keyword, a damaged packet as two ``subunit.parser`` events.

    A packet's event comes once the parser has read exactly that packet (its 0xB3, the header with its length,
    the rest up to its CRC), so the source's log then holds the packet's bytes as the worker wrote them: a
    :class:`PacketResult` target gets them with the event (:meth:`PacketResult.packet`), to pass them on
    without encoding the event again.
    """

    def __init__(self, source: _Source, target: testtools.StreamResult) -> None:
        self.source = source
        self.target = target
        self._swallow = False
        self._packet = target.packet if isinstance(target, PacketResult) else None
        if isinstance(target, PacketResult):
            source.idle = target.idle

    def status(self, **event: Any) -> None:
        log = self.source.log
        parser = event.get("test_id") == SUBUNIT_PARSER
        if parser and "test_status" not in event and log[:1] == _SIGNATURE:  # the damaged packet's bytes
            self.source.pending[:0] = log[1:]
            log.clear()
            self._swallow = True  # its error event follows
            self.target.status(file_name=NON_SUBUNIT, file_bytes=_SIGNATURE)
            return
        if parser and self._swallow:
            self._swallow = False
            return
        if event.keys() == {"file_name", "file_bytes"}:  # text (the next packet's 0xB3 may be read already)
            size = len(event["file_bytes"] or b"")
            event["file_bytes"] = bytes(log[:size])
            del log[:size]
        elif self._packet is not None and log[:1] == _SIGNATURE:  # a whole, sound packet: its own bytes
            data = bytes(log)
            log.clear()
            self._packet(data, event)
            return
        else:
            log.clear()
        self.target.status(**event)


class PacketResult(testtools.StreamResult):
    """A result that can take a worker's packet as read, with its parsed event (see :func:`read_worker_stream`).

    Events that were not read as one sound packet (bytes that are not subunit, the 0xB3 of a damaged packet)
    still come to :meth:`status`.
    """

    def packet(self, data: bytes, event: dict[str, Any]) -> None:
        """One packet: ``data`` its bytes as the worker wrote them, ``event`` the keywords of its ``status``
        call (by default, just that call)."""
        self.status(**event)

    def idle(self) -> None:
        """The reader is about to read more of the worker's stdout, which may wait for the worker; called at
        the end of the stream too. A result that holds packets back passes them on now."""


def read_worker_stream(source: IO[bytes], result: testtools.StreamResult) -> None:
    """Parse the subunit v2 stream on ``source`` into ``result`` until end of file.

    Bytes that are not subunit reach ``result`` as ``stdout`` file events (no test id); a damaged packet
    never hides the packets after it (see :class:`_Resync`). A :class:`PacketResult` gets each sound packet's
    bytes with its event, and is told before each read that may wait for the worker, and at the end
    (:meth:`PacketResult.idle`).
    """
    reader = _Source(source)
    try:
        subunit.ByteStreamToStreamResult(reader, non_subunit_name=NON_SUBUNIT).run(_Resync(reader, result))
    finally:
        if isinstance(result, PacketResult):
            result.idle()

_TEXT = "text/plain;charset=utf8"


class MergedOutput:
    """The one subunit v2 output stream: thread-safe, and quiet once the reader has gone away.

    :param observer: also sees every event as it is written (it never changes the bytes written): the plan record's
        first starts, which must be the stored run's
    :param kept: the times testr keeps (:mod:`partitioner.run.kept`): a :class:`WorkerStream` writes a test it fails
        for not running to its end with the timestamps that keep them; ``None``: as it happened
    :ivar watcher: sees every event of a worker as it happens (:meth:`happened`), before the test's events are
        written together: the progress line
    :ivar broken: ``True`` once a write failed because the reader closed the pipe, or :meth:`reader_gone`
        saw it close
    """

    def __init__(self, stream: IO[bytes], observer: testtools.StreamResult | None = None,
                 kept: KeptTimes | None = None) -> None:
        self._lock = threading.Lock()
        self._stream = stream
        self._writer = subunit.StreamResultToBytes(stream)
        self.observer = observer
        self.watcher: testtools.StreamResult | None = None
        self.kept = kept
        self.broken = False

    def status(self, **event: Any) -> None:
        """Write one event (the keywords of ``StreamResult.status``) as it happens."""
        self.write(**event)
        self.happened(**event)

    def write(self, **event: Any) -> None:
        """Write one event, and tell the :attr:`observer`."""
        with self._lock:
            if self.broken:
                return
            try:
                self._writer.status(**event)
            except (BrokenPipeError, ConnectionResetError, ValueError):
                self.broken = True
            observer = self.observer
        if observer is not None:
            observer.status(**event)

    def happened(self, **event: Any) -> None:
        """Tell the :attr:`watcher` of an event as it happens (it may be written later, or with other timestamps)."""
        watcher = self.watcher
        if watcher is not None:
            watcher.status(**event)

    def packets(self, data: bytes, events: list[dict[str, Any]]) -> None:
        """Write packets as they were read: ``data``, whole subunit v2 packets whose events are ``events``,
        instead of encoding the events again; flushed at once, as :meth:`status` flushes each event."""
        with self._lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:  # a raw stream may take part of it
                    written = self._stream.write(view)
                    if written is None:
                        break
                    view = view[written:]
                self._stream.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError):
                self.broken = True
            observer = self.observer
        if observer is not None:
            for event in events:
                observer.status(**event)
        for event in events:
            self.happened(**event)

    def reader_gone(self) -> bool:
        """Whether the reader of the stream closed its end (testr went away), without writing to it.

        A pipe whose reader closed reports POLLERR to poll() at once, so the runner need not wait for its
        next write (a hung test may never give it one) to notice that nobody reads the results any more.
        """
        if self.broken:
            return True
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            return False
        try:
            poller = select.poll()
            poller.register(fd, 0)  # POLLERR and POLLHUP are reported whatever is asked
            events = poller.poll(0)
        except (OSError, ValueError):
            return False
        if any(mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, mask in events):
            self.broken = True
        return self.broken

    def flush(self) -> None:
        """Flush the underlying stream, tolerating a closed reader."""
        with self._lock:
            try:
                self._stream.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError):
                self.broken = True


class WorkerStream(testtools.StreamResult):
    """Forwards one worker's events to the merged output, tagged, and remembers each test's last status.

    A test's events are held from its first until its final status and then written together (see the module
    docstring), retimed by the output's :attr:`~MergedOutput.kept` times when it failed for not running to its end;
    the output's :attr:`~MergedOutput.watcher` sees each as it comes. What is still held when the worker is accounted
    for (a test outside its share that never ended) is written by :meth:`release`.

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
        #: test id -> its events (tagged and routed) since its first, until its final status
        self._held: dict[str, list[dict[str, Any]]] = {}

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
        self._take({"test_id": test_id, "test_status": test_status, "test_tags": tags, "runnable": runnable,
                    "file_name": file_name, "file_bytes": file_bytes, "eof": eof, "mime_type": mime_type,
                    "route_code": route, "timestamp": timestamp})

    def fail_unreported(self, test_id: str, reason: str) -> None:
        """Record ``test_id`` as failed with a ``reason`` attachment (``inprogress`` first if needed)."""
        route = self.routes.get(test_id, str(self.index))
        now = _now()
        base = {"test_id": test_id, "test_tags": {self.tag}, "runnable": True, "route_code": route, "timestamp": now}
        if self.last.get(test_id) != INPROGRESS:
            self._take({**base, "test_status": INPROGRESS, "file_name": None, "file_bytes": None, "eof": False,
                        "mime_type": None})
        self._take({**base, "test_status": FAIL, "file_name": "reason", "file_bytes": reason.encode("utf-8"),
                    "eof": True, "mime_type": _TEXT})
        self.last[test_id] = FAIL
        self.failed = True

    def release(self) -> None:
        """Write the events still held, as they came: tests that never reported a final status (the accounting
        fails those it knows; an id outside the worker's share is passed on as it is)."""
        held, self._held = self._held, {}
        for events in held.values():
            for event in events:
                self.output.write(**event)

    def _take(self, event: dict[str, Any]) -> None:
        """One event: told to the watcher now, written now (no test's, or a listing's), or held until its test's
        final status, then written with the test's other events (retimed, see :mod:`partitioner.run.kept`)."""
        output = self.output
        output.happened(**event)
        test_id, status = event["test_id"], event["test_status"]
        if test_id is None or status == EXISTS:
            output.write(**event)
            return
        held = self._held.setdefault(test_id, [])
        held.append(event)
        if status is None or status == INPROGRESS:
            return
        del self._held[test_id]
        kept = output.kept
        for one in kept.retimed(held) if kept is not None else held:
            output.write(**one)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
