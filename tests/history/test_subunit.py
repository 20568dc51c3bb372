"""Tests for partitioner.history.subunit: real stored streams, v1/v2 equivalence, damaged input."""

from __future__ import annotations

import csv
import functools
import gzip
import io
import subprocess
from collections import Counter
from pathlib import Path

import fixtures
import testtools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partitioner.errors import HistoryError
from partitioner.history.model import Run
from partitioner.history.subunit import read_stream, read_stream_file, stream_kind
from tests.suites import DATA, RAW, subunit_v2, tool

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


def _raw(testcase: testtools.TestCase, name: str) -> Path:
    """A raw data file, or skip the test when the shared data set is not there."""
    path = RAW / name
    if not path.exists():
        testcase.skipTest(f"{path} missing: the shared real-data set (PARTITIONER_SHARED) is not available")
    return path


def _csv_rows(testcase: testtools.TestCase, name: str) -> list[dict[str, str]]:
    path = DATA / f"{name}.csv"
    if not path.exists():
        testcase.skipTest(f"{path} missing: the shared real-data set (PARTITIONER_SHARED) is not available")
    with path.open(newline="", encoding="utf8") as stream:
        return list(csv.DictReader(stream))


def _durations(run: Run) -> float:
    return sum(r.duration or 0.0 for r in run.records)


class TestRealStreams(testtools.TestCase):
    """Every stored real stream parses, and agrees with the normalized CSV of the same run."""

    def check(self, raw: str) -> Run:
        csv_name, encoding = REAL_STREAMS[raw]
        path = _raw(self, raw)
        rows = _csv_rows(self, csv_name)
        self.assertEqual(encoding, stream_kind(path.read_bytes()[:2]))
        run = read_stream_file(path, order=7)
        self.assertEqual(str(path), run.run_id)
        self.assertEqual(7, run.order)
        self.assertEqual([row["test_id"] for row in rows], [r.test_id for r in run.records])
        self.assertEqual(Counter(row["status"] for row in rows), Counter(r.status for r in run.records))
        self.assertAlmostEqual(sum(float(row["duration_s"]) for row in rows), _durations(run), delta=1e-3)
        self.assertEqual([row["worker"] or None for row in rows], [r.worker for r in run.records])
        for row, record in zip(rows, run.records, strict=True):
            self.assertIsNotNone(record.start, record.test_id)
            self.assertAlmostEqual(float(row["start"]), record.start or 0.0, delta=1e-5)
            self.assertAlmostEqual(float(row["stop"]), record.stop or 0.0, delta=1e-5)
        return run

    def test_cloudbase_init_stestr(self) -> None:
        run = self.check("grmrgecko__cloudbase-init__stestr_11")
        self.assertEqual(16, len(run.workers))

    def test_tacker_stestr(self) -> None:
        run = self.check("hoangphuocbk__tacker__stestr_11")
        self.assertEqual({"success": 321, "fail": 1, "skip": 180}, Counter(r.status for r in run.records))

    def test_poppy_stestr(self) -> None:
        self.check("merryldmello__poppy__stestr_2")

    def test_tempest_gzip_v2(self) -> None:
        run = self.check(TEMPEST_GZ)
        self.assertEqual(frozenset({"worker-0"}), run.workers)
        devstack = [r for r in run.records if r.test_id == "devstack"]
        self.assertEqual(1, len(devstack))
        self.assertIsNone(devstack[0].worker)
        fixtures_ = [r for r in run.records if r.test_id.startswith("setUpClass (")]
        self.assertEqual(6, len(fixtures_))
        self.assertTrue(all(r.status == "skip" and r.duration == 0.0 for r in fixtures_))
        attrs = [r for r in run.records if "[" in r.test_id]
        self.assertGreater(len(attrs), 200)

    def test_bandit_testr(self) -> None:
        run = self.check(BANDIT)
        self.assertEqual(234, len(run.records))
        self.assertEqual({f"worker-{n}" for n in range(8)}, set(run.workers))

    def test_dragonflow_testr(self) -> None:
        self.check("openstack-archive__dragonflow__testrepository_0")

    def test_qiskit_stestr(self) -> None:
        run = self.check("vm6502q__qiskit-qrack-provider__stestr_0")
        self.assertEqual(12, len(run.workers))

    def test_file_object_and_bytes_agree(self) -> None:
        path = _raw(self, BANDIT)
        with path.open("rb") as stream:
            from_stream = read_stream(stream, "bandit")
        self.assertEqual(read_stream(path.read_bytes(), "bandit"), from_stream)
        with path.open(encoding="utf8", errors="surrogateescape") as text:  # like sys.stdin
            self.assertEqual(from_stream, read_stream(text, "bandit"))  # type: ignore[arg-type]


class TestV1AndV2(testtools.TestCase):
    """The same events read as v2, as v1 made by the real subunit-2to1, and gzip'd give the same records."""

    def to_v1(self, v2: bytes) -> bytes:
        done = subprocess.run([tool("subunit-2to1")], input=v2, capture_output=True, check=True, timeout=60)
        self.assertTrue(done.stdout.startswith((b"time:", b"tags:", b"test:")), done.stdout[:40])
        return done.stdout

    def test_synthetic_v2_to_v1(self) -> None:
        v2 = subunit_v2(SAMPLE)
        self.assertEqual("v2", stream_kind(v2[:2]))
        from_v2 = read_stream(v2, "s.v2")
        expected = [(i, s, a, b, w) for i, s, a, b, w in SAMPLE]
        self.assertEqual(expected, [(r.test_id, r.status, r.start, r.stop, r.worker) for r in from_v2.records])
        from_v1 = read_stream(self.to_v1(v2), "s.v1")
        self.assertEqual(from_v2.records, from_v1.records)
        self.assertEqual(from_v2.records, read_stream(gzip.compress(v2), "s.v2.gz").records)

    def test_real_tempest_v2_to_v1(self) -> None:
        v2 = gzip.decompress(_raw(self, TEMPEST_GZ).read_bytes())
        v1 = self.to_v1(v2)
        self.assertEqual(read_stream(v2, "v2").records, read_stream(v1, "v1").records)

    def test_gzip_v1(self) -> None:
        data = _raw(self, BANDIT).read_bytes()
        self.assertEqual(read_stream(data, "b").records, read_stream(gzip.compress(data), "b.gz").records)

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
        data = _raw(self, BANDIT).read_bytes()
        self.assertHistoryError(data[:3000], "cut.v1", "ends inside test", "truncated")

    def test_truncated_gzip(self) -> None:
        data = _raw(self, TEMPEST_GZ).read_bytes()
        self.assertHistoryError(data[:5000], "t.gz", "corrupt gzip data")

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
