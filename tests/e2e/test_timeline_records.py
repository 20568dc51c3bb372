"""A run through ``partitioner exec`` or the runner, then ``partitioner timeline`` of it: the page carries the
predicted lanes of the plan recorded beside the run (no ``--plan``: the record is found by the run's content).

The page's data is read from the file (the drawing itself is tests/e2e/test_timeline_cli.py's, in Chromium).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch.queue import BATCH_ABOVE_PER_LANE
from partitioner.history.planrecord import find_record
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


#: a suite split per test (no group_regex): a class of many short tests, handed out in batches on 2 lanes
PER_TEST_CONF = "[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n"
PER_TEST_TESTS = 3 * BATCH_ABOVE_PER_LANE * 2


def per_test_project(root: Path, tests: int = PER_TEST_TESTS, sleep_s: float = 0.01) -> None:
    """A stestr project of ``tests`` tests of ``sleep_s`` each, in one module and no group_regex."""
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    body = "".join(f"    def test_{i:04d}(self):\n        time.sleep({sleep_s})\n\n" for i in range(tests))
    (root / "pkg" / "test_many.py").write_text(f"import time\nimport unittest\n\n\nclass T(unittest.TestCase):\n{body}")
    (root / ".stestr.conf").write_text(PER_TEST_CONF)


class TestBatchedDynamicRunOnTheTimeline(testtools.TestCase):
    """A dynamic run of a suite split per test is handed out in batches; the timeline's predicted makespan is
    the one its record predicted, not the few single tests at the tail (every batch priced at nothing)."""

    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        per_test_project(self.root)
        self.env = tool_env(PARTITIONER_CACHE_DIR=str(self.root / "cache"))

    def sh(self, *argv: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(argv), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=300,
                              check=False, stdin=subprocess.DEVNULL)
        self.assertEqual(0, done.returncode, f"{argv}: {done.stdout}\n{done.stderr}")
        return done

    def test_the_predicted_makespan_is_the_records(self) -> None:
        for _ in range(2):  # the second run is planned from the first one's timings: seconds
            self.sh(tool("partitioner"), "exec", "--dispatch", "dynamic", "--", tool("stestr"), "run",
                    "--concurrency", "2")
        runs, _, _ = read_repository(self.root / ".stestr")
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.root / "cache")))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        record = find_record(runs[-1])
        assert record is not None and record.predicted_makespan_s is not None
        groups = [g for lane in record.workers for g in lane.groups]
        self.assertTrue(any(g.key.endswith(" groups)") for g in groups), [g.key for g in groups])  # batched
        self.assertEqual(PER_TEST_TESTS, sum(len(g.tests) for g in groups))
        self.assertEqual([], [(g.key, g.predicted_s) for g in groups if not g.predicted_s > 0.0])
        # each lane, drawn from its first hand-out, for what it was handed: the record's own figure
        lanes = [(lane.groups[0].start_s or 0.0) + sum(g.predicted_s for g in lane.groups)
                 for lane in record.workers if lane.groups]
        done = self.sh(tool("partitioner"), "timeline", "-o", "t.html")
        found = re.search(r"predicted ([\d.]+) s \(the dynamic plan recorded beside the run\)", done.stderr)
        assert found is not None, done.stderr
        drawn = float(found.group(1))
        self.assertAlmostEqual(max(lanes), drawn, delta=0.051)  # the line rounds to 0.1 s
        # what exec predicted: the simulated queue; the lanes' hand-out order differs from the simulation's,
        # the tests' total does not (before batches were priced, the drawn figure was a few tenths of a second)
        self.assertGreater(drawn, 0.7 * record.predicted_makespan_s, done.stderr)
        self.assertLess(drawn, 1.5 * record.predicted_makespan_s, done.stderr)
        data = page_data((self.root / "t.html").read_text(encoding="utf-8"))
        predicted = [lane for lane in data["lanes"] if lane["kind"] == "predicted"]  # type: ignore[attr-defined]
        self.assertEqual({"s"}, {lane["unit"] for lane in predicted})
        self.assertEqual(len(groups), sum(len(lane["bars"]["s"]) for lane in predicted))
