"""Tests for partitioner.history.samples: worker lanes, the lane walk (class-setup gaps), start offsets,
collected samples."""

from __future__ import annotations

import itertools
import signal

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner import testids
from partitioner.history import samples
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.subunit import read_stream_file
from partitioner.statuses import FINAL
from tests.suites import real_streams


def lane(worker: str | None, *items: tuple[str, float, float], status: str = "success") -> list[TestRecord]:
    """Records on one worker: (id, start, stop)."""
    return [TestRecord(t, status, a, b, worker) for t, a, b in items]


class TestWorkerLanes(testtools.TestCase):
    def test_lanes_by_worker_tag_in_start_order_then_id(self) -> None:
        records = lane("worker-1", ("b", 2, 3), ("a", 2, 5)) + lane("worker-0", ("c", 1, 2))
        records += [TestRecord("untimed", "success", None, 4.0, "worker-0"), *lane(None, ("devstack", 0, 9))]
        found = samples.worker_lanes(Run("r", tuple(records)))
        self.assertEqual([("worker-0", ["c"]), ("worker-1", ["a", "b"])],
                         [(w, [r.test_id for r in records]) for w, records in found])

    def test_an_untagged_run_is_one_serial_lane(self) -> None:
        found = samples.worker_lanes(Run("r", tuple(lane(None, ("b", 1, 2), ("a", 0, 1)))))
        self.assertEqual([("", ["a", "b"])], [(w, [r.test_id for r in records]) for w, records in found])


class TestSetupGaps(testtools.TestCase):
    def test_gap_at_class_change_is_the_new_class_setup(self) -> None:
        run = Run("r", tuple(lane("worker-0", ("m.A.t1", 0, 1), ("m.A.t2", 1.001, 2), ("m.B.t1", 6, 7))))
        self.assertEqual([("m.B", 4.0)], samples.setup_gaps(run))

    def test_lanes_are_per_worker_and_sorted_by_start(self) -> None:
        records = lane("worker-1", ("m.C.t1", 3, 4)) + lane("worker-0", ("m.A.t1", 0, 1), ("m.B.t1", 2.5, 3))
        records += lane("worker-1", ("m.D.t1", 0, 1))
        gaps = sorted(samples.setup_gaps(Run("r", tuple(records))))
        self.assertEqual([("m.B", 1.5), ("m.C", 2.0)], gaps)

    def test_untagged_records_in_a_tagged_run_are_ignored(self) -> None:
        records = [TestRecord("devstack", "success", 0, 1000, None), *lane("worker-0", ("m.A.t", 1, 2),
                                                                          ("m.B.t", 5, 6))]
        self.assertEqual([("m.B", 3.0)], samples.setup_gaps(Run("r", tuple(records))))

    def test_fixture_pseudo_tests_give_no_gap_but_a_failing_class_does(self) -> None:
        records = [*lane("worker-0", ("m.A.t", 0, 1)), *lane("worker-0", ("setUpClass (m.B)", 1, 1.5), status="fail")]
        records += lane("worker-0", ("m.C.t", 9, 10), status="fail")  # its setUpClass ran all the same
        records += lane("worker-0", ("m.D.t", 12, 13), status="inprogress")  # interrupted: no sample
        self.assertEqual([("m.C", 8.0)], samples.setup_gaps(Run("r", tuple(records))))

    def test_first_class_on_each_worker_gets_its_start_offset(self) -> None:
        records = lane("worker-0", ("m.A.t", 10, 11)) + lane("worker-1", ("m.B.t", 13, 14), ("m.C.t", 15, 16))
        run = Run("r", tuple(records))
        self.assertEqual([("m.B", 3.0)], samples.first_offsets(run))

    def test_serial_run_has_no_start_offsets(self) -> None:
        self.assertEqual([], samples.first_offsets(Run("r", tuple(lane("worker-0", ("m.A.t", 1, 2))))))


class TestLaneGaps(testtools.TestCase):
    def test_a_gap_knows_both_classes_and_where_it_lies(self) -> None:
        found = samples.lane_gaps(lane("worker-0", ("m.A.t1", 0, 1), ("m.A.t2", 1.5, 2), ("m.B.t1", 6, 7)))
        self.assertEqual([samples.LaneGap("m.B", "m.A", 2.0, 6.0)], found)
        self.assertEqual(4.0, found[0].seconds)

    def test_setup_gaps_are_the_lane_walks_gaps(self) -> None:
        records = lane("worker-1", ("m.C.t1", 3, 4)) + lane("worker-0", ("m.A.t1", 0, 1), ("m.B.t1", 2.5, 3))
        records += lane("worker-1", ("m.D.t1", 0, 1))
        run = Run("r", tuple(records))
        walked = [(g.klass, g.seconds) for _, x in samples.worker_lanes(run) for g in samples.lane_gaps(x)]
        self.assertEqual(walked, samples.setup_gaps(run))


@st.composite
def lanes(draw: st.DrawFn) -> list[TestRecord]:
    """One worker's records in start order: a few classes, fixtures, any status, overlaps (clock skew)."""
    records = []
    clock = 0.0
    statuses = st.sampled_from(["success", "fail", "skip", "xfail", "uxsuccess", "inprogress", "exists"])
    for i in range(draw(st.integers(0, 12))):
        klass = draw(st.sampled_from(["m.A", "m.B", "n.C"]))
        test = draw(st.sampled_from([f"{klass}.test_{i}", f"setUpClass ({klass})", f"{klass}.test_{i}[x]"]))
        clock += draw(st.floats(-1, 3))
        length = draw(st.floats(0, 2))
        records.append(TestRecord(test, draw(statuses), clock, clock + length, "worker-0"))
        clock += length
    return sorted(records, key=lambda r: (r.start or 0.0, r.test_id))


class TestLaneWalkProperties(testtools.TestCase):
    """The walk against the rule written out plainly: consecutive non-fixture records of tests that ran, a final
    status, a class change, and time that does not run backwards."""

    @given(lanes())
    @settings(max_examples=300, deadline=None)
    def test_gaps_are_exactly_the_rule(self, records: list[TestRecord]) -> None:
        steps = [r for r in records if testids.parse(r.test_id).fixture is None and not samples.never_ran(r)]
        expected = [
            samples.LaneGap(testids.class_key(b.test_id), testids.class_key(a.test_id), a.stop or 0.0,
                            b.start or 0.0)
            for a, b in itertools.pairwise(steps)
            if b.status in FINAL and testids.class_key(a.test_id) != testids.class_key(b.test_id)
            and (b.start or 0.0) >= (a.stop or 0.0)
        ]
        found = samples.lane_gaps(records)
        self.assertEqual(expected, found)
        self.assertTrue(all(g.seconds >= 0.0 and g.klass != g.previous for g in found))

    def test_real_runs_walk_to_the_same_samples(self) -> None:
        for path in real_streams(self):
            run = read_stream_file(path)
            with self.subTest(path.name):
                gaps = [g for _, x in samples.worker_lanes(run) for g in samples.lane_gaps(x)]
                self.assertEqual([(g.klass, g.seconds) for g in gaps], samples.setup_gaps(run))
                self.assertTrue(all(g.start <= g.stop for g in gaps))


class TestCollect(testtools.TestCase):
    def test_collect_samples_orders_runs_oldest_first(self) -> None:
        runs = tuple(Run(f"r{i}", (TestRecord("m.A.t1", "success", 0.0, d, "worker-0"),), order=i)
                     for i, d in enumerate([1.0, 2.0, 3.0]))
        found = samples.collect_samples(History(runs=tuple(reversed(runs))))
        self.assertEqual((1.0, 2.0, 3.0), found.tests["m.A.t1"])




class TestTestsThatNeverRan(testtools.TestCase):
    """A failure written at one instant (a dead worker's lost tests, exec's account) is no sample (helper trial:
    938 tempest tests that never ran were priced 0 s and "measured" in the next plan)."""

    def run_with_lost_tests(self) -> Run:
        records = lane("worker-0", ("m.A.t1", 0, 1), ("m.B.t1", 2, 3.5))
        records += lane("worker-0", ("m.C.t1", 3.5, 3.6), status="fail")  # a real, quick failure
        records += lane("worker-0", ("m.D.t1", 60, 60), ("m.D.t2", 60, 60), status="fail")  # never ran
        records += lane("worker-1", ("m.E.t1", 60, 60), status="fail")  # a worker that died at once
        records += lane("worker-1", ("m.F.t1", 0.5, 1))
        return Run("r", tuple(records))

    def test_they_give_no_duration_sample(self) -> None:
        history = History(runs=(self.run_with_lost_tests(),))
        self.assertEqual({"m.C.t1": [0.1]}, {k: [round(v, 3) for v in vs]
                                            for k, vs in samples.not_passing_samples(history).items()})
        self.assertTrue(samples.never_ran(TestRecord("x.Y.t", "fail", 5.0, 5.0, None)))
        self.assertFalse(samples.never_ran(TestRecord("x.Y.t", "skip", 5.0, 5.0, None)))  # a skip costs ~0

    def test_they_give_no_setup_gap_and_no_first_offset(self) -> None:
        run = self.run_with_lost_tests()
        self.assertEqual([("m.B", 1.0), ("m.C", 0.0)], samples.setup_gaps(run))  # not m.D's 56.4 s "setup"
        self.assertEqual([("m.F", 0.5)], samples.first_offsets(run))  # worker-1's first test that ran


class TestTimesTestrKept(testtools.TestCase):
    """The runner under testr writes a test it fails for not running to its end spanning the time testr's times.dbm
    held for it, so that testr stores that time back (partitioner.run.kept): its reason, not its span, says what it
    is, and the span is no measurement."""

    NOT_RUN = "not run: the run was interrupted (SIGINT) before this test started; worker-1 was killed by SIGTERM"
    CUT = ("interrupted: the runner received SIGINT, and worker-0 was killed by SIGTERM before this test reported a "
           "result")

    def interrupted_run(self) -> Run:
        return Run(".testrepository/1", (
            TestRecord("m.A.t1", "success", 0, 1, "worker-0"),
            TestRecord("m.B.t1", "success", 0.5, 1.5, "worker-1"),
            failed("m.C.t1", "worker-0", 3.0, 7.0, self.CUT),  # began at 3; 4 s kept (it was cut at 4)
            failed("m.D.t1", "worker-1", -0.5, 4.0, self.NOT_RUN),  # 4.5 s kept, ending when it was failed
            failed("m.E.t1", "worker-1", 3.0, 4.0, "KeyboardInterrupt"),
        ))

    def test_a_test_that_never_started_is_known_by_its_reason_and_is_an_instant_on_its_lane(self) -> None:
        run = self.interrupted_run()
        self.assertTrue(samples.never_ran(run.records[3]))
        self.assertFalse(samples.never_ran(run.records[2]))
        lanes = dict(samples.worker_lanes(run))
        self.assertEqual([("m.B.t1", 0.5, 1.5), ("m.E.t1", 3.0, 4.0), ("m.D.t1", 4.0, 4.0)],
                         [(r.test_id, r.start, r.stop) for r in lanes["worker-1"]])
        kept, stopped = samples.judged(run)
        self.assertEqual(samples.Interruption(".testrepository/1", "SIGINT", ("m.C.t1", "m.E.t1"), 1), stopped)
        self.assertNotIn("m.D.t1", [r.test_id for r in kept.records])

    def test_their_spans_give_no_sample(self) -> None:
        run = self.interrupted_run()
        self.assertEqual({}, samples.not_passing_samples(History(runs=(run,))))
        self.assertEqual([], samples.setup_gaps(run))  # not m.C's 2 s before its kept span, nor m.E's 1.5 s
        ran = TestRecord("m.C.t0", "success", 3.0, 3.5, "worker-0")  # a test of m.C that ran: its gap counts
        self.assertEqual([("m.C", 2.0)], samples.setup_gaps(Run("r", (*run.records[:1], ran, *run.records[1:]))))
        self.assertEqual([("m.B", 0.5)], samples.first_offsets(run))
        self.assertTrue(samples.did_not_end(run.records[2]))
        self.assertFalse(samples.did_not_end(failed("m.A.t", "worker-0", 1, 2, "AssertionError: no")))


def failed(test_id: str, worker: str, start: float, stop: float, reason: str) -> TestRecord:
    """A failure on ``worker`` with the reason its writer gave."""
    return TestRecord(test_id, "fail", start, stop, worker, frozenset({worker}), reason)


class TestInterruptions(testtools.TestCase):
    """A run stopped by Ctrl-C or ``timeout`` fails the tests it cut short with a reason that says so: no evidence of
    a race (new user's trial: `races` proposed a rule from a test that was running when ``timeout`` struck)."""

    def test_the_reasons_written_for_an_interruption_name_its_signal(self) -> None:
        from partitioner.run.signals import not_started

        written = {
            "interrupted: lane 0 received SIGTERM, and its test process was killed by SIGTERM (signal 15) before "
            "this test reported a result": "SIGTERM",  # a lane (dynamic dispatch)
            "interrupted: partitioner exec received SIGINT, and worker-1 was killed by SIGINT (signal 2) before this "
            "test reported a result": "SIGINT",  # exec's account (static dispatch)
            "interrupted: the runner received SIGTERM, and worker-0 exited with status 1 before this test reported "
            "a result": "SIGTERM",  # the runner
            "interrupted (SIGHUP) before this test reported a result": "SIGHUP",  # the in-process lanes
            "not run: the run was interrupted (SIGTERM) before this test was handed to a worker": "SIGTERM",
            "not run: lane 1 was interrupted by SIGINT before this test was handed to a worker": "SIGINT",
            not_started(signal.SIGTERM, "worker-0 was killed by SIGTERM (signal 15)"): "SIGTERM",
            "KeyboardInterrupt": "SIGINT",  # SIGINT raised inside the test's own process
        }
        for reason, name in written.items():
            self.assertEqual(name, samples.interrupted_by(failed("m.A.t", "worker-0", 1, 2, reason)), reason)

    def test_other_failures_are_not_the_interruptions(self) -> None:
        for reason in ("AssertionError: resource res01 was held by a concurrently running class",
                       "the test process of lane 0 was killed by SIGSEGV (signal 11) while this test was running",
                       "worker-0 was killed by SIGKILL (signal 9), and this test never reported a result",
                       "not run: the run stopped at the first failure (--failfast)",
                       "RuntimeError: interrupted by SIGTERM", ""):
            self.assertIsNone(samples.interrupted_by(failed("m.A.t", "worker-0", 1, 2, reason)), reason)
        skipped = TestRecord("m.A.t", "skip", 1, 2, "worker-0", frozenset(), "interrupted (SIGTERM) before ...")
        self.assertIsNone(samples.interrupted_by(skipped))

    def interrupted_run(self) -> Run:
        cut = "interrupted: lane 0 received SIGTERM, and its test process was killed by SIGTERM (signal 15) before " \
              "this test reported a result"
        unreached = "not run: the run was interrupted (SIGTERM) before this test was handed to a worker"
        return Run(".stestr/3", (
            TestRecord("m.A.t1", "success", 0, 1, "worker-0", frozenset({"worker-0"})),
            failed("m.B.t1", "worker-1", 0, 1, "AssertionError: a real failure before the signal"),
            failed("m.A.t2", "worker-0", 1, 2.5, cut),
            TestRecord("m.B.t2", "success", 1, 2, "worker-1", frozenset({"worker-1"})),
            failed("m.C.t1", "worker-1", 2.5, 2.5, unreached),
            failed("m.C.t2", "worker-1", 2.5, 2.5, unreached),
            failed("m.D.t1", "worker-1", 2.5, 2.5, "not run: its module m failed to import"),  # no interruption's
        ))

    def test_a_run_interrupted_keeps_its_real_failures_and_the_cut_test_ran_but_did_not_fail(self) -> None:
        run, stopped = samples.judged(self.interrupted_run())
        self.assertEqual(samples.Interruption(".stestr/3", "SIGTERM", ("m.A.t2",), 2), stopped)
        self.assertEqual("3", stopped.run if stopped else "")
        self.assertEqual([("m.A.t1", "success"), ("m.B.t1", "fail"), ("m.A.t2", "inprogress"), ("m.B.t2", "success")],
                         [(r.test_id, r.status) for r in run.records])
        cut = run.records[2]
        self.assertEqual((1, 2.5, "worker-0"), (cut.start, cut.stop, cut.worker))  # still where it ran
        self.assertEqual([run], samples.judge([self.interrupted_run()])[0])

    def test_a_stream_that_ends_with_tests_in_progress_was_cut_short(self) -> None:
        records = (TestRecord("m.A.t1", "success", 0, 1, "worker-0"), TestRecord("m.A.t2", "inprogress", 1, None,
                                                                                  "worker-0"))
        stopped = samples.interruption(Run("cut.subunit", records))
        self.assertEqual(samples.Interruption("cut.subunit", "", ("m.A.t2",), 0), stopped)

    def test_a_run_not_interrupted_is_judged_as_it_is(self) -> None:
        whole = Run("r", (failed("m.A.t1", "worker-0", 0, 1, "AssertionError"),
                          TestRecord("process-returncode", "fail", 1, 1, "worker-0")))
        self.assertEqual((whole, None), samples.judged(whole))
        self.assertIs(whole, samples.judged(whole)[0])
