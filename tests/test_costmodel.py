"""Tests for partitioner.costmodel: the columnar model against the definition, one test and one class at a time."""

from __future__ import annotations

import math

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner import testids
from partitioner.costmodel import NO_HISTORY_TEST_ESTIMATE, SIBLING_CLASS, SIBLING_SUITE, TIMES_DBM, Estimate
from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, make_grouper
from partitioner.history.model import History, Run, TestRecord
from tests.generators import histories, id_lists


class TestCostModel(testtools.TestCase):
    """Group costs, the per-test view and the defaults, against their definition."""

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
            model = build_cost_model(table, history)
            costs = model.group_costs(table)
            for g, group in enumerate(table):
                tests = [model.test(t) for t in group.tests]
                classes = {testids.class_key(t) for t in group.tests}
                # a split per test charges each test its share of its class's setup (none with no history:
                # its numbers are test counts); a group, each of its classes' setup once
                charged = model.has_history or spec != "none"
                share = {c: sum(testids.class_key(t) == c for t in table.tests) if spec == "none" else 1
                         for c in classes}
                setups = [model.class_setup(c).seconds / share[c] for c in classes] if charged else []
                expected = math.fsum(e.seconds for e in tests) + math.fsum(setups)
                self.assertAlmostEqual(expected, costs.cost[g], places=6)
                self.assertEqual(sum(1 for e in tests if not e.measured), costs.n_unmeasured[g])
                self.assertAlmostEqual(math.fsum(e.seconds for e in tests if e.measured), costs.measured_tests_s[g],
                                       places=6)
                self.assertEqual(costs[g], model.group_cost(group))
            # the same model built from the plain ids (another column order) gives the same estimates
            plain = build_cost_model(list(reversed(ids + extra)), history)
            self.assertEqual({t: model.test(t) for t in table.tests}, {t: plain.test(t) for t in table.tests})
            self.assertEqual(dict(model.tests), dict(plain.tests))

    def test_a_split_per_test_without_history_counts_tests(self) -> None:
        ids = [f"m.C{c}.test_{t}" for c in range(3) for t in range(4)] + ["m.D.test[slow]"]
        table = group_tests(ids, make_grouper("none"))
        costs = build_cost_model(table, History()).group_costs(table)
        self.assertEqual([1.0] * 12 + [10.0], sorted(costs.cost))
        self.assertEqual([0.0] * 13, list(costs.setup_s))
        # grouped by class, each class's setup still counts once
        by_class = group_tests(ids, make_grouper("class"))
        self.assertEqual([5.0, 5.0, 5.0, 11.0], list(build_cost_model(by_class, History()).group_costs(by_class).cost))

    def test_a_split_per_test_with_history_charges_a_class_setup_once_per_class_not_per_test(self) -> None:
        # oslo.utils' second run (issue 9): 18,242 tests of about 1 ms each, split per test, were priced 7.7 ms
        # each because every test carried its whole class's setup (a 7 ms gap): a plan of 70 s per worker
        # for a run of 12 s, and a median that nearly turned dynamic dispatch on
        records = [TestRecord(f"m.A.t{n}", "success", 1.0 + 0.01 * n, 1.0 + 0.01 * n + 0.001, "worker-0")
                   for n in range(10)]
        records += [TestRecord("m.B.t0", "success", 0.0, 0.5, "worker-1"),
                    TestRecord("m.C.t0", "success", 0.9, 1.0, "worker-1")]  # m.C's setup: the 0.4 s gap
        ids = [r.test_id for r in records]
        table = group_tests(ids, make_grouper("none"))
        model = build_cost_model(table, History(runs=(Run("r", tuple(records)),)))
        self.assertAlmostEqual(0.4, model.class_setup("m.C").seconds)
        costs = dict(zip(table.keys, model.group_costs(table).cost, strict=True))
        self.assertAlmostEqual(0.1 + 0.4, costs["m.C.t0"])  # a class of one test: its whole setup
        class_a = [costs[f"m.A.t{n}"] for n in range(10)]
        self.assertAlmostEqual(10 * 0.001 + model.class_setup("m.A").seconds, math.fsum(class_a), places=6)
        self.assertAlmostEqual(costs["m.A.t3"], model.group_cost(table[3]).cost)  # alone, the same share

    def test_derived_and_measured_sources_in_the_view(self) -> None:
        history = History(exact_times={"m.A.t1": 2.0, "m.A.t2": 4.0})
        model = build_cost_model(["m.A.t1", "m.A.t2", "m.A.t3", "n.B.t"], history)
        self.assertEqual(Estimate(2.0, TIMES_DBM, 1), model.tests["m.A.t1"])
        self.assertEqual(Estimate(3.0, SIBLING_CLASS), model.tests["m.A.t3"])
        self.assertEqual(Estimate(3.0, SIBLING_SUITE), model.tests["n.B.t"])
        self.assertEqual(4, len(model.tests))
        self.assertEqual(NO_HISTORY_TEST_ESTIMATE, model.test("not.planned.at_all"))
