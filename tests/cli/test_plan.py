"""Tests for ``partitioner plan``: formats, outputs, stdin, duplicates, listing, resources."""

from __future__ import annotations

import json
import os
import shutil
import sys

import fixtures

from partitioner.cli.main import ERROR, OK, USAGE
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Samples
from partitioner.render.html import DYNAMIC_SECTION
from tests.cli.harness import IDS, PlanCase
from tests.suites import subunit_v2
from tests.timeline.test_page import page_data


class TestPlan(PlanCase):
    def test_json_plan(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "json"))
        self.assertEqual((OK, ""), (code, err))
        doc = json.loads(out)
        self.assertEqual(sorted(IDS.split()), sorted(t for w in doc["workers"] for t in w["tests"]))
        self.assertEqual(2, len(doc["workers"]))

    def test_tests_from_stdin_and_strategy(self) -> None:
        code, out, _ = self.cli("plan", "-C", str(self.dir), "--tests", "-", "-n", "2", "--strategy", "roundrobin",
                                "--format", "json", stdin=IDS.encode())
        self.assertEqual(OK, code)
        self.assertEqual("roundrobin", json.loads(out)["strategy"])

    def test_load_lists(self) -> None:
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "load-lists", "-o", str(self.dir / "l")))
        self.assertEqual(OK, code)
        self.assertEqual(2, len(out.split()))

    def test_worker_file_is_yaml(self) -> None:
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "stestr-worker-file"))
        self.assertEqual(OK, code)
        self.assertIn("- worker:", out)

    def test_more_workers_than_groups(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "4", "--format", "json"))
        self.assertEqual(OK, code)
        self.assertEqual(4, len(json.loads(out)["workers"]))
        self.assertIn("1 of 4 workers have nothing to run: only 3 groups", err)

    def test_dispatch_dynamic_shows_the_queue_and_its_timeline(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic", "--dispatch-order", "suite"))
        self.assertEqual((OK, ""), (code, err))
        self.assertIn("dynamic dispatch: 3 groups queued in suite order on 2 lanes", out)
        code, out, err = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic", "--dispatch-order", "cost"))
        self.assertIn("dynamic dispatch: 3 groups queued longest first on 2 lanes", out)
        code, out, err = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic"))  # the default order
        self.assertIn("dynamic dispatch: 3 groups queued in suite order (lanes may skip ahead to long groups) on 2 "
                      "lanes", out)
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic", "--format", "json"))
        doc = json.loads(out)
        self.assertEqual("dynamic", doc["dispatch"]["mode"])
        self.assertEqual(3, len(doc["dispatch"]["queue"]))
        code, _, err = self.cli(*self.plan_args("--dispatch", "dynamic", "--format", "stestr-worker-file"))
        self.assertEqual(USAGE, code)
        self.assertIn("writes static shares", err)

    def test_the_config_dispatch_option_applies_to_table_and_json_only(self) -> None:
        (self.dir / "setup.cfg").write_text("[partitioner]\ndispatch = dynamic\n")
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "json"))
        self.assertEqual("dynamic", json.loads(out)["dispatch"]["mode"])
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "stestr-worker-file"))
        self.assertEqual(OK, code)
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "json", "--dispatch", "static"))
        self.assertEqual({"mode": "static"}, json.loads(out)["dispatch"])

    def test_more_workers_than_tests_are_capped_fast(self) -> None:
        # issue 10 item 3: -n 10000000 on a handful of tests ran past 60 s and 2 GB
        code, out, err = self.cli(*self.plan_args("-n", "10000000", "--format", "json"))
        self.assertEqual(OK, code)
        self.assertEqual(4, len(json.loads(out)["workers"]))
        self.assertIn("10000000 workers asked for, but there are only 4 tests: planned for 4", err)
        (self.dir / "setup.cfg").write_text("[partitioner]\nconcurrency = 99999999999999999999\n")
        code, out, err = self.cli(*self.plan_args("--format", "json"))
        self.assertEqual(OK, code, err)
        self.assertEqual(4, len(json.loads(out)["workers"]))

    def test_duplicates_are_planned_once(self) -> None:
        code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", "-", "-n", "2", "--format", "json",
                                  stdin=(IDS + IDS).encode())
        self.assertEqual(OK, code)
        self.assertEqual(4, sum(len(w["tests"]) for w in json.loads(out)["workers"]))
        self.assertIn("duplicate test ids ignored", err)

    def test_a_table_written_to_a_file_still_warns_on_the_terminal(self) -> None:
        # the table carries its warnings, but in a file the user never saw them (a store that does not exist)
        target = self.dir / "plan.txt"
        code, _, err = self.cli(*self.plan_args("-n", "2", "--history", "sqlite:///nope.db", "-o", str(target)))
        self.assertEqual(OK, code)
        self.assertIn("partitioner: warning: sqlite:///nope.db: no such store file", err)
        self.assertIn("warning: sqlite:///nope.db: no such store file", target.read_text())
        code, _, err = self.cli(*self.plan_args("-n", "2", "--history", "sqlite:///nope.db"))
        self.assertNotIn("partitioner: warning", err)  # on the terminal the table shows them once

    def test_a_table_written_to_a_file_holds_its_last_lines_and_leaves_stdout_empty(self) -> None:
        # "planned as ...", "history: ..." and "dispatch: the shares above ..." went to the terminal, where no
        # shares are above, and the file lacked them (a new user's trial)
        target = self.dir / "plan.txt"
        code, out, _ = self.cli(*self.plan_args("-n", "2", "-o", str(target)))
        self.assertEqual((OK, ""), (code, out))
        _, shown, _ = self.cli(*self.plan_args("-n", "2"))
        self.assertEqual(shown, target.read_text())
        self.assertIn("\nhistory: ", target.read_text())

    def test_a_history_given_that_cannot_be_read_is_one_line_that_never_says_pass_history(self) -> None:
        # each kind of unreadable --history said what partitioner accepts, or warned and then told the user to
        # "pass --history", which they had just done
        (self.dir / "emptydir").mkdir()
        (self.dir / "junk.txt").write_text("not a history\n")
        (self.dir / "empty").write_bytes(b"")
        (self.dir / "corrupt.db").write_bytes(b"SQLite format 3\x00" + b"garbage" * 20)
        corrupt = self.dir / "corrupt.db"
        cases = {
            str(self.dir / "emptydir"): "emptydir: a directory holding no test runs (no .stestr/ or .testrepository/ "
                                        "in it, nor the 'format' file of one: a project that never ran its tests "
                                        "has none yet), so no history; give a .stestr/",
            f"stestr:{self.dir / 'emptydir'}": "emptydir: not a stestr/testr repository (no 'format' file and no "
                                               ".stestr inside); name the repository directory itself, or the project "
                                               "directory holding it",
            str(self.dir / "junk.txt"): "junk.txt: a text file that is neither a subunit v1 stream nor a JSON timing "
                                        "file, so no history; give ",
            str(self.dir / "empty"): "empty: an empty file, so no history; give ",
            str(corrupt): f"corrupt.db: a SQLite database file, which is read as a history store only through its "
                          f"URL; give sqlite:///{corrupt} ",
            f"sqlite:///{corrupt}": f"sqlite:///{corrupt}: reading the planning history failed (file is not a "
                                    f"database); the file is not a SQLite database; point the URL at a store file",
        }
        for given, said in cases.items():
            argv = ["plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "--history", given]
            self.assertOneLineError(argv, ERROR, said)
            self.assertNotIn("--history", self.cli(*argv)[2], given)
        # a store file not made yet is optional (the first CI job plans before any push): one warning, no advice
        # to pass --history
        code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "--history",
                                  "sqlite:///nope.db", "-n", "2", "--format", "json")
        self.assertEqual(OK, code, err)
        self.assertEqual(1, len(json.loads(out)["warnings"]), out)
        self.assertIn("no such store file", json.loads(out)["warnings"][0])
        self.assertNotIn("--history", err)
        (self.dir / "t0.json").write_text('{"format_version": 1, "tests": {}}')
        code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "--history",
                                  str(self.dir / "t0.json"), "-n", "2")
        self.assertEqual(OK, code, err)
        self.assertIn(f"warning: no timing history: json:{self.dir / 't0.json'} (0 tests) timed none of these tests",
                      out)
        self.assertNotIn("--history", out)

    def test_output_file_is_written_whole_and_an_unwritable_one_is_one_error(self) -> None:
        target = self.dir / "plan.json"
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "json", "-o", str(target)))
        self.assertEqual((OK, ""), (code, out))
        self.assertEqual(2, len(json.loads(target.read_text())["workers"]))
        missing = self.dir / "no" / "plan.json"
        self.assertOneLineError(self.plan_args("-o", str(missing)), ERROR, f"cannot write {missing}")
        self.assertOneLineError(self.plan_args("--format", "load-lists", "-o", str(target / "x")), ERROR,
                                "cannot write load lists")

class TestListing(PlanCase):
    def test_fresh_stestr_project_lists_without_creating_a_repository(self) -> None:
        pkg = self.dir / "tpkg"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "test_a.py").write_text("import unittest\n\nclass A(unittest.TestCase):\n"
                                       "    def test_1(self):\n        pass\n\n    def test_2(self):\n        pass\n")
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tpkg\ntop_dir=./\n")
        code, out, err = self.cli("plan", "-C", str(self.dir), "-n", "2", "--format", "json")
        self.assertEqual(OK, code, err)
        self.assertEqual(["tpkg.test_a.A.test_1", "tpkg.test_a.A.test_2"],
                         sorted(t for w in json.loads(out)["workers"] for t in w["tests"]))
        self.assertFalse((self.dir / ".stestr").exists())


class TestResourcesInPlan(PlanCase):
    def test_plan_shows_merged_groups_and_warns_when_too_large(self) -> None:
        (self.dir / "tox.ini").write_text("[partitioner]\nresources =\n  quota: m\\.(A|B)\\.\n")
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "json"))
        self.assertEqual(OK, code, err)
        doc = json.loads(out)
        self.assertEqual([{"group": "resource:quota", "resources": ["quota"], "members": ["m.A", "m.B"]}],
                         doc["merged_groups"])
        [home] = [w for w in doc["workers"] if "resource:quota" in w["groups"]]
        self.assertEqual({"m.A.t1", "m.A.t2", "m.B.t1"}, set(home["tests"]) - {"m.C.t1[smoke]"})
        self.assertIn("is larger than the balanced share", err)
        code, out, _ = self.cli(*self.plan_args("-n", "2"))
        self.assertIn("resource group resource:quota (worker", out)
        self.assertIn("joins: m.A, m.B", out)


class TestPlanAsTheRunWill(PlanCase):
    """issue 9, cause 6: the test path, filters and grouping the run will use, and said."""

    def stestr_project(self, group_regex: str = "") -> None:
        for pkg in ("tpkg", "other"):
            (self.dir / pkg).mkdir()
            (self.dir / pkg / "__init__.py").write_text("")
            (self.dir / pkg / "test_a.py").write_text(
                "import unittest\n\nclass A(unittest.TestCase):\n    def test_smoke(self):\n        pass\n\n"
                "    def test_2(self):\n        pass\n\n    def test_3(self):\n        pass\n")
        regex = f"group_regex={group_regex}\n" if group_regex else ""
        (self.dir / ".stestr.conf").write_text(f"[DEFAULT]\ntest_path=./tpkg\ntop_dir=./\n{regex}")

    def planned(self, *argv: str) -> dict[str, object]:
        code, out, err = self.cli("plan", "-C", str(self.dir), "-n", "2", "--format", "json", *argv)
        self.assertEqual(OK, code, err)
        doc: dict[str, object] = json.loads(out)
        return doc

    def ids_of(self, doc: dict[str, object]) -> list[str]:
        return sorted(t for w in doc["workers"] for t in w["tests"])  # type: ignore[attr-defined]

    def test_no_group_regex_plans_per_test_as_stestr_splits_and_says_so(self) -> None:
        self.stestr_project()
        doc = self.planned()
        self.assertEqual("none", doc["grouping"])
        self.assertEqual([2, 1], sorted((len(w["tests"]) for w in doc["workers"]), reverse=True))  # type: ignore
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("planned as the run will: 3 tests from discovery of ./tpkg (.stestr.conf's test_path); "
                      "grouping none (", out)
        self.assertIn(".stestr.conf: no group_regex, stestr splits per test)", out)
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tpkg\ngroup_regex=([^\\.]*\\.)*\n")
        self.assertEqual("class", self.planned()["grouping"])

    def test_the_config_file_is_named_by_its_absolute_path_as_exec_names_it(self) -> None:
        # run where the project is (and with a relative -C): `.stestr.conf` in plan, /abs/.stestr.conf in exec
        self.stestr_project()
        conf = self.dir.resolve() / ".stestr.conf"
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir)
        for argv in ((), ("-C", ".")):
            _, out, _ = self.cli("plan", *argv, "-n", "2")
            self.assertIn(f"grouping none ({conf}: no group_regex, stestr splits per test)", out)

    def test_test_path_and_filters_as_a_tox_env_passes_them(self) -> None:
        self.stestr_project()
        self.assertEqual(["tpkg.test_a.A.test_2", "tpkg.test_a.A.test_3", "tpkg.test_a.A.test_smoke"],
                         self.ids_of(self.planned()))
        self.assertEqual(["other.test_a.A.test_smoke"],
                         self.ids_of(self.planned("--test-path", "./other", "smoke")))
        self.assertEqual(["tpkg.test_a.A.test_3", "tpkg.test_a.A.test_smoke"],
                         self.ids_of(self.planned("smoke", "_3$")))
        self.assertEqual(["tpkg.test_a.A.test_2"], self.ids_of(self.planned("--exclude-regex", "smoke|3")))
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2", "--test-path", "./other", "smoke")
        self.assertIn("planned as the run will: 1 of 3 tests from discovery of ./other (--test-path), filters: "
                      "smoke;", out)

    def test_a_test_path_that_names_no_directory_is_one_line_naming_the_file_or_the_flag(self) -> None:
        # discovery failed with unittest's "Start directory is not importable" inside the listing line; exec says
        # the same line (partitioner.listing.missing_test_path)
        self.stestr_project()
        conf = self.dir.resolve() / ".stestr.conf"
        conf.write_text("[DEFAULT]\ntest_path=./tpkgs\ntop_dir=./\n")
        self.assertOneLineError(["plan", "-C", str(self.dir), "-n", "2"], ERROR,
                                f"partitioner: error: test_path ./tpkgs ([DEFAULT] in {conf}) names "
                                f"{self.dir / 'tpkgs'}, which does not exist: stestr discovers the tests from there; "
                                "point it at the directory holding the tests, or pass --tests FILE")
        self.assertEqual(["other.test_a.A.test_smoke"], self.ids_of(self.planned("--test-path", "./other", "smoke")))
        self.assertOneLineError(["plan", "-C", str(self.dir), "-n", "2", "--test-path", "./tpkg/test_a.py"], ERROR,
                                f"partitioner: error: test_path ./tpkg/test_a.py (--test-path) names "
                                f"{self.dir / 'tpkg' / 'test_a.py'}, which is not a directory: ")

    def test_a_test_path_the_shell_expands_is_shown_as_the_directory_listed(self) -> None:
        # python-novaclient's test_path=${OS_TEST_PATH:-./novaclient/tests/unit}: the footer printed the value as
        # written, which does not say which directory was listed
        self.stestr_project()
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-./tpkg}\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("planned as the run will: 3 tests from discovery of ./tpkg (.stestr.conf's test_path "
                      "${OS_TEST_PATH:-./tpkg}); ", out)
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH", "./other"))
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("planned as the run will: 3 tests from discovery of ./other (.stestr.conf's test_path "
                      "${OS_TEST_PATH:-./tpkg}); ", out)
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2", "--test-path", "${OS_TEST_PATH}")
        self.assertIn("discovery of ./other (--test-path ${OS_TEST_PATH}); ", out)

    def test_the_table_says_how_the_run_deals_the_groups_out(self) -> None:
        self.stestr_project("([^\\.]*\\.)*")  # stestr, classes: exec deals them out dynamically by default
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("dispatch: the shares above are the static plan; the run deals the groups out dynamically "
                      "(partitioner exec's default: a pull worker stands in for the project's test command)", out)
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2", "--dispatch", "dynamic")
        self.assertIn("dispatch dynamic, as the run's (partitioner exec's default", out)
        run = self.planned()["run_dispatch"]  # and the JSON of either view
        self.assertEqual("dynamic", run["mode"])  # type: ignore[index]
        self.assertIn("a pull worker stands in", run["why"])  # type: ignore[index]
        self.assertEqual(run, self.planned("--dispatch", "dynamic")["run_dispatch"])
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "1")
        self.assertIn("dispatch static, as the run's (one worker)", out)
        (self.dir / "tox.ini").write_text("[partitioner]\ndispatch = static\n")
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("dispatch static, as the run's (the dispatch option in ", out)
        (self.dir / "tox.ini").unlink()
        (self.dir / ".testr.conf").write_text("[DEFAULT]\ntest_command=./run-tests.sh $LISTOPT $IDOPTION\n"
                                              "test_list_option=--list\ntest_id_option=--load-list $IDFILE\n"
                                              "group_regex=([^\\.]*\\.)*\n")
        _, out, _ = self.cli(*self.plan_args("-n", "2"))
        self.assertIn("dispatch static, as the run's (.testr.conf's test_command is not `python -m RUNNER ...`", out)
        # docs/runner.md's line: the shell testr runs it with expands ${PYTHON:-python} in the inner command (a new
        # user's trial: plan said static while the run dealt the groups out dynamically)
        (self.dir / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m partitioner.run --concurrency 2 $LISTOPT $IDOPTION -- "
            "${PYTHON:-python} -m subunit.run discover -t . ./tpkg\ntest_list_option=--list\n"
            "test_id_option=--load-list $IDFILE\ngroup_regex=([^\\.]*\\.)*\n")
        _, out, _ = self.cli(*self.plan_args("-n", "2"))
        self.assertIn("dispatch: the shares above are the static plan; the run deals the groups out dynamically "
                      "(the runner's default)", out)

    def repository(self, name: str, seconds: float) -> None:
        """``name`` in the project, holding one run in which tpkg.test_a.A.test_2 took ``seconds``."""
        repo = self.dir / name
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "next-stream").write_text("1\n")
        (repo / "0").write_bytes(subunit_v2([("tpkg.test_a.A.test_2", "success", 10.0, 10.0 + seconds, "worker-0")]))

    def test_a_project_with_both_repositories_plans_from_its_own_tools(self) -> None:
        # a project that moved from testr to stestr keeps its .testrepository; exec -- stestr reads .stestr only
        self.stestr_project("([^\\.]*\\.)*")
        self.repository(".stestr", 1.0)
        self.repository(".testrepository", 50.0)
        doc = self.planned()
        self.assertLess(doc["total_s"], 10.0)  # type: ignore[operator]
        self.assertIn(".testrepository not read: this project lists its tests with stestr, whose runs are in "
                      ".stestr (what `partitioner exec -- stestr ...` reads); pass --history .testrepository to "
                      "plan from testr's runs", doc["warnings"])
        _, out, _ = self.cli("plan", "-C", str(self.dir), "-n", "2")
        self.assertIn("\nhistory: stestr:.stestr (1 run read", out)
        _, out, _ = self.cli("explain", "-C", str(self.dir), "-n", "2", "tpkg.test_a.A.test_2")
        self.assertIn("  history   stestr:.stestr (1 run read", out)
        self.assertGreater(self.planned("--history", ".testrepository")["total_s"], 50.0)
        # a .testr.conf's test_command lists the suite (it wins over .stestr.conf): testr's runs are the ones
        (self.dir / ".testr.conf").write_text(
            f"[DEFAULT]\ntest_command={sys.executable} -m subunit.run discover -t ./ ./tpkg $LISTOPT $IDOPTION\n"
            "test_list_option=--list\ntest_id_option=--load-list $IDFILE\ngroup_regex=([^\\.]*\\.)*\n")
        doc = self.planned()
        self.assertGreater(doc["total_s"], 50.0)  # type: ignore[operator]
        self.assertIn(".stestr not read", " ".join(doc["warnings"]))  # type: ignore[arg-type]
        # with one repository there is nothing to choose: it is read, whichever tool lists
        shutil.rmtree(self.dir / ".testrepository")
        doc = self.planned()
        self.assertLess(doc["total_s"], 10.0)  # type: ignore[operator]
        self.assertNotIn("not read", " ".join(doc["warnings"]))  # type: ignore[arg-type]

    def test_the_history_line_names_the_source_under_a_relative_project_dir(self) -> None:
        # README's first command plans with -C examples/demo: the line showed <cwd>/last-run.subunit, a file that
        # does not exist, by cutting the relative -C prefix out of the source's absolute path
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir.parent)
        _, out, _ = self.cli("plan", "-C", self.dir.name, "--tests", str(self.dir / "ids.txt"), "--history",
                             str(self.timings), "-n", "2")
        self.assertIn("\nhistory: json:t.json", out)

    def test_a_plain_list_without_a_project_says_nothing_of_the_run(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2"))
        self.assertEqual(OK, code, err)
        self.assertIn("planned as the run will", out)
        self.assertNotIn("dispatch", out)
        self.assertIsNone(self.plan_json("-n", "2")["run_dispatch"])

    def test_bad_filters_and_conflicts_are_one_line(self) -> None:
        self.assertOneLineError(self.plan_args("("), USAGE, "FILTER '(' is not a regular expression")
        self.assertOneLineError(self.plan_args("no-such-test"), ERROR, "none of the 4 tests from")
        self.assertOneLineError(self.plan_args("--test-path", "x"), USAGE, "--tests gives the list itself")


class TestHtml(PlanCase):
    def test_the_plan_drawn_as_a_page(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "html"))
        self.assertEqual(OK, code, err)
        self.assertTrue(out.startswith("<!DOCTYPE html>"), out[:80])
        self.assertTrue('"classes":["m.A","m.B","m.C"]' in out and "dynamic dispatch &#40;expected)" not in out)
        target = self.dir / "plan.html"
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "html", "--dispatch", "dynamic", "-o",
                                                  str(target)))
        self.assertEqual((OK, ""), (code, out), err)
        self.assertTrue("dynamic dispatch &#40;expected)" in target.read_text())

    def test_the_page_hands_out_the_queue_in_the_order_plan_dispatch_dynamic_shows(self) -> None:
        # eight classes, dearer further down the suite: suite order and longest-first part ways
        ids = [f"m.K{c}.t{t}" for c in range(8) for t in range(2)]
        (self.dir / "ids.txt").write_text("".join(f"{t}\n" for t in ids))
        self.timings.write_text(dumps_samples(Samples(tests={t: (0.5 + int(t[3]) ** 2,) for t in ids})))
        shown = {}
        for flags in ((), ("--dispatch-order", "cost"), ("--dispatch-order", "suite")):
            code, out, err = self.cli(*self.plan_args("-n", "3", "--dispatch", "dynamic", "--format", "json", *flags))
            self.assertEqual(OK, code, err)
            shown[flags] = [[g["group"] for g in lane["groups"]] for lane in json.loads(out)["dispatch"]["timeline"]]
            code, page, err = self.cli(*self.plan_args("-n", "3", "--dispatch", "dynamic", "--format", "html", *flags))
            self.assertEqual(OK, code, err)
            self.assertEqual(shown[flags], dynamic_lanes(page), flags)
        self.assertNotEqual(shown[()], shown[("--dispatch-order", "cost")])  # lookahead, the default, is not cost
        (self.dir / "tox.ini").write_text("[partitioner]\ndispatch_order = cost\n")
        _, page, _ = self.cli(*self.plan_args("-n", "3", "--dispatch", "dynamic", "--format", "html"))
        self.assertEqual(shown[("--dispatch-order", "cost")], dynamic_lanes(page))


def dynamic_lanes(page: str) -> list[list[str]]:
    """The classes each lane of a plan page's expected dispatch runs, in order."""
    data = page_data(page)
    classes = data["classes"]
    assert isinstance(classes, list)
    out = []
    for lane in data["lanes"]:  # type: ignore[attr-defined]
        if lane["section"] == DYNAMIC_SECTION:
            keys = [classes[c] for c in lane["bars"]["c"]]
            out.append([k for n, k in enumerate(keys) if n == 0 or keys[n - 1] != k])
    return out


class TestShards(PlanCase):
    """plan --shards M, --shard K/M, --plan FILE --shard K."""

    def setUp(self) -> None:
        super().setUp()
        ids = [f"m.C{c}.t{t}" for c in range(6) for t in range(2)]
        (self.dir / "ids.txt").write_text("".join(f"{t}\n" for t in ids))
        self.timings.write_text(dumps_samples(Samples(tests={t: (1.0 + int(t[3]),) for t in ids})))

    def test_every_shards_predicted_time_and_the_plan_file(self) -> None:
        target = self.dir / "plan.json"
        code, out, err = self.cli(*self.plan_args("-n", "2", "--shards", "3", "-o", str(target)))
        self.assertEqual(OK, code, err)
        rows = [line.split() for line in out.splitlines() if line.strip().split(" ")[0] in ("1/3", "2/3", "3/3")]
        self.assertEqual(["1/3", "2/3", "3/3"], [r[0] for r in rows])
        self.assertTrue(all(r[-1].endswith("s") for r in rows), out)
        doc = json.loads(target.read_text())
        self.assertEqual(("partitioner-shards", 3, 2), (doc["kind"], doc["shard_count"], doc["concurrency"]))
        self.assertEqual(sorted(t for s in doc["shards"] for w in s["plan"]["workers"] for t in w["tests"]),
                         sorted((self.dir / "ids.txt").read_text().split()))
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--shards", "3", "--format", "json"))
        self.assertEqual(target.read_text(), out)

    def test_one_shard_says_it_is_one_and_why_its_split_has_no_seconds(self) -> None:
        # a new user's trial: `plan --shard 1/2` said "planned as the run will: 12 tests" for a shard of 6, and a
        # split by test counts (the checkout's own repository is not read for it) said nothing of why
        args = ["plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "-n", "2", "--shard", "1/2"]
        code, out, err = self.cli(*args)
        self.assertEqual(OK, code, err)
        self.assertRegex(err, r"shard 1/2 of split \w+: \d+ of 12 tests, predicted [\d.]+ units \(split by test "
                              r"counts: the jobs share no timing history")
        self.assertRegex(out, r"planned as the run will: 12 tests from .*; shard 1/2: \d+ of them; grouping")
        _, _, err = self.cli(*args, "--history", str(self.timings))
        self.assertNotIn("split by test counts", err)

    def test_one_shard_from_the_file_or_made_here_agree(self) -> None:
        target = self.dir / "plan.json"
        self.cli(*self.plan_args("-n", "2", "--shards", "3", "-o", str(target)))
        union: list[str] = []
        for k in (1, 2, 3):
            from_file = self.plan_json("--plan", str(target), "--shard", str(k))
            here = self.plan_json("-n", "2", "--shard", f"{k}/3")
            tests = sorted(t for w in from_file["workers"] for t in w["tests"])  # type: ignore[attr-defined]
            self.assertEqual(tests, sorted(t for w in here["workers"] for t in w["tests"]))  # type: ignore
            union.extend(tests)
        self.assertEqual(sorted((self.dir / "ids.txt").read_text().split()), sorted(union))
        code, _, err = self.cli(*self.plan_args("--plan", str(target), "--shard", "2/3"))
        self.assertEqual(OK, code, err)
        self.assertIn("partitioner: shard 2/3 of split ", err)

    def test_an_empty_shard_plans_nothing_and_shard_errors_are_one_line(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--shard", "8/8"))
        self.assertEqual((OK, ""), (code, out), err)
        self.assertIn("shard 8/8 has nothing to run", err)
        self.assertOneLineError(self.plan_args("--shard", "4/3"), USAGE, "K must be between 1 and 3")
        self.assertOneLineError(self.plan_args("--shards", "2", "--shard", "1/2"), USAGE, "use one or the other")
        self.assertOneLineError(self.plan_args("--plan", "x.json"), USAGE, "needs --shard K")
        self.assertOneLineError(self.plan_args("--shards", "2", "--format", "html"), USAGE, "not html")
        self.assertOneLineError(self.plan_args("--plan", str(self.dir / "none.json"), "--shard", "1"), ERROR,
                                "no such plan file")
        self.assertOneLineError(self.plan_args("--shard", "1/2", "--history", "sqlite:///h.db"), USAGE,
                                "is not pinned")

    def test_each_shards_notes_fit_the_history_given(self) -> None:
        # every shard's plan said "no timing history found: ...; pass --history or run the suite once" though a
        # --history had been given: the split planned each shard without it
        empty = self.dir / "t0.json"
        empty.write_text('{"format_version": 1, "tests": {}}')
        cases = {str(empty): [f"no timing history: json:{empty} (0 tests) timed none of these tests: balanced by "
                              "test count and class structure; give the history of a run of this suite"],
                 "sqlite:///nope.db": []}  # the split's own warning says why: no such store file
        for given, notes in cases.items():
            code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "-n", "2",
                                      "--shards", "2", "--history", given, "--format", "json")
            self.assertEqual(OK, code, err)
            doc = json.loads(out)
            self.assertEqual([notes, notes], [s["plan"]["warnings"] for s in doc["shards"]], given)
            self.assertNotIn("--history", out, given)
        # with no history at all, each shard still says to give one
        code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "-n", "2",
                                  "--shards", "2", "--format", "json")
        self.assertEqual(OK, code, err)
        self.assertTrue(all("pass --history" in s["plan"]["warnings"][0] for s in json.loads(out)["shards"]))

    def test_a_plan_file_made_from_another_list_is_refused(self) -> None:
        target = self.dir / "plan.json"
        self.cli(*self.plan_args("-n", "2", "--shards", "2", "-o", str(target)))
        with (self.dir / "ids.txt").open("a") as ids:
            ids.write("m.New.t1\n")
        self.assertOneLineError(self.plan_args("--plan", str(target), "--shard", "1"), ERROR,
                                "1 listed tests are in no shard (e.g. m.New.t1)")


class TestFirstRun(PlanCase):
    def test_an_empty_repository_is_a_note_not_a_warning(self) -> None:
        # a first run: nothing is wrong, so the message is labelled note (stderr, and the table's own lines)
        repo = self.dir / ".testrepository"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        args = ["plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "-n", "2"]
        code, out, err = self.cli(*args, "--format", "json")
        self.assertEqual(OK, code, err)
        self.assertIn("partitioner: note: ", err)
        self.assertIn("holds no runs yet", err)
        self.assertNotIn("warning:", err)
        self.assertEqual(1, len([w for w in json.loads(out)["warnings"] if "holds no runs yet" in w]))
        code, out, err = self.cli(*args, "--dispatch", "static")
        self.assertIn("\nnote: ", out)
        self.assertNotIn("warning:", out + err)


class TestSelectionWords(PlanCase):
    def test_counts_read_as_people_write_them(self) -> None:
        from partitioner.cli.selection import Selection

        ids = [f"m.C.test_{i}" for i in range(2498)]
        self.assertEqual("2,498 tests from discovery of ./tempest/tests (--test-path)",
                         Selection(ids, 2498, "discovery of ./tempest/tests (--test-path)").describe())
        self.assertEqual("12 of 1,200 tests from ids.txt, filters: smoke, excluding slow",
                         Selection(ids[:12], 1200, "ids.txt", ("smoke",), "slow").describe())
