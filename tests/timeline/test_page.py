"""The timeline page without a browser: one self-contained file, its inline JSON, hostile test ids, plan pages."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import testtools

from partitioner.grouping import BUILTIN
from partitioner.history.model import History, Run, TestRecord
from partitioner.pipeline import plan_ids
from partitioner.races import diagnose
from partitioner.timeline.model import Timeline, build_timeline
from partitioner.timeline.page import FORMAT_VERSION, render_plan, render_timeline, timeline_data
from partitioner.timeline.predicted import plan_lanes

#: anything in a page that could make a browser fetch something, or that reads as an address
EXTERNAL = re.compile(
    r"(?i)https?:|ftp:|file:|//|\bsrc\s*=|\bhref\s*=|url\s*\(|@import|<link\b|<iframe\b|<img\b|<object\b|<embed\b"
    r"|<base\b|\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|\bimport\s*\(|srcset|@font-face"
)
DATA_ELEMENT = re.compile(r'<script type="application/json" id="timeline-data">(.*?)</script>', re.S)

#: ids a stream may carry that would break a page that pasted them in
HOSTILE = (
    "pkg.mod.Klass.test_fetch[http://example.com/x?a=1&b=2]",
    "pkg.mod.Klass.test_close</script><script>alert(1)</script>",
    'pkg.mod.Klass.test_img<img src="https://example.com/p.png">',
    "pkg.mod.Klass.test_css(url(//example.com/f.woff))",
    "pkg.mod.Klass.test_unicode_\u00e9\u2603",
)


def external_references(page: str) -> list[str]:
    """Every place in ``page`` that could reference something outside it (``data:`` URIs would be fine)."""
    return [m.group(0) for m in EXTERNAL.finditer(page) if not page[m.start():].lower().startswith("data:")]


def page_data(page: str) -> dict[str, object]:
    """The JSON the page's script draws."""
    found = DATA_ELEMENT.search(page)
    assert found is not None, "no timeline-data element"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def ids_in(data: dict[str, object], kind: str = "actual") -> list[str]:
    """Every bar's full test id, lane by lane, rebuilt from the page's JSON the way its script does."""
    classes = data["classes"]
    assert isinstance(classes, list)
    out = []
    for lane in data["lanes"]:  # type: ignore[attr-defined]
        if lane["kind"] != kind:
            continue
        bars = lane["bars"]
        for c, name, flags in zip(bars["c"], bars["n"], bars["f"], strict=True):
            out.append(name if flags & 1 else f"{classes[c]}.{name}")
    return out


def record(test: str, worker: str | None, start: float, stop: float, status: str = "success") -> TestRecord:
    return TestRecord(test, status, 1e9 + start, 1e9 + stop, worker, frozenset({worker}) if worker else frozenset())


def hostile_run() -> Run:
    records = [record(t, f"worker-{i % 2}", i * 1.0, i * 1.0 + 0.9, "fail" if i == 1 else "success")
               for i, t in enumerate(HOSTILE)]
    records.append(TestRecord("https://example.com/untimed", "success", None, None, "worker-0",
                              frozenset({"worker-0"})))
    return Run("https://ci.example.com/logs/testrepository.subunit.gz", tuple(records))


class PageTest(testtools.TestCase):
    def test_no_external_reference_whatever_the_ids(self) -> None:
        run = hostile_run()
        page = render_timeline(build_timeline(run, races=diagnose(run)))
        self.assertEqual([], external_references(page))
        self.assertEqual(2, page.count("<script"))
        self.assertEqual(2, page.count("</script>"), "a test id closed a script element")

    def test_the_check_itself_finds_references(self) -> None:
        for bad in ('<img src="x.png">', "<a href=x>", "background: url(x.png)", "fetch('/api')", "//cdn",
                    '<link rel="stylesheet">', "http:", "https:"):
            self.assertNotEqual([], external_references(f"<p>{bad}</p>"), bad)

    def test_data_round_trips_every_id_and_counts(self) -> None:
        run = hostile_run()
        timeline = build_timeline(run)
        data = page_data(render_timeline(timeline))
        self.assertEqual(FORMAT_VERSION, data["format_version"])
        self.assertEqual(sorted(HOSTILE), sorted(ids_in(data)))
        self.assertEqual(["worker-0", "worker-1"], [x["worker"] for x in data["lanes"]])  # type: ignore[attr-defined]
        self.assertEqual([["https://example.com/untimed", "success", "no timestamps"]], data["unplaced"])
        self.assertEqual(run.run_id, data["title"])
        self.assertEqual(timeline_data(timeline), data)

    def test_times_in_microseconds_from_the_origin(self) -> None:
        run = Run("r", (record("a.B.test_1", "worker-0", 0.5, 1.75), record("a.C.test_1", "worker-0", 3.0, 4.0)))
        data = timeline_data(build_timeline(run))
        (lane,) = data["lanes"]
        self.assertEqual([0, 2_500_000], lane["bars"]["s"])
        self.assertEqual([1_250_000, 1_000_000], lane["bars"]["d"])
        self.assertEqual({"s": [1_250_000], "d": [1_250_000], "k": [0], "c": [1], "p": [0]}, lane["gaps"])
        self.assertEqual(["a.B", "a.C"], data["classes"])
        self.assertEqual((3_500_000, 0), (lane["finish"], lane["idle"]))

    def test_visible_facts_and_lane_table(self) -> None:
        run = Run("r", (record("a.B.test_1", "worker-0", 0.0, 10.0, "fail"), record("a.C.test_1", "worker-1", 0, 4),
                        record("a.C.test_2", "worker-1", 4.0, 5.0, "skip")))
        page = render_timeline(build_timeline(run))
        self.assertEqual(2, page.count('<tr class="lane-row">'))
        self.assertEqual(["pass", "fail", "skip", "idle"], re.findall(r'<i class="sw (\w+)"></i>', page))
        facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
        self.assertEqual({"wall time": "10.0 s", "workers": "2", "tests": "3", "failed": "1", "skipped": "1",
                          "in tests": "75%", "class setup + start-up": "0%", "idle": "25%"}, facts)


class PlanPageTest(testtools.TestCase):
    def test_plan_page_draws_predicted_lanes_only(self) -> None:
        history = History(runs=(Run("r", tuple(record(f"pkg.m.K{i}.test_{j}", "worker-0", i * 3 + j, i * 3 + j + 1)
                                             for i in range(4) for j in range(2))),))
        ids = [f"pkg.m.K{i}.test_{j}" for i in range(4) for j in range(2)]
        planned = plan_ids(ids, 3, history, BUILTIN["class"])
        page = render_plan(planned.plan, planned.model)
        data = page_data(page)
        self.assertEqual(["predicted"] * 3, [x["kind"] for x in data["lanes"]])  # type: ignore[attr-defined]
        self.assertEqual(sorted(ids), sorted(ids_in(data, "predicted")))
        self.assertIsNone(data["origin"])
        self.assertIn("<dt>predicted makespan</dt>", page)
        self.assertEqual([], external_references(page))
        self.assertEqual(3, page.count('<tr class="lane-row">'))
        legend = re.findall(r'<i class="sw (\w+)"></i>', page)
        self.assertEqual(["plan", "setup", "lead", "idle"], legend, "the legend names only what the page shows")
        self.assertNotIn("<th>failed</th>", page)

    def test_a_subtitle_replaces_the_start_line(self) -> None:
        page = render_timeline(Timeline("t", None, (), subtitle="at true costs"))
        self.assertIn('<p class="when">at true costs</p>', page)
        self.assertIn('<p class="when">predicted, before it runs</p>', render_timeline(Timeline("t", None, ())))

    def test_empty_timeline_still_renders(self) -> None:
        page = render_timeline(Timeline("nothing", None, ()))
        self.assertEqual([], page_data(page)["lanes"])
        self.assertEqual([], external_references(page))


class SectionsPageTest(testtools.TestCase):
    """Several plans on one page: each under its heading, each one's makespan against the best."""

    def test_sections_in_the_data_the_facts_and_the_table(self) -> None:
        ids = [f"pkg.m.K{i}.test_{j}" for i in range(5) for j in range(i + 1)]
        planned = plan_ids(ids, 2, History(), BUILTIN["class"])
        fast = plan_lanes(planned.plan, planned.model, "fast")
        slow = tuple(replace(x, section="slow", finish=x.finish * 1.5) for x in fast)
        page = render_timeline(Timeline("two plans", None, (), (*fast, *slow)))
        data = page_data(page)
        self.assertEqual(["fast", "fast", "slow", "slow"], [x["section"] for x in data["lanes"]])  # type: ignore
        facts = {k: html.unescape(v) for k, v in re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page)}
        end = max(x.finish for x in fast)
        # planned without history: test-count units (these said seconds)
        self.assertEqual(f"{end:.1f} units", facts["fast"])
        self.assertEqual(f"{end * 1.5:.1f} units (+50%)", facts["slow"])
        self.assertEqual(("2", f"{len(ids)}"), (facts["workers"], facts["tests"]))
        self.assertEqual(["fast", "slow"], re.findall(r'<tr class="section-row"><th colspan="\d+">([^<]*)</th>', page))
        self.assertEqual(4, page.count('<tr class="lane-row">'))
