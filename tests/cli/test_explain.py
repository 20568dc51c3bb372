"""Tests for ``partitioner explain``."""

from __future__ import annotations

import json
import os
import re

import fixtures

from partitioner.cli.main import ERROR, OK
from tests.cli.harness import CLICase, PlanCase


class TestExplain(PlanCase):
    def test_explain(self) -> None:
        code, out, _ = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"),
                                "--history", str(self.timings), "-n", "2", "--format", "json")
        doc = json.loads(out)
        self.assertEqual((OK, "m.A", "class mean", 3.0), (code, doc["group"], doc["estimate_source"],
                                                          doc["estimate_s"]))
        code, out, _ = self.cli("explain", "m.C.t1[smoke]", "-C", str(self.dir), "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertIn("1.000s from measured", out)
        self.assertIn("class setup, grouping class)", out)
        # the history read, so a sample count can be checked against the runs stored now
        self.assertIn(f"  history   json:{self.timings.name} (3 tests)\n", out)
        code, out, _ = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"),
                                "--group-by", "none", "--format", "json")
        self.assertEqual(("none", "m.A.t2"), (json.loads(out)["grouping"], json.loads(out)["group"]))

    def test_no_history_speaks_in_test_counts(self) -> None:
        # issue 9: with no history the numbers are test counts, not seconds
        code, out, _ = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"),
                                "-n", "2")
        self.assertEqual(OK, code)
        self.assertIn("estimate  1 in test counts, from no history", out)
        self.assertIn("  history   none (costs in test-count units, not seconds: a test counts 1, a class's setup 1",
                      out)
        self.assertIsNone(re.search(r"[0-9]s from", out))
        code, out, _ = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"),
                                "-n", "2", "--format", "json")
        self.assertEqual(("tests", 1.0), (json.loads(out)["unit"], json.loads(out)["estimate_s"]))

    def test_unknown_id_suggests_close_ones(self) -> None:
        self.assertOneLineError(["explain", "x.Y.z", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt")],
                                ERROR, "is not in the test list")
        self.assertOneLineError(self.plan_args("m.A.t", command="explain"), ERROR, "did you mean m.A.t1, m.A.t2?")

    def test_unknown_id_says_which_list_was_searched(self) -> None:
        # a new user's explain listed other tests than the run did: the error says which list it searched
        self.assertOneLineError(["explain", "x.Y.z", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt")],
                                ERROR, f"'x.Y.z' is not in the test list (4 tests from {self.dir / 'ids.txt'}); ")
        self.assertOneLineError(self.plan_args("m.A.t", "m\\.A\\.", command="explain"), ERROR,
                                f"is not in the test list (2 of 4 tests from {self.dir / 'ids.txt'}, filters: "
                                "m\\.A\\.); did you mean m.A.t1, m.A.t2?")

    def test_a_scenario_as_the_run_printed_it_explains_its_listed_test_and_says_so(self) -> None:
        # a testscenarios test is listed once (m.A.t2) and reports m.A.t2(thread): explain of the id the run printed
        # said "not in the test list"
        code, out, err = self.cli(*self.plan_args("m.A.t2(thread)", "-n", "2", command="explain"))
        self.assertEqual(OK, code, err)
        self.assertEqual("partitioner: note: m.A.t2(thread) is a scenario of m.A.t2, the test the list holds (a "
                         "testscenarios test reports each scenario under its own id): explaining m.A.t2\n", err)
        self.assertEqual("m.A.t2", out.splitlines()[0])
        code, out, err = self.cli(*self.plan_args("m.C.t1[smoke](green)", "--format", "json", command="explain"))
        self.assertEqual((OK, "m.C.t1[smoke]"), (code, json.loads(out)["test"]), err)
        self.assertIn("explaining m.C.t1[smoke]\n", err)
        # a scenario the list holds as a test of its own (load_tests_apply_scenarios) is explained as it is
        (self.dir / "ids.txt").write_text(f"{(self.dir / 'ids.txt').read_text()}m.D.t1(thread)\n")
        code, out, err = self.cli(*self.plan_args("m.D.t1(thread)", command="explain"))
        self.assertEqual((OK, "m.D.t1(thread)", ""), (code, out.splitlines()[0], err))
        # neither in the list: the id asked for is the one not found
        self.assertOneLineError(self.plan_args("x.Y.z(thread)", command="explain"), ERROR,
                                "'x.Y.z(thread)' is not in the test list")

    def test_a_test_path_the_shell_expands_is_named_as_the_directory_searched(self) -> None:
        # python-novaclient's test_path=${OS_TEST_PATH:-./novaclient/tests/unit}: the error named the value as written
        (self.dir / "t").mkdir()
        (self.dir / "t" / "__init__.py").write_text("")
        (self.dir / "t" / "test_a.py").write_text("import unittest\nclass A(unittest.TestCase):\n"
                                                  "    def test_1(self):\n        pass\n")
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-./t}\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        self.assertOneLineError(["explain", "x.Y.z", "-C", str(self.dir)], ERROR,
                                "'x.Y.z' is not in the test list (1 tests from discovery of ./t (.stestr.conf's "
                                "test_path ${OS_TEST_PATH:-./t})); ")
        code, out, err = self.cli("explain", "t.test_a.A.test_1", "-C", str(self.dir), "-n", "1")
        self.assertEqual(OK, code, err)
        self.assertIn("planned   as the run will: 1 tests from discovery of ./t (", out)
        self.assertOneLineError(["explain", "t.test_a.A.test_1", "nomatch", "-C", str(self.dir)], ERROR,
                                "none of the 1 tests from discovery of ./t (.stestr.conf's test_path "
                                "${OS_TEST_PATH:-./t}) is selected by the filters")

    def test_it_says_where_the_worker_count_came_from(self) -> None:
        # without -n the CPU count is used, which may not be what the run used: the text says so
        code, out, err = self.cli(*self.plan_args("m.A.t2", command="explain"))
        self.assertEqual(OK, code, err)
        self.assertRegex(out, r"  worker    worker \d+ of \d+ workers? \(this machine's CPU count, stestr's and "
                              r"testr's default too; pass -n N to match a run with --concurrency N\)\n")
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", command="explain"))
        self.assertIn(" of 2 workers (--concurrency)\n", out)
        self.assertEqual("--concurrency", json.loads(self.cli(*self.plan_args("m.A.t2", "-n", "2", "--format", "json",
                                                                               command="explain"))[1])
                         ["concurrency_from"])
        (self.dir / "tox.ini").write_text("[partitioner]\nconcurrency = 3\n")
        code, out, err = self.cli(*self.plan_args("m.A.t2", command="explain"))
        self.assertIn(f" of 3 workers (concurrency from [partitioner] in {self.dir / 'tox.ini'})\n", out)
        code, out, err = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"))
        self.assertIn(" of 3 workers (concurrency from [partitioner] in ", out)  # the branch in test counts says it too
        self.assertIn("in test counts", out)

    def test_it_explains_the_plan_the_run_will_use_and_says_which(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./t\n")  # no group_regex: per test
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", command="explain"))
        self.assertEqual(OK, code, err)
        self.assertIn("  group     m.A.t2 (1 test, ", out)  # one test, not "1 tests"
        self.assertIn("planned   as the run will: 4 tests from ", out)
        self.assertIn("grouping none (", out)
        code, out, err = self.cli(*self.plan_args("m.A.t2", "m\\.A\\.", "-n", "2", command="explain"))
        self.assertIn("2 of 4 tests from", out)

    def test_it_names_the_config_file_by_its_absolute_path_as_plan_and_exec_do(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./t\n")
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir)
        code, out, err = self.cli("explain", "m.A.t2", "-C", ".", "-n", "2", "--tests", "ids.txt")
        self.assertEqual(OK, code, err)
        self.assertIn(f"({self.dir.resolve() / '.stestr.conf'}: no group_regex", out)


    def test_it_says_the_worker_it_names_is_the_static_plan_s_when_the_run_is_dynamic(self) -> None:
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", command="explain"))
        self.assertEqual(OK, code, err)
        self.assertNotIn("dispatch", out)  # a plain list: no project command to judge the run by
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", "--format", "json", command="explain"))
        self.assertIsNone(json.loads(out)["run_dispatch"])
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./t\ngroup_regex=([^\\.]*\\.)*\n")
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", command="explain"))
        self.assertIn("  dispatch  dynamic in the run (partitioner exec's default: a pull worker stands in for the "
                      "project's test command): the worker above is the static plan's", out)
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", "--format", "json", command="explain"))
        self.assertEqual("dynamic", json.loads(out)["run_dispatch"]["mode"])
        (self.dir / "tox.ini").write_text("[partitioner]\ndispatch = static\n")
        code, out, err = self.cli(*self.plan_args("m.A.t2", "-n", "2", command="explain"))
        self.assertIn("  dispatch  static in the run (the dispatch option in ", out)


class TestExplainSaysWhatThePlanWarns(CLICase):
    def test_fewer_workers_than_asked_is_said_as_plan_says_it(self) -> None:
        # `explain -n 4` on 3 tests once said "worker 0 of 3 workers (--concurrency)" and nothing more
        work = self.useFixture(fixtures.TempDir()).path
        with open(f"{work}/ids.txt", "w") as out:
            out.write("m.A.t1\nm.A.t2\nm.B.t1\n")
        code, out, err = self.cli("explain", "m.A.t1", "-n", "4", "-C", work, "--tests", f"{work}/ids.txt")
        self.assertEqual(0, code, err)
        self.assertIn("of 3 workers (--concurrency)", out)
        self.assertIn("partitioner: note: 4 workers asked for, but there are only 3 tests: planned for 3\n", err)
