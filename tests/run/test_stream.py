"""Tests for partitioner.run.stream: reading a worker's stream through garbage, and noticing a closed reader."""

from __future__ import annotations

import io
import os
from typing import Any

import subunit
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner.run.stream import MergedOutput, read_worker_stream


def packets(*events: tuple[str, str]) -> list[bytes]:
    """One subunit v2 packet per ``(test_id, status)``, written by python-subunit."""
    out = []
    for test_id, status in events:
        buf = io.BytesIO()
        subunit.StreamResultToBytes(buf).status(test_id=test_id, test_status=status)
        out.append(buf.getvalue())
    return out


def parse(data: bytes, fixed: bool = True) -> tuple[list[tuple[str, str]], bytes, list[Any]]:
    """``((id, status) events, the non-subunit bytes in order, every event)`` of ``data``."""
    recorder = RecordingStreamResult()
    if fixed:
        read_worker_stream(io.BytesIO(data), recorder)
    else:
        subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(recorder)
    events = [e for e in recorder._events if e[0] == "status"]
    tests = [(e[1], e[2]) for e in events if e[1] is not None and e[2] is not None]
    text = b"".join(bytes(e[6]) for e in events if e[1] is None and e[5] == "stdout")
    return tests, text, events


TESTS = [("a.A.t1", "inprogress"), ("a.A.t1", "success"), ("a.A.t2", "inprogress"), ("a.A.t2", "fail"),
         ("a.B.t1", "inprogress"), ("a.B.t1", "success")]


class TestReadWorkerStream(testtools.TestCase):
    def test_garbage_with_0xb3_before_a_packet_loses_nothing(self) -> None:
        # a test printing '³' in Latin-1 (0xB3) just before the next packet: python-subunit alone reads the
        # real packet's first bytes as the damaged packet's header and loses that test's result
        chunks = packets(*TESTS)
        data = chunks[0] + chunks[1] + b"temperature 20\xb3" + b"".join(chunks[2:])
        lost, _, raw = parse(data, fixed=False)
        self.assertIn("subunit.parser", {e[1] for e in raw}, "the unfixed parser is thrown out of sync")
        self.assertNotEqual(TESTS, lost)
        tests, text, events = parse(data)
        self.assertEqual(TESTS, tests)
        self.assertEqual(b"temperature 20\xb3", text)
        self.assertNotIn("subunit.parser", {e[1] for e in events})

    def test_a_claimed_length_that_swallows_the_rest_is_read_again(self) -> None:
        chunks = packets(*TESTS)
        data = chunks[0] + b"\xb3\x20\x00\x3f\xff\xff" + b"".join(chunks[1:])
        tests, text, _ = parse(data)
        self.assertEqual(TESTS, tests)
        self.assertEqual(b"\xb3\x20\x00\x3f\xff\xff", text)

    def test_a_utf8_lead_byte_right_before_a_packet_does_not_hide_it(self) -> None:
        chunks = packets(*TESTS)
        data = b"".join(chunks[:5]) + b"\xe0" + chunks[5]
        self.assertNotEqual(TESTS, parse(data, fixed=False)[0], "python-subunit alone takes the packet for text")
        self.assertEqual((TESTS, b"\xe0"), parse(data)[:2])

    def test_utf8_text_and_a_clean_stream_pass_unchanged(self) -> None:
        chunks = packets(*TESTS)
        data = b"caf\xc3\xa9 \xc2\xb3\n" + b"".join(chunks)
        self.assertEqual((TESTS, b"caf\xc3\xa9 \xc2\xb3\n"), parse(data)[:2])
        self.assertEqual(parse(b"".join(chunks), fixed=False)[2], parse(b"".join(chunks))[2])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.binary(max_size=12), min_size=len(TESTS) + 1, max_size=len(TESTS) + 1))
    def test_any_garbage_between_packets_keeps_every_test(self, garbage: list[bytes]) -> None:
        chunks = packets(*TESTS)
        data = b"".join(g + c for g, c in zip(garbage, [*chunks, b""], strict=True))
        tests, text, events = parse(data)
        self.assertEqual(TESTS, tests)
        self.assertEqual(b"".join(garbage), text)
        self.assertNotIn("subunit.parser", {e[1] for e in events})


class TestReaderGone(testtools.TestCase):
    def test_a_pipe_whose_reader_closed_is_noticed_without_writing(self) -> None:
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, write_end)
        output = MergedOutput(os.fdopen(os.dup(write_end), "wb"))
        self.assertFalse(output.reader_gone())
        os.close(read_end)
        self.assertTrue(output.reader_gone())
        self.assertFalse(MergedOutput(io.BytesIO()).reader_gone())

