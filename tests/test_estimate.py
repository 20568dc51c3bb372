"""Tests for partitioner.estimate: robust per-test costs, class-setup gaps, fallbacks for unseen tests."""

from __future__ import annotations

import math

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner import estimate, testids
from partitioner.grouping import Group, group_tests, make_grouper
from partitioner.history.model import History, Run, Samples, TestRecord
from tests.generators import histories, id_lists


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
        model = estimate.build_cost_model(["x.Y.z"], History(samples=(samples,)))
        self.assertGreater(model.tests["x.Y.z"].seconds, 0.0)


class TestColumns(testtools.TestCase):
    """The columnar model against the definition, one test and one class at a time."""

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def test_group_costs_are_the_sum_of_their_parts(self, data: st.DataObject) -> None:
        ids = data.draw(id_lists())
        extra = data.draw(st.lists(st.sampled_from(["q.Q.new", "m.Z.x", "m.Z.y[smoke]"]), unique=True))
        history = data.draw(histories(ids))
        exact = data.draw(st.dictionaries(st.sampled_from(ids + extra), st.floats(0.0, 5.0), max_size=3))
        history = History(runs=history.runs, exact_times=exact)
        for spec in ("class", "module", "none"):
            table = group_tests(ids + extra, make_grouper(spec))
            model = estimate.build_cost_model(table, history)
            costs = model.group_costs(table)
            for g, group in enumerate(table):
                tests = [model.test(t) for t in group.tests]
                classes = {testids.class_key(t) for t in group.tests}
                setups = [model.class_setup(c) for c in classes]
                expected = math.fsum(e.seconds for e in tests) + math.fsum(e.seconds for e in setups)
                self.assertAlmostEqual(expected, costs.cost[g], places=6)
                self.assertEqual(sum(1 for e in tests if not e.measured), costs.n_unmeasured[g])
                self.assertAlmostEqual(math.fsum(e.seconds for e in tests if e.measured), costs.measured_tests_s[g],
                                       places=6)
                self.assertEqual(costs[g], model.group_cost(group))
            # the same model built from the plain ids (another column order) gives the same estimates
            plain = estimate.build_cost_model(list(reversed(ids + extra)), history)
            self.assertEqual({t: model.test(t) for t in table.tests}, {t: plain.test(t) for t in table.tests})
            self.assertEqual(dict(model.tests), dict(plain.tests))

    def test_derived_and_measured_sources_in_the_view(self) -> None:
        history = History(exact_times={"m.A.t1": 2.0, "m.A.t2": 4.0})
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2", "m.A.t3", "n.B.t"], history)
        self.assertEqual(estimate.Estimate(2.0, estimate.TIMES_DBM, 1), model.tests["m.A.t1"])
        self.assertEqual(estimate.Estimate(3.0, estimate.SIBLING_CLASS), model.tests["m.A.t3"])
        self.assertEqual(estimate.Estimate(3.0, estimate.SIBLING_SUITE), model.tests["n.B.t"])
        self.assertEqual(4, len(model.tests))
        self.assertEqual(estimate.NO_HISTORY_TEST_ESTIMATE, model.test("not.planned.at_all"))

    def test_exact_times_win_over_times_dbm_and_lose_to_runs(self) -> None:
        run = Run("r", tuple(lane("worker-0", ("m.A.t1", 0, 1))))
        history = History(runs=(run,), exact_times={"m.A.t1": 9.0, "m.A.t2[x]": 5.0},
                          last_times={"m.A.t2": 7.0, "m.A.t3": 3.0})
        model = estimate.build_cost_model(["m.A.t1", "m.A.t2[x]", "m.A.t3[y]"], history)
        self.assertEqual([1.0, 5.0, 3.0], [model.tests[t].seconds for t in ("m.A.t1", "m.A.t2[x]", "m.A.t3[y]")])
        self.assertEqual(estimate.MEASURED, model.tests["m.A.t1"].source)
