"""End to end: the REAL testr and stestr run a generated suite through ``partitioner exec``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import testtools

from partitioner.history.repository import read_repository
from tests.suites import GEN_SUITE, GeneratedSuite, tool


def break_one_test(root: Path) -> str:
    """Make the first generated test fail; returns its method name and class."""
    for path in sorted((root / "suite").rglob("test_m*.py")):
        text = path.read_text()
        match = re.search(r"class (\w+)\(BenchBase\):(?:\n    .*)*?\n    def (test_\d+)\(self\):\n", text)
        if match:
            text = text.replace(f"def {match.group(2)}(self):\n", f"def {match.group(2)}(self):\n"
                                "        self.fail('broken on purpose')\n", 1)
            path.write_text(text)
            return f"{match.group(1)}.{match.group(2)}"
    raise AssertionError("no test found to break")


class ExecE2E(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=10, serial_s=2.0))

    def runs(self, name: str) -> list[dict[str, set[str]]]:
        """Per stored run: worker tag -> the ids that ran on it (each id checked to run once)."""
        runs, _, warnings = read_repository(self.suite.path / name)
        self.assertEqual((), warnings)
        out = []
        for run in runs:
            ids = [r.test_id for r in run.records]
            self.assertEqual(len(ids), len(set(ids)), "a test ran twice")
            workers: dict[str, set[str]] = {}
            for record in run.records:
                self.assertIsNotNone(record.worker, record.test_id)
                workers.setdefault(record.worker or "", set()).add(record.test_id)
            out.append(workers)
        return out

    def planned(self, ids: set[str], n: int) -> set[frozenset[str]]:
        (self.suite.path / "ids.txt").write_text("\n".join(sorted(ids)) + "\n")
        proc = self.suite.run(tool("partitioner"), "plan", "-n", str(n), "--tests", "ids.txt", "--format", "json",
                              check=True)
        return {frozenset(w["tests"]) for w in json.loads(proc.stdout)["workers"] if w["tests"]}

    def test_stestr_runs_our_plan_and_keeps_its_repository_whole(self) -> None:
        first = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "stestr", "run",
                               "--concurrency", "2")
        self.assertEqual(0, first.returncode, first.stderr)
        all_ids = set().union(*self.runs(".stestr")[0].values())
        expected = self.planned(all_ids, 2)  # planned from run 0's history, as the hook will
        second = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "stestr", "run",
                                "--concurrency", "2")
        self.assertEqual(0, second.returncode, second.stderr)
        runs = self.runs(".stestr")
        self.assertEqual(2, len(runs))
        self.assertEqual({"worker-0", "worker-1"}, set(runs[1]))
        self.assertEqual(expected, {frozenset(v) for v in runs[1].values()})
        self.assertEqual(all_ids, set().union(*runs[1].values()))
        broken = break_one_test(self.suite.path)
        third = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "stestr", "run",
                               "--concurrency", "2")
        self.assertNotEqual(0, third.returncode)
        failing = self.suite.run(tool("stestr"), "failing", "--list")
        self.assertIn(broken, failing.stdout)
        last = self.suite.run(tool("stestr"), "last")
        self.assertIn(" - Failed: 1", last.stdout)

    def test_testr_runs_our_plan_and_records_failures(self) -> None:
        self.suite.run(tool("testr"), "init", check=True)
        first = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "testr", "run", "--parallel",
                               "--concurrency", "2")
        self.assertEqual(0, first.returncode, first.stdout + first.stderr)
        all_ids = set().union(*self.runs(".testrepository")[0].values())
        expected = self.planned(all_ids, 2)
        broken = break_one_test(self.suite.path)
        second = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "testr", "run",
                                "--parallel", "--concurrency", "2")
        self.assertNotEqual(0, second.returncode)
        runs = self.runs(".testrepository")
        self.assertEqual(expected, {frozenset(v) for v in runs[1].values()})
        self.assertEqual(all_ids, set().union(*runs[1].values()))
        failing = self.suite.run(tool("testr"), "failing", "--list")
        self.assertIn(broken, failing.stdout)
        self.assertEqual(1, len([line for line in failing.stdout.splitlines() if line.strip()]))

    def test_unknown_program_is_one_line_usage_error(self) -> None:
        proc = self.suite.run(tool("partitioner"), "exec", "--", "no-such-program-xyz")
        self.assertEqual(2, proc.returncode)
        self.assertIn("neither a Python console script nor a program on PATH", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
