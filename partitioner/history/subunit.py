"""Read one subunit stream (v1 or v2, optionally gzip'd) into a :class:`~partitioner.history.model.Run`.

Parsing is done by python-subunit and testtools only: v2 through :class:`subunit.ByteStreamToStreamResult`,
v1 through :class:`subunit.TestProtocolServer` feeding :class:`testtools.ExtendedToStreamDecorator`; both
end in a :class:`testtools.StreamToDict` subclass that turns each completed test into a ``TestRecord``.
Records keep the order in which tests completed in the stream.

Which protocol: a stream that starts with the gzip magic ``1f 8b`` is decompressed first; then a first byte of
``0xb3`` (the v2 packet signature) means v2, anything else is read as the v1 text protocol. Note that stestr
and testrepository both *store* their numbered run files in v1 (``stestr last --subunit`` emits v2).

Policy for damaged input (every case raises :class:`~partitioner.errors.HistoryError` with a one-line
message that names the stream; no other exception escapes, whatever the bytes):

* an empty stream (zero bytes, also after decompression) -> "empty stream";
* a gzip member that cannot be decompressed (truncated, bad CRC) -> "corrupt gzip data";
* v2: any packet python-subunit rejects (bad CRC, short read at EOF, bad UTF-8, ...) -- it surfaces as the
  ``subunit.parser`` pseudo-test -- or any exception out of the parser -> "truncated or corrupt subunit v2
  packet at byte N after K tests". The whole stream is rejected rather than trusting the tests before the
  damage: a damaged stored run is better skipped than half-counted;
* v2: raw non-subunit bytes between packets are tolerated (mixed streams are legal in v2), but a v2 stream
  that holds no test at all -> "holds no test results";
* v1: a stream that ends inside a test (python-subunit reports "lost connection during test ...") ->
  "ends inside test X ... truncated"; a line the v1 parser cannot handle (e.g. a bad ``time:`` value) ->
  "corrupt subunit v1 line";
* v1: text lines that are not protocol lines are ignored (that is the v1 protocol), but a stream that yields
  no test at all -> "not a subunit stream (first bytes ...)".

A v2 stream that ends cleanly between packets is accepted; tests still running at its end are kept with
status ``inprogress`` and ``stop=None``. v1 streams without ``time:`` lines give records with ``start`` and
``stop`` of ``None`` (testtools would otherwise stamp them with the parsing wall clock).
"""

from __future__ import annotations

import datetime
import gzip
import io
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import subunit
import testtools

from partitioner.errors import HistoryError
from partitioner.history.model import Run, TestRecord
from partitioner.statuses import FAIL, FAILING, SUBUNIT_PARSER, reason_line

if TYPE_CHECKING:  # TestDict is new in testtools 2.9; older ones (OpenStack pins 2.5+) pass plain dicts
    from testtools.testresult.real import TestDict

__all__ = ["read_stream", "read_stream_file", "stream_kind"]

GZIP_MAGIC = b"\x1f\x8b"
V2_SIGNATURE = 0xB3
#: the file name non-subunit bytes inside a v2 stream are reported under
_NON_SUBUNIT = "stdout"
_WORKER_TAG = re.compile(r"^worker-\d+$")
#: the most characters of a failure's reason kept (:attr:`TestRecord.reason`)
_REASON_CHARS = 300
_HINT = "re-record the run (e.g. `stestr last --subunit > FILE`) or leave this source out of --history"


def stream_kind(head: bytes) -> str:
    """Name the encoding a stream starts with: ``gzip``, ``v2`` or ``v1`` (``empty`` for no bytes).

    :param head: the first bytes of the stream (two are enough)
    """
    if not head:
        return "empty"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head[0] == V2_SIGNATURE:
        return "v2"
    return "v1"


def _epoch(stamp: datetime.datetime | None) -> float | None:
    """Epoch seconds of a stream timestamp (naive ones are taken as UTC)."""
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


def _worker(tags: frozenset[str]) -> str | None:
    """The ``worker-N`` tag among ``tags``; with several, the highest-numbered.

    testr adds ``worker-0`` to every event of a test_command it runs as its single worker, so a run
    through ``partitioner.run`` stores ``worker-1 worker-0``: the inner, real worker is the other tag.
    """
    workers = sorted((t for t in tags if _WORKER_TAG.match(t)), key=lambda t: (len(t), t))
    return workers[-1] if workers else None


class _StopParsing(Exception):
    """Raised out of the parser at the first damaged packet."""


class _Collector(testtools.StreamToDict):
    """Collect completed tests as :class:`TestRecord` and watch for parser trouble.

    :param position: returns how many input bytes have been consumed so far (for error offsets)
    :param clocked: whether timestamps can be trusted from the start (False for v1 until a ``time:`` line)
    """

    def __init__(self, position: Callable[[], int], clocked: bool = True) -> None:
        super().__init__(self._on_test)
        self.records: list[TestRecord] = []
        self.position = position
        self.clocked = clocked
        #: byte offset just after the last event that parsed cleanly
        self.good_offset = 0
        #: the first parse error python-subunit reported: (offset of its packet, message, tests before it)
        self.parse_error: tuple[int, str, int] | None = None
        #: set once the input is exhausted; a test completing after that was cut by end-of-stream (v1)
        self.at_eof = False
        self.cut_tests: list[str] = []
        self.non_subunit_bytes = 0

    def status(
        self,
        test_id: str | None = None,
        test_status: str | None = None,
        test_tags: set[str] | None = None,
        runnable: bool = True,
        file_name: str | None = None,
        file_bytes: bytes | None = None,
        eof: bool = False,
        mime_type: str | None = None,
        route_code: str | None = None,
        timestamp: datetime.datetime | None = None,
    ) -> None:
        if test_id == SUBUNIT_PARSER and file_name == "Parser Error":
            message = bytes(file_bytes or b"").decode("utf8", "replace")
            self.parse_error = (self.good_offset, message, len(self.records))
            raise _StopParsing  # the stream is rejected anyway: do not parse the rest
        if test_id == SUBUNIT_PARSER and file_name == "Packet data":
            return
        if test_id is None and file_name == _NON_SUBUNIT and file_bytes is not None:
            self.non_subunit_bytes += len(file_bytes)
        self.good_offset = self.position()
        if not self.clocked:
            timestamp = None
        super().status(
            test_id=test_id,
            test_status=test_status,
            test_tags=test_tags,
            runnable=runnable,
            file_name=file_name,
            file_bytes=file_bytes,
            eof=eof,
            mime_type=mime_type,
            route_code=route_code,
            timestamp=timestamp,
        )

    def _on_test(self, test: TestDict) -> None:
        if self.at_eof and test["status"] == FAIL:
            self.cut_tests.append(test["id"])
            return
        stamps = [*test["timestamps"], None, None]
        tags = frozenset(test["tags"] or ())
        self.records.append(
            TestRecord(
                test_id=test["id"],
                status=test["status"],
                start=_epoch(stamps[0]),
                stop=_epoch(stamps[1]),
                worker=_worker(tags),
                tags=tags,
                reason=_reason(test["details"]) if test["status"] in FAILING else "",
            )
        )


def _reason(details: Any) -> str:
    """A failure's :attr:`~partitioner.history.model.TestRecord.reason`: its :func:`~partitioner.statuses.reason_line`
    (``""`` when it has neither attachment)."""
    texts = {}
    for name in ("reason", "traceback"):
        content = details.get(name)
        if content is None:
            continue
        try:
            texts[name] = b"".join(content.iter_bytes()).decode("utf8", "replace")
        except Exception:  # an attachment python-subunit could not give back says nothing: no reason
            continue
    return reason_line(texts.get("reason", ""), texts.get("traceback", ""))[:_REASON_CHARS]


def _decompress(data: bytes, name: str) -> bytes:
    """Gunzip ``data`` (all members), or raise HistoryError naming ``name``."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise HistoryError(
            f"{name}: corrupt gzip data ({type(error).__name__}: {_one_line(str(error))}); {_HINT}"
        ) from None


def _one_line(text: str, limit: int = 160) -> str:
    """``text`` squashed to a single line of at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."


def _parse_v2(data: bytes, name: str, where: str) -> list[TestRecord]:
    source = io.BytesIO(data)
    collector = _Collector(source.tell)
    parser = subunit.ByteStreamToStreamResult(source, non_subunit_name=_NON_SUBUNIT)
    collector.startTestRun()
    try:
        parser.run(collector)
        collector.stopTestRun()
    except _StopParsing:
        pass
    except Exception as error:  # python-subunit raises assorted errors on garbage; all mean "corrupt"
        detail = f"{type(error).__name__}: {_one_line(str(error))}"
        collector.parse_error = collector.parse_error or (
            collector.good_offset,
            detail,
            len(collector.records),
        )
    if collector.parse_error is not None:
        offset, detail, count = collector.parse_error
        raise HistoryError(
            f"{name}: truncated or corrupt subunit v2 packet at byte {offset}{where} after "
            f"{count} tests ({_one_line(detail)}); {_HINT}"
        )
    if not collector.records:
        raise HistoryError(
            f"{name}: subunit v2 stream holds no test results ({len(data)} bytes{where}, "
            f"{collector.non_subunit_bytes} of them not subunit); pass a stream recorded from a test run"
        )
    return collector.records


def _parse_v1(data: bytes, name: str, where: str) -> list[TestRecord]:
    consumed = 0
    collector = _Collector(lambda: consumed, clocked=False)
    decorator = testtools.ExtendedToStreamDecorator(collector)
    passthrough = io.BytesIO()
    server = subunit.TestProtocolServer(decorator, stream=passthrough)
    decorator.startTestRun()
    line_no = 0
    try:
        for line_no, line in enumerate(io.BytesIO(data), start=1):  # noqa: B007 - used after the loop
            if line.startswith(b"time:"):
                collector.clocked = True
            server.lineReceived(line)
            consumed += len(line)
        collector.at_eof = True
        server.lostConnection()
        decorator.stopTestRun()
    except Exception as error:  # the v1 parser raises assorted errors on bad lines; all mean "corrupt"
        raise HistoryError(
            f"{name}: corrupt subunit v1 line {line_no} at byte {consumed}{where} after "
            f"{len(collector.records)} tests ({type(error).__name__}: {_one_line(str(error))}); {_HINT}"
        ) from None
    if collector.cut_tests:
        raise HistoryError(
            f"{name}: subunit v1 stream ends inside test {collector.cut_tests[0]!r} after "
            f"{len(collector.records)} complete tests (truncated at byte {len(data)}{where}); {_HINT}"
        )
    if not collector.records:
        raise HistoryError(
            f"{name}: not a subunit stream (first bytes {data[:16]!r}); pass a subunit v1/v2 file or a "
            f".stestr/.testrepository directory"
        )
    return collector.records


def read_stream(data: bytes | BinaryIO, name: str, order: int = 0) -> Run:
    """Parse one subunit stream into a :class:`Run`.

    :param data: the stream's bytes, or a binary file object to read to its end
    :param name: where the stream came from (a path, ``-`` for stdin); used as ``run_id`` and in errors
    :param order: the run's position among loaded runs (larger is newer)
    :returns: the run, records in completion order
    :raises HistoryError: for an empty, unreadable, corrupt or truncated stream (see the module docstring)
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        reader: Any = getattr(data, "buffer", data)  # a text stream (sys.stdin): read its binary buffer
        try:
            content = reader.read()
        except OSError as error:
            raise HistoryError(f"{name}: cannot read stream ({error}); check the file") from None
        data = content.encode("utf8", "surrogateescape") if isinstance(content, str) else content
    data = bytes(data)
    where = ""
    if stream_kind(data[:2]) == "gzip":
        data = _decompress(data, name)
        where = " of the decompressed stream"
    kind = stream_kind(data[:2])
    if kind == "empty":
        raise HistoryError(
            f"{name}: empty stream{where and ' (after gunzip)'}; pass a subunit stream recorded from a test "
            f"run, or a .stestr/.testrepository directory"
        )
    records = _parse_v2(data, name, where) if kind == "v2" else _parse_v1(data, name, where)
    return Run(run_id=name, records=tuple(records), order=order)


def read_stream_file(path: str | Path, order: int = 0) -> Run:
    """Read a subunit stream file (v1, v2 or gzip'd); ``run_id`` is ``path`` as given.

    :raises HistoryError: when the file is missing or unreadable, or its stream is (see :func:`read_stream`)
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"{name}: no such file; pass an existing subunit stream file") from None
    except IsADirectoryError:
        raise HistoryError(
            f"{name}: is a directory, not a subunit stream; pass a .stestr/.testrepository directory "
            f"as a repository (e.g. stestr:{name})"
        ) from None
    except OSError as error:
        raise HistoryError(f"{name}: cannot read ({error.strerror or error}); check permissions") from None
    return read_stream(data, name, order)
