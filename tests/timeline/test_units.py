"""A plan priced without timing history is in test-count units, not seconds: the timeline's lanes carry the unit,
and the page (facts, table, JSON, the script's labels) and ``partitioner timeline``'s line say "units" where they
said seconds ("predicted 28.4 s" for a first run's plan of test counts)."""

from __future__ import annotations

import dataclasses
import html
import re

import testtools

from partitioner.costmodel import SECONDS, TEST_UNITS, TESTS
from partitioner.grouping import BUILTIN
from partitioner.history import planrecord
from partitioner.history.model import History
from partitioner.history.planrecord import PlannedGroup as Group
from partitioner.history.planrecord import PlannedLane as Lane
from partitioner.pipeline import plan_ids
from partitioner.timeline.model import Timeline, build_timeline
from partitioner.timeline.page import amount, render_plan, render_timeline
from partitioner.timeline.predicted import plan_lanes, predicted_lanes, recorded_lanes
from tests.builders import A, B, C, plan_record
from tests.cli.harness import RepositoryCase
from tests.cli.test_timeline import timed_run
from tests.e2e.test_timeline_chromium import API, ChromiumTestCase, tooltip
from tests.timeline.test_page import page_data
from tests.timeline.test_predicted import FakeCosts

IDS = [f"{A}.test_1", f"{A}.test_2", f"{B}.test_1", f"{C}.test_1"]


def facts(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page)}


def lane_cells(page: str) -> list[list[str]]:
    rows = re.findall(r'<tr class="lane-row">(.*?)</tr>', page)
    return [[html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", row)] for row in rows]


def first_run_plan() -> tuple[Timeline, float]:
    """The predicted lanes of a plan made without history, and its makespan (in test-count units)."""
    planned = plan_ids(IDS, 2, History(), BUILTIN["class"])
    lanes = plan_lanes(planned.plan, planned.model)
    return Timeline("plan", None, (), lanes), planned.plan.predicted_makespan_s


class LaneUnitTest(testtools.TestCase):
    def test_a_plan_without_history_prices_in_test_count_units(self) -> None:
        timeline, makespan = first_run_plan()
        self.assertEqual({TESTS}, {lane.unit for lane in timeline.predicted})
        self.assertEqual(TESTS, timeline.predicted_unit)
        self.assertAlmostEqual(makespan, max(lane.finish for lane in timeline.predicted))

    def test_a_cost_model_that_does_not_say_is_seconds(self) -> None:
        (lane,) = predicted_lanes([("worker-0", IDS)], FakeCosts())
        self.assertEqual(SECONDS, lane.unit)

    def test_a_recorded_plan_is_in_the_unit_given_else_its_own_else_seconds(self) -> None:
        record = plan_record("static", Lane("worker-0", (Group(A, (f"{A}.test_1",), 2.0, 0.0, 2.0),)))
        self.assertEqual(SECONDS, recorded_lanes(record)[0].unit)
        self.assertEqual(TESTS, recorded_lanes(record, unit=TESTS)[0].unit)

        @dataclasses.dataclass(frozen=True)
        class Saying:  # a record that says what its predictions are in
            dispatch: str
            workers: tuple[Lane, ...]
            unit: str

        self.assertEqual(TESTS, recorded_lanes(Saying("static", record.workers, TESTS))[0].unit)

    def test_amount(self) -> None:
        self.assertEqual(["22.0 units", "1,234 units", "16.1 s", "350 ms"],
                         [amount(22.0, TESTS), amount(1234.0, TESTS), amount(16.1, SECONDS), amount(0.35, SECONDS)])


class PageUnitTest(testtools.TestCase):
    def test_a_plan_page_without_history_says_units(self) -> None:
        planned = plan_ids(IDS, 2, History(), BUILTIN["class"])
        page = render_plan(planned.plan, planned.model)
        makespan = planned.plan.predicted_makespan_s
        self.assertEqual(f"{makespan:.1f} units", facts(page)["predicted makespan"])
        self.assertIn(html.escape(TEST_UNITS).split(":", 1)[0], page.split("</header>", 1)[0])
        for cells in lane_cells(page):  # tests, in tests, setup, finish, idle
            self.assertTrue(all(c.endswith(" units") for c in cells[2:]), cells)
        self.assertEqual({"tests"}, {x["unit"] for x in page_data(page)["lanes"]})  # type: ignore[attr-defined]

    def test_a_plan_page_with_history_stays_in_seconds(self) -> None:
        history = History(runs=(timed_run(0),))
        planned = plan_ids(IDS, 2, history, BUILTIN["class"])
        page = render_plan(planned.plan, planned.model)
        self.assertRegex(facts(page)["predicted makespan"], r"^[\d.]+ s$")
        self.assertNotIn("units", page.split("</header>", 1)[0])
        self.assertEqual({"s"}, {x["unit"] for x in page_data(page)["lanes"]})  # type: ignore[attr-defined]

    def test_a_run_beside_a_plan_in_units_gives_no_percentage(self) -> None:
        planned, _ = first_run_plan()
        timeline = build_timeline(timed_run(0), planned.predicted, title="run 0")
        page = render_timeline(timeline)
        predicted = max(lane.finish for lane in planned.predicted)
        self.assertEqual(f"{predicted:.1f} units", facts(page)["predicted"], "units against seconds: no +N%")
        self.assertRegex(facts(page)["wall time"], r"^[\d.]+ s$")
        self.assertTrue(all(row[-1].endswith(" units") for row in lane_cells(page)), "the predicted column")
        self.assertRegex(lane_cells(page)[0][6], r"^[\d.]+ s$", "the run's own finish stays in seconds")


class TimelineCommandUnitTest(RepositoryCase):
    """``partitioner timeline``'s line: a recorded plan of a repository's first run, with nothing else the project
    names to read, had no history; a plan made again knows its unit."""

    def setUp(self) -> None:
        super().setUp()
        record = plan_record("static", Lane("worker-0", (Group(A, (f"{A}.test_1", f"{A}.test_2"), 3.0, 0.0, 3.0),)),
                             Lane("worker-1", (Group(B, (f"{B}.test_1",), 2.0, 0.0, 2.0),
                                               Group(C, (f"{C}.test_1",), 2.0, 2.0, 4.0))))
        self.patch(planrecord, "find_record", lambda run: self.record)
        self.record = record
        self.out = self.dir / "t.html"

    def test_the_first_runs_recorded_plan_is_in_units(self) -> None:
        self.repository([timed_run(0)])
        status, out, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual((0, ""), (status, out))
        self.assertIn("; predicted 4.0 units (the static plan recorded beside the run, made without timing history: "
                      "costs in test-count units)", err)
        self.assertEqual("4.0 units", facts(self.out.read_text(encoding="utf-8"))["predicted"])

    def test_a_later_runs_recorded_plan_is_in_seconds(self) -> None:
        self.repository([timed_run(0), timed_run(1)])
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("; predicted 4.0 s (the static plan recorded beside the run)", err)

    def test_a_first_run_that_a_configured_history_planned_is_in_seconds(self) -> None:
        self.repository([timed_run(0)])
        (self.dir / "times.json").write_text('{"tests": {}}')
        (self.dir / ".testr.conf").write_text("[partitioner]\nhistory = times.json\n")
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("; predicted 4.0 s (the static plan recorded beside the run)", err)

    def test_a_first_run_whose_runner_line_names_a_history_is_in_seconds(self) -> None:
        self.repository([timed_run(0)])
        (self.dir / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=python -m partitioner.run --history sqlite:///h.db $LISTOPT $IDOPTION -- "
            "python -m subunit.run discover\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("; predicted 4.0 s (the static plan recorded beside the run)", err)

    def test_a_record_that_says_seconds_is_in_seconds_on_a_first_run(self) -> None:
        self.record = dataclasses.replace(self.record, unit=SECONDS)  # e.g. exec --history on the first run
        self.repository([timed_run(0)])
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("; predicted 4.0 s (the static plan recorded beside the run)", err)
        self.assertEqual("4.0 s", facts(self.out.read_text(encoding="utf-8"))["predicted"].split(" (")[0])

    def test_a_record_that_says_units_is_in_units_on_a_later_run(self) -> None:
        self.record = dataclasses.replace(self.record, unit=TESTS)  # e.g. a history that timed none of its tests
        self.repository([timed_run(0), timed_run(1)])
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        # the plan had a history (run 0), which timed none of its tests: not "made without timing history"
        self.assertIn("; predicted 4.0 units (the static plan recorded beside the run, nothing before it timed these "
                      "tests: costs in test-count units)", err)
        self.assertEqual("4.0 units", facts(self.out.read_text(encoding="utf-8"))["predicted"])

    def test_a_record_that_says_units_on_a_first_run_was_made_without_history(self) -> None:
        self.record = dataclasses.replace(self.record, unit=TESTS)
        self.repository([timed_run(0), timed_run(1)])
        status, _, err = self.cli("timeline", "0", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("(the static plan recorded beside the run, made without timing history: costs in test-count "
                      "units)", err)

    def test_a_plan_made_again_without_history_is_in_units(self) -> None:
        self.repository([timed_run(0)])
        status, _, err = self.cli("timeline", "-o", str(self.out), "--plan")
        self.assertEqual(0, status)
        self.assertRegex(err, r"; predicted [\d.]+ units \(static plan made again, no history before it: costs in "
                              r"test-count units\)")


class UnitsInTheBrowserTest(ChromiumTestCase):
    """The page's script labels a plan's figures in units too: the tooltip of a bar of a first run's plan."""

    def test_the_tooltip_of_a_plan_without_history_says_units(self) -> None:
        planned = plan_ids(IDS, 2, History(), BUILTIN["class"])
        page = self.open(render_plan(planned.plan, planned.model), "units")
        self.assertEqual({"tests"}, {x["unit"] for x in page.evaluate(f"{API}.lanes()")})
        box = page.evaluate(f"{API}.barBox(0, 0)")
        page.mouse("mouseMoved", box["x"], box["y"])
        tip = tooltip(page)
        self.assertEqual("1.0 units", tip["predicted"])
        self.assertRegex(tip["start"], r"^\+[\d.]+ units, stop \+[\d.]+ units$")

    def test_the_tooltip_of_a_plan_with_history_says_seconds(self) -> None:
        planned = plan_ids(IDS, 2, History(runs=(timed_run(0),)), BUILTIN["class"])
        page = self.open(render_plan(planned.plan, planned.model), "seconds")
        box = page.evaluate(f"{API}.barBox(0, 0)")
        page.mouse("mouseMoved", box["x"], box["y"])
        self.assertRegex(tooltip(page)["predicted"], r"^[\d.]+ (s|ms)$")


class RecordedDynamicUnitsTest(testtools.TestCase):
    def test_a_dynamic_record_in_units_starts_at_0_not_at_its_first_hand_out(self) -> None:
        # hand-out times are seconds: 0.3 s + 4 units made "predicted 4.3"
        record = plan_record("dynamic", Lane("worker-0", (Group(A, (f"{A}.test_1", f"{A}.test_2"), 3.0, 0.3, 1.0),
                                                          Group(B, (f"{B}.test_1",), 1.0, 1.0, 1.5))))
        (units,) = recorded_lanes(record, unit=TESTS)
        self.assertEqual([(0.0, 3.0), (3.0, 4.0)], [(b.start, b.stop) for b in units.bars])
        self.assertEqual((), units.gaps)
        (seconds,) = recorded_lanes(record)
        self.assertEqual([(0.3, 3.3), (3.3, 4.3)], [(b.start, b.stop) for b in seconds.bars], "from the hand-out")
