"""Tests for ``partitioner races --order``: what ran before each failed class in its test process, and with
``--confirm`` the replay and bisection with real python-subunit test processes, on a hand-written suite with a
planted polluter: ``ZPolluterTest.test_b`` leaves a mark in a module global that ``AVictimTest`` trips on."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import fixtures

from partitioner.history.model import TestRecord
from tests.builders import rec, run, stream
from tests.cli.harness import RepositoryCase
from tests.suites import ORDER_STATE, ORDER_VICTIM, tree_snapshot

BYSTANDERS = '''
import unittest


class MOneTest(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class MTwoTest(MOneTest):
    pass


class MThreeTest(MOneTest):
    pass


class MFourTest(MOneTest):
    pass
'''
POLLUTER = '''
import unittest

from pkg import state


class ZPolluterTest(unittest.TestCase):
    def test_a(self):
        pass

    def test_b(self):
        state.SEEN.add("polluted")

    def test_c(self):
        pass
'''
V, Z = "pkg.test_a.AVictimTest", "pkg.test_z.ZPolluterTest"
ONE, TWO, THREE, FOUR = (f"pkg.test_m.M{n}Test" for n in ("One", "Two", "Three", "Four"))


def lane(worker: str, classes: list[tuple[str, list[str], str]], start: float = 0.0) -> list[TestRecord]:
    """``(class, methods, status)`` one after another on ``worker``, 0.01 s per test."""
    records, at = [], start
    for klass, methods, status in classes:
        for method in methods:
            records.append(rec(f"{klass}.{method}", worker, at, at + 0.01, status))
            at += 0.01
    return records


def failing_run() -> list[TestRecord]:
    """The polluter ran before the victim on worker-0 (as longest-first dispatch might hand them out)."""
    return [*lane("worker-0", [(ONE, ["test_1", "test_2"], "success"), (Z, ["test_a", "test_b", "test_c"], "success"),
                               (TWO, ["test_1", "test_2"], "success"), (V, ["test_one", "test_two"], "fail")]),
            *lane("worker-1", [(THREE, ["test_1", "test_2"], "success"), (FOUR, ["test_1", "test_2"], "success")])]


def passing_run() -> list[TestRecord]:
    """Suite order: the victim first."""
    return [*lane("worker-0", [(V, ["test_one", "test_two"], "success"), (ONE, ["test_1", "test_2"], "success"),
                               (TWO, ["test_1", "test_2"], "success")]),
            *lane("worker-1", [(THREE, ["test_1", "test_2"], "success"), (FOUR, ["test_1", "test_2"], "success"),
                               (Z, ["test_a", "test_b", "test_c"], "success")])]


class OrderCase(RepositoryCase):
    def setUp(self) -> None:
        super().setUp()
        pkg = self.dir / "pkg"
        pkg.mkdir()
        for name, text in (("__init__.py", ""), ("state.py", ORDER_STATE), ("test_a.py", ORDER_VICTIM),
                           ("test_m.py", BYSTANDERS), ("test_z.py", POLLUTER)):
            (pkg / name).write_text(text)
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))
        self.repo = self.repository([run(*passing_run()), run(*failing_run())], name=".stestr")


class TestWhatRanBefore(OrderCase):
    def test_the_table_names_the_worker_and_the_classes_never_before_it_where_it_passed(self) -> None:
        status, out, err = self.cli("races", "--order")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("run 1 of .stestr: 2 failed tests in 1 class; what ran before each in its test process", out)
        self.assertIn(f"{V}  (class, 2 failed tests)\n  on worker-0 after 7 tests of 3 classes\n"
                      f"  it passed in 1 stored run (0); 3 of these classes never ran before it there:\n"
                      f"    {TWO}\n    {Z}\n    {ONE}\n", out)
        self.assertIn("note: to find the earlier tests that make a class fail, add --confirm", out)

    def test_json(self) -> None:
        status, out, _ = self.cli("races", "--order", "--format", "json", "--top", "1")
        self.assertEqual(0, status)
        doc = json.loads(out)
        self.assertEqual({"format_version": 1, "order": [
            {"class": V, "failed": [f"{V}.test_one", f"{V}.test_two"], "worker": "worker-0",
             "before": {"tests": 7, "classes": 3}, "passed_in": ["0"], "fresh": [TWO], "fresh_count": 3}]}, doc)

    def test_a_serial_run_can_be_asked_about(self) -> None:
        serial = self.dir / "serial.subunit"
        serial.write_bytes(stream([*lane("", [(Z, ["test_b"], "success"), (V, ["test_one"], "fail")])]))
        status, out, err = self.cli("races", str(serial), "--order")
        self.assertEqual(0, status, err)
        self.assertIn(f"{V}  (class, 1 failed test)\n  on its one worker after 1 test of 1 class\n", out)

    def test_options_that_do_not_apply(self) -> None:
        for extra, named in ((["--format", "config"], "--format config"), (["--by", "test"], "--by"),
                             (["--confirm", "--candidates", "2"], "--candidates")):
            self.assertOneLineError(["races", "--order", *extra, "-C", str(self.dir)], 2,
                                    f"{named} does not apply with --order")

    def test_nothing_failed(self) -> None:
        status, out, _ = self.cli("races", "0", "--order")
        self.assertEqual(0, status)
        self.assertIn("has no failures: nothing to diagnose", out)


class TestBisect(OrderCase):
    def test_confirm_finds_the_polluting_test_and_stores_nothing(self) -> None:
        before = tree_snapshot(self.repo)
        status, out, err = self.cli("races", "--order", "--confirm")
        self.assertEqual(0, status, err)
        self.assertIn(f"  {V} fails after {Z}.test_b ran in the same process (3/3 reproductions); alone it passes "
                      f"(2/2)\n", out)
        self.assertRegex(out, r"--order --confirm: \d+ trials in [\d.]+s \(budget 10m\)")
        self.assertIn("--order --confirm: trials with test discovery for", err)
        self.assertIn("in a pull worker handed the groups in the run's order", err)
        self.assertIn("partitioner: --order --confirm: trial 1: replay of 9 tests of 4 classes as the run had them "
                      "(watching AVictimTest): AVictimTest failed", err)
        self.assertEqual(before, tree_snapshot(self.repo))
        status, out, err = self.cli("races", "--order", "--confirm", "--tries", "1", "--format", "json")
        self.assertEqual(0, status, err)
        (entry,) = json.loads(out)["order"]
        self.assertEqual({"verdict": "order-dependent", "polluters": [f"{Z}.test_b"], "level": "test",
                          "reproduced": {"failures": 1, "runs": 1}, "replayed": {"failures": 1, "runs": 1},
                          "alone": {"failures": 0, "runs": 2}},
                         {k: v for k, v in entry["bisect"].items() if k not in ("trials", "note")})

    def test_the_test_path_expands_in_the_project_directory_not_where_partitioner_runs(self) -> None:
        # with -C DIR from elsewhere the pull worker's discovery expanded $PWD here: `discover ... <here>/pkg`, and
        # every trial was "the suite's test process ran none of 9 tests (... Start directory is not importable)"
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-$PWD/pkg}\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        elsewhere = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(elsewhere)
        status, out, err = self.cli("races", "--order", "--confirm", "--tries", "1")
        self.assertEqual(0, status, err)
        self.assertIn("in a pull worker handed the groups in the run's order", err)
        self.assertIn(f"  {V} fails after {Z}.test_b ran in the same process", out)

    def test_a_victim_that_fails_alone(self) -> None:
        (self.dir / "pkg" / "state.py").write_text('SEEN = {"polluted"}\n')
        status, out, err = self.cli("races", "--order", "--confirm")
        self.assertEqual(0, status, err)
        self.assertIn("  fails alone: it failed in 1 of 1 run with nothing before it, yet passed in run 0: it may "
                      "need state that earlier tests set up there (an order dependence the other way round), or be "
                      "flaky\n", out)

    def test_a_command_a_pull_worker_cannot_stand_in_for_runs_in_suite_order(self) -> None:
        (self.dir / ".stestr.conf").unlink()
        (self.dir / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=cd . && ${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        status, out, err = self.cli("races", "--order", "--confirm")
        self.assertEqual(0, status, err)
        self.assertIn("in the suite's own order (its command is not one a pull worker can stand in for)", err)
        # in suite order the victim runs first: the replay cannot reproduce it
        self.assertIn("  not reproduced: it passed in 2 replays of what ran before it on worker-0", out)

    def test_a_test_process_that_cannot_start_is_one_clear_error(self) -> None:
        fake = Path(self.useFixture(fixtures.TempDir()).path) / "python3"
        # the suite's python lists the suite (its runner is there) but cannot import partitioner's worker
        fake.write_text(f'#!/bin/sh\ncase "$*" in *partitioner*) ;; *) exec {sys.executable} "$@" ;; esac\n'
                        "echo 'ModuleNotFoundError: No module named partitioner' >&2\nexit 1\n")
        fake.chmod(0o755)
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", str(fake)))
        status, out, err = self.cli("races", "--order", "--confirm")
        self.assertEqual((1, ""), (status, out))
        self.assertIn("partitioner: error: the suite's test process ran none of 9 tests (ModuleNotFoundError: No "
                      "module named partitioner); check that the suite runs with its own command and that its python "
                      "can import partitioner (set PYTHON, or PYTHONPATH)\n", err)
        self.assertNotIn("Traceback", err)
