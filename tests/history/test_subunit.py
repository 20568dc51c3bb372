"""Tests for partitioner.history.subunit: v1/v2 equivalence, damaged input, never a traceback (the real
stored streams of ../shared are read in tests/e2e/test_real_streams.py)."""

from __future__ import annotations

import functools
import gzip
import io
from pathlib import Path

import fixtures
import testtools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partitioner.errors import HistoryError
from partitioner.history.model import Run
from partitioner.history.subunit import read_stream, read_stream_file, stream_kind
from tests.suites import RAW, subunit_v2, to_v1

#: raw stored stream -> (normalized CSV of the same run, encoding of the raw file)
REAL_STREAMS = {
    "grmrgecko__cloudbase-init__stestr_11": ("cloudbase_init_unit_stestr", "v1"),
    "hoangphuocbk__tacker__stestr_11": ("tacker_unit_stestr", "v1"),
    "merryldmello__poppy__stestr_2": ("poppy_unit_stestr", "v1"),
    "nikesh-biarca__log-test__testrepository.subunit.gz": ("tempest_cinder_3rdparty_ci_2016", "gzip"),
    "openstack-archive__bandit__testrepository_5": ("bandit_testr", "v1"),
    "openstack-archive__dragonflow__testrepository_0": ("dragonflow_fullstack_2016", "v1"),
    "vm6502q__qiskit-qrack-provider__stestr_0": ("qiskit_qrack_provider_stestr_2020", "v1"),
}
TEMPEST_GZ = "nikesh-biarca__log-test__testrepository.subunit.gz"
BANDIT = "openstack-archive__bandit__testrepository_5"

SAMPLE = [
    ("pkg.mod.ClassA.test_one[id-1,smoke]", "success", 1_600_000_000.25, 1_600_000_001.5, "worker-0"),
    ("pkg.mod.ClassA.test_two", "fail", 1_600_000_001.5, 1_600_000_002.0, "worker-0"),
    ("pkg.mod.ClassB.test_three(scenario one)", "skip", 1_600_000_000.5, 1_600_000_000.75, "worker-1"),
    ("pkg.mod.ClassB.test_four", "xfail", 1_600_000_000.75, 1_600_000_003.0, "worker-1"),
    ("pkg.mod.ClassB.test_five", "uxsuccess", 1_600_000_003.0, 1_600_000_003.125, "worker-1"),
    ("devstack", "success", 1_599_999_000.0, 1_600_000_000.0, None),
]

HYPOTHESIS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


class TestV1AndV2(testtools.TestCase):
    """The same events read as v2, as v1 made by the real subunit-2to1, and gzip'd give the same records."""

    def test_synthetic_v2_to_v1(self) -> None:
        v2 = subunit_v2(SAMPLE)
        self.assertEqual("v2", stream_kind(v2[:2]))
        from_v2 = read_stream(v2, "s.v2")
        expected = [(i, s, a, b, w) for i, s, a, b, w in SAMPLE]
        self.assertEqual(expected, [(r.test_id, r.status, r.start, r.stop, r.worker) for r in from_v2.records])
        from_v1 = read_stream(to_v1(v2), "s.v1")
        self.assertEqual(from_v2.records, from_v1.records)
        self.assertEqual(from_v2.records, read_stream(gzip.compress(v2), "s.v2.gz").records)

    def test_v1_without_time_lines_has_no_timestamps(self) -> None:
        run = read_stream(b"tags: worker-3\ntest: a.B.c\nsuccess: a.B.c\ntest: a.B.d\nskip: a.B.d\n", "t")
        self.assertEqual(["success", "skip"], [r.status for r in run.records])
        self.assertEqual([None, None], [r.start for r in run.records])
        self.assertEqual([None, None], [r.duration for r in run.records])
        self.assertEqual("worker-3", run.records[0].worker)

    def test_v1_text_around_protocol_lines_is_ignored(self) -> None:
        run = read_stream(b"Running tests\ntest: a.B.c\nsome output\nsuccess: a.B.c\nbye\n", "t")
        self.assertEqual(["a.B.c"], [r.test_id for r in run.records])

    def test_v2_without_timestamps(self) -> None:
        run = read_stream(subunit_v2([("a.B.c", "success", None, None, None)]), "t")
        self.assertEqual((None, None), (run.records[0].start, run.records[0].stop))

    def test_v2_hung_test_at_clean_end_is_inprogress(self) -> None:
        v2 = subunit_v2(SAMPLE[:1])
        import subunit

        out = io.BytesIO()
        subunit.StreamResultToBytes(out).status(test_id="a.B.hung", test_status="inprogress")
        run = read_stream(v2 + out.getvalue(), "t")
        self.assertEqual(["success", "inprogress"], [r.status for r in run.records])
        self.assertIsNone(run.records[1].stop)


class TestReasons(testtools.TestCase):
    """A failure keeps why in one line (what tells a test an interruption cut short from a real failure)."""

    def test_a_failures_reason_is_read_from_v2_and_v1_alike(self) -> None:
        import subunit

        out = io.BytesIO()
        writer = subunit.StreamResultToBytes(out)
        traceback = "Traceback (most recent call last):\n  File \"x.py\", line 3, in test\n    time.sleep(9)\n" \
                    "KeyboardInterrupt\n"
        why = "interrupted: lane 0 received SIGTERM, and its test process was killed by SIGTERM (signal 15) before " \
              "this test reported a result\nsecond line"
        for test_id, status, name, text in (("a.B.cut", "fail", "reason", why), ("a.B.int", "fail", "traceback",
                                                                               traceback),
                                            ("a.B.ok", "success", "reason", "not kept for a pass"),
                                            ("a.B.bare", "fail", None, "")):
            writer.status(test_id=test_id, test_status="inprogress", test_tags={"worker-0"})
            if name is not None:
                writer.status(test_id=test_id, file_name=name, file_bytes=text.encode(), eof=True,
                              mime_type="text/plain;charset=utf8", test_tags={"worker-0"})
            writer.status(test_id=test_id, test_status=status, test_tags={"worker-0"})
        v2 = out.getvalue()
        expected = [why.splitlines()[0], "KeyboardInterrupt", "", ""]
        self.assertEqual(expected, [r.reason for r in read_stream(v2, "t").records])
        self.assertEqual(expected, [r.reason for r in read_stream(to_v1(v2), "t").records])  # as stestr stores it


class TestDamagedInput(testtools.TestCase):
    """Empty, garbage, truncated and corrupt input: one-line HistoryError naming the stream."""

    def assertHistoryError(self, data: bytes, name: str, *fragments: str) -> str:
        error = self.assertRaises(HistoryError, read_stream, data, name)
        message = str(error)
        self.assertNotIn("\n", message)
        self.assertTrue(message.startswith(f"{name}: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_empty(self) -> None:
        self.assertHistoryError(b"", "/x/.stestr/3", "empty stream")

    def test_empty_gzip(self) -> None:
        self.assertHistoryError(gzip.compress(b""), "e.gz", "empty stream")

    def test_garbage_text(self) -> None:
        message = self.assertHistoryError(b"hello world\nno tests here\n", "/x/.stestr/3", "not a subunit stream")
        self.assertIn("b'hello world", message)
        self.assertIn(".stestr/.testrepository directory", message)

    def test_truncated_v2(self) -> None:
        v2 = subunit_v2(SAMPLE)
        self.assertHistoryError(v2[: len(v2) - 5], "cut.v2", "truncated or corrupt subunit v2 packet", "5 tests")

    def test_corrupt_v2_checksum(self) -> None:
        v2 = bytearray(subunit_v2(SAMPLE))
        v2[20] ^= 0xFF
        self.assertHistoryError(bytes(v2), "flip.v2", "corrupt subunit v2 packet at byte 0", "0 tests")

    def test_v2_signature_then_garbage(self) -> None:
        self.assertHistoryError(b"\xb3 garbage", "g", "subunit v2")

    def test_v2_holding_no_tests(self) -> None:
        import subunit

        out = io.BytesIO()
        subunit.StreamResultToBytes(out).status(file_name="log", file_bytes=b"x", eof=True)
        self.assertHistoryError(out.getvalue(), "n.v2", "holds no test results")

    def test_truncated_v1_inside_a_test(self) -> None:
        data = b"time: 2020-01-01 00:00:00Z\ntest: a.B.c\nsuccess: a.B.c\ntest: a.B.d\n"
        self.assertHistoryError(data, "cut.v1", "ends inside test 'a.B.d'", "truncated")

    def test_truncated_gzip(self) -> None:
        data = gzip.compress(subunit_v2(SAMPLE) * 20)
        self.assertHistoryError(data[: len(data) // 2], "t.gz", "corrupt gzip data")

    def test_truncated_inside_gzip(self) -> None:
        v2 = subunit_v2(SAMPLE)
        message = self.assertHistoryError(gzip.compress(v2[:-3]), "t.gz", "corrupt subunit v2 packet")
        self.assertIn("decompressed stream", message)

    def test_bad_time_line_in_v1(self) -> None:
        self.assertHistoryError(b"time: not-a-date\ntest: a\nsuccess: a\n", "bad.v1", "corrupt subunit v1 line 1")

    def test_missing_file(self) -> None:
        error = self.assertRaises(HistoryError, read_stream_file, "/nonexistent/stream.subunit")
        self.assertIn("/nonexistent/stream.subunit: no such file", str(error))

    def test_directory(self) -> None:
        tmp = self.useFixture(fixtures.TempDir()).path
        error = self.assertRaises(HistoryError, read_stream_file, tmp)
        self.assertIn("is a directory", str(error))

    def test_file_names_itself(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path) / "junk.bin"
        tmp.write_bytes(b"\x00\x01garbage")
        error = self.assertRaises(HistoryError, read_stream_file, tmp)
        self.assertTrue(str(error).startswith(f"{tmp}: "), str(error))


def _outcome(data: bytes) -> Run | HistoryError:
    """What read_stream gives for ``data``: a Run or a HistoryError; anything else propagates (a bug)."""
    try:
        return read_stream(data, "fuzz")
    except HistoryError as error:
        message = str(error)
        assert "\n" not in message, message
        assert message.startswith("fuzz: "), message
        return error


class TestNeverATraceback(testtools.TestCase):
    """Whatever the bytes, only a Run or a HistoryError comes out."""

    @HYPOTHESIS
    @given(st.binary(max_size=512))
    def test_random_bytes(self, data: bytes) -> None:
        _outcome(data)

    @HYPOTHESIS
    @given(st.binary(max_size=256))
    def test_random_bytes_after_v2_signature(self, data: bytes) -> None:
        _outcome(b"\xb3" + data)

    @HYPOTHESIS
    @given(st.binary(max_size=256))
    def test_random_bytes_after_gzip_magic(self, data: bytes) -> None:
        _outcome(b"\x1f\x8b" + data)

    @HYPOTHESIS
    @given(st.data())
    def test_truncated_real_v2(self, data: st.DataObject) -> None:
        stream = _real_v2()
        cut = data.draw(st.integers(min_value=0, max_value=len(stream)))
        outcome = _outcome(stream[:cut])
        if isinstance(outcome, Run):  # only cuts at packet boundaries may parse
            self.assertLessEqual(len(outcome.records), len(read_stream(stream, "whole").records))

    @HYPOTHESIS
    @given(st.data())
    def test_corrupted_real_v2(self, data: st.DataObject) -> None:
        stream = bytearray(_real_v2())
        for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
            index = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
            stream[index] = data.draw(st.integers(min_value=0, max_value=255))
        _outcome(bytes(stream))

    @HYPOTHESIS
    @given(st.data())
    def test_truncated_and_corrupted_real_v1(self, data: st.DataObject) -> None:
        stream = bytearray(_real_v1())
        cut = data.draw(st.integers(min_value=0, max_value=len(stream)))
        del stream[cut:]
        if stream and data.draw(st.booleans()):
            index = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
            stream[index] = data.draw(st.integers(min_value=0, max_value=255))
        _outcome(bytes(stream))


def _prefix_at_boundary(data: bytes, size: int) -> bytes:
    """The first whole packets/lines of a real stream, about ``size`` bytes (keeps fuzzing fast)."""
    if not data:
        return b""
    if data[0] == 0xB3:
        run = io.BytesIO(data)
        import subunit

        # walk packets with python-subunit itself: stop at the first event past ``size``
        class _Stop(Exception):
            pass

        class _Cut(testtools.StreamResult):
            def status(self, *args: object, **kwargs: object) -> None:
                if run.tell() > size:
                    raise _Stop

        last = 0
        try:
            subunit.ByteStreamToStreamResult(run).run(_Cut())
        except _Stop:
            last = run.tell()
        return data[: last or len(data)]
    end = data.rfind(b"\ntags: -", 0, size)
    return data[: data.index(b"\n", end + 1) + 1] if end > 0 else data


def _load_prefix(name: str, size: int) -> bytes:
    path = RAW / name
    if not path.exists():
        return b""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return _prefix_at_boundary(data, size)


@functools.cache
def _real_v2() -> bytes:
    """Whole packets from the start of the real tempest v2 stream (a synthetic one without the data set)."""
    return _load_prefix(TEMPEST_GZ, 6000) or subunit_v2(SAMPLE)


@functools.cache
def _real_v1() -> bytes:
    """Whole tests from the start of the real bandit v1 stream (a synthetic one without the data set)."""
    return _load_prefix(BANDIT, 3000) or b"test: a.B.c\nsuccess: a.B.c\n"


class TestNestedWorkerTags(testtools.TestCase):
    def test_the_inner_worker_tag_wins(self) -> None:
        """testr adds worker-0 to everything our runner (its single worker) reports: keep the real tag."""
        import datetime

        import subunit

        out = io.BytesIO()
        writer = subunit.StreamResultToBytes(out)
        when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        for status in ("inprogress", "success"):
            writer.status(test_id="m.A.t", test_status=status, test_tags={"worker-1", "worker-0"}, timestamp=when)
        run = read_stream(out.getvalue(), "nested")
        self.assertEqual("worker-1", run.records[0].worker)
