"""Tests for partitioner.history.planrecord: the key both sides compute, round trips, misses, the bound."""

from __future__ import annotations

import dataclasses
import datetime
import io
import os
from pathlib import Path

import fixtures
import subunit
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.dispatch.record import FirstStarts
from partitioner.history import planrecord
from partitioner.history.model import Run, TestRecord
from partitioner.history.planrecord import PlannedGroup, PlannedLane, PlanRecord
from partitioner.history.store.rows import from_us, to_us
from partitioner.history.subunit import read_stream, read_stream_file
from tests.suites import subunit_v2

#: a run's tests as (test id, status, start, stop, worker): the placement of record() (its first start at 1.25 s)
RAN = [("a.B.t1", "success", 1.25, 2.0, "worker-1"), ("a.A.t1", "fail", 1.5, 2.0, "worker-0"),
       ("a.A.t2[smoke]", "skip", 2.0, 2.5, "worker-0"), ("a.C.t1", "success", 2.0, 3.0, "worker-1")]


def record(dispatch: planrecord.Dispatch = "static") -> PlanRecord:
    return PlanRecord(1, dispatch, 2, 3.5, (
        PlannedLane("worker-0", (PlannedGroup("a.A", ("a.A.t1", "a.A.t2[smoke]"), 2.0, 0.0, 2.0),)),
        PlannedLane("worker-1", (PlannedGroup("a.B", ("a.B.t1",), 1.5, None, None),
                                 PlannedGroup("a.C", ("a.C.t1",), 1.0, 1.5, 2.5))),
    ))


class TestKey(testtools.TestCase):
    def test_the_writer_and_a_stored_run_agree(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        stream = tmp / "run.subunit"
        stream.write_bytes(subunit_v2([
            ("a.B.t1", "success", 1.0, 2.0, "worker-1"), ("a.A.t1", "fail", 1.0, 2.0, "worker-0"),
            ("a.A.t2[smoke]", "skip", 2.0, 2.5, "worker-0"), ("a.C.t1", "success", 2.0, 3.0, "worker-1"),
            # what neither side can know in advance: testr's pseudo-test, a fixture error, a listed-only id
            ("process-returncode", "fail", 3.0, 3.0, "worker-0"),
            ("setUpClass (a.D)", "fail", 3.0, 3.0, "worker-1"),
            ("a.E.t1", "exists", None, None, "worker-1"),
        ]))
        run = read_stream_file(stream, 0)
        self.assertEqual(planrecord.run_key(record().pairs(), 1_000_000), planrecord.own_key(run))
        self.assertEqual(planrecord.run_key(record().pairs()), planrecord.placement_key_of_run(run))

    def test_the_first_start_the_writer_sees_is_the_one_the_reader_reads(self) -> None:
        # the pseudo-test and the fixture error start first, the listed-only id has no final status: not keyed
        data = subunit_v2([("process-returncode", "fail", 0.5, 0.5, "worker-0"),
                           ("setUpClass (a.D)", "fail", 0.75, 0.75, "worker-1"), *RAN,
                           ("a.E.t1", "exists", 0.25, None, "worker-1")])
        starts = FirstStarts()
        subunit.ByteStreamToStreamResult(io.BytesIO(data)).run(starts)
        placement = {t: w for t, _, _, _, w in RAN}
        self.assertEqual(1_250_000, starts.of([*placement, "process-returncode", "setUpClass (a.D)"]))
        run = read_stream(data, "run")
        self.assertEqual(1_250_000, planrecord.first_start(run))
        self.assertEqual(starts.key(placement), planrecord.own_key(run))

    def test_the_same_placement_started_at_another_time_is_another_key(self) -> None:
        pairs = record().pairs()
        keys = {planrecord.run_key(pairs, 1_700_000_000_000_000), planrecord.run_key(pairs, 1_700_000_000_000_001),
                planrecord.run_key(pairs)}
        self.assertEqual(3, len(keys))

    def test_a_run_without_timestamps_keeps_the_placement_only_key(self) -> None:
        run = Run("r", tuple(TestRecord(t, "success", None, None, w) for w, t in record().pairs()))
        self.assertIsNone(planrecord.first_start(run))
        self.assertEqual(planrecord.run_key(record().pairs()), planrecord.own_key(run))
        self.assertEqual(planrecord.placement_key_of_run(run), planrecord.own_key(run))

    @settings(max_examples=200, deadline=None)
    @given(st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2200, 1, 1)),
           st.booleans())
    def test_a_timestamp_read_back_as_seconds_is_the_same_microsecond(self, stamp: datetime.datetime,
                                                                      aware: bool) -> None:
        if aware:
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        us = planrecord.stamp_us(stamp)
        seconds = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()  # how the stream reader keeps a start
        run = Run("r", (TestRecord("a.A.t1", "success", seconds, None, "worker-0"),))
        self.assertEqual(us, planrecord.first_start(run))
        if stamp.year < 2041:  # the store's to_us scales the float: one microsecond off now and then after 2041
            stored = Run("r", (TestRecord("a.A.t1", "success", from_us(to_us(seconds)), None, "worker-0"),))
            self.assertEqual(us, planrecord.first_start(stored))  # as the history store gives it back

    def test_a_test_on_another_worker_changes_the_key(self) -> None:
        pairs = record().pairs()
        moved = [("worker-1" if t == "a.A.t1" else w, t) for w, t in pairs]
        self.assertNotEqual(planrecord.run_key(pairs), planrecord.run_key(moved))

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(["worker-0", "worker-1", "worker-10"]),
                              st.text(min_size=1, max_size=12)), max_size=20), st.randoms())
    def test_order_and_repeats_do_not_matter(self, pairs: list[tuple[str, str]], rnd: object) -> None:
        shuffled = list(pairs) * 2
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        self.assertEqual(planrecord.run_key(pairs), planrecord.run_key(shuffled))

    def test_runs_without_worker_tags_key_like_an_empty_run(self) -> None:
        run = Run("r", (TestRecord("a.A.t1", "success", 1.0, 2.0, None),))
        self.assertEqual(planrecord.run_key([]), planrecord.key_of_run(run))


class TestStore(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.base = Path(self.useFixture(fixtures.TempDir()).path) / "cache"
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.base)))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        self.key = planrecord.run_key(record().pairs())

    def test_round_trip_beside_the_run_cache(self) -> None:
        planrecord.write_record(record("dynamic"), self.key)
        self.assertEqual([self.base / "plans" / f"{self.key}.json"], list((self.base / "plans").iterdir()))
        self.assertEqual(record("dynamic"), planrecord.read_record(self.key))
        run = Run("r", tuple(TestRecord(t, "success", 0.0, 1.0, w) for w, t in record().pairs()))
        self.assertEqual(record("dynamic"), planrecord.find_record(run))

    def test_a_record_keeps_the_unit_its_plan_priced_in(self) -> None:
        for unit in ("s", "tests"):
            written = dataclasses.replace(record(), unit=unit)
            planrecord.write_record(written, self.key)
            self.assertEqual(unit, planrecord.read_record(self.key).unit)  # type: ignore[union-attr]
            self.assertEqual(written, planrecord.read_record(self.key))

    def test_a_record_written_before_records_said_their_unit_reads_without_one(self) -> None:
        (self.base / "plans").mkdir(parents=True)
        old = planrecord.encode(record())
        self.assertNotIn('"unit"', old)  # a record that does not say writes no unit, as records always did
        (self.base / "plans" / f"{self.key}.json").write_text(old)
        self.assertEqual(record(), planrecord.read_record(self.key))
        self.assertIsNone(planrecord.read_record(self.key).unit)  # type: ignore[union-attr]

    def test_damaged_foreign_and_missing_entries_are_misses(self) -> None:
        self.assertIsNone(planrecord.read_record(self.key))
        (self.base / "plans").mkdir(parents=True)
        entry = self.base / "plans" / f"{self.key}.json"
        text = planrecord.encode(record())
        for bad in (text[:-5], "[]", text.replace('"format_version":1', '"format_version":2'),
                    text.replace('"dispatch":"static"', '"dispatch":"sideways"'),
                    text.replace('"tests":["a.B.t1"]', '"tests":[7]'),
                    text.replace('"concurrency":2', '"concurrency":true'),
                    text.replace('"concurrency":2', '"concurrency":2,"unit":"minutes"'),
                    text.replace('"concurrency":2', '"concurrency":2,"unit":["s"]')):
            entry.write_text(bad)
            self.assertIsNone(planrecord.read_record(self.key), bad)
        entry.write_bytes(b"\xff\xfe")
        self.assertIsNone(planrecord.read_record(self.key))
        self.assertIsNone(planrecord.read_record("../../etc/passwd"))

    def test_turned_off_or_unwritable_is_silent(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "0"))
        planrecord.write_record(record(), self.key)
        self.assertFalse(self.base.exists())
        self.assertIsNone(planrecord.read_record(self.key))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        self.base.write_text("a file where the directory should be")
        planrecord.write_record(record(), self.key)  # no exception
        self.assertIsNone(planrecord.read_record(self.key))

    def test_two_runs_with_the_same_placement_each_find_their_own_record(self) -> None:
        # every second run of a static plan on an unchanged suite: its tests on the same workers, an hour later
        later = [(t, status, start + 3600.0, stop + 3600.0, w) for t, status, start, stop, w in RAN]
        runs = [read_stream(subunit_v2(ran), f"run {n}", n) for n, ran in enumerate((RAN, later))]
        written = [dataclasses.replace(record(), unit=unit) for unit in ("tests", "s")]
        for run, plan in zip(runs, written, strict=True):
            planrecord.write_record(plan, planrecord.own_key(run))
        self.assertEqual(written, [planrecord.find_record(run) for run in runs])

    def test_a_record_under_the_placement_only_key_is_found_when_the_run_has_none_of_its_own(self) -> None:
        # written before keys had a first start (or by a writer that did not know it)
        run = read_stream(subunit_v2(RAN), "run")
        old = dataclasses.replace(record(), unit="tests")
        planrecord.write_record(old, planrecord.placement_key_of_run(run))
        self.assertEqual(planrecord.placement_key_of_run(run), planrecord.key_of_run(run))
        self.assertEqual(old, planrecord.find_record(run))
        own = dataclasses.replace(record(), unit="s")
        planrecord.write_record(own, planrecord.own_key(run))
        self.assertEqual(planrecord.own_key(run), planrecord.key_of_run(run))
        self.assertEqual(own, planrecord.find_record(run))

    def test_at_most_max_records_are_kept_oldest_first_out(self) -> None:
        self.patch(planrecord, "MAX_RECORDS", 3)
        keys = [planrecord.run_key([("worker-0", f"t{i}")]) for i in range(5)]
        for n, key in enumerate(keys):
            planrecord.write_record(record(), key)
            os.utime(self.base / "plans" / f"{key}.json", (1000 + n, 1000 + n))
        left = {p.stem for p in (self.base / "plans").iterdir()}
        self.assertEqual(set(keys[2:]), left)
