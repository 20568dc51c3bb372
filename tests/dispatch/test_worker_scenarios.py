"""The pull worker given the ids a run reported for testscenarios' scenarios (``m.S.test_a(thread)``), which the
suite lists only as their test (``m.S.test_a``): ``stestr run --failing`` after a scenario failed."""

from __future__ import annotations

import io
import unittest

import testscenarios
import testtools

from partitioner.dispatch.worker import GroupRunner, Suite
from tests.dispatch.helpers import Events, read_events

#: which scenarios ran, in order (each test appends its id)
RAN: list[str] = []


def classes() -> tuple[type[unittest.TestCase], type[unittest.TestCase]]:
    """``S``, a testscenarios test class, and ``Own``, whose run reports ``id(one)`` and ``id(two)`` not through
    testscenarios (made here, not at module level, where the project's own runs would load them)."""

    class S(testscenarios.WithScenarios, unittest.TestCase):
        scenarios = [("green", {"bad": False}), ("thread", {"bad": True}), ("mono", {"bad": False})]
        bad = False

        def test_a(self) -> None:
            RAN.append(self.id())
            self.assertFalse(self.bad, "thread broke")

        def test_b(self) -> None:
            RAN.append(self.id())

    class Own(unittest.TestCase):
        def test_a(self) -> None:
            RAN.append(self.id())

        def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
            for name in ("one", "two"):
                twin = Own("test_a")
                twin.id = lambda name=name: f"{Own('test_a').id()}({name})"  # type: ignore[method-assign,misc]
                unittest.TestCase.run(twin, result)
            return result

    return S, Own


#: not module-level names: unittest's loader and pytest would collect them
KINDS = classes()
A = KINDS[0]("test_a").id()
B = KINDS[0]("test_b").id()


class TestScenarioIds(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        RAN.clear()
        self.addCleanup(RAN.clear)

    def run_groups(self, suite: unittest.TestSuite, *groups: list[str], last: bool = False) -> Events:
        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(suite), stream)
        runner.start()
        for group in groups:
            runner.run_group(group, last=last)
        runner.finish()
        return read_events(stream.getvalue())

    def with_scenarios(self) -> unittest.TestSuite:
        return unittest.defaultTestLoader.loadTestsFromTestCase(KINDS[0])

    def test_a_scenario_the_suite_lists_as_its_test_runs_alone(self) -> None:
        events = self.run_groups(self.with_scenarios(), [f"{A}(thread)"])
        self.assertEqual({f"{A}(thread)": ["fail"]}, events.finals())
        self.assertIn("thread broke", events.attachment(f"{A}(thread)", "traceback"))
        self.assertEqual([f"{A}(thread)"], RAN)

    def test_two_scenarios_of_one_test_run_once_each_in_scenario_order(self) -> None:
        events = self.run_groups(self.with_scenarios(), [f"{A}(mono)", f"{A}(thread)", f"{A}(mono)"])
        self.assertEqual({f"{A}(mono)": ["success"], f"{A}(thread)": ["fail"]}, events.finals())
        self.assertEqual([f"{A}(thread)", f"{A}(mono)"], RAN)

    def test_scenarios_of_one_test_in_two_groups_of_one_process_run_once_each(self) -> None:
        events = self.run_groups(self.with_scenarios(), [f"{A}(thread)"], [f"{A}(green)", B],
                                 [f"{A}(thread)"])
        self.assertEqual({f"{A}(thread)": ["fail", "fail"], f"{A}(green)": ["success"],
                          **{f"{B}({n})": ["success"] for n in ("green", "thread", "mono")}}, events.finals())
        self.assertIn("not run again", events.attachment(f"{A}(thread)", "reason"))
        self.assertEqual([f"{A}(thread)", f"{A}(green)", f"{B}(green)", f"{B}(thread)", f"{B}(mono)"], RAN)

    def test_the_listed_test_with_one_of_its_scenarios_runs_each_scenario_once(self) -> None:
        for group in ([A, f"{A}(thread)"], [f"{A}(thread)", A]):
            RAN.clear()
            events = self.run_groups(self.with_scenarios(), group)
            self.assertEqual({f"{A}(green)": ["success"], f"{A}(thread)": ["fail"], f"{A}(mono)": ["success"]},
                             events.finals(), str(group))
            self.assertEqual([f"{A}(green)", f"{A}(thread)", f"{A}(mono)"], RAN, str(group))

    def test_a_scenario_the_test_does_not_have_fails_naming_those_it_has(self) -> None:
        events = self.run_groups(self.with_scenarios(), [f"{A}(eventlet)", B], last=True)
        self.assertEqual(["fail"], events.finals()[f"{A}(eventlet)"])
        self.assertIn(f"its test {A} runs as the scenarios (green), (thread), (mono)",
                      events.attachment(f"{A}(eventlet)", "reason"))
        self.assertNotIn(f"{A}(green)", events.finals())

    def test_a_scenario_whose_test_is_missing_too_has_no_test_with_this_id(self) -> None:
        events = self.run_groups(self.with_scenarios(), ["gone.S.test_a(thread)"], ["gone.S.test_b"])
        self.assertEqual({"gone.S.test_a(thread)": ["fail"], "gone.S.test_b": ["fail"]}, events.finals())
        for test_id in events.finals():
            self.assertIn("has no test with this id (was it renamed", events.attachment(test_id, "reason"))

    def test_a_missing_test_asked_for_beside_its_scenario_leaves_the_failure_to_the_scenario(self) -> None:
        # a rerun asks for both (hooks.scenario_reruns): one failure, under the id the run reported
        events = self.run_groups(self.with_scenarios(), ["gone.S.test_a(thread)", "gone.S.test_a"])
        self.assertEqual({"gone.S.test_a(thread)": ["fail"]}, events.finals())
        self.assertIn("has no test with this id", events.attachment("gone.S.test_a(thread)", "reason"))

    def test_scenarios_listed_as_tests_of_their_own_run_as_they_are(self) -> None:
        # load_tests_apply_scenarios: the suite lists m.S.test_a(thread) itself, and has no m.S.test_a
        applied = unittest.TestSuite(testscenarios.generate_scenarios(self.with_scenarios()))
        events = self.run_groups(applied, [f"{A}(thread)", A])
        self.assertEqual({f"{A}(thread)": ["fail"]}, events.finals())  # the listed id stands for it: no failure
        self.assertEqual([f"{A}(thread)"], RAN)

    def test_scenarios_not_of_testscenarios_run_with_their_whole_test(self) -> None:
        own = KINDS[1]("test_a").id()
        events = self.run_groups(unittest.defaultTestLoader.loadTestsFromTestCase(KINDS[1]),
                                 [f"{own}(two)", f"{own}(one)", f"{own}(three)"])
        self.assertEqual({f"{own}(one)": ["success"], f"{own}(two)": ["success"], f"{own}(three)": ["fail"]},
                         events.finals())
        self.assertEqual(2, len(RAN))  # once, for both
        self.assertIn(f"its test {own} ran, and reported no result under this id",
                      events.attachment(f"{own}(three)", "reason"))
