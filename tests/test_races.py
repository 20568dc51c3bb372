"""Race diagnosis: overlap windows, ranking, cross-run evidence, serial exclusion, summaries, resource rules,
and the ``partitioner races`` / ``partitioner history summary`` commands on small in-memory and on-disk runs."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import fixtures
import subunit
import testtools

from partitioner.cli import main
from partitioner.config import load_settings
from partitioner.errors import HistoryError
from partitioner.grouping import BUILTIN, group_tests, merge_by_resources
from partitioner.history.model import Run, TestRecord
from partitioner.races import (
    OVERLAP_WEIGHT,
    Partner,
    Suspect,
    diagnose,
    find_suspects,
    history_summary,
    is_parallel,
    resource_rules,
)

A = "pkg.mod_a.ATest"
B = "pkg.mod_b.BTest"
C = "pkg.mod_c.CTest"
D = "pkg.mod_d.DTest"
E = "pkg.mod_e.ETest"


def rec(test: str, worker: str | None, start: float | None, stop: float | None, status: str = "success",
        tags: frozenset[str] | None = None) -> TestRecord:
    """A record; its tags are its worker tag unless given."""
    if tags is None:
        tags = frozenset({worker}) if worker else frozenset()
    return TestRecord(test, status, start, stop, worker, tags)


def run(*records: TestRecord, run_id: str = "r", order: int = 0) -> Run:
    return Run(run_id, records, order)


def racing_runs() -> list[Run]:
    """Four runs on two workers: A fails exactly when B runs beside it; C always runs beside A and never fails.

    Run 0 and 2: A (w0) fails, B (w1) overlaps it. Run 1: B runs on A's worker, after it: A passes, C beside.
    Run 3: B overlaps A and B fails (the race went the other way).
    """
    def one(order: int, a_status: str, b_worker: str, b_start: float, b_status: str = "success") -> Run:
        return run(
            rec(f"{A}.test_1", "worker-0", 0.0, 1.0, a_status),
            rec(f"{A}.test_2", "worker-0", 1.0, 2.0, a_status),
            rec(f"{B}.test_1", b_worker, b_start, b_start + 1.0, b_status),
            rec(f"{C}.test_1", "worker-2", 0.0, 2.0),
            run_id=f"r{order}", order=order)
    return [one(0, "fail", "worker-1", 0.0), one(1, "success", "worker-0", 2.0),
            one(2, "fail", "worker-1", 0.5), one(3, "success", "worker-1", 0.0, "fail")]


class TestOverlap(testtools.TestCase):
    def test_window_reaches_back_to_the_previous_stop_on_the_worker(self) -> None:
        # B.test_2 starts at 2.0 but its window opens at 1.0 (B.test_1's stop): C ran 1.5-1.8, in that gap
        parallel = run(rec(f"{B}.test_1", "worker-0", 0.0, 1.0), rec(f"{B}.test_2", "worker-0", 2.0, 3.0, "fail"),
                       rec(f"{C}.test_1", "worker-1", 1.5, 1.8))
        (suspect,) = find_suspects(parallel)
        self.assertEqual(f"{B}.test_2", suspect.test)
        (partner,) = suspect.partners
        self.assertEqual(f"{C}.test_1", partner.test)
        # C's window is 0.0-1.8 (a worker's first test reaches back to the run's start): overlap 1.0-1.8
        self.assertAlmostEqual(0.8, partner.overlap_s)
        # over the shorter window: C's 1.8s (B.test_2's is 1.0-3.0, 2.0s)
        self.assertAlmostEqual(0.8 / 1.8, partner.share, places=6)
        # one run: coincided 1/1, split 1 of 1 overlap -> (1 + 1) / (1 + 2)
        self.assertAlmostEqual(OVERLAP_WEIGHT * 0.8 / 1.8 + (1 - OVERLAP_WEIGHT) * 2 / 3, partner.score, places=6)
        self.assertEqual((1, 1, 1, 0, 0), (partner.coincidences, partner.failures, partner.overlapped,
                                           partner.harmless, partner.together))

    def test_tests_on_the_same_worker_or_apart_in_time_are_no_partners(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.5), rec(f"{B}.test_2", "worker-1", 2.5, 3.0))
        (suspect,) = find_suspects(parallel)
        # B.test_1 ended at 0.5, before A.test_2's window (1.0-2.0); B.test_2's window is 0.5-3.0
        self.assertEqual([f"{B}.test_2"], [p.test for p in suspect.partners])
        self.assertAlmostEqual(1.0, suspect.partners[0].overlap_s)

    def test_ties_rank_by_id(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{C}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{B}.test_1", "worker-2", 0.0, 1.0))
        (suspect,) = find_suspects(parallel)
        self.assertEqual([f"{B}.test_1", f"{C}.test_1"], [p.test for p in suspect.partners])
        self.assertEqual(suspect.partners[0].score, suspect.partners[1].score)

    def test_a_partner_that_failed_too_ranks_below_one_that_passed(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-2", 0.0, 1.0, "fail"))
        diagnosis = diagnose(parallel)
        suspect = next(s for s in diagnosis.tests if s.test == f"{A}.test_1")
        self.assertEqual([f"{B}.test_1", f"{C}.test_1"], [p.test for p in suspect.partners])
        self.assertEqual(1, suspect.partners[1].together)
        self.assertAlmostEqual(OVERLAP_WEIGHT + (1 - OVERLAP_WEIGHT) * 2 / 3, suspect.partners[0].score)
        self.assertAlmostEqual(OVERLAP_WEIGHT + (1 - OVERLAP_WEIGHT) * 1 / 3, suspect.partners[1].score)

    def test_records_without_timestamps_or_worker_are_left_out(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-1", None, None), rec(f"{D}.test_1", None, 0.0, 1.0))
        diagnosis = diagnose(parallel)
        self.assertEqual(2, diagnosis.untimed)
        self.assertEqual([f"{B}.test_1"], [p.test for p in diagnosis.tests[0].partners])

    def test_testr_pseudo_test_is_never_a_suspect(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec("process-returncode", "worker-0", 1.0, 1.0, "fail"))
        self.assertEqual([f"{A}.test_1"], [s.test for s in diagnose(parallel).tests])

    def test_nested_runner_tags_name_distinct_workers(self) -> None:
        # testr tags everything worker-0; partitioner.run inside it tags its own worker-N; the reader
        # gives each record the inner tag (history.subunit._worker)
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail", frozenset({"worker-0"})),
                       rec(f"{B}.test_1", "worker-1", 0.0, 1.0, "success", frozenset({"worker-0", "worker-1"})))
        self.assertTrue(is_parallel(parallel))
        self.assertEqual([f"{B}.test_1"], [p.test for p in find_suspects(parallel)[0].partners])


class TestAcrossRuns(testtools.TestCase):
    def test_the_partner_there_at_every_failure_ranks_first(self) -> None:
        runs = racing_runs()
        diagnosis = diagnose(runs[2], history=runs)
        self.assertEqual(4, diagnosis.runs)
        (klass,) = diagnosis.classes
        self.assertEqual((A, "class", 2), (klass.test, klass.level, klass.failures))
        self.assertEqual([B, C], [p.test for p in klass.partners])
        b, c = klass.partners
        # B: beside A in both failures, and in run 3 where B itself failed: every overlap split the two
        self.assertEqual((2, 2, 3, 0, 0), (b.coincidences, b.failures, b.overlapped, b.harmless, b.together))
        self.assertAlmostEqual(OVERLAP_WEIGHT * b.share + (1 - OVERLAP_WEIGHT) * (3 + 1) / (3 + 2), b.score)
        # C: beside A in every run; harmless in runs 1 and 3, where A and C both passed (B's failure in run 3
        # says nothing about C)
        self.assertEqual((2, 2, 4, 2, 0), (c.coincidences, c.failures, c.overlapped, c.harmless, c.together))
        self.assertAlmostEqual(OVERLAP_WEIGHT * c.share + (1 - OVERLAP_WEIGHT) * (2 + 1) / (4 + 2), c.score)

    def test_a_failure_without_the_partner_beside_it_lowers_its_score(self) -> None:
        runs = racing_runs()
        lone = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                   rec(f"{B}.test_1", "worker-0", 2.0, 3.0), rec(f"{C}.test_1", "worker-2", 0.0, 2.0),
                   run_id="r4", order=4)
        partners = diagnose(runs[2], history=[*runs, lone]).classes[0].partners
        b = next(p for p in partners if p.test == B)
        self.assertEqual((2, 3), (b.coincidences, b.failures))
        self.assertAlmostEqual(OVERLAP_WEIGHT * b.share + (1 - OVERLAP_WEIGHT) * 2 / 3 * 4 / 5, b.score)

    def test_serial_runs_in_history_take_no_part_but_are_counted(self) -> None:
        runs = racing_runs()
        serial = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-0", 1.0, 2.0),
                     run_id="serial", order=9)
        diagnosis = diagnose(runs[0], history=[*runs, serial])
        self.assertEqual(4, diagnosis.runs)
        suspect = next(s for s in diagnosis.tests if s.test == f"{A}.test_1")
        self.assertEqual(1, suspect.serial_failures)

    def test_the_diagnosed_run_is_counted_once_when_history_holds_it(self) -> None:
        runs = racing_runs()
        self.assertEqual(diagnose(runs[0], history=runs[1:]), diagnose(runs[0], history=runs))
        alone = diagnose(runs[0], history=[runs[0]])
        self.assertEqual(1, alone.runs)
        self.assertEqual(1, alone.classes[0].partners[0].failures)


class TestSerialExclusion(testtools.TestCase):
    def test_tests_failing_serially_too_are_left_out(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1[smoke]", "worker-1", 1.0, 2.0, "fail"))
        serial = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0), rec(f"{C}.test_1", "worker-0", 1.0, 2.0, "fail"))
        diagnosis = diagnose(parallel, serial)
        self.assertEqual([f"{A}.test_1"], [s.test for s in diagnosis.tests])
        self.assertEqual((f"{C}.test_1[smoke]",), diagnosis.excluded)
        self.assertEqual([A], [s.test for s in diagnosis.classes])

    def test_without_a_serial_run_every_failure_is_a_suspect(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"),
                       rec(f"{C}.test_1", "worker-1", 0.0, 1.0, "fail"))
        self.assertEqual([f"{A}.test_1", f"{C}.test_1"], [s.test for s in find_suspects(parallel)])

    def test_nothing_failed_gives_empty_views(self) -> None:
        diagnosis = diagnose(run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{B}.test_1", "worker-1", 0, 1)))
        self.assertEqual(((), ()), (diagnosis.tests, diagnosis.classes))


class TestClassView(testtools.TestCase):
    def parallel(self) -> Run:
        """A's setUpClass lost a race with B (running beside A's start); all of A failed; D (after E on its
        worker) and C overlap A's later tests only; C (one failed test of its own) is a lone failure."""
        return run(
            rec(f"{A}.test_1", "worker-0", 0.5, 0.9, "fail"), rec(f"{A}.test_2", "worker-0", 0.9, 3.0, "fail"),
            rec(f"{A}.test_3", "worker-0", 3.0, 5.0, "fail"),
            rec(f"{B}.test_1", "worker-1", 0.0, 0.4), rec(f"{B}.test_2", "worker-1", 0.4, 0.9),
            rec(f"{E}.test_1", "worker-2", 0.3, 0.9), rec(f"{D}.test_1", "worker-2", 1.2, 5.0),
            rec(f"{C}.test_1", "worker-1", 1.0, 2.0, "fail"), rec(f"{C}.test_2", "worker-1", 2.0, 3.0))

    def test_a_class_is_judged_where_its_failures_began(self) -> None:
        diagnosis = diagnose(self.parallel())
        klass = next(s for s in diagnosis.classes if s.test == A)
        self.assertEqual(tuple(f"{A}.test_{i}" for i in (1, 2, 3)), klass.failed)
        # the onset is A.test_1's window, 0.0-0.9 (with setUpClass): B and E cover it; the windows of D
        # (0.9-5.0) and C (0.9-2.0) overlap only A's later tests, which fail as consequences of the onset
        self.assertEqual([B, E], [p.test for p in klass.partners])
        self.assertEqual([0.9, 0.9], [round(p.overlap_s, 6) for p in klass.partners])
        self.assertEqual([1.0, 1.0], [p.share for p in klass.partners])

    def test_auto_shows_whole_classes_as_classes_and_lone_failures_as_tests(self) -> None:
        diagnosis = diagnose(self.parallel())
        self.assertEqual([A, f"{C}.test_1"], [s.test for s in diagnosis.view("auto")])
        self.assertEqual(["class", "test"], [s.level for s in diagnosis.view("auto")])
        self.assertEqual(4, len(diagnosis.view("test")))
        self.assertEqual([A, C], [s.test for s in diagnosis.view("class")])


class TestBadRuns(testtools.TestCase):
    def test_no_timestamps(self) -> None:
        bad = run(rec(f"{A}.test_1", "worker-0", None, None, "fail"), rec(f"{B}.test_1", "worker-1", None, None))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertIn("run 3 has no timestamps, so overlaps cannot be computed", str(error))

    def test_no_worker_tags(self) -> None:
        bad = run(rec(f"{A}.test_1", None, 0.0, 1.0, "fail"))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertEqual("run 3 has no worker tags: it ran serially, so nothing overlapped; pass a parallel run "
                         "(testr run --parallel)", str(error))

    def test_one_worker(self) -> None:
        bad = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-0", 1.0, 2.0))
        error = self.assertRaises(HistoryError, diagnose, bad, label="run 3")
        self.assertIn("run 3 ran on one worker (worker-0), so nothing overlapped", str(error))

    def test_neither(self) -> None:
        error = self.assertRaises(HistoryError, diagnose, run(rec(f"{A}.test_1", None, None, None, "fail")))
        self.assertIn("has neither timestamps nor worker tags", str(error))
        self.assertNotIn("\n", str(error))


class TestSummary(testtools.TestCase):
    def test_counts_and_order(self) -> None:
        runs = [
            run(rec(f"{A}.test_1[smoke]", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1),
                rec(f"{C}.test_1", "worker-1", 1, 2, "fail"), rec("process-returncode", "worker-0", 2, 2, "fail"),
                order=0),
            run(rec(f"{A}.test_1[smoke]", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1, "fail"),
                rec(f"{C}.test_1", "worker-1", 1, 2), order=1),
            run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{B}.test_1", "worker-0", 1, 2, "fail"),
                rec(f"{D}.test_1", None, 2, 3, "fail"), order=2),  # one worker: serial
            run(rec(f"{C}.test_1", None, 0, 1), order=3),  # no worker tag: serial
        ]
        summary = history_summary(runs)
        rows = [(s.test, s.runs, s.parallel_failures, s.serial_failures, s.parallel_runs, s.serial_runs)
                for s in summary]
        self.assertEqual([
            (f"{A}.test_1", 3, 2, 0, 2, 1),   # only in parallel, most often: first (newest spelling kept)
            (f"{C}.test_1", 3, 1, 0, 2, 1),
            (f"{B}.test_1", 3, 1, 1, 2, 1),   # fails serially too
            (f"{D}.test_1", 1, 0, 1, 0, 1),   # only serially
        ], rows)
        self.assertEqual([True, True, False, False], [s.only_parallel for s in summary])

    def test_a_test_repeated_in_a_run_counts_once(self) -> None:
        twice = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{A}.test_1", "worker-1", 1, 2))
        (row,) = history_summary([twice])
        self.assertEqual((1, 1), (row.runs, row.parallel_failures))


class TestResourceRules(testtools.TestCase):
    def suspects(self) -> list[Suspect]:
        return [Suspect(A, (Partner(B, 0.9, 1.0, 2), Partner(C, 0.5, 1.0, 1)), "class", (f"{A}.test_1",)),
                Suspect(B, (Partner(A, 0.9, 1.0, 2),), "class", (f"{B}.test_1",)),
                Suspect(f"{C}.test_1", (Partner(f"{C}.test_2", 1.0, 1.0, 1), Partner(f"{D}.test_9[x]", 0.7, 1, 1)))]

    def test_one_line_per_pair_round_trips_through_settings_and_grouping(self) -> None:
        text = resource_rules(self.suspects())
        self.assertEqual(
            "[partitioner]\nresources =\n"
            "    race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n"
            "    race2: ^(?:pkg\\.mod_c\\.CTest|pkg\\.mod_d\\.DTest)\\.\n", text)
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / ".testr.conf").write_text("[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n"
                                          "group_regex=([^\\.]*\\.)*\n\n" + text)
        settings = load_settings(root)
        self.assertEqual(["race1", "race2"], [r.name for r in settings.resources])
        ids = [f"{A}.test_1", f"{A}.test_2[smoke]", f"{B}.test_1", f"{C}.test_1(scenario.one)", f"{D}.test_9[x]",
               "pkg.mod_a.ATestMore.test_1", "pkg.mod_e.ETest.test_1"]
        groups, merges = merge_by_resources(group_tests(ids, BUILTIN["class"]),
                                            [(r.name, r.pattern) for r in settings.resources])
        together = {g.key: set(g.tests) for g in groups}
        self.assertEqual({f"{A}.test_1", f"{A}.test_2[smoke]", f"{B}.test_1"}, together["resource:race1"])
        self.assertEqual({f"{C}.test_1(scenario.one)", f"{D}.test_9[x]"}, together["resource:race2"])
        self.assertEqual({"pkg.mod_a.ATestMore.test_1"}, together["pkg.mod_a.ATestMore"])  # prefix, not a match
        self.assertEqual(2, len(merges))

    def test_existing_resources_are_kept_and_their_names_not_reused(self) -> None:
        text = resource_rules(self.suspects()[:1], existing=[("race1", "^db\\."), ("net", "network")])
        self.assertEqual("[partitioner]\nresources =\n    race1: ^db\\.\n    net: network\n"
                         "    race2: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n", text)

    def test_nothing_to_separate(self) -> None:
        self.assertEqual("", resource_rules([Suspect(A, (), "class")]))
        self.assertEqual("", resource_rules([Suspect(f"{A}.test_1", (Partner(f"{A}.test_2", 1.0, 1.0, 1),))]))

    def test_rules_from_a_diagnosis_keep_the_racing_classes_together(self) -> None:
        runs = racing_runs()
        text = resource_rules(diagnose(runs[2], history=runs).classes)
        self.assertIn(f"race1: ^(?:{A.replace('.', chr(92) + '.')}|{B.replace('.', chr(92) + '.')})\\.", text)


# -- the commands, on streams and repositories written to a temp dir ---------------------------------------------

EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def stream(records: list[TestRecord]) -> bytes:
    """A subunit v2 stream of ``records`` (timestamps are seconds after EPOCH)."""
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for r in records:
        tags = set(r.tags)
        start = None if r.start is None else EPOCH + datetime.timedelta(seconds=r.start)
        stop = None if r.stop is None else EPOCH + datetime.timedelta(seconds=r.stop)
        writer.status(test_id=r.test_id, test_status="inprogress", test_tags=tags, timestamp=start)
        writer.status(test_id=r.test_id, test_status=r.status, test_tags=tags, timestamp=stop)
    return out.getvalue()


class CommandCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)

    def repository(self, runs: list[Run], name: str = ".testrepository") -> Path:
        repo = self.root / name
        repo.mkdir()
        (repo / "format").write_text("1\n")
        for number, r in enumerate(runs):
            (repo / str(number)).write_bytes(stream(list(r.records)))
        (repo / "next-stream").write_text(f"{len(runs)}\n")
        return repo

    def cli(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main([*argv, "-C", str(self.root)], stdout=out, stderr=err, stdin=io.BytesIO(stdin))
        return status, out.getvalue(), err.getvalue()


class TestRacesCommand(CommandCase):
    def test_table_names_the_partner_first(self) -> None:
        self.repository(racing_runs()[:3])
        status, out, err = self.cli("races")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("run 2 of .testrepository: 2 failed tests in 1 class; cross-run counts over 3 parallel runs",
                      out)
        first = out.split("partner\n", 1)[1].splitlines()[0]
        self.assertRegex(first, rf"^\s+1\s+\d\.\d+\s+\d+\.\d+s\s+2/2\s+2/2\s+{B}$")

    def test_json_is_versioned_and_ranks_partners(self) -> None:
        self.repository(racing_runs())
        status, out, _ = self.cli("races", "2", "--format", "json", "--top", "1")
        self.assertEqual(0, status)
        doc = json.loads(out)
        self.assertEqual({"format_version", "suspects"}, set(doc))
        self.assertEqual(1, doc["format_version"])
        (suspect,) = doc["suspects"]
        self.assertEqual(A, suspect["test"])
        self.assertEqual([B], [p["test"] for p in suspect["partners"]])
        self.assertEqual({"test", "score"}, {"test", "score"} & set(suspect["partners"][0]))

    def test_by_test_lists_each_failed_test(self) -> None:
        self.repository(racing_runs())
        _, out, _ = self.cli("races", "0", "--format", "json", "--by", "test")
        self.assertEqual([f"{A}.test_1", f"{A}.test_2"], [s["test"] for s in json.loads(out)["suspects"]])

    def test_config_appends_cleanly(self) -> None:
        self.repository(racing_runs())
        (self.root / ".testr.conf").write_text("[DEFAULT]\ntest_command=true\n[partitioner]\n"
                                               "resources =\n    db: ^pkg\\.db\\.\n")
        status, out, _ = self.cli("races", "2", "--format", "config")
        self.assertEqual(0, status)
        self.assertIn("    db: ^pkg\\.db\\.\n    race1: ", out)
        with (self.root / ".testr.conf").open("a") as conf:
            conf.write(out)
        self.assertEqual(["db", "race1"], [r.name for r in load_settings(self.root).resources])

    def test_one_run_says_the_score_rests_on_it(self) -> None:
        self.repository(racing_runs()[:1])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn("note: the score rests on one parallel run", out)
        status, _, err = self.cli("races", "--format", "json")
        self.assertIn("partitioner: warning: the score rests on one parallel run", err)

    def test_missing_run_id(self) -> None:
        self.repository(racing_runs())
        status, _, err = self.cli("races", "7")
        self.assertEqual(1, status)
        self.assertEqual("partitioner: error: run 7 not found in .testrepository (runs 0-3); pass an existing run "
                         "id\n", err)

    def test_no_failures_is_not_an_error(self) -> None:
        self.repository([racing_runs()[1]])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn("run 0 of .testrepository has no failures: nothing to diagnose", out)
        status, out, err = self.cli("races", "--format", "json")
        self.assertEqual((0, {"format_version": 1, "suspects": []}), (status, json.loads(out)))
        self.assertIn("has no failures", err)

    def test_latest_run_serial_points_at_the_latest_parallel_one(self) -> None:
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-0", 1, 2))
        self.repository([*racing_runs()[:3], serial])
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn("run 3 of .testrepository, the latest, ran serially, so nothing overlapped; pass a parallel "
                      "run: the latest is 2 (`partitioner races 2`)", err)
        status, _, err = self.cli("races", "3")
        self.assertIn("run 3 of .testrepository ran on one worker (worker-0)", err)

    def test_stream_without_worker_tags(self) -> None:
        (self.root / "serial.subunit").write_bytes(stream([rec(f"{A}.test_1", None, 0, 1, "fail")]))
        status, _, err = self.cli("races", str(self.root / "serial.subunit"))
        self.assertEqual(1, status)
        self.assertIn("has no worker tags: it ran serially, so nothing overlapped; pass a parallel run", err)
        self.assertEqual(1, err.count("\n"))

    def test_stream_file_and_serial_run(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-1", 1.0, 2.0, "fail"))
        (self.root / "par.subunit").write_bytes(stream(list(parallel.records)))
        (self.root / "ser.subunit").write_bytes(stream([rec(f"{C}.test_1", None, 0, 1, "fail")]))
        status, out, _ = self.cli("races", "par.subunit", "--serial", "ser.subunit", "--format", "json")
        self.assertEqual(0, status)
        self.assertEqual([f"{A}.test_1"], [s["test"] for s in json.loads(out)["suspects"]])
        status, out, _ = self.cli("races", "-", "--format", "json", stdin=stream(list(parallel.records)))
        self.assertEqual(2, len(json.loads(out)["suspects"]))

    def test_all_failures_serial_too(self) -> None:
        (self.root / "par.subunit").write_bytes(stream([rec(f"{C}.test_1", "worker-1", 0.0, 1.0, "fail"),
                                                        rec(f"{A}.test_1", "worker-0", 0.0, 1.0)]))
        (self.root / "ser.subunit").write_bytes(stream([rec(f"{C}.test_1", None, 0, 1, "fail")]))
        status, out, _ = self.cli("races", "par.subunit", "--serial", "ser.subunit")
        self.assertEqual(0, status)
        self.assertIn("also failed in ser.subunit: they are not races", out)

    def test_failures_without_timestamps(self) -> None:
        (self.root / "par.subunit").write_bytes(stream([rec(f"{C}.test_1", "worker-1", None, None, "fail"),
                                                        rec(f"{A}.test_1", "worker-0", 0.0, 1.0),
                                                        rec(f"{B}.test_1", "worker-1", 0.0, 1.0)]))
        status, _, err = self.cli("races", "par.subunit")
        self.assertEqual(1, status)
        self.assertIn("the failed tests of par.subunit have no timestamps or no worker tag", err)

    def test_no_repository(self) -> None:
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn(f"no .testrepository or .stestr in {self.root} to take the latest run from", err)


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
