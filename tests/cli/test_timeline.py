"""Tests for ``partitioner timeline``: which run it draws (repository, stream, stdin, history store), the page it
writes, predicted lanes (a recorded plan, or ``--plan``), race marks, and one-line errors for every bad input."""

from __future__ import annotations

import dataclasses
import html
import os
import re

import fixtures

from partitioner.cli.commands.timeline import replan
from partitioner.config import DISPATCH_ORDERS, Settings
from partitioner.costmodel import SECONDS, TESTS
from partitioner.grouping import BUILTIN
from partitioner.history import Repository, planrecord
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.planrecord import PlannedGroup as Group
from partitioner.history.planrecord import PlannedLane as Lane
from partitioner.history.store import open_store
from partitioner.pipeline import plan_ids
from partitioner.render.dispatch import dynamic_view
from tests.builders import A, B, C, cut_short, plan_record, racing_runs, rec, run, stream
from tests.cli.harness import RepositoryCase
from tests.render.test_html import classes
from tests.timeline.test_page import external_references, ids_in, page_data

HOUR = 3600.0


def facts(page: str) -> dict[str, str]:
    """The page's headline figures: label -> value."""
    return {k: html.unescape(v) for k, v in re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page)}


def timed_run(order: int, a_seconds: float = 1.0, status: str = "success") -> Run:
    """Run ``order`` starts ``order`` hours after the epoch: A (two tests) on worker-0, B then C on worker-1."""
    t = order * HOUR
    return run(
        rec(f"{A}.test_1", "worker-0", t + 0.5, t + 0.5 + a_seconds, status),
        rec(f"{A}.test_2", "worker-0", t + 0.5 + a_seconds, t + 1.5 + a_seconds),
        rec(f"{B}.test_1", "worker-1", t + 0.2, t + 1.2),
        rec(f"{C}.test_1", "worker-1", t + 3.2, t + 4.2),  # a 2 s setup gap before C
        run_id=f"r{order}", order=order)


def bars_of(page: str, kind: str = "actual") -> dict[str, tuple[float, int]]:
    """Every bar of the page's lanes of one kind: full id -> (seconds, flags)."""
    data = page_data(page)
    classes = data["classes"]
    found = {}
    for lane in data["lanes"]:  # type: ignore[attr-defined]
        if lane["kind"] != kind:
            continue
        bars = lane["bars"]
        for c, name, flags, d in zip(bars["c"], bars["n"], bars["f"], bars["d"], strict=True):
            found[name if flags & 1 else f"{classes[c]}.{name}"] = (d / 1e6, flags)  # type: ignore[index]
    return found


def lanes_of(page: str, kind: str = "actual") -> list[tuple[str, int]]:
    """``(worker, bars)`` of the page's lanes of one kind."""
    return [(x["worker"], len(x["bars"]["s"])) for x in page_data(page)["lanes"]  # type: ignore[attr-defined]
            if x["kind"] == kind]


def said(err: str, target: object) -> str:
    """timeline's one line on what it wrote to ``target``: on stderr, after any warning, as ``plan -o`` and
    ``history export -o`` say theirs (stdout holds nothing but a page sent to ``-``)."""
    lines = [line for line in err.splitlines() if line.startswith(f"{target}: ")]
    assert len(lines) == 1, err
    return lines[0]


class TimelineFromRepositoryTest(RepositoryCase):
    def setUp(self) -> None:
        super().setUp()
        self.out = self.dir / "page.html"

    def page(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def test_the_newest_run_by_default_and_one_summary_line(self) -> None:
        self.repository([timed_run(0), timed_run(1, 5.0, "fail")])
        status, out, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual((0, ""), (status, out))
        self.assertEqual(f"{self.out}: run 1 of .testrepository: 2 workers, 4 tests (1 failed), wall time 6.3 s\n",
                         err)
        page = self.page()
        self.assertEqual([("worker-0", 2), ("worker-1", 2)], lanes_of(page))
        self.assertEqual("run 1 of .testrepository", page_data(page)["title"])
        self.assertEqual([], external_references(page))

    def test_an_interrupted_run_says_what_its_failures_are(self) -> None:
        # a new user's trial: races and history summary said the run was interrupted, timeline called it
        # "117 tests (116 failed)" and nothing more
        self.repository([run(rec(f"{A}.t1", "worker-0", 0.0, 1.0), cut_short(f"{A}.t2", "worker-0", 1.0, 1.5),
                             rec(f"{B}.t1", "worker-1", 0.0, 1.2),
                             # never started: start == stop, as partitioner writes it
                             rec(f"{B}.t2", "worker-1", 1.5, 1.5, "fail", reason="not run: the run was interrupted "
                                 "(SIGTERM) before this test started; lane 1 held it"))])
        status, out, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual((0, ""), (status, out))
        self.assertIn("partitioner: warning: run 0 of .testrepository was interrupted (SIGTERM): 1 test it cut short "
                      "and 1 it never reached are drawn as the run stored them, as failures; `partitioner races` and "
                      "`history summary` do not count them\n", err)

    def test_a_run_number_and_a_title(self) -> None:
        self.repository([timed_run(0), timed_run(1)])
        status, out, err = self.cli("timeline", "0", "-o", str(self.out), "--title", "nightly <run>")
        self.assertEqual((0, "", f"{self.out}: run 0 of .testrepository: 2 workers, 4 tests (0 failed), wall time "
                                 "4.0 s\n"), (status, out, err))
        self.assertEqual("nightly <run>", page_data(self.page())["title"])
        self.assertIn("<h1>nightly &lt;run&gt;</h1>", self.page())

    def test_default_output_is_timeline_html_in_the_working_directory(self) -> None:
        self.repository([timed_run(0)])
        here = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, here)
        status, out, err = self.cli("timeline")
        self.assertEqual((0, ""), (status, out))
        self.assertTrue(err.startswith("timeline.html: run 0 of .testrepository"))
        self.assertTrue((self.dir / "timeline.html").is_file())

    def test_dash_writes_the_page_to_stdout_and_nothing_else(self) -> None:
        self.repository([timed_run(0)])
        status, out, err = self.cli("timeline", "-o", "-")
        self.assertEqual((0, ""), (status, err))
        self.assertTrue(out.startswith("<!DOCTYPE html>"))
        self.assertEqual([("worker-0", 2), ("worker-1", 2)], lanes_of(out))

    def test_the_repository_is_only_read(self) -> None:
        from tests.suites import tree_snapshot

        repo = self.repository([timed_run(0), timed_run(1)])
        before = tree_snapshot(repo)
        self.assertEqual(0, self.cli("timeline", "-o", str(self.out), "--plan", "--races")[0])
        self.assertEqual(before, tree_snapshot(repo))

    def test_plan_is_made_from_the_runs_before_the_drawn_one(self) -> None:
        # run 0: A's first test took 4 s; run 1 (drawn): 1 s; run 2 (after it): 9 s
        self.repository([timed_run(0, 4.0), timed_run(1, 1.0), timed_run(2, 9.0)])
        status, out, err = self.cli("timeline", "1", "-o", str(self.out), "--plan")
        self.assertEqual((0, ""), (status, out))
        self.assertIn("; predicted ", said(err, self.out))
        self.assertIn("(static plan made again, from the history before it)", err)
        self.assertEqual(1, len(err.splitlines()), err)
        data = page_data(self.page())
        predicted = [x for x in data["lanes"] if x["kind"] == "predicted"]  # type: ignore[attr-defined]
        self.assertEqual(2, len(predicted))
        self.assertEqual(sorted([f"{A}.test_1", f"{A}.test_2", f"{B}.test_1", f"{C}.test_1"]),
                         sorted(ids_in(data, "predicted")))
        self.assertEqual(4.0, bars_of(self.page(), "predicted")[f"{A}.test_1"][0],
                         "A.test_1 is predicted from run 0 (4 s), not from run 1 itself (1 s) or run 2 (9 s)")

    def test_plan_without_earlier_runs_plans_by_test_counts(self) -> None:
        self.repository([timed_run(0)])
        status, _, err = self.cli("timeline", "-o", str(self.out), "--plan", "dynamic")
        self.assertEqual(0, status)
        self.assertIn("(dynamic plan made again, no history before it: costs in test-count units)",
                      said(err, self.out))
        self.assertEqual(2, len(lanes_of(self.page(), "predicted")))

    def test_a_dynamic_plan_made_again_hands_out_the_queue_in_the_projects_dispatch_order(self) -> None:
        # eight classes on three workers, dearer further down the suite: suite order and longest-first part ways
        def one(order: int) -> Run:
            took = [0.5 + c * c for c in range(8)]  # each of class c's two tests, one after the other
            return run(*(rec(f"m.K{c}.t{t}", f"worker-{c % 3}", order * HOUR + 100 * c + t * took[c],
                             order * HOUR + 100 * c + (t + 1) * took[c]) for c in range(8) for t in range(2)),
                       run_id=f"r{order}", order=order)

        drawn, history = one(1), History(runs=(one(0),))
        ids = sorted({r.test_id for r in drawn.records})
        shown = {}
        for order in (None, *DISPATCH_ORDERS):
            settings = Settings(dispatch_order=order)
            view = dynamic_view(plan_ids(ids, 3, history, BUILTIN["class"], settings=settings), 3,
                                order or DISPATCH_ORDERS[0])  # what `plan --dispatch dynamic` shows
            shown[order] = [[slot.key for slot in lane] for lane in view.timeline.lanes]
            lanes = replan(drawn, history, settings, "dynamic")
            self.assertEqual(shown[order], [classes(lane) for lane in lanes], order)
        self.assertEqual(shown["lookahead"], shown[None])  # the default, as the run's
        self.assertNotEqual(shown["lookahead"], shown["cost"])

    def test_plan_leaves_out_what_is_not_a_test(self) -> None:
        extra = (rec(f"setUpClass ({C})", "worker-1", 2.0, 2.5, "fail"), rec("process-returncode", "worker-1", 4.2, 4.2,
                 "fail"), rec("devstack", None, -100.0, 0.0))
        self.repository([run(*timed_run(0).records, *extra)])
        status, _, err = self.cli("timeline", "-o", str(self.out), "--plan")
        self.assertEqual(0, status, err)
        self.assertEqual(sorted([f"{A}.test_1", f"{A}.test_2", f"{B}.test_1", f"{C}.test_1"]),
                         sorted(bars_of(self.page(), "predicted")))
        self.assertIn(f"setUpClass ({C})", bars_of(self.page()), "the fixture failure is drawn where it ran")

    def test_races_mark_what_ran_beside_a_failure(self) -> None:
        self.repository(racing_runs())
        status, out, err = self.cli("timeline", "2", "-o", str(self.out), "--races")
        self.assertEqual((0, ""), (status, out))
        self.assertEqual([said(err, self.out)], err.splitlines())
        marked = sorted(test for test, (_, flags) in bars_of(self.page()).items() if flags & 4)
        self.assertEqual([f"{B}.test_1", f"{C}.test_1"], marked, "B and C ran beside A's failures")

    def test_races_on_a_serial_run_warn_and_draw(self) -> None:
        self.repository([run(rec(f"{A}.test_1", None, 0.0, 1.0, "fail"), rec(f"{B}.test_1", None, 1.0, 2.0))])
        status, _, err = self.cli("timeline", "-o", str(self.out), "--races")
        self.assertEqual(0, status)
        self.assertIn("partitioner: warning: run 0 of .testrepository ran on one worker", err)
        self.assertEqual([("untagged", 2)], lanes_of(self.page()))

    def test_untimed_results_are_listed_not_lost(self) -> None:
        self.repository([run(*timed_run(0).records, rec(f"{C}.test_2", "worker-1", None, None))])
        status, _, err = self.cli("timeline", "-o", str(self.out))
        self.assertEqual(0, status)
        self.assertIn("1 results of run 0 of .testrepository are not drawn", err)
        self.assertEqual([[f"{C}.test_2", "success", "no timestamps"]], page_data(self.page())["unplaced"])


class RecordedPlanTest(RepositoryCase):
    """A plan recorded beside the run (partitioner.history.planrecord, written by the runner and the hooks) is
    drawn without asking; ``--plan`` replaces it. Its lookup is stood in for here (the records are real)."""

    def install_record(self, record: planrecord.PlanRecord | None) -> list[Run]:
        seen: list[Run] = []

        def find_record(found: Run) -> planrecord.PlanRecord | None:
            seen.append(found)
            return record

        self.patch(planrecord, "find_record", find_record)
        return seen

    def test_a_recorded_plan_is_drawn_beside_the_run(self) -> None:
        record = plan_record("static", Lane("worker-0", (Group(A, (f"{A}.test_1", f"{A}.test_2"), 3.0, 0.5, 3.5),)),
                             Lane("worker-1", (Group(B, (f"{B}.test_1",), 1.0, 0.2, 1.2),
                                               Group(C, (f"{C}.test_1",), 1.5, None, None))))
        seen = self.install_record(record)
        self.repository([timed_run(0), timed_run(1)])  # a run before it: its plan had history (seconds)
        out_path = self.dir / "p.html"
        status, out, err = self.cli("timeline", "-o", str(out_path))
        self.assertEqual((0, ""), (status, out))
        self.assertEqual([sorted(r.test_id for r in timed_run(1).records)],
                         [sorted(r.test_id for r in found.records) for found in seen], "looked up by the drawn run")
        self.assertEqual([said(err, out_path)], err.splitlines())
        self.assertIn("; predicted 3.5 s (the static plan recorded beside the run)", err)
        self.assertEqual([("worker-0", 1), ("worker-1", 2)], lanes_of(out_path.read_text(), "predicted"))

    def test_no_record_means_no_predicted_lanes(self) -> None:
        self.install_record(None)
        self.repository([timed_run(0)])
        status, _, err = self.cli("timeline", "-o", str(self.dir / "p.html"))
        self.assertEqual(0, status)
        self.assertNotIn("predicted", err)

    def test_plan_replaces_the_record(self) -> None:
        self.install_record(plan_record("static", Lane("worker-0", (Group(A, (f"{A}.test_1",), 99.0),))))
        self.repository([timed_run(0)])
        status, _, err = self.cli("timeline", "-o", str(self.dir / "p.html"), "--plan")
        self.assertEqual(0, status)
        self.assertIn("static plan made again", said(err, self.dir / "p.html"))

    def test_a_dynamic_record_with_unpriced_batches_is_not_drawn(self) -> None:
        # written before records priced the batches a suite split per test is handed out in: each batch 0.0,
        # only the tail's single tests priced; drawn, it would predict a fraction of the run
        self.install_record(plan_record(
            "dynamic", Lane("worker-0", (Group(f"{A}.test_1 (+1 groups)", (f"{A}.test_1", f"{A}.test_2"), 0.0, 0.5,
                                               3.0),)),
            Lane("worker-1", (Group(f"{B}.test_1", (f"{B}.test_1",), 1.0, 0.2, 1.2),
                              Group(f"{C}.test_1", (f"{C}.test_1",), 1.0, 1.2, 4.2))), makespan_s=4.0))
        self.repository([timed_run(0), timed_run(1)])
        status, out, err = self.cli("timeline", "-o", str(self.dir / "p.html"))
        self.assertEqual((0, ""), (status, out))
        self.assertNotIn("predicted", said(err, self.dir / "p.html"))
        self.assertIn("the dynamic plan recorded beside run 1 of .testrepository is not drawn: an older partitioner "
                      "wrote it and priced each batch of tests it handed out at nothing (1 batch)", err)
        self.assertIn("pass --plan dynamic", err)
        self.assertEqual([], lanes_of((self.dir / "p.html").read_text(), "predicted"))


class TimelineFromStreamsTest(RepositoryCase):
    def test_a_stream_file_relative_to_the_directory(self) -> None:
        (self.dir / "run.subunit").write_bytes(stream(list(timed_run(0).records)))
        status, out, err = self.cli("timeline", "run.subunit", "-o", str(self.dir / "p.html"))
        self.assertEqual((0, ""), (status, out))
        self.assertEqual([said(err, self.dir / "p.html")], err.splitlines())
        self.assertIn("run.subunit: 2 workers, 4 tests", err)

    def test_stdin(self) -> None:
        status, out, err = self.cli("timeline", "-", "-o", "-", stdin=stream(list(timed_run(0).records)))
        self.assertEqual((0, ""), (status, err))
        self.assertEqual([("worker-0", 2), ("worker-1", 2)], lanes_of(out))

    def test_a_stream_is_planned_from_the_repository_runs_before_it(self) -> None:
        self.repository([timed_run(0, 4.0)])
        (self.dir / "later.subunit").write_bytes(stream(list(timed_run(1).records)))
        status, _, err = self.cli("timeline", "later.subunit", "-o", str(self.dir / "p.html"), "--plan")
        self.assertEqual(0, status)
        self.assertIn("from the history before it", said(err, self.dir / "p.html"))


class RecordOfAnotherRunTest(RepositoryCase):
    """A record is keyed by a run's tests and workers alone: runs with the same ones share it. It is written when
    its run ends, so one written before the drawn run started, or after the next run started, is not the drawn
    run's plan (a first run's plan in units drawn on a later run with history, or the other way round)."""

    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", None))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.dir / "cache")))
        # run 0 and run 1 ran the same tests on the same workers (an hour apart): one key for both
        self.repository([timed_run(0), timed_run(1)])
        self.runs = Repository.read(self.dir / ".testrepository").runs  # their times as stored
        self.assertEqual(planrecord.key_of_run(self.runs[0]), planrecord.key_of_run(self.runs[1]))

    def write(self, unit: str, written: float) -> None:
        """The record of a static plan on the runs' workers, in ``unit``, its file written at ``written``."""
        record = dataclasses.replace(plan_record(
            "static", Lane("worker-0", (Group(A, (f"{A}.test_1", f"{A}.test_2"), 3.0, 0.0, 3.0),)),
            Lane("worker-1", (Group(B, (f"{B}.test_1",), 2.0, 0.0, 2.0), Group(C, (f"{C}.test_1",), 2.0, 2.0, 4.0)))),
            unit=unit)
        key = planrecord.key_of_run(self.runs[0])
        planrecord.write_record(record, key)
        where = planrecord.plans_dir()
        assert where is not None
        os.utime(where / f"{key}.json", (written, written))

    def draw(self, number: int) -> tuple[str, str]:
        """The line on what the page draws, and the whole of stderr (the line after any warning)."""
        status, out, err = self.cli("timeline", str(number), "-o", str(self.dir / "p.html"))
        self.assertEqual((0, ""), (status, out), err)
        return said(err, self.dir / "p.html"), err

    def ended(self, number: int) -> float:
        return max(r.stop for r in self.runs[number].records if r.stop is not None)

    def test_a_first_runs_plan_in_units_is_not_a_later_runs(self) -> None:
        self.write(TESTS, self.ended(0) + 1.0)  # written as run 0 ended; run 1, with history, wrote none
        line, err = self.draw(0)
        self.assertIn("predicted 4.0 units (the static plan recorded beside the run, made without timing history", line)
        line, err = self.draw(1)
        self.assertNotIn("predicted", line)
        self.assertNotIn("units", line)
        self.assertIn("the plan recorded for the tests and workers of run 1 of .testrepository is not drawn: it was "
                      "written before the run started", err)

    def test_a_later_runs_plan_in_seconds_is_not_the_first_runs(self) -> None:
        self.write(SECONDS, self.ended(1) + 1.0)  # run 1's record replaced run 0's (same key)
        line, _ = self.draw(1)
        self.assertIn("predicted 4.0 s (the static plan recorded beside the run)", line)
        line, err = self.draw(0)
        self.assertNotIn("predicted", line)
        self.assertIn("it was written after the next run started", err)
        self.assertIn("pass --plan", err)


class TimelineWallTimeTest(RepositoryCase):
    """The line and the page's headline give a run's wall time as it is: milliseconds for a short run, never a
    0.0 s made of rounding or of timestamps that measure nothing."""

    def draw(self, records: list[TestRecord]) -> tuple[str, dict[str, str]]:
        (self.dir / "run.subunit").write_bytes(stream(records))
        out_path = self.dir / "p.html"
        status, out, err = self.cli("timeline", "run.subunit", "-o", str(out_path))
        self.assertEqual((0, ""), (status, out), err)
        return said(err, out_path), facts(out_path.read_text())

    def test_a_short_run_says_its_milliseconds(self) -> None:
        line, headline = self.draw([rec(f"{A}.test_1", "worker-0", 0.0, 0.01),
                                    rec(f"{B}.test_1", "worker-1", 0.0, 0.03)])
        self.assertNotIn("0.0 s", line)
        shown = re.search(r"wall time (\d+) ms", line)
        assert shown is not None, line
        self.assertEqual(30, int(shown.group(1)))
        self.assertEqual(f"{shown.group(1)} ms", headline["wall time"])

    def test_one_timestamp_for_every_result_is_an_unknown_wall_time(self) -> None:
        line, headline = self.draw([rec(f"{A}.test_1", "worker-0", 2.0, 2.0),
                                    rec(f"{B}.test_1", "worker-1", 2.0, 2.0)])
        self.assertIn("wall time unknown (every result has the same timestamp", line)
        self.assertTrue(headline["wall time"].startswith("unknown"), headline)

    def test_a_stream_that_ended_inside_every_test_has_an_unknown_wall_time(self) -> None:
        line, _ = self.draw([rec(f"{A}.test_1", "worker-0", 1.0, None, "inprogress"),
                             rec(f"{B}.test_1", "worker-1", 1.0, None, "inprogress")])
        self.assertIn("wall time unknown (no test finished", line)

    def test_unfinished_tests_make_the_wall_time_a_lower_bound(self) -> None:
        line, headline = self.draw([rec(f"{A}.test_1", "worker-0", 0.0, 2.5),
                                    rec(f"{B}.test_1", "worker-1", 1.0, None, "inprogress")])
        self.assertIn("wall time at least 2.5 s (1 test unfinished)", line)
        self.assertEqual("at least 2.5 s (1 test unfinished)", headline["wall time"])


class TimelineFromStoreTest(RepositoryCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = f"sqlite:///{self.dir / 'history.db'}"
        with open_store(self.url) as store:
            self.ids = [store.push_run(r).run_id for r in (timed_run(0, 4.0), timed_run(1), timed_run(2, 9.0))]
            self.samples = store.push_json(b'{"format_version": 1, "tests": {}, "setup": {}}', "t.json").run_id

    def test_the_newest_run_and_a_run_by_id(self) -> None:
        out_path = self.dir / "p.html"
        status, out, err = self.cli("timeline", "--history", self.url, "-o", str(out_path))
        self.assertEqual((0, ""), (status, out), err)
        self.assertEqual([said(err, out_path)], err.splitlines())
        self.assertIn(f"run {self.ids[2]} of sqlite:///", err)
        self.assertIn("wall time 10.3 s", err)
        status, _, err = self.cli("timeline", str(self.ids[1]), "--history", self.url, "-o", str(out_path),
                                  "--plan")
        self.assertEqual(0, status)
        self.assertIn(f"run {self.ids[1]} of sqlite:///", said(err, out_path))
        self.assertIn("wall time 4.0 s", err)
        self.assertEqual(4.0, bars_of(out_path.read_text(), "predicted")[f"{A}.test_1"][0],
                         "planned from the run pushed before it")

    def test_a_missing_run_and_a_timing_file(self) -> None:
        self.assertOneLineError(["timeline", "99", "--history", self.url], 1, "upto=99 is beyond the newest")
        self.assertOneLineError(["timeline", str(self.samples), "--history", self.url], 1,
                                f"run {self.samples} of sqlite:///")
        self.assertOneLineError(["timeline", str(self.samples), "--history", self.url], 1, "JSON timing file")

    def test_a_store_without_runs(self) -> None:
        url = f"sqlite:///{self.dir / 'empty.db'}"
        self.assertOneLineError(["timeline", "--history", url], 1, "no such store file")
        with open_store(url) as store:
            store.push_json(b'{"format_version": 1, "tests": {}, "setup": {}}', "t.json")
        self.assertOneLineError(["timeline", "--history", url], 1, "holds no runs with test results yet")


class TimelineErrorsTest(RepositoryCase):
    def assertOneLineError(self, argv: list[str], code: int, fragment: str, stdin: bytes = b"") -> None:
        super().assertOneLineError(argv, code, fragment, stdin)
        self.assertFalse((self.dir / "timeline.html").exists())

    def test_no_repository(self) -> None:
        self.assertOneLineError(["timeline", "-o", str(self.dir / "timeline.html")], 1,
                                "no .testrepository or .stestr in")

    def test_a_run_that_is_not_stored(self) -> None:
        self.repository([timed_run(0)])
        self.assertOneLineError(["timeline", "4", "-o", str(self.dir / "timeline.html")], 1,
                                "run 4 not found in .testrepository (runs 0)")

    def test_an_empty_repository(self) -> None:
        self.repository([])
        self.assertOneLineError(["timeline", "-o", str(self.dir / "timeline.html")], 1, "holds no readable runs")

    def test_a_damaged_stream(self) -> None:
        (self.dir / "bad.subunit").write_bytes(b"\xb3\x29\x01\x0c\x03foo\x08\x55\x5f\x1e\x04\x9d\xe2\xf2\x8c")
        self.assertOneLineError(["timeline", str(self.dir / "bad.subunit"), "-o", str(self.dir / "timeline.html")],
                                1, "bad.subunit")

    def test_a_run_without_timestamps(self) -> None:
        (self.dir / "flat.subunit").write_bytes(stream([rec(f"{A}.test_1", None, None, None)]))
        self.assertOneLineError(["timeline", str(self.dir / "flat.subunit"), "-o", str(self.dir / "timeline.html")],
                                1, "has no timestamped results")

    def test_a_missing_file(self) -> None:
        self.assertOneLineError(["timeline", "nowhere.subunit"], 2, "RUN 'nowhere.subunit': no such file")

    def test_history_naming_a_file(self) -> None:
        (self.dir / "run.subunit").write_bytes(stream(list(timed_run(0).records)))
        self.assertOneLineError(["timeline", "--history", str(self.dir / "run.subunit")], 2,
                                "pass a stream file as RUN")

    def test_a_bad_store_url(self) -> None:
        self.assertOneLineError(["timeline", "--history", "postgresql://u:secret@127.0.0.1:1/db"], 1,
                                "postgresql://u:***@")

    def test_an_unwritable_output(self) -> None:
        self.repository([timed_run(0)])
        target = self.dir / "missing" / "timeline.html"
        self.assertOneLineError(["timeline", "-o", str(target)], 1, f"cannot write {target}")
        self.assertEqual([], [p.name for p in self.dir.iterdir() if p.name.endswith(".tmp")])

    def test_a_bad_plan_choice_is_a_usage_error(self) -> None:
        status, _, err = self.cli("timeline", "--plan", "sideways")
        self.assertEqual(2, status)
        self.assertIn("invalid choice: 'sideways'", err)
