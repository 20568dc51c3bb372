"""Tests for ``partitioner history`` (export, merge, summary)."""

from __future__ import annotations

import json

from tests.builders import A, B, C, racing_runs, rec, run
from tests.cli.test_races import CommandCase


class TestHistorySummaryCommand(CommandCase):
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
