"""Proof for phase 2: the real stestr and testr, with the two patches of exec_proto.py, run their workers as
lanes of one dispatcher and store a normal run (worker-N tags, failing, --failing reruns)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import testtools

from tests.dispatch.helpers import Events, read_events
from tests.e2e.test_runner import inject, suite_ids
from tests.suites import GEN_SUITE, GeneratedSuite, tool

PROTO = Path(__file__).resolve().parent.parent / "dispatch" / "exec_proto.py"


class ToolCase(testtools.TestCase):
    TOOL = "stestr"
    RUN: tuple[str, ...] = ("run", "--concurrency", "3")

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.suite = self.useFixture(GeneratedSuite(classes=12, serial_s=6.0))
        self.suite.run(tool(self.TOOL), "init", check=True)

    def run_proto(self, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        record = self.suite.path / "outcome.json"
        proc = self.suite.run(sys.executable, str(PROTO), str(record), self.TOOL, *self.RUN, *extra,
                              BENCH_SCALE="0.3", timeout=180)
        self.assertNotIn("Traceback", proc.stderr)
        return proc, json.loads(record.read_text())

    def last(self) -> Events:
        proc = subprocess.run([tool(self.TOOL), "last", "--subunit"], cwd=self.suite.path, env=self.suite.env(),
                              capture_output=True, check=False, timeout=60)
        return read_events(proc.stdout)

    def failing(self) -> list[str]:
        return self.suite.run(tool(self.TOOL), "failing", "--list").stdout.split()

    def check_tool(self) -> None:
        planted = inject(self.suite, 2, "self.fail('planted')")
        killed = inject(self.suite, 5, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        proc, record = self.run_proto()
        self.assertNotEqual(0, proc.returncode)
        self.assertTrue(record["dispatched"])
        self.assertEqual([], record["pending"] + record["problems"])
        lanes = {lane for lane, _, _ in record["handouts"]}
        self.assertEqual({0, 1, 2}, lanes, "every worker of the tool pulled work from the dispatcher")
        # the tool stored a normal run: each id once, tagged by the tool with worker-N
        stored = self.last()
        finals = {t: s for t, s in stored.finals().items() if t != "process-returncode"}
        ids = suite_ids(self.suite)
        self.assertEqual(ids, set(finals))
        self.assertEqual({1}, {len(s) for s in finals.values()})
        self.assertLessEqual({"worker-0", "worker-1", "worker-2"}, {t for e in stored.events for t in e.tags})
        self.assertEqual({"fail"}, {finals[planted][0], finals[killed][0]})
        self.assertIn("killed by SIGKILL", stored.attachment(killed, "reason"))
        self.assertEqual({"success"}, {s[0] for t, s in finals.items() if t not in (planted, killed)})
        self.assertLessEqual({planted, killed}, set(self.failing()))
        # a --failing rerun goes through the dispatcher too, and reruns exactly those
        rerun, record = self.run_proto("--failing")
        self.assertNotEqual(0, rerun.returncode)
        self.assertEqual({planted, killed}, set(self.last().finals()) - {"process-returncode"})


class TestStestr(ToolCase):
    def test_stestr_runs_lanes_and_stores_a_normal_run(self) -> None:
        self.check_tool()


class TestTestr(ToolCase):
    TOOL = "testr"
    RUN = ("run", "--parallel", "--concurrency", "3")

    def test_testr_runs_lanes_and_stores_a_normal_run(self) -> None:
        self.check_tool()
