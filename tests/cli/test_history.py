"""Tests for ``partitioner history`` (export, merge, summary)."""

from __future__ import annotations

import json

from partitioner.cli.main import ERROR, OK, USAGE
from tests.builders import A, B, C, racing_runs, rec, run
from tests.cli.harness import PlanCase, RepositoryCase


class TestHistorySummaryCommand(RepositoryCase):
    def test_text_and_json(self) -> None:
        runs = racing_runs()
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{A}.test_2", "worker-0", 1, 2),
                     rec(f"{B}.test_1", "worker-0", 2, 3), rec(f"{C}.test_1", "worker-0", 3, 4))
        self.repository([*runs, serial])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        lines = out.splitlines()
        self.assertEqual("4 tests in 5 runs (4 parallel, 1 serial); 3 failed at least once, 3 only in parallel",
                         lines[0])
        self.assertIn(f"{A}.test_1  <- passes serially: a race?", lines[3])
        status, out, _ = self.cli("history", "summary", "--format", "json")
        doc = json.loads(out)
        self.assertEqual({"parallel": 4, "serial": 1}, doc["runs"])
        first = doc["tests"][0]
        self.assertEqual({"test": f"{A}.test_1", "runs": 5, "parallel_runs": 4, "parallel_failures": 2,
                          "serial_runs": 1, "serial_failures": 0, "only_parallel": True}, first)

    def test_no_runs(self) -> None:
        status, _, err = self.cli("history", "summary")
        self.assertEqual(1, status)
        self.assertIn("no stored runs in", err)


class TestExportAndMerge(PlanCase):
    def test_export_merge_round_trip(self) -> None:
        code, out, _ = self.cli("history", "merge", str(self.timings), str(self.timings), "--keep", "1")
        self.assertEqual(OK, code)
        self.assertEqual([3.0], json.loads(out)["tests"]["m.A.t1"])
        code, _, err = self.cli("history", "export", "-C", str(self.dir))
        self.assertEqual(ERROR, code)
        self.assertIn("no timing history", err)

    def test_unwritable_output_is_one_error(self) -> None:
        target = self.dir / "no" / "t.json"
        self.assertOneLineError(["history", "merge", str(self.timings), "-o", str(target)], ERROR,
                                f"cannot write {target}")

    def test_keep_must_be_a_whole_number(self) -> None:
        self.assertOneLineError(["history", "merge", str(self.timings), "--keep", "0"], USAGE,
                                "expected a whole number >= 1")
