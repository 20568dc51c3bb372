"""Tests for partitioner.statuses: which listed tests have no final status yet, and which failures say a test did not
run to its end."""

from __future__ import annotations

import testtools

from partitioner.statuses import reason_line, unended, unfinished


class TestUnended(testtools.TestCase):
    """Which tests have no final status, by the id each is known by (testscenarios runs ``m.C.t`` as ``m.C.t(x)``)."""

    def test_listed_ids_without_a_final_status_in_listed_order(self) -> None:
        last = {"m.A.a": "success", "m.A.b": "inprogress", "m.A.d": "exists"}
        self.assertEqual(["m.A.b", "m.A.c", "m.A.d"], unended(["m.A.a", "m.A.b", "m.A.c", "m.A.d"], last))

    def test_a_scenario_cut_short_is_named_even_when_another_scenario_ended(self) -> None:
        last = {"m.S.t(green)": "success", "m.S.t(thread)": "inprogress", "m.P.p": "success"}
        self.assertEqual(["m.S.t(thread)"], unended(["m.P.p", "m.S.t"], last))

    def test_a_running_scenario_stands_for_its_listed_id(self) -> None:
        self.assertEqual(["m.S.u", "m.S.t(one)"], unended(["m.S.t", "m.S.u"], {"m.S.t(one)": "inprogress"}))

    def test_scenarios_that_all_ended_leave_nothing(self) -> None:
        last = {"m.S.t(one)": "fail", "m.S.t(two)": "skip"}
        self.assertEqual([], unended(["m.S.t"], last))

    def test_ids_of_tests_not_listed_are_not_its_business(self) -> None:
        last = {"setUpClass (m.S)": "inprogress", "other.X.t(one)": "inprogress", "m.A.a": "success"}
        self.assertEqual([], unended(["m.A.a"], last))


def did_not_run(text: str, traceback: bool = False) -> bool:
    """A failure's reason (or, with ``traceback``, its traceback) read as the Tee and exec's account read it."""
    return unfinished(reason_line("", text) if traceback else reason_line(text))


class TestUnfinished(testtools.TestCase):
    def test_which_failures_did_not_run(self) -> None:
        self.assertTrue(did_not_run("not run: its module a.b failed to import in the test process:\nImportError"))
        self.assertTrue(did_not_run("interrupted (SIGTERM) before this test reported a result"))
        self.assertTrue(did_not_run("lane 2 lost its dispatcher, and this test never reported a result"))
        self.assertTrue(did_not_run("Traceback (most recent call last):\n  File x\nKeyboardInterrupt\n", True))
        self.assertFalse(did_not_run("Traceback (most recent call last):\nAssertionError: not run: x\n", True))
        self.assertFalse(did_not_run("a skip reason the test wrote"))
        self.assertFalse(did_not_run(""))
