"""``partitioner timeline`` end to end: a generated suite run by the REAL stestr and testr, drawn by the real
``partitioner`` console script (from the repository, and from a SQLite history store it was pushed to), loaded in
a real headless Chromium and counted against the run; and ``plan --format html``'s renderer under dynamic dispatch
in the browser. Skips without ../shared or without Chromium (under CI a missing browser fails).
"""

from __future__ import annotations

import io
import subprocess
from collections import Counter

from partitioner.history.model import Run
from partitioner.history.repository import read_repository
from partitioner.history.store import open_store
from partitioner.pipeline import plan_for_directory
from partitioner.races import is_parallel
from partitioner.render.html import DYNAMIC_SECTION, render_html
from tests.e2e.test_timeline_chromium import API, ChromiumTestCase, tooltip
from tests.suites import GEN_SUITE, GeneratedSuite, tool, tool_env
from tests.timeline.test_page import external_references


class TimelineCommandTest(ChromiumTestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=8, serial_s=3, races=1))

    def partitioner(self, *argv: str) -> str:
        """Run the real console script in the suite's directory (it must succeed); its stderr, where timeline says
        what it wrote (its stdout stays empty when the page goes to a file)."""
        done = subprocess.run([tool("partitioner"), *argv], cwd=self.suite.path, env=tool_env(),
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
        self.assertEqual((0, ""), (done.returncode, done.stdout), done.stderr)
        return done.stderr

    def stored_runs(self, repo: str) -> tuple[Run, ...]:
        runs, _, _ = read_repository(self.suite.path / repo)
        return runs

    def assertPageDrawsRun(self, name: str, run: Run) -> None:
        """The page ``name`` in the suite dir has a lane per worker with a bar per timed record, no request
        beyond itself, and a tooltip naming the bar under the pointer."""
        html = (self.suite.path / name).read_text(encoding="utf-8")
        self.assertEqual([], external_references(html))
        page = self.open(html, name)
        self.assertDrawsRun(page, run)
        lanes = page.evaluate(f"{API}.lanes()")
        box = page.evaluate(f"{API}.barBox(0, 0)")
        page.mouse("mouseMoved", box["x"], box["y"])
        self.assertEqual(page.evaluate(f"{API}.testId(0, 0)"), tooltip(page)["id"])
        self.assertEqual(lanes[0]["worker"], tooltip(page)["worker"])
        page.screenshot(self.tmp / f"{name}.png")

    def test_stestr_run_drawn_from_the_repository_and_from_a_store(self) -> None:
        self.suite.run(tool("stestr"), "init", check=True)
        self.suite.run(tool("stestr"), "run", "--concurrency", "2", BENCH_RUN="1")
        self.suite.run(tool("stestr"), "run", "--concurrency", "3", BENCH_RUN="2")
        runs = self.stored_runs(".stestr")
        self.assertEqual(2, len(runs))
        latest = runs[-1]
        self.assertTrue(is_parallel(latest), "stestr ran on one worker")

        out = self.partitioner("timeline", "-o", "latest.html", "--plan", "--races")
        self.assertIn("latest.html: run 1 of .stestr: 3 workers", out)
        self.assertIn("static plan made again, from the history before it", out)
        self.assertPageDrawsRun("latest.html", latest)
        html = (self.suite.path / "latest.html").read_text(encoding="utf-8")
        page = self.open(html, "latest-plan")
        kinds = Counter(x["kind"] for x in page.evaluate(f"{API}.lanes()"))
        self.assertEqual({"actual": 3, "predicted": 3}, dict(kinds))

        url = f"sqlite:///{self.suite.path / 'history.db'}"
        with open_store(url) as store:
            pushed = store.push_repository(self.suite.path / ".stestr")
        self.assertEqual(2, len(pushed.results))
        out = self.partitioner("timeline", str(pushed.results[0].run_id), "--history", url, "-o", "first.html")
        self.assertIn("2 workers", out)
        self.assertPageDrawsRun("first.html", runs[0])

    def test_testr_run_drawn_from_a_stream_on_stdin(self) -> None:
        self.suite.run(tool("testr"), "init", check=True)
        self.suite.run(tool("testr"), "run", "--parallel", "--concurrency", "2", BENCH_RUN="1")
        (run,) = self.stored_runs(".testrepository")
        self.assertTrue(is_parallel(run), "testr ran on one worker")
        stream = (self.suite.path / ".testrepository" / "0").read_bytes()
        done = subprocess.run([tool("partitioner"), "timeline", "-", "-o", "stdin.html"], cwd=self.suite.path,
                              env=tool_env(), input=stream, capture_output=True, timeout=120, check=False)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertPageDrawsRun("stdin.html", run)

    def test_plan_html_under_dynamic_dispatch(self) -> None:
        self.suite.run(tool("stestr"), "init", check=True)
        self.suite.run(tool("stestr"), "run", "--concurrency", "2", BENCH_RUN="1")
        (run,) = self.stored_runs(".stestr")
        ids = sorted({r.test_id for r in run.records if r.worker})
        planned = plan_for_directory(ids, 3, self.suite.path)
        out = io.StringIO()
        render_html(planned, out, "dynamic")
        page = self.open(out.getvalue(), "plan-dynamic")
        lanes = page.evaluate(f"{API}.lanes()")
        self.assertEqual([DYNAMIC_SECTION] * 3, [x["section"] for x in lanes[:3]])
        self.assertEqual(6, len(lanes))
        for section in {x["section"] for x in lanes}:
            self.assertEqual(len(ids), sum(x["bars"] for x in lanes if x["section"] == section))
        box = page.evaluate(f"{API}.barBox(0, 0)")
        page.mouse("mouseMoved", box["x"], box["y"])
        self.assertEqual(DYNAMIC_SECTION, tooltip(page)["plan"])
        page.screenshot(self.tmp / "plan-dynamic.png")
