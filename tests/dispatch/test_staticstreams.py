"""Tests for partitioner.dispatch.staticstreams: the tool reads a static worker's stream whole, garbage or not,
parsed once by our reader; every other stream is python-subunit's as before."""

from __future__ import annotations

import io
import subprocess
import sys

import subunit
import testtools
from testrepository.commands.run import ReturnCodeToSubunit

from partitioner.dispatch.staticstreams import WorkerStreams
from partitioner.dispatch.tools import Session
from tests.dispatch.helpers import Events, read_events

#: 0xB3 garbage on a worker's stdout (what a test printed), then more results
GARBAGE = b"caf\xb3 \xb3\x20\x00\x01 x\xe0\n"
IDS = [f"m.C.test_{n}" for n in range(5)]


def _stream(ids: list[str], garbage_after: int) -> bytes:
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for n, test_id in enumerate(ids):
        writer.status(test_id=test_id, test_status="inprogress", test_tags={"worker-0"})
        if n == garbage_after:
            out.write(GARBAGE)
        writer.status(test_id=test_id, test_status="success", test_tags={"worker-0"})
    return out.getvalue()


def _worker(data: bytes, code: int = 3) -> subprocess.Popen[bytes]:
    """A process that writes ``data`` on its stdout and exits ``code``."""
    script = f"import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()); sys.stdout.flush(); sys.exit({code})"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.close()
    return proc


def _load_as_stestr(parser: type, proc: subprocess.Popen[bytes]) -> Events:
    """What stestr's load does with a worker: the raw file detached from ``proc.stdout``, parsed."""
    assert proc.stdout is not None
    events = Events()
    parser(proc.stdout.detach(), non_subunit_name="stdout").run(events)
    proc.wait(10)
    return events


class TestWorkerStreams(testtools.TestCase):
    def test_garbage_loses_a_result_without_our_reader_and_none_with_it(self) -> None:
        data = _stream(IDS, garbage_after=1)
        raw = read_events(data).finals()
        self.assertLess(len([t for t in IDS if raw.get(t) == ["success"]]), len(IDS))  # the defect

        streams = WorkerStreams()
        proc = _worker(data)
        self.assertTrue(streams.add(proc))
        events = _load_as_stestr(streams.parser, proc)
        self.assertEqual({t: ["success"] for t in IDS}, events.finals())
        self.assertIn(b"caf", b"".join(e.file_bytes for e in events.events))  # the bytes are still shown

    def test_testr_s_return_code_failure_still_follows_the_stream(self) -> None:
        streams = WorkerStreams()
        proc = _worker(_stream(IDS, garbage_after=2), code=3)
        streams.add(proc)
        events = Events()
        streams.parser(ReturnCodeToSubunit(proc), non_subunit_name="stdout").run(events)
        self.assertEqual({**{t: ["success"] for t in IDS}, "process-returncode": ["fail"]}, events.finals())
        self.assertEqual("returncode 3", events.attachment("process-returncode", "traceback"))

    def test_a_clean_stream_reads_as_python_subunit_reads_it(self) -> None:
        data = _stream(IDS, garbage_after=-1)
        streams = WorkerStreams()
        proc = _worker(data, code=0)
        streams.add(proc)
        ours = _load_as_stestr(streams.parser, proc)
        self.assertEqual([(e.test_id, e.status, e.tags) for e in read_events(data).events],
                         [(e.test_id, e.status, e.tags) for e in ours.events])

    def test_other_streams_and_other_workers_are_python_subunit_s(self) -> None:
        data = _stream(IDS, garbage_after=1)
        streams = WorkerStreams()
        proc = _worker(data)  # started, but not one of ours
        events = _load_as_stestr(streams.parser, proc)
        self.assertEqual(read_events(data).finals(), events.finals())
        self.assertIsNone(streams.claim(io.BytesIO(data)))

    def test_a_stream_is_claimed_once(self) -> None:
        streams = WorkerStreams()
        proc = _worker(b"", code=0)
        streams.add(proc)
        assert proc.stdout is not None
        self.assertIsNotNone(streams.claim(proc.stdout.raw))
        self.assertIsNone(streams.claim(proc.stdout.raw))
        self.assertIsNone(streams.claim(proc.stdout))
        proc.wait(10)

    def test_no_stdout_pipe_is_left_alone(self) -> None:
        proc = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.DEVNULL)
        self.assertFalse(WorkerStreams().add(proc))
        proc.wait(10)


class TestSessionPatch(testtools.TestCase):
    def test_the_parser_is_patched_in_while_the_session_is_installed(self) -> None:
        original = subunit.ByteStreamToStreamResult
        session = Session(quiet=True, stderr=io.StringIO())
        streams = session._static_streams()
        try:
            self.assertIs(streams.parser, subunit.ByteStreamToStreamResult)
            self.assertIs(streams, session._static_streams())  # patched once
        finally:
            session.uninstall()
        self.assertIs(original, subunit.ByteStreamToStreamResult)
