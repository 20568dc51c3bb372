"""Tests for partitioner.races.diagnosis (and its windows): overlap, ranking, cross-run evidence, serial
exclusion, class view, and the runs it refuses."""

from __future__ import annotations

import testtools

from partitioner.errors import HistoryError
from partitioner.history.model import Run
from partitioner.races import OVERLAP_WEIGHT, always_failing, diagnose, find_suspects, is_parallel
from tests.builders import A, B, C, D, E, racing_runs, rec, run


class TestOverlap(testtools.TestCase):
    def test_window_reaches_back_to_the_previous_stop_on_the_worker(self) -> None:
        # B.test_2 starts at 2.0 but its window opens at 1.0 (B.test_1's stop): C ran 1.5-1.8, in that gap
        parallel = run(rec(f"{B}.test_1", "worker-0", 0.0, 1.0), rec(f"{B}.test_2", "worker-0", 2.0, 3.0, "fail"),
                       rec(f"{C}.test_1", "worker-1", 1.5, 1.8))
        (suspect,) = find_suspects(parallel)
        self.assertEqual(f"{B}.test_2", suspect.test)
        (partner,) = suspect.partners
        self.assertEqual(f"{C}.test_1", partner.test)
        # C's window is 0.0-1.8 (a worker's first test reaches back to the run's start): overlap 1.0-1.8
        self.assertAlmostEqual(0.8, partner.overlap_s)
        # over the shorter window: C's 1.8s (B.test_2's is 1.0-3.0, 2.0s)
        self.assertAlmostEqual(0.8 / 1.8, partner.share, places=6)
        # one run: coincided 1/1, split 1 of 1 overlap -> (1 + 1) / (1 + 2)
        self.assertAlmostEqual(OVERLAP_WEIGHT * 0.8 / 1.8 + (1 - OVERLAP_WEIGHT) * 2 / 3, partner.score, places=6)
        self.assertEqual((1, 1, 1, 0, 0), (partner.coincidences, partner.failures, partner.overlapped,
                                           partner.harmless, partner.together))

    def test_tests_on_the_same_worker_or_apart_in_time_are_no_partners(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.5), rec(f"{B}.test_2", "worker-1", 2.5, 3.0))
        (suspect,) = find_suspects(parallel)
        # B.test_1 ended at 0.5, before A.test_2's window (1.0-2.0); B.test_2's window is 0.5-3.0
        self.assertEqual([f"{B}.test_2"], [p.test for p in suspect.partners])
        self.assertAlmostEqual(1.0, suspect.partners[0].overlap_s)

    def test_ties_rank_by_id(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{C}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{B}.test_1", "worker-2", 0.0, 1.0))
        (suspect,) = find_suspects(parallel)
        self.assertEqual([f"{B}.test_1", f"{C}.test_1"], [p.test for p in suspect.partners])
        self.assertEqual(suspect.partners[0].score, suspect.partners[1].score)

    def test_a_partner_that_failed_too_ranks_below_one_that_passed(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-2", 0.0, 1.0, "fail"))
        diagnosis = diagnose(parallel)
        suspect = next(s for s in diagnosis.tests if s.test == f"{A}.test_1")
        self.assertEqual([f"{B}.test_1", f"{C}.test_1"], [p.test for p in suspect.partners])
        self.assertEqual(1, suspect.partners[1].together)
        self.assertAlmostEqual(OVERLAP_WEIGHT + (1 - OVERLAP_WEIGHT) * 2 / 3, suspect.partners[0].score)
        self.assertAlmostEqual(OVERLAP_WEIGHT + (1 - OVERLAP_WEIGHT) * 1 / 3, suspect.partners[1].score)

    def test_records_without_timestamps_or_worker_are_left_out(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-1", None, None), rec(f"{D}.test_1", None, 0.0, 1.0))
        diagnosis = diagnose(parallel)
        self.assertEqual(2, diagnosis.untimed)
        self.assertEqual([f"{B}.test_1"], [p.test for p in diagnosis.tests[0].partners])

    def test_testr_pseudo_test_is_never_a_suspect(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec("process-returncode", "worker-0", 1.0, 1.0, "fail"))
        self.assertEqual([f"{A}.test_1"], [s.test for s in diagnose(parallel).tests])

    def test_nested_runner_tags_name_distinct_workers(self) -> None:
        # testr tags everything worker-0; partitioner.run inside it tags its own worker-N; the reader
        # gives each record the inner tag (history.subunit._worker)
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail", frozenset({"worker-0"})),
                       rec(f"{B}.test_1", "worker-1", 0.0, 1.0, "success", frozenset({"worker-0", "worker-1"})))
        self.assertTrue(is_parallel(parallel))
        self.assertEqual([f"{B}.test_1"], [p.test for p in find_suspects(parallel)[0].partners])


class TestAcrossRuns(testtools.TestCase):
    def test_the_partner_there_at_every_failure_ranks_first(self) -> None:
        runs = racing_runs()
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual(4, diagnosis.runs)
        (klass,) = diagnosis.classes
        self.assertEqual((A, "class", 2), (klass.test, klass.level, klass.failures))
        self.assertEqual([B, C], [p.test for p in klass.partners])
        b, c = klass.partners
        # B: beside A in both failures, and in run 3 where B itself failed: every overlap split the two
        self.assertEqual((2, 2, 3, 0, 0), (b.coincidences, b.failures, b.overlapped, b.harmless, b.together))
        self.assertAlmostEqual(OVERLAP_WEIGHT * b.share + (1 - OVERLAP_WEIGHT) * (3 + 1) / (3 + 2), b.score)
        # C: beside A in every run; harmless in runs 1 and 3, where A and C both passed (B's failure in run 3
        # says nothing about C)
        self.assertEqual((2, 2, 4, 2, 0), (c.coincidences, c.failures, c.overlapped, c.harmless, c.together))
        self.assertAlmostEqual(OVERLAP_WEIGHT * c.share + (1 - OVERLAP_WEIGHT) * (2 + 1) / (4 + 2), c.score)

    def test_a_failure_without_the_partner_beside_it_lowers_its_score(self) -> None:
        runs = racing_runs()
        lone = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                   rec(f"{B}.test_1", "worker-0", 2.0, 3.0), rec(f"{C}.test_1", "worker-2", 0.0, 2.0),
                   run_id="r4", order=4)
        partners = diagnose(runs[2], history=[*runs, lone]).classes[0].partners
        b = next(p for p in partners if p.test == B)
        self.assertEqual((2, 3), (b.coincidences, b.failures))
        self.assertAlmostEqual(OVERLAP_WEIGHT * b.share + (1 - OVERLAP_WEIGHT) * 2 / 3 * 4 / 5, b.score)

    def test_serial_runs_in_history_take_no_part_but_are_counted(self) -> None:
        runs = racing_runs()
        serial = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-0", 1.0, 2.0),
                     run_id="serial", order=9)
        diagnosis = diagnose(runs[0], history=[*runs, serial])
        self.assertEqual(4, diagnosis.runs)
        suspect = next(s for s in diagnosis.tests if s.test == f"{A}.test_1")
        self.assertEqual(1, suspect.serial_failures)

    def test_the_diagnosed_run_is_counted_once_when_history_holds_it(self) -> None:
        runs = racing_runs()
        self.assertEqual(diagnose(runs[0], history=runs[1:]), diagnose(runs[0], history=runs))
        alone = diagnose(runs[0], history=[runs[0]])
        self.assertEqual(1, alone.runs)
        self.assertEqual(1, alone.classes[0].partners[0].failures)


class TestSerialExclusion(testtools.TestCase):
    def test_tests_failing_serially_too_are_left_out(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1[smoke]", "worker-1", 1.0, 2.0, "fail"))
        serial = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0), rec(f"{C}.test_1", "worker-0", 1.0, 2.0, "fail"))
        diagnosis = diagnose(parallel, serial)
        self.assertEqual([f"{A}.test_1"], [s.test for s in diagnosis.tests])
        self.assertEqual((f"{C}.test_1[smoke]",), diagnosis.excluded)
        self.assertEqual([A], [s.test for s in diagnosis.classes])

    def test_without_a_serial_run_every_failure_is_a_suspect(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"),
                       rec(f"{C}.test_1", "worker-1", 0.0, 1.0, "fail"))
        self.assertEqual([f"{A}.test_1", f"{C}.test_1"], [s.test for s in find_suspects(parallel)])

    def test_nothing_failed_gives_empty_views(self) -> None:
        diagnosis = diagnose(run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{B}.test_1", "worker-1", 0, 1)))
        self.assertEqual(((), ()), (diagnosis.tests, diagnosis.classes))


class TestClassView(testtools.TestCase):
    def parallel(self) -> Run:
        """A's setUpClass lost a race with B (running beside A's start); all of A failed; D (after E on its
        worker) and C overlap A's later tests only; C (one failed test of its own) is a lone failure."""
        return run(
            rec(f"{A}.test_1", "worker-0", 0.5, 0.9, "fail"), rec(f"{A}.test_2", "worker-0", 0.9, 3.0, "fail"),
            rec(f"{A}.test_3", "worker-0", 3.0, 5.0, "fail"),
            rec(f"{B}.test_1", "worker-1", 0.0, 0.4), rec(f"{B}.test_2", "worker-1", 0.4, 0.9),
            rec(f"{E}.test_1", "worker-2", 0.3, 0.9), rec(f"{D}.test_1", "worker-2", 1.2, 5.0),
            rec(f"{C}.test_1", "worker-1", 1.0, 2.0, "fail"), rec(f"{C}.test_2", "worker-1", 2.0, 3.0))

    def test_a_class_is_judged_where_its_failures_began(self) -> None:
        diagnosis = diagnose(self.parallel())
        klass = next(s for s in diagnosis.classes if s.test == A)
        self.assertEqual(tuple(f"{A}.test_{i}" for i in (1, 2, 3)), klass.failed)
        # the onset is A.test_1's window, 0.0-0.9 (with setUpClass): B and E cover it; the windows of D
        # (0.9-5.0) and C (0.9-2.0) overlap only A's later tests, which fail as consequences of the onset
        self.assertEqual([B, E], [p.test for p in klass.partners])
        self.assertEqual([0.9, 0.9], [round(p.overlap_s, 6) for p in klass.partners])
        self.assertEqual([1.0, 1.0], [p.share for p in klass.partners])

    def test_auto_shows_whole_classes_as_classes_and_lone_failures_as_tests(self) -> None:
        diagnosis = diagnose(self.parallel())
        self.assertEqual([A, f"{C}.test_1"], [s.test for s in diagnosis.view("auto")])
        self.assertEqual(["class", "test"], [s.level for s in diagnosis.view("auto")])
        self.assertEqual(4, len(diagnosis.view("test")))
        self.assertEqual([A, C], [s.test for s in diagnosis.view("class")])


class TestBadRuns(testtools.TestCase):
    def test_no_timestamps(self) -> None:
        bad = run(rec(f"{A}.test_1", "worker-0", None, None, "fail"), rec(f"{B}.test_1", "worker-1", None, None))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertIn("run 3 has no timestamps, so overlaps cannot be computed", str(error))

    def test_no_worker_tags(self) -> None:
        bad = run(rec(f"{A}.test_1", None, 0.0, 1.0, "fail"))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertEqual("run 3 has no worker tags: it ran serially, so nothing overlapped; pass a parallel run "
                         "(testr run --parallel)", str(error))

    def test_one_worker(self) -> None:
        bad = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-0", 1.0, 2.0))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertIn("run 3 ran on one worker (worker-0), so nothing overlapped", str(error))

    def test_a_run_in_which_no_test_ran_is_said_to_be_one(self) -> None:
        # it used to be "has no worker tags: it ran serially", which sent a user looking for a serial run
        returncode = run(rec("process-returncode", None, 0.0, 0.0, "fail"))
        error = self.assertRaises(HistoryError, diagnose, returncode, label="run 3")
        self.assertEqual("run 3 holds no test results (only process-returncode): its tests never ran, so nothing "
                         "overlapped; `testr last` or `stestr last` shows why (an import or listing failure?), then "
                         "diagnose a parallel run in which tests failed", str(error))
        error = self.assertRaises(HistoryError, diagnose, run(), label="run 4")
        self.assertIn("run 4 holds no test results: its tests never ran", str(error))

    def test_neither(self) -> None:
        error = self.assertRaises(HistoryError, diagnose, run(rec(f"{A}.test_1", None, None, None, "fail")))
        self.assertIn("has neither timestamps nor worker tags", str(error))
        self.assertNotIn("\n", str(error))

    def test_a_project_whose_testr_runs_the_runner_is_never_told_testr_run_parallel(self) -> None:
        bad = {"neither": run(rec(f"{A}.test_1", None, None, None, "fail")),
               "untimed": run(rec(f"{A}.test_1", "worker-0", None, None, "fail"), rec(f"{B}.test_1", "worker-1", None,
                                                                                      None)),
               "serial": run(rec(f"{A}.test_1", None, 0.0, 1.0, "fail")),
               "one worker": run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"))}
        for case, given in bad.items():
            plain = str(self.assertRaises(HistoryError, diagnose, given, label="run 3"))
            told = str(self.assertRaises(HistoryError, diagnose, given, label="run 3", runner=True))
            self.assertIn("testr run --parallel", plain, case)
            self.assertNotIn("--parallel", told.replace("not --parallel", ""), case)
            self.assertIn("testr run (the runner in .testr.conf's test_command runs the workers; not --parallel)"
                          if case != "one worker" else "testr run with --concurrency 2 or more among the runner's "
                          "options in .testr.conf's test_command (not --parallel)", told, case)
            self.assertEqual(plain.partition(";")[0], told.partition(";")[0], case)  # what is wrong: as before




class TestNoRace(testtools.TestCase):
    def test_a_failure_with_nothing_beside_it_is_no_race(self) -> None:
        runs = racing_runs()
        # run 4: A fails at the end of the run, after every other worker stopped
        late = run(rec(f"{B}.test_1", "worker-1", 0.0, 1.0), rec(f"{C}.test_1", "worker-2", 0.0, 1.0),
                   rec(f"{A}.test_1", "worker-0", 0.0, 1.2), rec(f"{A}.test_2", "worker-0", 1.5, 2.0, "fail"),
                   run_id="r4", order=4)
        diagnosis = diagnose(runs[2], history=[*runs, late])
        (klass,) = diagnosis.classes
        self.assertEqual(1, klass.lone)
        self.assertEqual("it also failed in 1 parallel run with nothing beside it on another worker", klass.not_race)
        alone = diagnose(late)
        self.assertEqual(((), 1), (alone.classes[0].partners, alone.classes[0].lone))
        self.assertIsNone(diagnose(runs[2], history=runs).classes[0].not_race)

    def test_a_failure_in_a_serial_run_is_no_race(self) -> None:
        runs = racing_runs()
        serial = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-0", 1.0, 2.0),
                     rec(f"{C}.test_1", "worker-0", 2.0, 3.0), run_id="serial", order=9)
        (klass,) = diagnose(runs[2], history=[*runs, serial]).classes
        self.assertEqual("it also failed in 1 serial run", klass.not_race)

    def test_a_run_where_nearly_everything_failed_is_flagged_and_left_out_of_the_counts(self) -> None:
        runs = racing_runs()
        everything = run(*(rec(f"pkg.m.K{i}Test.test_1", f"worker-{i % 3}", 0.0, 1.0, "fail") for i in range(5)),
                         rec(f"{A}.test_1", "worker-0", 1.0, 2.0, "fail"), rec(f"{B}.test_1", "worker-1", 1.0, 2.0,
                                                                              "fail"),
                         run_id="r5", order=5)
        diagnosis = diagnose(everything)
        self.assertEqual((7, 7), diagnosis.broken)
        self.assertIsNone(diagnose(runs[2], history=runs).broken)
        with_it = diagnose(runs[2], history=[*runs, everything])
        self.assertEqual((4, 1), (with_it.runs, with_it.broken_runs))
        self.assertEqual(diagnose(runs[2], history=runs).classes, with_it.classes)


class TestTop(testtools.TestCase):
    def test_ties_are_named_and_broken_by_id(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{C}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{B}.test_1", "worker-2", 0.0, 1.0))
        (suspect,) = diagnose(parallel).tests
        top = suspect.top()
        assert top is not None
        best, klass, tied = top
        self.assertEqual((f"{B}.test_1", B, (C,)), (best.test, klass, tied))

    def test_the_top_partner_is_of_another_class(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-1", 0.0, 1.0),
                       rec(f"{B}.test_1", "worker-2", 0.0, 1.0))
        suspect = next(s for s in diagnose(parallel).tests if s.test == f"{A}.test_1")
        self.assertEqual([f"{A}.test_2", f"{B}.test_1"], [p.test for p in suspect.partners])
        top = suspect.top()
        assert top is not None
        self.assertEqual((f"{B}.test_1", B, ()), (top[0].test, top[1], top[2]))
        self.assertIsNone(diagnose(run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"),
                                       rec(f"{A}.test_2", "worker-1", 0.0, 1.0))).tests[0].top())


def rotating_runs(passes: tuple[int, ...] = ()) -> list[Run]:
    """Three runs on two workers: D.test_1 (worker-1) fails in each, beside another class each time (A, then B,
    then C on worker-0), but in the runs listed in ``passes``, where it passed."""
    return [run(rec(f"{partner}.test_1", "worker-0", 0.0, 1.0),
                rec(f"{D}.test_1", "worker-1", 0.0, 1.0, "success" if order in passes else "fail"),
                run_id=f"r{order}", order=order)
            for order, partner in enumerate((A, B, C))]


class TestDeterministic(testtools.TestCase):
    def test_a_test_failing_in_every_run_whatever_ran_beside_it_is_left_out(self) -> None:
        # it used to get a rule with the class that happened to be beside it last (C: coincided 1/3)
        runs = rotating_runs()
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual(((), ()), (diagnosis.tests, diagnosis.classes))
        self.assertEqual(((f"{D}.test_1", 3),), diagnosis.deterministic)
        self.assertEqual((), diagnosis.excluded)  # those are --serial's
        self.assertEqual(3, diagnosis.runs)

    def test_a_test_that_passed_once_is_a_suspect_as_before(self) -> None:
        runs = rotating_runs(passes=(1,))
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual((), diagnosis.deterministic)
        (suspect,) = diagnosis.tests
        self.assertEqual((f"{D}.test_1", 2), (suspect.test, suspect.failures))
        self.assertEqual([f"{C}.test_1"], [p.test for p in suspect.partners])

    def test_one_run_is_not_enough(self) -> None:
        (only,) = rotating_runs()[2:]
        diagnosis = diagnose(only, history=[only])
        self.assertEqual(((), 1), (diagnosis.deterministic, len(diagnosis.tests)))

    def test_a_race_lost_every_time_beside_the_same_class_is_still_a_suspect(self) -> None:
        # testr's plan puts the classes in the same places run after run: A can lose its race with B every time
        runs = racing_runs()
        both = [runs[0], runs[2]]
        diagnosis = diagnose(runs[2], history=both)
        self.assertEqual((), diagnosis.deterministic)
        (klass,) = diagnosis.classes
        self.assertEqual((A, 2, B), (klass.test, klass.failures, klass.partners[0].test))

    def test_a_serial_run_counts_as_a_run_that_ran_it(self) -> None:
        parallel = rotating_runs()[0]
        failed = run(rec(f"{D}.test_1", "worker-0", 0.0, 1.0, "fail"), run_id="s", order=5)
        passed = run(rec(f"{D}.test_1", "worker-0", 0.0, 1.0), run_id="s", order=5)
        # it failed serially too: in both runs that ran it, the serial one with nothing beside it
        self.assertEqual(((f"{D}.test_1", 2),), diagnose(parallel, history=[parallel, failed]).deterministic)
        # it passed serially: the failure needs something beside it, as before
        diagnosis = diagnose(parallel, history=[*rotating_runs(), passed])
        self.assertEqual(((), [f"{D}.test_1"]), (diagnosis.deterministic, [s.test for s in diagnosis.tests]))
        diagnosis = diagnose(parallel, passed, history=rotating_runs())  # so does a --serial run it passed in
        self.assertEqual(((), [f"{D}.test_1"]), (diagnosis.deterministic, [s.test for s in diagnosis.tests]))

    def test_a_class_keeps_its_failures_that_depend_on_what_ran_beside_it(self) -> None:
        # D.test_1 fails in every run, whoever ran beside it; D.test_2 only in run 2, beside C
        runs = [run(*r.records, rec(f"{D}.test_2", "worker-1", 1.0, 2.0, "fail" if r.order == 2 else "success"),
                    rec(f"{partner}.test_2", "worker-0", 1.0, 2.0), run_id=r.run_id, order=r.order)
                for r, partner in zip(rotating_runs(), (A, B, C), strict=True)]
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual(((f"{D}.test_1", 3),), diagnosis.deterministic)
        (klass,) = diagnosis.classes
        self.assertEqual((D, (f"{D}.test_2",), 1), (klass.test, klass.failed, klass.failures))
        self.assertEqual([C], [p.test for p in klass.partners])

    def test_always_failing_is_the_same_rule_over_stored_runs_alone(self) -> None:
        # what `partitioner history summary` counts apart: the tests diagnose leaves out, without a diagnosed run
        self.assertEqual({f"{D}.test_1": 3}, always_failing(rotating_runs()))
        self.assertEqual({}, always_failing(rotating_runs(passes=(1,))))
        self.assertEqual({}, always_failing(rotating_runs()[:1]))  # one run is not enough
        runs = racing_runs()  # A lost its race with B in both runs that failed: the same class beside it each time
        self.assertEqual({}, always_failing([runs[0], runs[2]]))
        serial = run(rec(f"{D}.test_1", "worker-0", 0.0, 1.0, "fail"), run_id="s", order=5)
        self.assertEqual({f"{D}.test_1": 2}, always_failing([rotating_runs()[0], serial]))
        untimed = run(rec(f"{D}.test_1", "worker-1", None, None, "fail"), rec(f"{A}.test_1", "worker-0", None, None),
                      run_id="u", order=6)
        self.assertEqual({}, always_failing([untimed, run(*untimed.records, run_id="v", order=7)]))  # nothing known
        for diagnosed in rotating_runs():  # the same answer as diagnose gives for each run
            self.assertEqual(((f"{D}.test_1", 3),), diagnose(diagnosed, history=rotating_runs()).deterministic)

    def test_runs_where_nearly_everything_failed_do_not_count(self) -> None:
        runs = rotating_runs()
        everything = run(*(rec(f"pkg.m.K{i}Test.test_1", f"worker-{i % 2}", 0.0, 1.0, "fail") for i in range(4)),
                         rec(f"{D}.test_1", "worker-1", 1.0, 2.0, "fail"), run_id="r9", order=9)
        self.assertEqual(((f"{D}.test_1", 3),), diagnose(runs[2], history=[*runs, everything]).deterministic)
        self.assertEqual((), diagnose(runs[2], history=[runs[2], everything]).deterministic)
        # and a broken diagnosed run stays broken: it is said as a whole, not test by test
        self.assertEqual(((), (5, 5)), (diagnose(everything, history=[everything, *runs]).deterministic,
                                        diagnose(everything, history=[everything, *runs]).broken))

    def test_beside_a_flaky_test_a_deterministic_failure_is_no_winner_of_a_race(self) -> None:
        # D fails in every run; A fails only in run 2. D was beside A in the five runs A passed: counted as a
        # failure, D looked like the winner of the race each time and ranked above C, beside A's one failure
        def one(order: int) -> Run:
            if order == 3:  # D beside B only: A runs after B on worker-0
                return run(rec(f"{B}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_1", "worker-0", 1.0, 2.0),
                           rec(f"{D}.test_1", "worker-1", 0.0, 1.0, "fail"), run_id=f"r{order}", order=order)
            return run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail" if order == 2 else "success"),
                       rec(f"{D}.test_1", "worker-1", 0.0, 1.0, "fail"),
                       *([rec(f"{C}.test_1", "worker-2", 0.0, 1.0)] if order == 2 else []),
                       run_id=f"r{order}", order=order)
        runs = [one(order) for order in range(7)]
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual(((f"{D}.test_1", 7),), diagnosis.deterministic)
        (suspect,) = diagnosis.tests
        self.assertEqual([f"{C}.test_1", f"{D}.test_1"], [p.test for p in suspect.partners])
        d = suspect.partners[1]
        self.assertEqual((1, 6, 5, 0), (d.coincidences, d.overlapped, d.harmless, d.together))


class TestOrderDependent(testtools.TestCase):
    """A lone failure is no race; one that passed in another parallel run may hang on the order (``--order``)."""

    def test_a_lone_failure_that_passed_in_another_parallel_run_may_be_order_dependent(self) -> None:
        def parallel(order: int, status: str) -> Run:
            return run(rec(f"{C}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_1", "worker-0", 1.0, 2.0, status),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.5), run_id=str(order), order=order)

        (alone,) = diagnose(parallel(0, "fail")).tests
        self.assertEqual((1, 0, False), (alone.lone, alone.passed, alone.order_dependent))
        passed, failed = parallel(0, "success"), parallel(1, "fail")
        (suspect,) = diagnose(failed, history=[passed, failed]).tests
        self.assertEqual((1, 1, True), (suspect.lone, suspect.passed, suspect.order_dependent))
        (raced,) = diagnose(racing_runs()[2], history=racing_runs()).tests[:1]  # passed too, but a race
        self.assertEqual((None, False), (raced.not_race, raced.order_dependent))
