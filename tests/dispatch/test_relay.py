"""Tests for partitioner.dispatch.relay: a worker's packets passed on as read give the tool the same events as
encoding each event again, with the same accounting, the dispatcher told before each event is written."""

from __future__ import annotations

import datetime
import io
import os
import threading
import time
from typing import Any

import subunit
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner.dispatch.host import _Tagged
from partitioner.dispatch.relay import Relay
from partitioner.run.stream import MergedOutput, WorkerStream, read_worker_stream

_UTC = datetime.timezone.utc


def packet(**event: Any) -> bytes:
    """One event as python-subunit writes it."""
    buf = io.BytesIO()
    subunit.StreamResultToBytes(buf).status(**event)
    return buf.getvalue()


def stamp(n: int) -> datetime.datetime:
    return datetime.datetime(2026, 12, 2, 15, 0, n % 60, 1000 * n + 7, tzinfo=_UTC)


#: a worker's stream: tags, route codes, timestamps, attachments in parts, not runnable, scenarios, and text
#: that is not subunit (plain, UTF-8, a stray 0xB3, a UTF-8 lead byte right before a packet)
PIECES: list[bytes] = [
    packet(test_id="m.A.test_1", test_status="inprogress", timestamp=stamp(1)),
    b"plain text on stdout\n",
    packet(test_id="m.A.test_1", file_name="stdout", file_bytes=b"part one ", mime_type="text/plain;charset=utf8",
           timestamp=stamp(2)),
    packet(test_id="m.A.test_1", file_name="stdout", file_bytes=b"part two", eof=True, timestamp=stamp(3)),
    packet(test_id="m.A.test_1", test_status="success", test_tags={"worker-0", "smoke"}, timestamp=stamp(4)),
    "caf\u00e9 \u2603\n".encode(),
    packet(test_id="m.A.test_2", test_status="inprogress", route_code="0", timestamp=stamp(5)),
    b"20\xb3C ",
    packet(test_id="m.A.test_2", test_status="fail", route_code="0", file_name="traceback",
           file_bytes=b"Traceback: boom", mime_type="text/x-traceback;charset=utf8", eof=True, timestamp=stamp(6)),
    packet(test_id="m.A.test_3(scenario one)", test_status="inprogress", timestamp=stamp(7)),
    b"\xc3",
    packet(test_id="m.A.test_3(scenario one)", test_status="skip", file_name="reason", file_bytes=b"no disk",
           eof=True, timestamp=stamp(8)),
    packet(test_id="m.A.test_4", test_status="exists", runnable=False),
    packet(file_name="stderr", file_bytes=b"\x00\x01binary\xff", eof=True),
    packet(test_id="m.A.test_5", test_status="inprogress", test_tags={"a", "b"}, route_code="1/2"),
    packet(test_id="m.A.test_5", test_status="uxsuccess", test_tags={"a"}, route_code="1/2", timestamp=stamp(9)),
]


class _Encode(testtools.StreamResult):
    """The relay as it was: every event goes to :meth:`Relay.status` and is encoded again."""

    def __init__(self, relay: Relay) -> None:
        super().__init__()
        self.relay = relay

    def status(self, **event: Any) -> None:
        self.relay.status(**event)


def decoded(data: bytes) -> list[Any]:
    """Every event of a stream, every field (non-subunit bytes as ``stdout`` events)."""
    recorder = RecordingStreamResult()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(recorder)
    return [e for e in recorder._events if e[0] == "status"]


def relayed(data: bytes, *, encode: bool) -> tuple[bytes, Relay, list[tuple[str, str, bytes]]]:
    """``data`` through a lane's relay: ``(the lane's output, the relay, (id, status, output so far) at each
    call of its ``before``)``."""
    out = io.BytesIO()
    relay = Relay(MergedOutput(out))
    told: list[tuple[str, str, bytes]] = []
    relay.before = lambda test_id, status: told.append((test_id, status, out.getvalue()))
    read_worker_stream(io.BytesIO(data), _Encode(relay) if encode else relay)
    return out.getvalue(), relay, told


class TestPacketsAsRead(testtools.TestCase):
    def test_the_output_holds_the_same_events_as_encoding_them_again(self) -> None:
        data = b"".join(PIECES)
        old, old_relay, old_told = relayed(data, encode=True)
        new, new_relay, new_told = relayed(data, encode=False)
        self.assertEqual(decoded(old), decoded(new))
        self.assertEqual(old_relay.last, new_relay.last)
        self.assertEqual((old_relay.failed, old_relay.scenarios), (new_relay.failed, new_relay.scenarios))
        self.assertEqual([t[:2] for t in old_told], [t[:2] for t in new_told])
        # every packet the worker wrote is there, as it wrote it (the text aside: it became stdout events)
        packets = [e for e in decoded(new) if e[1] is not None or e[5] != "stdout"]
        self.assertEqual([e for p in PIECES if p[:1] == b"\xb3" for e in decoded(p)], packets)
        text = b"".join(bytes(e[6]) for e in decoded(new) if e[1] is None and e[5] == "stdout")
        self.assertEqual(b"plain text on stdout\n" + "caf\u00e9 \u2603\n".encode() + b"20\xb3C \xc3", text)
        self.assertEqual({"m.A.test_3"}, new_relay.scenarios)
        self.assertTrue(new_relay.failed)

    def test_sound_packets_are_passed_on_byte_for_byte(self) -> None:
        data = b"".join(PIECES)
        new, _, _ = relayed(data, encode=False)
        sound = [p for p in PIECES if p[:1] == b"\xb3"]
        at = 0
        for piece in sound:  # each packet appears, as written, in order
            found = new.find(piece, at)
            self.assertNotEqual(-1, found, f"packet {piece!r} not passed on as read")
            at = found + len(piece)
        # the text is not: it becomes stdout packets, as the tool would have made it
        self.assertNotIn(b"plain text on stdout\n" + PIECES[2], new)

    def test_the_dispatcher_is_told_before_the_event_is_written(self) -> None:
        data = b"".join(PIECES)
        new, _, told = relayed(data, encode=False)
        self.assertEqual(["inprogress", "success", "inprogress", "fail", "inprogress", "skip", "inprogress",
                          "uxsuccess"], [status for _, status, _ in told])
        for test_id, status, written in told:
            seen = [(e[1], e[2]) for e in decoded(written)]
            self.assertNotIn((test_id, status), seen, "written before the dispatcher was told")
            self.assertIn((test_id, status), [(e[1], e[2]) for e in decoded(new)])

    def test_a_damaged_packet_still_loses_nothing(self) -> None:
        # a 0xB3 whose claimed length swallows the next packets: they are read again, and passed on
        first = packet(test_id="m.B.test_1", test_status="inprogress")
        second = packet(test_id="m.B.test_1", test_status="success")
        data = b"x\xb3\x20\x00\x7f" + first + second
        old, _, _ = relayed(data, encode=True)
        new, relay, _ = relayed(data, encode=False)
        self.assertEqual(decoded(old), decoded(new))
        self.assertEqual("success", relay.last["m.B.test_1"])
        self.assertNotIn("subunit.parser", {e[1] for e in decoded(new)})

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(range(len(PIECES))),
                              st.binary(max_size=6) | st.sampled_from([b"\xb3", b"\xc3", b"\xe2\x98", b""])),
                    max_size=14))
    def test_any_mix_of_packets_and_garbage_gives_the_same_events(self, parts: list[tuple[int, bytes]]) -> None:
        data = b"".join(PIECES[i] + garbage for i, garbage in parts)
        old, old_relay, _ = relayed(data, encode=True)
        new, new_relay, _ = relayed(data, encode=False)
        self.assertEqual(decoded(old), decoded(new))
        self.assertEqual(old_relay.last, new_relay.last)


class TestHeldPackets(testtools.TestCase):
    def test_a_finished_test_is_written_before_the_relay_waits_for_its_worker(self) -> None:
        # packets read together go out together, but never wait for the worker's next bytes: a lane killed
        # while its worker runs the next test has written every result it told the dispatcher of
        read_end, write_end = os.pipe()
        out = io.BytesIO()
        relay = Relay(MergedOutput(out))
        told: list[str] = []
        relay.before = lambda test_id, status: told.append(status)
        reader = threading.Thread(target=read_worker_stream, args=(os.fdopen(read_end, "rb"), relay))
        reader.start()
        worker = os.fdopen(write_end, "wb")
        try:
            for n, (start, end) in enumerate([(PIECES[0], PIECES[4]), (PIECES[6], PIECES[8])]):
                worker.write(start + end)
                worker.flush()
                deadline = time.monotonic() + 10
                while len(decoded(out.getvalue())) < 2 * (n + 1) and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertEqual(2 * (n + 1), len(decoded(out.getvalue())), "held while the worker is quiet")
                self.assertEqual(2 * (n + 1), len(told))
        finally:
            worker.close()
            reader.join(10)
        self.assertEqual(PIECES[0] + PIECES[4] + PIECES[6] + PIECES[8], out.getvalue())

    def test_held_packets_are_untold_until_written_and_go_before_a_failure(self) -> None:
        out = io.BytesIO()
        relay = Relay(MergedOutput(out))
        told: list[tuple[str, str]] = []
        relay.before = lambda test_id, status: told.append((test_id, status))
        relay.packet(PIECES[0], {"test_id": "m.A.test_1", "test_status": "inprogress"})
        self.assertEqual(([], b"", {}), (told, out.getvalue(), relay.last))
        relay.fail("m.Z.test_9", "the test process was killed")
        self.assertEqual([("m.A.test_1", "inprogress"), ("m.Z.test_9", "fail")], told)
        self.assertEqual([("m.A.test_1", "inprogress"), ("m.Z.test_9", "inprogress"), ("m.Z.test_9", "fail")],
                         [(e[1], e[2]) for e in decoded(out.getvalue())])
        self.assertTrue(out.getvalue().startswith(PIECES[0]))

    def test_a_batch_of_packets_is_told_in_one_call_before_it_is_written(self) -> None:
        out = io.BytesIO()
        relay = Relay(MergedOutput(out))
        single: list[tuple[str, str]] = []
        batches: list[tuple[list[tuple[str, str]], bytes]] = []
        relay.before = lambda test_id, status: single.append((test_id, status))
        relay.before_batch = lambda told: batches.append((list(told), out.getvalue()))
        relay.packet(PIECES[0], {"test_id": "m.A.test_1", "test_status": "inprogress"})
        relay.packet(PIECES[0], {"test_id": "m.A.test_1", "test_status": "success"})
        relay.packet(PIECES[0], {"test_id": None, "test_status": None})  # a file attachment: nothing to tell
        relay.idle()
        self.assertEqual([([("m.A.test_1", "inprogress"), ("m.A.test_1", "success")], b"")], batches)
        self.assertEqual([], single)  # not told twice
        self.assertEqual(PIECES[0] * 3, out.getvalue())
        relay.fail("m.Z.test_9", "the test process was killed")  # not a packet: told on its own, as before
        self.assertEqual([("m.Z.test_9", "fail")], single)


class TestSinks(testtools.TestCase):
    def test_a_lane_inside_the_runner_still_tags_and_routes_each_event(self) -> None:
        out = io.BytesIO()
        merged = MergedOutput(out)
        relay = Relay(_Tagged(WorkerStream(1, merged), merged))
        read_worker_stream(io.BytesIO(b"".join(PIECES)), relay)
        events = [e for e in decoded(out.getvalue()) if e[1] is not None]
        self.assertTrue(events)
        for event in events:
            self.assertIn("worker-1", event[3])
            self.assertTrue(event[9] == "1" or event[9].startswith("1/"), event[9])
        self.assertNotIn("worker-0", set().union(*(e[3] for e in events)))

    def test_a_packet_to_a_closed_reader_marks_the_output_broken(self) -> None:
        stream = io.BytesIO()
        output = MergedOutput(stream)
        stream.close()
        output.packets(PIECES[0], [{"test_id": "m.A.test_1", "test_status": "inprogress"}])
        self.assertTrue(output.broken)

    def test_the_observer_sees_a_packet_as_its_event(self) -> None:
        recorder = RecordingStreamResult()
        out = io.BytesIO()
        output = MergedOutput(out, observer=recorder)
        output.packets(PIECES[0] + PIECES[4], [{"test_id": "m.A.test_1", "test_status": "inprogress"},
                                               {"test_id": "m.A.test_1", "test_status": "success"}])
        self.assertEqual(PIECES[0] + PIECES[4], out.getvalue())
        self.assertEqual([("m.A.test_1", "inprogress"), ("m.A.test_1", "success")],
                         [(e[1], e[2]) for e in recorder._events])
