"""A run through ``partitioner exec`` or the runner, then ``partitioner timeline`` of it: the page carries the
predicted lanes of the plan recorded beside the run (no ``--plan``: the record is found by the run's content).

The page's data is read from the file (the drawing itself is tests/e2e/test_timeline_cli.py's, in Chromium).
"""

from __future__ import annotations

import subprocess

import testtools

from partitioner.history.repository import read_repository
from tests.suites import GEN_SUITE, GeneratedSuite, tool, tool_env
from tests.timeline.test_page import page_data

RUNNER_CONF = ("[DEFAULT]\n"
               "test_command=${PYTHON:-python} -m partitioner.run --concurrency 2 $LISTOPT $IDOPTION -- "
               "${PYTHON:-python} -m subunit.run discover -t . ./suite\n"
               "test_id_option=--load-list $IDFILE\ntest_list_option=--list\ngroup_regex=([^\\.]*\\.)*\n")


class TestRecordedPlanOnTheTimeline(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=8, serial_s=2))
        self.cache = self.suite.path / "cache"

    def sh(self, *argv: str) -> subprocess.CompletedProcess[str]:
        done = self.suite.run(*argv, PARTITIONER_CACHE_DIR=str(self.cache))
        self.assertEqual(0, done.returncode, f"{argv}: {done.stdout}\n{done.stderr}")
        return done

    def timeline(self) -> tuple[str, dict[str, object]]:
        """``partitioner timeline`` of the newest run: its line on stderr (stdout stays empty) and the page's data."""
        done = subprocess.run([tool("partitioner"), "timeline", "-o", "t.html"], cwd=self.suite.path,
                              env=tool_env(PARTITIONER_CACHE_DIR=str(self.cache)), capture_output=True, text=True,
                              timeout=120, check=False)
        self.assertEqual((0, ""), (done.returncode, done.stdout), done.stderr)
        return done.stderr, page_data((self.suite.path / "t.html").read_text(encoding="utf-8"))

    def assertPredictedLanes(self, data: dict[str, object], workers: int, groups: int) -> None:
        lanes = data["lanes"]
        assert isinstance(lanes, list)
        predicted = [lane for lane in lanes if lane["kind"] == "predicted"]
        self.assertEqual(workers, len([lane for lane in lanes if lane["kind"] == "actual"]))
        self.assertEqual(workers, len(predicted))
        self.assertEqual(groups, sum(len(lane["bars"]["s"]) for lane in predicted))  # a bar per group recorded

    def assertUnit(self, data: dict[str, object], unit: str) -> None:
        lanes = data["lanes"]
        assert isinstance(lanes, list)
        self.assertEqual({unit}, {lane["unit"] for lane in lanes if lane["kind"] == "predicted"})

    def test_exec_dynamic_and_static_runs_are_drawn_with_their_recorded_plans(self) -> None:
        for mode in ("dynamic", "static"):
            self.sh(tool("partitioner"), "exec", "--dispatch", mode, "--", tool("stestr"), "run", "--concurrency", "2")
            out, data = self.timeline()
            if mode == "dynamic":  # the first run: planned without history, in test-count units
                self.assertRegex(out, r"predicted [\d.]+ units \(the dynamic plan recorded beside the run, made "
                                      r"without timing history: costs in test-count units\)")
                self.assertUnit(data, "tests")
            else:
                self.assertRegex(out, r"predicted [\d.]+ s \(the static plan recorded beside the run\)")
                self.assertUnit(data, "s")
            self.assertPredictedLanes(data, 2, 8)

    def test_a_runner_run_under_testr_is_drawn_with_its_recorded_plan(self) -> None:
        (self.suite.path / ".testr.conf").write_text(RUNNER_CONF)
        (self.suite.path / ".stestr.conf").unlink()
        self.sh(tool("testr"), "init")
        self.sh(tool("testr"), "run")
        (run,), _, _ = read_repository(self.suite.path / ".testrepository")
        self.assertEqual({"worker-0", "worker-1"}, {r.worker for r in run.records if r.worker})
        out, data = self.timeline()
        self.assertIn("units (the dynamic plan recorded beside the run, made without timing history", out)
        self.assertUnit(data, "tests")
        self.assertPredictedLanes(data, 2, 8)
        self.sh(tool("testr"), "run")  # planned from the first run's timings: seconds
        out, data = self.timeline()
        self.assertRegex(out, r"predicted [\d.]+ s \(the dynamic plan recorded beside the run\)")
        self.assertUnit(data, "s")
        self.assertPredictedLanes(data, 2, 8)
