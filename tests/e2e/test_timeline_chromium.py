"""The timeline page in a REAL headless Chromium: lanes and bars against the run drawn, a hover read back from
the tooltip, a click on a failure, screenshots, and not one request beyond the file itself.

Skips when no Chromium is installed, except under CI (``CI=true``), where ``.ci/run`` installs Debian's
``chromium`` and a missing browser is a failure.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import fixtures
import testtools

from partitioner.grouping import BUILTIN
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.repository import read_repository
from partitioner.history.subunit import read_stream_file
from partitioner.pipeline import plan_ids
from partitioner.races import diagnose, is_parallel
from partitioner.timeline.model import Timeline, build_timeline
from partitioner.timeline.page import render_plan, render_timeline
from partitioner.timeline.predicted import plan_assignment, predicted_lanes
from tests.suites import GEN_SUITE, GeneratedSuite, real_streams, tool
from tests.timeline.chromium import ChromiumFixture, Page, find_chromium, under_ci
from tests.timeline.test_page import external_references

API = "window.partitionerTimeline"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG (read from its IHDR chunk); fails on anything that is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def seconds_in(text: str) -> float:
    """``1.23 s`` / ``456 ms`` (as the tooltip writes durations) in seconds."""
    found = re.fullmatch(r"([\d.]+) (s|ms)", text.strip())
    assert found, f"not a duration: {text!r}"
    return float(found.group(1)) / (1000 if found.group(2) == "ms" else 1)


def shown(page: Page, element: str) -> dict[str, str]:
    """The first line (``id``) and the ``key: value`` rows of the visible element ``#element``."""
    assert page.evaluate(f"document.getElementById('{element}').hidden") is False, f"#{element} is hidden"
    lines = page.evaluate(f"document.getElementById('{element}').innerText").splitlines()
    rows = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return {"id": lines[0], **rows}


def tooltip(page: Page) -> dict[str, str]:
    """What the hover tooltip shows."""
    return shown(page, "tip")


def details(page: Page) -> dict[str, str]:
    """What the details panel of a clicked bar shows."""
    return shown(page, "details")


class ChromiumTestCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        executable = find_chromium()
        if executable is None:
            message = "no Chromium found (install Debian's chromium, or set PARTITIONER_CHROMIUM to a browser)"
            if under_ci():
                self.fail(f"{message}; under CI .ci/run installs it, so this is a failure")
            self.skipTest(message)
        self.browser = self.useFixture(ChromiumFixture(executable)).browser
        self.tmp = Path(self.useFixture(fixtures.TempDir()).path)

    def open(self, html: str, name: str, width: int = 1400) -> Page:
        """Write ``html`` to the temp dir, load it, and check the page ran without a script error."""
        path = self.tmp / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        page = self.browser.new_page(width, 900)
        page.open(path)
        self.assertEqual(True, page.evaluate(f"typeof {API} === 'object'"), "the page's script did not run")
        errors = [e["params"] for e in self.browser.events if e.get("method") == "Runtime.exceptionThrown"]
        self.assertEqual([], errors)
        self.assertEqual([path.resolve().as_uri()], page.requests(), "the page requested something else")
        return page

    def assertDrawsRun(self, page: Page, run: Run) -> list[dict[str, Any]]:
        """The page's actual lanes are the run's workers, each with as many bars as the run has records there."""
        lanes = [x for x in page.evaluate(f"{API}.lanes()") if x["kind"] == "actual"]
        timed = Counter(r.worker for r in run.records if r.start is not None and r.worker is not None)
        self.assertEqual(sorted(timed), sorted(x["worker"] for x in lanes))
        self.assertEqual(dict(timed), {x["worker"]: x["bars"] for x in lanes})
        self.assertEqual(len(lanes), page.evaluate("document.querySelectorAll('tr.lane-row').length"))
        return lanes


class RealRunPageTest(ChromiumTestCase):
    """A generated tempest-shaped suite run by the real stestr on 3 workers, with the plan made from its history."""

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        suite = self.useFixture(GeneratedSuite(classes=9, serial_s=3))
        suite.run(tool("stestr"), "init", check=True)
        suite.run(tool("stestr"), "run", "--concurrency", "3", BENCH_RUN="1")
        runs, _, _ = read_repository(suite.path / ".stestr")
        self.run_ = runs[-1]
        self.assertTrue(is_parallel(self.run_), "stestr ran on one worker")

    def test_lanes_bars_hover_click_and_screenshot(self) -> None:
        run = self.run_
        planned = plan_ids([r.test_id for r in run.records], 3, History(runs=(run,)), BUILTIN["class"])
        predicted = predicted_lanes(plan_assignment(planned.plan), planned.model)
        html = render_timeline(build_timeline(run, predicted=predicted))
        self.assertEqual([], external_references(html))
        page = self.open(html, "run")
        lanes = self.assertDrawsRun(page, run)
        all_lanes = page.evaluate(f"{API}.lanes()")
        self.assertEqual([f"worker-{p.worker}" for p in planned.plan.workers],
                         [x["worker"] for x in all_lanes if x["kind"] == "predicted"])

        # hover the longest bar of the first lane: the tooltip names it, its status, duration and worker
        index = all_lanes.index(lanes[0])
        records = sorted((r for r in run.records if r.worker == lanes[0]["worker"]),
                         key=lambda r: (r.start or 0.0, r.test_id))
        longest = max(range(len(records)), key=lambda i: (records[i].duration or 0.0, -i))
        box = page.evaluate(f"{API}.barBox({index}, {longest})")
        self.assertGreater(box["width"], 3)
        page.mouse("mouseMoved", box["x"], box["y"])
        tip = tooltip(page)
        target = records[longest]
        self.assertEqual(target.test_id, tip["id"])
        self.assertEqual(target.status, tip["status"])
        self.assertEqual(target.worker, tip["worker"])
        self.assertAlmostEqual(target.duration or 0.0, seconds_in(tip["duration"]), delta=0.006)
        page.screenshot(self.tmp / "hover.png", full_page=False)

        # a click pins it: its details stay under the chart when the pointer moves on, and hide on a second click
        page.click(box["x"], box["y"])
        page.mouse("mouseMoved", box["x"], box["y"] + 400)
        self.assertEqual(target.test_id, details(page)["id"])
        self.assertEqual(True, page.evaluate("document.getElementById('tip').hidden"), "the pointer left the lanes")
        page.click(box["x"], box["y"])
        self.assertEqual(True, page.evaluate("document.getElementById('details').hidden"))

        # the screenshot is a real picture of the whole page
        shot = page.screenshot(self.tmp / "run.png")
        width, height = png_size(shot)
        self.assertEqual(1400, width)
        self.assertGreater(height, 300)
        self.assertGreater(shot.stat().st_size, 10_000)


class RealStreamsPageTest(ChromiumTestCase):
    """Every stored real stream in shared/data/raw, drawn and counted; a failure's partners outlined on click."""

    def setUp(self) -> None:
        super().setUp()
        self.streams = real_streams(self)

    def test_every_real_stream(self) -> None:
        for path in self.streams:
            run = read_stream_file(path)
            with self.subTest(path.name):
                page = self.open(render_timeline(build_timeline(run)), path.name)
                self.assertDrawsRun(page, run)
                page.screenshot(self.tmp / f"{path.name}.png")

    def test_click_on_a_failure_outlines_what_ran_beside_it(self) -> None:
        for path in self.streams:
            run = read_stream_file(path)
            if not is_parallel(run):
                continue
            diagnosis = diagnose(run)
            suspects = [s for s in diagnosis.tests if s.partners]
            if not suspects:
                continue
            page = self.open(render_timeline(build_timeline(run, races=diagnosis)), path.name)
            suspect = suspects[0]
            lanes = page.evaluate(f"{API}.lanes()")
            at = next((i, j) for i, x in enumerate(lanes) for j in range(x["bars"])
                      if page.evaluate(f"{API}.testId({i}, {j})") == suspect.test)
            box = page.evaluate(f"{API}.barBox({at[0]}, {at[1]})")
            page.click(box["x"], box["y"])
            self.assertEqual(suspect.test, details(page)["id"])
            self.assertEqual(sorted(p.test for p in suspect.partners[:5]), page.evaluate(f"{API}.related()"))
            page.screenshot(self.tmp / "failure.png", full_page=False)
            return
        self.skipTest("no stored real parallel stream has a failure with partners")


class PlanPageChromiumTest(ChromiumTestCase):
    def test_plan_page_in_the_same_visual_language(self) -> None:
        ids = [f"pkg.mod{i % 3}.Klass{i}.test_{j}" for i in range(12) for j in range(i % 4 + 1)]
        planned = plan_ids(ids, 4, History(), BUILTIN["class"])
        page = self.open(render_plan(planned.plan, planned.model), "plan")
        lanes = page.evaluate(f"{API}.lanes()")
        self.assertEqual([("predicted", f"worker-{p.worker}", len(p.tests)) for p in planned.plan.workers],
                         [(x["kind"], x["worker"], x["bars"]) for x in lanes])
        box = page.evaluate(f"{API}.barBox(0, 0)")
        page.mouse("mouseMoved", box["x"], box["y"])
        tip = tooltip(page)
        self.assertEqual(planned.plan.workers[0].tests[0], tip["id"])
        self.assertEqual("worker-0 (plan)", tip["worker"])
        self.assertIn("predicted", tip)


class EdgePagesChromiumTest(ChromiumTestCase):
    """Pages with nothing, or almost nothing, to draw still load without a script error."""

    def test_empty_unfinished_and_empty_worker_pages(self) -> None:
        unfinished = Run("cut", (
            TestRecord("a.B.test_1", "success", 1e9, 1e9 + 1, "worker-0", frozenset({"worker-0"})),
            TestRecord("a.B.test_2", "inprogress", 1e9 + 1, None, "worker-0", frozenset({"worker-0"})),
            TestRecord("a.C.test_1", "success", 1e9, 1e9 + 5, "worker-1", frozenset({"worker-1"})),
        ))
        # one class of three tests on three workers: two empty workers (a plan is capped at one worker per test)
        planned = plan_ids(["a.B.test_1", "a.B.test_2", "a.B.test_3"], 3, History(), BUILTIN["class"])
        pages = {
            "empty": (render_timeline(Timeline("nothing", None, ())), []),
            "unfinished": (render_timeline(build_timeline(unfinished)), [("worker-0", 2), ("worker-1", 1)]),
            "empty-workers": (render_plan(planned.plan, planned.model),
                              [("worker-0", 3), ("worker-1", 0), ("worker-2", 0)]),
        }
        for name, (html, expected) in pages.items():
            with self.subTest(name):
                page = self.open(html, name)
                self.assertEqual(expected, [(x["worker"], x["bars"]) for x in page.evaluate(f"{API}.lanes()")])
        page = self.open(pages["unfinished"][0], "unfinished-hover")
        box = page.evaluate(f"{API}.barBox(0, 1)")
        page.mouse("mouseMoved", box["x"], box["y"])
        self.assertEqual(("a.B.test_2", "inprogress"), (tooltip(page)["id"], tooltip(page)["status"]))
