"""partitioner.hooks on a rerun of failed testscenarios scenarios (``stestr run --failing``): the ids a run reported
(``m.S.test_a(thread)``), which the tool's runner cannot find where the suite lists the test whole (``m.S.test_a``)."""

from __future__ import annotations

import io
import os

import fixtures
import testtools

from partitioner import hooks
from tests.suites import subunit_v2


class FailingRepo:
    """A repository double: no times, and a failing run holding ``failing`` (test id -> status)."""

    def __init__(self, failing: dict[str, str]) -> None:
        self.failing = failing

    def get_test_times(self, test_ids: list[str]) -> dict[str, object]:
        return {"known": {}, "unknown": set(test_ids)}

    def get_failing(self) -> FailingRepo:
        return self

    def get_subunit_stream(self) -> io.BytesIO:
        return io.BytesIO(subunit_v2([(t, s, 1.0, 2.0, None) for t, s in self.failing.items()]))


def fails(*test_ids: str) -> FailingRepo:
    return FailingRepo(dict.fromkeys(test_ids, "fail"))


class TestScenarioReruns(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path  # [partitioner] is read from the working directory
        cwd = os.getcwd()
        os.chdir(tmp)
        self.addCleanup(os.chdir, cwd)

    def plan(self, ids: list[str], concurrency: int, repository: object) -> tuple[list[list[str]], list[str]]:
        said: list[str] = []
        parts, _ = hooks.plan_partitions(ids, concurrency, repository, warn=said.append, note=said.append)
        return parts, said

    def test_a_rerun_asks_for_the_test_beside_its_scenario_in_one_list(self) -> None:
        ids = ["m.S.test_a(thread)", "m.S.test_a(green)", "m.P.test_x", "m.Q.test_y"]
        parts, said = self.plan(ids, 2, fails(*ids))
        self.assertEqual(sorted([*ids, "m.S.test_a"]), sorted(t for p in parts for t in p))
        home = next(p for p in parts if "m.S.test_a" in p)
        self.assertIn("m.S.test_a(thread)", home)
        self.assertIn("m.S.test_a(green)", home)  # two scenarios of one test: one list, so it runs once
        self.assertIn("2 of the failed tests to run again are testscenarios scenarios of a test not in the list "
                      "(m.S.test_a(green), m.S.test_a(thread)): the run asks for the test too", said[0])

    def test_fewer_tests_to_run_again_than_workers_is_a_note(self) -> None:
        parts, said = self.plan(["m.S.test_a(thread)"], 2, fails("m.S.test_a(thread)"))
        self.assertEqual([["m.S.test_a", "m.S.test_a(thread)"]], [sorted(p) for p in parts])
        self.assertIn("2 workers asked for, but there is only 1 test to run again: planned for 1", said)
        self.assertFalse([line for line in said if "nothing to run" in line], said)

    def test_ids_that_are_not_a_rerun_of_the_failing_run_are_planned_as_they_are(self) -> None:
        # a listing of load_tests_apply_scenarios: its scenarios are tests of their own, and only one failed
        ids = ["m.L.test_a(green)", "m.L.test_a(thread)", "m.P.test_x"]
        for repository in (fails("m.L.test_a(thread)"), FailingRepo(dict.fromkeys(ids, "success")), None, object()):
            parts, said = self.plan(ids, 2, repository)
            self.assertEqual(sorted(ids), sorted(t for p in parts for t in p), repr(repository))
            self.assertFalse([line for line in said if "scenario" in line], said)

    def test_only_a_trailing_scenario_of_a_test_not_in_the_list_is_mapped(self) -> None:
        ids = ["setUpClass (m.S)", "m.T.test_b(x)", "m.T.test_b", "m.U(odd).test_c"]
        parts, said = self.plan(ids, 2, fails(*ids))
        self.assertEqual(sorted(ids), sorted(t for p in parts for t in p))
        self.assertFalse([line for line in said if "scenario" in line], said)

    def test_the_failing_run_is_not_parsed_when_it_is_too_small_to_hold_the_ids(self) -> None:
        repo = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(repo, "failing"), "wb") as out:
            out.write(b"x" * 20)

        class OnDisk(FailingRepo):
            base = repo

            def get_subunit_stream(self) -> io.BytesIO:
                raise AssertionError("read a failing run too small to hold the ids")

        self.assertEqual({}, hooks.scenario_reruns(["m.S.test_a(thread)", "m.P.test_x", "m.Q.test_y"],
                                                   OnDisk({})))
