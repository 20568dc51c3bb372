"""The timeline model of a run: lanes, bars, setup gaps (the estimator's rule), idle tails, unplaced records and
race marks."""

from __future__ import annotations

from collections import Counter

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.history.model import Run, TestRecord
from partitioner.history.samples import lane_gaps, setup_gaps, worker_lanes
from partitioner.history.subunit import read_stream_file
from partitioner.races import diagnose
from partitioner.timeline.model import UNTAGGED_LANE, Lane, Timeline, build_timeline
from tests.suites import real_streams

A = "pkg.mod_a.ATest"
B = "pkg.mod_b.BTest"
C = "pkg.mod_c.CTest"
T0 = 1_600_000_000.0


def rec(test: str, worker: str | None, start: float | None, stop: float | None,
        status: str = "success") -> TestRecord:
    """A record at ``T0 + start`` .. ``T0 + stop``."""
    return TestRecord(test, status, None if start is None else T0 + start, None if stop is None else T0 + stop,
                      worker, frozenset({worker}) if worker else frozenset())


def lane_of(timeline: Timeline, worker: str) -> Lane:
    return next(x for x in timeline.lanes if x.worker == worker)


def two_workers() -> Run:
    """w0: lead-in 0.5, A.t1, A.t2, setup gap 2.0, B.t1 (fails). w1: C.t1, C.t2 (skipped), finishes early."""
    return Run("r", (
        rec(f"{A}.test_1", "worker-0", 0.5, 1.5),
        rec(f"{C}.test_1", "worker-1", 0.0, 1.0),
        rec(f"{A}.test_2", "worker-0", 1.5, 2.5),
        rec(f"{C}.test_2", "worker-1", 1.0, 1.25, "skip"),
        rec(f"{B}.test_1", "worker-0", 4.5, 6.0, "fail"),
    ))


class BuildTimelineTest(testtools.TestCase):
    def test_lanes_bars_finish_and_idle(self) -> None:
        timeline = build_timeline(two_workers())
        self.assertEqual(["worker-0", "worker-1"], [x.worker for x in timeline.lanes])
        self.assertEqual(T0, timeline.origin)
        self.assertEqual(6.0, timeline.end)
        w0, w1 = lane_of(timeline, "worker-0"), lane_of(timeline, "worker-1")
        self.assertEqual([f"{A}.test_1", f"{A}.test_2", f"{B}.test_1"], [b.test_id for b in w0.bars])
        self.assertEqual([(0.5, 1.5), (1.5, 2.5), (4.5, 6.0)], [(b.start, b.stop) for b in w0.bars])
        self.assertEqual((6.0, 0.0), (w0.finish, w0.idle))
        self.assertEqual((1.25, 4.75), (w1.finish, w1.idle))
        self.assertEqual(["success", "success", "fail"], [b.status for b in w0.bars])
        self.assertEqual((1, 0), (w0.count("fail"), w0.count("skip")))
        self.assertEqual((0, 1), (w1.count("fail"), w1.count("skip")))
        self.assertEqual(5, timeline.bars)
        self.assertEqual((), timeline.unplaced)

    def test_setup_gap_at_a_class_change_and_lead_in(self) -> None:
        w0 = lane_of(build_timeline(two_workers()), "worker-0")
        kinds = [(g.kind, g.klass, g.previous, g.start, g.stop) for g in w0.gaps]
        self.assertEqual([("lead-in", A, "", 0.0, 0.5), ("setup", B, A, 2.5, 4.5)], kinds)
        self.assertEqual((2.0, 0.5), (w0.setup, w0.lead_in))
        self.assertEqual(3.5, w0.busy)

    def test_no_gap_inside_a_class_for_a_fixture_or_backwards_in_time(self) -> None:
        run = Run("r", (
            rec(f"{A}.test_1", "worker-0", 0.0, 1.0),
            rec(f"{A}.test_2", "worker-0", 3.0, 4.0),  # same class: a pause, not a setup
            rec(f"setUpClass ({B})", "worker-0", 4.0, 4.5, "fail"),  # fixture: not a lane step
            rec(f"{C}.test_1", "worker-0", 5.0, 6.0),
            rec(f"{B}.test_1", "worker-0", 5.5, 7.0),  # overlaps C (clock skew): a negative gap is none
        ))
        gaps = lane_of(build_timeline(run), "worker-0").gaps
        self.assertEqual([("setup", C, A, 4.0, 5.0)], [(g.kind, g.klass, g.previous, g.start, g.stop) for g in gaps])
        self.assertTrue(lane_of(build_timeline(run), "worker-0").bars[2].fixture)

    def test_records_that_cannot_be_drawn_are_listed_with_the_reason(self) -> None:
        run = Run("r", (
            rec(f"{A}.test_1", "worker-0", 0.0, 1.0),
            rec("devstack", None, -100.0, 0.0),
            rec(f"{A}.test_2", "worker-1", None, None),
            rec(f"{B}.test_1", "worker-1", 0.5, None, "inprogress"),
            rec(f"{B}.test_2", "worker-0", 1.0, 3.0),
        ))
        timeline = build_timeline(run)
        self.assertEqual(T0, timeline.origin, "the untagged devstack record does not move the origin")
        self.assertEqual([("devstack", "no worker tag in a run that has them"), (f"{A}.test_2", "no timestamps")],
                         [(u.test_id, u.reason) for u in timeline.unplaced])
        unfinished = lane_of(timeline, "worker-1").bars
        self.assertEqual([(f"{B}.test_1", "inprogress", 0.5, 3.0)],
                         [(b.test_id, b.status, b.start, b.stop) for b in unfinished])
        self.assertEqual(len(run.records), timeline.bars + len(timeline.unplaced))

    def test_serial_run_is_one_untagged_lane(self) -> None:
        run = Run("r", (rec(f"{A}.test_1", None, 0.0, 1.0), rec(f"{B}.test_1", None, 2.0, 3.0)))
        timeline = build_timeline(run)
        self.assertEqual([UNTAGGED_LANE], [x.worker for x in timeline.lanes])
        self.assertEqual([("setup", B, 1.0, 2.0)], [(g.kind, g.klass, g.start, g.stop) for g in timeline.lanes[0].gaps])

    def test_run_without_timestamps_has_no_lanes_and_loses_nothing(self) -> None:
        run = Run("r", (rec(f"{A}.test_1", "worker-0", None, None), rec(f"{A}.test_2", "worker-1", None, None)))
        timeline = build_timeline(run)
        self.assertEqual((None, (), 2), (timeline.origin, timeline.lanes, len(timeline.unplaced)))

    def test_wall_time_of_a_short_run_is_its_span(self) -> None:
        run = Run("r", (rec(f"{A}.test_1", "worker-0", 0.0, 0.01), rec(f"{B}.test_1", "worker-1", 0.005, 0.03)))
        timeline = build_timeline(run)
        self.assertAlmostEqual(0.03, timeline.wall or 0.0)
        self.assertEqual(("", 0), (timeline.wall_unknown, timeline.unfinished))

    def test_wall_time_is_unknown_when_every_result_has_one_timestamp(self) -> None:
        # a stream that stamped the time once, not per test: every bar 0 s long is no measurement of the run
        run = Run("r", (rec(f"{A}.test_1", "worker-0", 5.0, 5.0), rec(f"{B}.test_1", "worker-1", 5.0, 5.0)))
        timeline = build_timeline(run)
        self.assertIsNone(timeline.wall)
        self.assertIn("same timestamp", timeline.wall_unknown)

    def test_wall_time_is_unknown_when_no_test_finished(self) -> None:
        run = Run("r", (rec(f"{A}.test_1", "worker-0", 0.0, None, "inprogress"),
                        rec(f"{B}.test_1", "worker-1", 0.0, None, "inprogress")))
        timeline = build_timeline(run)
        self.assertIsNone(timeline.wall)
        self.assertIn("no test finished", timeline.wall_unknown)

    def test_wall_time_with_unfinished_tests_is_a_lower_bound(self) -> None:
        run = Run("r", (rec(f"{A}.test_1", "worker-0", 0.0, 2.0),
                        rec(f"{B}.test_1", "worker-1", 1.0, None, "inprogress")))
        timeline = build_timeline(run)
        self.assertEqual((2.0, 1), (timeline.wall, timeline.unfinished))

    def test_workers_sort_by_number(self) -> None:
        run = Run("r", tuple(rec(f"{A}.test_{i}", f"worker-{i}", 0.0, 1.0) for i in (10, 2, 1)))
        self.assertEqual(["worker-1", "worker-2", "worker-10"], [x.worker for x in build_timeline(run).lanes])

    def test_failures_carry_their_partners_and_partners_are_marked(self) -> None:
        run = Run("r", (
            rec(f"{A}.test_1", "worker-0", 0.0, 2.0, "fail"),
            rec(f"{B}.test_1", "worker-1", 0.5, 2.5),
            rec(f"{C}.test_1", "worker-1", 3.0, 4.0),  # its window (setup included) opens at 2.5
        ))
        timeline = build_timeline(run, races=diagnose(run))
        failed = lane_of(timeline, "worker-0").bars[0]
        beside, after = lane_of(timeline, "worker-1").bars
        self.assertEqual((f"{B}.test_1",), failed.partners)
        self.assertEqual((f"{A}.test_1",), beside.overlapped)
        self.assertEqual((), after.overlapped, "C ran after the failure: it overlapped nothing")


@st.composite
def runs(draw: st.DrawFn) -> Run:
    """Random parallel or serial runs: lanes of tests from a few classes, gaps of any size, some statuses."""
    n_workers = draw(st.integers(0, 3))
    records = []
    statuses = st.sampled_from(["success", "success", "fail", "skip", "xfail", "inprogress"])
    for w in range(max(1, n_workers)):
        clock = draw(st.floats(0, 5))
        for i in range(draw(st.integers(0, 8))):
            klass = draw(st.sampled_from([A, B, C]))
            test = draw(st.sampled_from([f"{klass}.test_{i}", f"setUpClass ({klass})", f"{klass}.test_{i}[smoke]"]))
            clock += draw(st.floats(-0.5, 3))
            length = draw(st.floats(0, 2))
            status = draw(statuses)
            stop = None if status == "inprogress" else clock + length
            records.append(rec(test, f"worker-{w}" if n_workers else None, clock, stop, status))
            clock += length
    return Run("random", tuple(draw(st.permutations(records))))


class SameGapRuleTest(testtools.TestCase):
    """The page's lanes and setup gaps are exactly the estimator's: same lanes, same gaps, same places."""

    def assertSameGaps(self, run: Run) -> None:
        timeline = build_timeline(run)
        mine = Counter((g.klass, round(g.seconds, 6)) for x in timeline.lanes for g in x.gaps if g.kind == "setup")
        theirs = Counter((klass, round(seconds, 6)) for klass, seconds in setup_gaps(run))
        self.assertEqual(theirs, mine)
        origin = timeline.origin or 0.0
        walked = {worker or UNTAGGED_LANE: [(g.klass, g.previous, g.start - origin, g.stop - origin)
                                            for g in lane_gaps(lane)] for worker, lane in worker_lanes(run)}
        drawn = {x.worker: [(g.klass, g.previous, g.start, g.stop) for g in x.gaps if g.kind == "setup"]
                 for x in timeline.lanes if x.worker in walked}
        self.assertEqual(walked, drawn)
        lanes = {worker or UNTAGGED_LANE: [r.test_id for r in lane] for worker, lane in worker_lanes(run)}
        self.assertEqual(lanes, {x.worker: [b.test_id for b in x.bars if b.status != "inprogress"]
                                 for x in timeline.lanes if x.worker in lanes})

    @given(runs())
    @settings(max_examples=200, deadline=None)
    def test_random_runs(self, run: Run) -> None:
        self.assertSameGaps(run)
        timeline = build_timeline(run)
        self.assertEqual(len(run.records), timeline.bars + len(timeline.unplaced), "a record went missing")
        for x in timeline.lanes:
            self.assertTrue(all(b.start <= b.stop <= x.finish for b in x.bars))
            self.assertAlmostEqual(timeline.end, x.finish + x.idle)

    def test_real_runs(self) -> None:
        for path in real_streams(self):
            run = read_stream_file(path)
            with self.subTest(path.name):
                self.assertSameGaps(run)
                timeline = build_timeline(run)
                self.assertEqual(len(run.records), timeline.bars + len(timeline.unplaced))
