"""Tests for partitioner.plan: figures, edge cases, and the invariant checker."""

from __future__ import annotations

import testtools

from partitioner.errors import InputError, UsageError
from partitioner.estimate import build_cost_model
from partitioner.grouping import Group, group_tests, make_grouper
from partitioner.history.digest import merge_planning
from partitioner.history.model import NO_RUNS_YET, History, TestRecord, is_note
from partitioner.plan import Partition, Plan, build_plan, validate
from partitioner.strategies import get_strategy
from tests.builders import IDS, plan_for, rec, run


class TestFigures(testtools.TestCase):
    def test_figures_include_class_setup(self) -> None:
        plan = plan_for(IDS, 2)
        self.assertEqual(12.0, plan.total_s)  # 10 s of tests + 2 s of setup
        self.assertEqual(7.0, plan.predicted_makespan_s)  # A alone: 4 + 2 + 1
        self.assertEqual(7.0, plan.lower_bound_s)
        self.assertEqual(1.0, plan.efficiency)
        self.assertEqual("m.A", plan.critical_group)
        self.assertEqual(0.0, plan.estimated_share)
        self.assertEqual([("m.A",), ("m.B", "m.C")], sorted(p.groups for p in plan.workers))

    def test_estimated_share_counts_unseen_tests(self) -> None:
        plan = plan_for([*IDS, "m.C.new"], 2)
        self.assertAlmostEqual(1.0 / 13.0, plan.estimated_share)

    def test_more_workers_than_groups_leaves_empty_workers_and_says_so(self) -> None:
        plan = plan_for(IDS, 5)
        self.assertEqual(5, len(plan.workers))
        self.assertEqual(2, sum(1 for p in plan.workers if not p.tests))
        self.assertTrue(any("have nothing to run" in w for w in plan.warnings))

    def test_no_history_is_reported(self) -> None:
        plan = plan_for(IDS, 2, History())
        self.assertFalse(plan.has_history)
        self.assertTrue(any("no timing history" in w for w in plan.warnings))
        self.assertEqual(1.0, plan.estimated_share)
        self.assertEqual(("tests", 0), (plan.unit, plan.measured_tests))

    def test_an_empty_repository_s_warning_is_the_only_word_on_missing_history(self) -> None:
        ids = IDS
        warning = f".stestr: {NO_RUNS_YET}"
        plan = build_plan(group_tests(ids, make_grouper("class")), build_cost_model(ids, History()),
                          get_strategy("lpt"), 2, "class", warnings=[warning])
        self.assertEqual((warning,), plan.warnings)

    def test_a_first_run_s_empty_repository_is_a_note_in_either_wording(self) -> None:
        # nothing is wrong on a first run: printers label it note, not warning (is_note)
        per_test = build_plan(group_tests(IDS, make_grouper("none")), build_cost_model(IDS, History()),
                              get_strategy("lpt"), 2, "none", warnings=[f".stestr: {NO_RUNS_YET}"])
        self.assertEqual([True, True], [is_note(NO_RUNS_YET), is_note(per_test.warnings[0])])
        bare = build_plan(group_tests(IDS, make_grouper("none")), build_cost_model(IDS, History()),
                          get_strategy("lpt"), 2, "none")
        self.assertEqual([False], [is_note(w) for w in bare.warnings])  # no history passed: worth a warning

    def test_no_history_wording_follows_the_grouping_in_force(self) -> None:
        warning = f".stestr: {NO_RUNS_YET}"
        per_test = build_plan(group_tests(IDS, make_grouper("none")), build_cost_model(IDS, History()),
                              get_strategy("lpt"), 2, "none", warnings=[warning])
        self.assertEqual((".stestr: repository holds no runs yet: balanced by test count (split per test); this "
                          "run records timings",), per_test.warnings)
        bare = build_plan(group_tests(IDS, make_grouper("none")), build_cost_model(IDS, History()),
                          get_strategy("lpt"), 2, "none")
        self.assertIn("no timing history found: balanced by test count (split per test); pass --history or run "
                      "the suite once under testr/stestr", bare.warnings)
        self.assertIn("class structure", plan_for(IDS, 2, History()).warnings[0])

    def test_a_history_given_that_times_nothing_is_not_told_to_give_one(self) -> None:
        # `plan --history X` where X timed nothing said "pass --history": the user just had
        def notes(history: History) -> tuple[str, ...]:
            return build_plan(group_tests(IDS, make_grouper("none")), build_cost_model(IDS, history),
                              get_strategy("lpt"), 2, "none", warnings=history.warnings, history=history).warnings

        empty = History(sources=("json:/p/times.json (0 tests)",))
        self.assertEqual(("no timing history: json:/p/times.json (0 tests) timed none of these tests: balanced by "
                          "test count (split per test); give the history of a run of this suite",), notes(empty))
        unreadable = History(sources=("store:sqlite:///none.db (unreadable)",),
                             warnings=("sqlite:///none.db: no such store file; planning without it",))
        self.assertEqual(unreadable.warnings, notes(unreadable))  # its warning has said why: one line
        self.assertIn("pass --history", notes(History())[0])  # none given: say where one comes from

    def test_units_are_seconds_with_history(self) -> None:
        plan = plan_for(IDS, 2)
        self.assertEqual(("s", len(IDS)), (plan.unit, plan.measured_tests))
        self.assertFalse(any("matched" in w for w in plan.warnings))

    def test_history_of_another_suite_is_reported_and_counted_in_tests(self) -> None:
        plan = plan_for(["other.Suite.test_a", "other.Suite.test_b"], 2)
        self.assertEqual((False, "tests"), (plan.has_history, plan.unit))
        self.assertEqual(["the timing history matched none of the 2 tests"],
                         [w.split(":")[0] for w in plan.warnings if "matched" in w])

    def test_history_that_matches_little_is_reported(self) -> None:
        plan = plan_for([*IDS, *(f"m.New.test_{i}" for i in range(len(IDS) + 1))], 2)
        self.assertEqual("s", plan.unit)
        self.assertTrue(any(f"matched only {len(IDS)} of {2 * len(IDS) + 1} tests" in w for w in plan.warnings),
                        plan.warnings)

    def test_an_interrupted_run_is_not_taken_for_another_suites_history(self) -> None:
        # the only stored run was interrupted: the tests it did not reach are failures of no duration
        # ("not run: interrupted"), the history is this suite's all the same
        ids = [f"m.K{k}.test_{i}" for k in range(4) for i in range(10)]
        ran = [rec(t, "worker-0", n, n + 0.5) for n, t in enumerate(ids[:3])]
        unrun = [rec(t, "worker-0", 9.0, 9.0, "fail") for t in ids[3:]]
        def of_runs(*records: TestRecord) -> History:
            return History(runs=(run(*records),))

        def of_digests(*records: TestRecord) -> History:  # what planning reads of a repository
            return merge_planning([History(runs=(run(*records),)), History()])

        for how, history_of in (("runs", of_runs), ("digests", of_digests)):
            plan = plan_for(ids, 2, history_of(*ran, *unrun))
            [warning] = [w for w in plan.warnings if "timing history" in w]
            self.assertIn("the timing history timed only 3 of 40 tests: its stored runs name 37 more without "
                          "timing them (an interrupted run stores the tests it did not reach as failures, 'not "
                          "run', with no timing)", warning, how)
            self.assertNotIn("comes from this suite", warning, how)
            self.assertIn("a complete run records their timings", warning, how)
            # interrupted before any test finished: nothing timed, still this suite's
            none = plan_for(ids, 2, history_of(*(rec(t, "worker-0", 9.0, 9.0, "fail") for t in ids)))
            [warning] = [w for w in none.warnings if "timing history" in w]
            self.assertEqual("tests", none.unit, how)
            self.assertIn("the timing history timed none of the 40 tests: its stored runs name 40 of them without "
                          "timing them", warning, how)
            self.assertNotIn("comes from this suite", warning, how)

    def test_a_few_unrun_tests_do_not_explain_a_history_that_matches_little(self) -> None:
        ids = [f"m.K{k}.test_{i}" for k in range(4) for i in range(10)]
        history = History(runs=(run(*(rec(t, "worker-0", n, n + 0.5) for n, t in enumerate(ids[:3])),
                                    *(rec(t, "worker-0", 9.0, 9.0, "fail") for t in ids[3:6])),))
        [warning] = [w for w in plan_for(ids, 2, history).warnings if "timing history" in w]
        self.assertIn("matched only 3 of 40 tests", warning)  # 34 tests the history never names
        self.assertIn("check that the history comes from this suite", warning)
        history = History(runs=(run(*(rec(t, "worker-0", 9.0, 9.0, "fail") for t in ids[:6])),))
        [warning] = [w for w in plan_for(ids, 2, history).warnings if "timing history" in w]
        self.assertIn("matched none of the 40 tests", warning)

    def test_bad_concurrency_and_empty_lists(self) -> None:
        err = self.assertRaises(UsageError, plan_for, IDS, 0)
        self.assertIn("concurrency must be at least 1, got 0", str(err))
        err = self.assertRaises(InputError, plan_for, [], 2)
        for message in (str(err), str(self.assertRaises(UsageError, plan_for, IDS, 0))):
            self.assertNotIn("--", message)  # core messages name no CLI flag: hook users have none

    def test_worker_of(self) -> None:
        plan = plan_for(IDS, 2)
        self.assertEqual(plan.worker_of("m.A.t1"), plan.worker_of("m.A.t2"))
        self.assertIsNone(plan.worker_of("nope"))


class TestValidate(testtools.TestCase):
    def test_reports_split_groups_and_lost_ids(self) -> None:
        groups = (Group("m.A", ("m.A.t1", "m.A.t2")),)
        parts = (Partition(0, ("m.A.t1",), ("m.A",), 1.0), Partition(1, ("m.A.t2", "m.A.t2"), ("m.A",), 1.0))
        plan = Plan(parts, "x", "class", 1.0, 1.0, 2.0, 1.0, 0.0, None, True)
        problems = [v.describe() for v in validate(plan, ["m.A.t1", "m.A.t2", "m.Z.t"], groups)]
        self.assertEqual(2, len(problems))
        self.assertIn("1 missing, 1 duplicated", problems[0])
        self.assertIn("split over workers [0, 1]", problems[1])
