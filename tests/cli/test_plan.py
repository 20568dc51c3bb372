"""Tests for ``partitioner plan``: formats, outputs, stdin, duplicates, listing, resources."""

from __future__ import annotations

import json

from partitioner.cli.main import ERROR, OK, USAGE
from tests.cli.harness import IDS, PlanCase


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
        code, out, err = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic"))
        self.assertEqual((OK, ""), (code, err))
        self.assertIn("dynamic dispatch: 3 groups queued in suite order on 2 lanes", out)
        code, out, err = self.cli(*self.plan_args("-n", "2", "--dispatch", "dynamic", "--dispatch-order", "cost"))
        self.assertIn("dynamic dispatch: 3 groups queued longest first on 2 lanes", out)
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
