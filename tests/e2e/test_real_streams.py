"""End to end: every real stored stream of ../shared/data parses, agrees with the normalized CSV of the same
run, and reads the same as v1 made by the real subunit-2to1 (skipped when ../shared is absent)."""

from __future__ import annotations

import csv
import dataclasses
import gzip
from collections import Counter
from pathlib import Path

import testtools

from partitioner.history.model import Run
from partitioner.history.subunit import read_stream, read_stream_file, stream_kind
from tests.history.test_subunit import BANDIT, REAL_STREAMS, TEMPEST_GZ
from tests.suites import DATA, RAW, to_v1


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


class TestRealV1AndV2(testtools.TestCase):
    def test_real_tempest_v2_to_v1(self) -> None:
        v2 = gzip.decompress(_raw(self, TEMPEST_GZ).read_bytes())
        v1 = to_v1(v2)
        from_v2, from_v1 = read_stream(v2, "v2").records, read_stream(v1, "v1").records
        # python-subunit < 1.4.6 may read a v1 time: line 1 us off; the rest must be equal
        self.assertEqual([dataclasses.replace(r, start=None, stop=None) for r in from_v2],
                         [dataclasses.replace(r, start=None, stop=None) for r in from_v1])
        for a, b in zip(from_v2, from_v1, strict=True):
            for x, y in ((a.start, b.start), (a.stop, b.stop)):
                self.assertEqual(x is None, y is None)
                self.assertLess(abs((x or 0.0) - (y or 0.0)), 2e-6, a.test_id)

    def test_gzip_v1(self) -> None:
        data = _raw(self, BANDIT).read_bytes()
        self.assertEqual(read_stream(data, "b").records, read_stream(gzip.compress(data), "b.gz").records)
