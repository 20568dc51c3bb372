"""Tests for partitioner.estimate: robust per-test costs, class-setup gaps, fallbacks for unseen tests."""

from __future__ import annotations

import testtools

from partitioner import estimate
from partitioner.grouping import BUILTIN, Group, group_tests
from partitioner.history.model import History, Run, Samples, TestRecord


def lane(worker: str, *items: tuple[str, float, float], status: str = "success") -> list[TestRecord]:
    """Records on one worker: (id, start, stop)."""
    return [TestRecord(t, status, a, b, worker) for t, a, b in items]


class TestSetups(testtools.TestCase):
    def test_first_class_on_each_worker_gets_its_start_offset(self) -> None:
        records = lane("worker-0", ("m.A.t", 10, 11)) + lane("worker-1", ("m.B.t", 13, 14), ("m.C.t", 15, 16))
        model = estimate.build_cost_model(["m.A.t", "m.B.t", "m.C.t"], History(runs=(Run("r", tuple(records)),)))
        self.assertEqual(estimate.Estimate(3.0, estimate.FIRST_ON_WORKER, 1), model.setup["m.B"])
        self.assertEqual(estimate.Estimate(1.0, estimate.MEASURED, 1), model.setup["m.C"])


class TestCostModel(testtools.TestCase):
    def runs(self, durations: list[float], status: str = "success") -> tuple[Run, ...]:
        return tuple(Run(f"r{i}", (TestRecord("m.A.t1", status, 0.0, d, "worker-0"),), order=i)
                     for i, d in enumerate(durations))

    def test_median_of_recent_successes(self) -> None:
        history = History(runs=self.runs([100.0, 1.0, 2.0, 3.0, 50.0, 2.5]))
        model = estimate.build_cost_model(["m.A.t1"], history)
        # the oldest (100) falls out of the 5-sample window; the 50 outlier does not move the median
        self.assertEqual(estimate.Estimate(2.5, estimate.MEASURED, 5), model.tests["m.A.t1"])

    def test_failed_and_skipped_samples_are_excluded(self) -> None:
        runs = self.runs([1.0]) + tuple(Run(f"f{s}", (TestRecord("m.A.t1", s, 0.0, 99.0, "worker-0"),), order=9)
                                        for s in ("fail", "skip", "inprogress"))
        model = estimate.build_cost_model(["m.A.t1"], History(runs=runs))
        self.assertEqual(1.0, model.tests["m.A.t1"].seconds)

    def test_a_test_that_never_passed_costs_what_it_did_instead(self) -> None:
        runs = tuple(Run(f"r{i}", (TestRecord("m.A.skipper", "skip", 0.0, 0.0),
                                   TestRecord("m.A.timeout", "fail", 0.0, 300.0),
                                   TestRecord("m.A.ok", "success", 0.0, 20.0)), order=i) for i in range(2))
        model = estimate.build_cost_model(["m.A.skipper", "m.A.timeout"], History(runs=runs))
        self.assertEqual(estimate.Estimate(0.0, estimate.MEASURED_NOT_PASSING, 2), model.tests["m.A.skipper"])
        self.assertEqual(300.0, model.tests["m.A.timeout"].seconds)

    def test_a_test_that_never_ran_is_priced_as_unseen_not_at_zero(self) -> None:
        # a failure written at one instant (a dead worker's lost test): its siblings' mean, not "measured 0 s"
        runs = tuple(Run(f"r{i}", (TestRecord("m.A.lost", "fail", 60.0, 60.0, "worker-1"),
                                   TestRecord("m.A.ok", "success", 0.0, 20.0, "worker-0")), order=i) for i in range(2))
        model = estimate.build_cost_model(["m.A.lost", "m.A.ok"], History(runs=runs))
        self.assertEqual(estimate.Estimate(20.0, estimate.SIBLING_CLASS), model.tests["m.A.lost"])
        self.assertEqual(1, model.measured_tests)

    def test_a_listed_id_the_run_expanded_into_scenarios_costs_their_sum(self) -> None:
        # testscenarios: the listing says m.A.t1, the run stores m.A.t1(thread) and m.A.t1(green[x]); running the
        # listed id runs both (futurist: 13 of 73 listed ids matched, and the plan predicted 19 s of 57)
        runs = tuple(Run(f"r{i}", (TestRecord("m.A.t1(thread)", "success", 0.0, 3.0),
                                   TestRecord("m.A.t1(green[x])", "success", 3.0, 8.0),
                                   TestRecord("m.A.t2", "success", 8.0, 9.0)), order=i) for i in range(2))
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2", "m.A.t1(thread)"], History(runs=tuple(runs)))
        self.assertEqual(estimate.Estimate(8.0, estimate.MEASURED, 2), model.tests["m.A.t1"])
        self.assertEqual(3.0, model.tests["m.A.t1(thread)"].seconds)  # a listed scenario id keeps its own
        self.assertEqual(1.0, model.tests["m.A.t2"].seconds)
        self.assertEqual(3, model.measured_tests)

    def test_attrs_stripped_ids_match(self) -> None:
        history = History(runs=(Run("r", (TestRecord("m.A.t1[smoke]", "success", 0.0, 4.0),)),))
        model = estimate.build_cost_model(["m.A.t1"], history)
        self.assertEqual(4.0, model.tests["m.A.t1"].seconds)

    def test_times_dbm_used_only_when_no_run_covers_the_test(self) -> None:
        history = History(runs=self.runs([1.0]), last_times={"m.A.t1": 9.0, "m.A.t2": 7.0})
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2[smoke]"], history)
        self.assertEqual((1.0, 7.0), (model.tests["m.A.t1"].seconds, model.tests["m.A.t2[smoke]"].seconds))
        self.assertEqual(estimate.TIMES_DBM, model.tests["m.A.t2[smoke]"].source)

    def test_unseen_tests_take_class_then_module_then_suite_mean(self) -> None:
        samples = Samples(tests={"m.A.t1": (2.0,), "m.A.t2": (4.0,), "m.B.t1": (10.0,), "n.C.t1": (30.0,)})
        model = estimate.build_cost_model(["m.A.new", "m.Z.new", "q.Q.new", "m.A.t1", "m.B.t1", "n.C.t1"],
                                          History(samples=(samples,)))
        self.assertEqual(estimate.Estimate(2.0 / 1, estimate.SIBLING_CLASS), model.tests["m.A.new"])
        self.assertEqual(estimate.Estimate(6.0, estimate.SIBLING_MODULE), model.tests["m.Z.new"])
        self.assertEqual(estimate.Estimate(14.0, estimate.SIBLING_SUITE), model.tests["q.Q.new"])

    def test_class_setup_from_gaps_and_fallback_for_unseen_classes(self) -> None:
        run = Run("r", tuple(lane("worker-0", ("m.A.t", 0, 1), ("m.B.t", 5, 6), ("m.C.t", 8, 9))))
        model = estimate.build_cost_model(["m.A.t", "m.B.t", "m.C.t", "m.D.t"], History(runs=(run,)))
        self.assertEqual(4.0, model.setup["m.B"].seconds)
        self.assertEqual(2.0, model.setup["m.C"].seconds)
        self.assertEqual(estimate.Estimate(3.0, estimate.SIBLING_MODULE), model.setup["m.D"])
        cost = model.group_cost(Group("m.B", ("m.B.t",)))
        self.assertEqual((5.0, 4.0), (cost.cost, cost.setup_s))

    def test_no_history_balances_by_count_and_structure(self) -> None:
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2", "m.B.t1"], History())
        self.assertFalse(model.has_history)
        self.assertEqual(3.0, model.group_cost(Group("m.A", ("m.A.t1", "m.A.t2"))).cost)
        # everything is estimated: one test plus the class's setup, in test-count units
        self.assertEqual(2.0, model.group_cost(Group("m.A", ("m.A.t1",))).estimated_s)

    def test_never_zero_for_unseen_tests_when_history_exists(self) -> None:
        samples = Samples(tests={"m.A.t1": (2.0,)})
        model = estimate.build_cost_model(["x.Y.z", "m.A.t1"], History(samples=(samples,)))
        self.assertGreater(model.tests["x.Y.z"].seconds, 0.0)
        self.assertEqual(estimate.SIBLING_SUITE, model.tests["x.Y.z"].source)

    def test_history_that_matches_no_planned_test_counts_tests(self) -> None:
        # issue 9: a tempest workspace whose history matched none of the ids showed "788.0s" of test counts
        samples = Samples(tests={"m.A.t1": (2.0,)})
        model = estimate.build_cost_model(["x.Y.z"], History(samples=(samples,)))
        self.assertEqual((False, True, "tests"), (model.has_history, model.unmatched_history, model.unit))
        self.assertEqual(estimate.Estimate(1.0, estimate.NO_HISTORY), model.test("x.Y.z"))


class TestSourcesInOrder(testtools.TestCase):
    def test_exact_times_win_over_times_dbm_and_lose_to_runs(self) -> None:
        run = Run("r", tuple(lane("worker-0", ("m.A.t1", 0, 1))))
        history = History(runs=(run,), exact_times={"m.A.t1": 9.0, "m.A.t2[x]": 5.0},
                          last_times={"m.A.t2": 7.0, "m.A.t3": 3.0})
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2[x]", "m.A.t3[y]"], history)
        self.assertEqual([1.0, 5.0, 3.0], [model.tests[t].seconds for t in ("m.A.t1", "m.A.t2[x]", "m.A.t3[y]")])
        self.assertEqual(estimate.MEASURED, model.tests["m.A.t1"].source)


class TestParametrisedClasses(testtools.TestCase):
    """Issue 9: a class per parameter (``Zone[Europe/London]_Pure``) keeps its own samples and setup."""

    LONDON = "tz.test_zones.Zone[Europe/London]_Pure.test_folds"
    UTC = "tz.test_zones.Zone[UTC]_Pure.test_folds"

    def test_each_parameter_is_priced_by_its_own_samples(self) -> None:
        records = lane("worker-0", (self.LONDON, 0.0, 4.0), (self.UTC, 4.5, 4.6))
        model = estimate.build_cost_model([self.LONDON, self.UTC], History(runs=(Run("r", tuple(records)),)))
        # one key per class: before, both became "tz.test_zones.Zone_Pure.test_folds" and shared a median
        self.assertEqual(estimate.Estimate(4.0, estimate.MEASURED, 1), model.tests[self.LONDON])
        self.assertEqual(1, model.tests[self.UTC].samples)
        self.assertAlmostEqual(0.1, model.tests[self.UTC].seconds)
        self.assertEqual(estimate.Estimate(0.5, estimate.MEASURED, 1), model.setup["tz.test_zones.Zone[UTC]_Pure"])

    def test_stestr_times_dbm_entry_of_a_collapsed_class_is_a_last_resort(self) -> None:
        history = History(last_times={"tz.test_zones.Zone_Pure.test_folds": 2.0, self.UTC: 0.25})
        model = estimate.build_cost_model([self.LONDON, self.UTC], history)
        self.assertEqual(estimate.Estimate(2.0, estimate.TIMES_DBM, 1), model.tests[self.LONDON])
        self.assertEqual(estimate.Estimate(0.25, estimate.TIMES_DBM, 1), model.tests[self.UTC])


class TestNoHistoryHints(testtools.TestCase):
    """With no history, what the ids say comes before counting tests (issue 9)."""

    def test_slow_attr_and_scenario_modules_count_more(self) -> None:
        ids = ["tempest.api.compute.test_a.A.test_x[id-1,slow]", "tempest.api.compute.test_a.A.test_y[id-2]",
               "tempest.scenario.test_minimum_basic.TestMinimumBasicScenario.test_basic[id-3,compute]"]
        model = estimate.build_cost_model(ids, History())
        self.assertEqual(("tests", False), (model.unit, model.has_history))
        self.assertEqual([10.0, 1.0, 10.0], [model.test(t).seconds for t in ids])
        self.assertEqual(estimate.NO_HISTORY_HEAVY, model.test(ids[0]).source)
        costs = model.group_costs(group_tests(ids, BUILTIN["class"]))
        self.assertEqual([12.0, 11.0], list(costs.cost))  # tests + one class setup each, in test counts

    def test_plain_ids_keep_the_plain_model(self) -> None:
        model = estimate.build_cost_model(["m.A.test_slowly_named_not_attr"], History())
        self.assertEqual((), tuple(model.seconds))
        self.assertFalse(estimate.heavy_by_id("m.A.test_slowly_named_not_attr"))
        self.assertTrue(estimate.heavy_by_id("tempest.scenario.test_x.X.test_y"))
