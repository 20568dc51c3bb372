"""Tests for partitioner.dispatch.staticrelay: a static worker's stream reaches the tool whole, garbage or not."""

from __future__ import annotations

import io
import subprocess
import sys

import subunit
import testtools

from partitioner.dispatch.staticrelay import relay_stdout
from tests.dispatch.helpers import read_events

#: 0xB3 garbage on a worker's stdout (what a test printed), then more results
GARBAGE = b"caf\xb3 \xb3\x20\x00\x01 x\xe0\n"


def _stream(ids: list[str], garbage_after: int) -> bytes:
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for n, test_id in enumerate(ids):
        writer.status(test_id=test_id, test_status="inprogress", test_tags={"worker-0"})
        if n == garbage_after:
            out.write(GARBAGE)
        writer.status(test_id=test_id, test_status="success", test_tags={"worker-0"})
    return out.getvalue()


def _worker(data: bytes) -> subprocess.Popen[bytes]:
    """A process that writes ``data`` on its stdout and exits 3 (so the tool would add process-returncode)."""
    code = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()); sys.stdout.flush(); sys.exit(3)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.close()
    return proc


class TestRelayStdout(testtools.TestCase):
    IDS = [f"m.C.test_{n}" for n in range(5)]

    def test_garbage_loses_a_result_without_the_relay_and_none_with_it(self) -> None:
        data = _stream(self.IDS, garbage_after=1)
        raw = read_events(data).finals()
        self.assertLess(len([t for t in self.IDS if raw.get(t) == ["success"]]), len(self.IDS))  # the defect

        proc = _worker(data)
        thread = relay_stdout(proc, "worker-0")
        assert proc.stdout is not None and thread is not None
        relayed = proc.stdout.read()  # what the tool reads: the pipe closes when the worker's stdout did
        thread.join(10)
        self.assertEqual(3, proc.wait(10))
        events = read_events(relayed)
        self.assertEqual({t: ["success"] for t in self.IDS}, events.finals())
        self.assertIn(b"caf", b"".join(e.file_bytes for e in events.events))  # the bytes are still shown

    def test_a_clean_stream_passes_through_with_its_events_unchanged(self) -> None:
        data = _stream(self.IDS, garbage_after=-1)
        proc = _worker(data)
        relay_stdout(proc)
        assert proc.stdout is not None
        relayed = proc.stdout.read()
        proc.wait(10)
        self.assertEqual([(e.test_id, e.status, e.tags) for e in read_events(data).events],
                         [(e.test_id, e.status, e.tags) for e in read_events(relayed).events])

    def test_no_stdout_pipe_is_left_alone(self) -> None:
        proc = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.DEVNULL)
        self.assertIsNone(relay_stdout(proc))
        proc.wait(10)
