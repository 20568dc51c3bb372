"""Tests for partitioner.history.digest: digests price tests exactly as the runs do, are cached by content, and
planning parses within its budget (issue 9: planning off the critical path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import fixtures
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.errors import HistoryError
from partitioner.estimate import build_cost_model
from partitioner.history import digest
from partitioner.history.load import load_history
from partitioner.history.model import History, Run, TestRecord
from tests.builders import stream
from tests.suites import tree_snapshot

IDS = ["m.A.t1", "m.A.t2[smoke]", "m.B.t1", "m.B.t2", "m.Zone[Europe/London]_Pure.t1", "m.C.t1(json)", "n.D.t1"]


@st.composite
def runs(draw: st.DrawFn) -> tuple[Run, ...]:
    """A few runs over IDS: two workers, passing, failing and skipped results, gaps between classes."""
    out = []
    for order in range(draw(st.integers(1, 4))):
        clocks = [0.0, draw(st.floats(0.0, 3.0))]
        records = []
        for test_id in draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1)):
            w = draw(st.integers(0, 1))
            clocks[w] += draw(st.floats(0.0, 2.0))
            start = clocks[w]
            clocks[w] += draw(st.floats(0.0, 5.0))
            status = draw(st.sampled_from(["success", "success", "fail", "skip", "xfail"]))
            records.append(TestRecord(test_id, status, start, clocks[w], f"worker-{w}"))
        out.append(Run(f"r{order}", tuple(records), order))
    return tuple(out)


def planning_of(history: History) -> digest.PlanningHistory:
    digests = [digest.digest_run(r) for r in history.runs]
    samples, failing, firsts = digest.combine_digests(digests)
    return digest.PlanningHistory(samples=(samples,), not_passing=failing, firsts=firsts,
                                  digested=tuple(r.run_id for r in history.runs),
                                  untimed=frozenset(t for d in digests for t in d.untimed))


class TestSameEstimates(testtools.TestCase):
    @settings(max_examples=80, deadline=None)
    @given(runs(), st.sampled_from([*IDS[:3], "x.New.t"]))
    def test_digests_price_every_test_and_class_as_the_runs_do(self, found: tuple[Run, ...], extra: str) -> None:
        ids = [*IDS, extra]
        history = History(runs=found)
        expected = build_cost_model(ids, history)
        got = build_cost_model(ids, planning_of(history))
        for test_id in ids:
            self.assertEqual(expected.test(test_id), got.test(test_id), test_id)
        self.assertEqual(dict(expected.setup), dict(got.setup))
        self.assertEqual((expected.default_setup, expected.has_history), (got.default_setup, got.has_history))
        self.assertEqual(expected.untimed_tests, got.untimed_tests)


class TestMerge(testtools.TestCase):
    @settings(max_examples=60, deadline=None)
    @given(runs(), runs())
    def test_digested_runs_beside_other_runs_price_as_all_the_runs(self, first: tuple[Run, ...],
                                                                    then: tuple[Run, ...]) -> None:
        ids = [*IDS, "x.New.t"]
        every = tuple(Run(f"{r.run_id}-{n}", r.records, n) for n, r in enumerate((*first, *then)))
        expected = build_cost_model(ids, History(runs=every))
        merged = digest.merge_planning([planning_of(History(runs=first)),
                                        History(runs=tuple(Run(r.run_id, r.records, n) for n, r in enumerate(then)))])
        got = build_cost_model(ids, merged)
        for test_id in ids:
            self.assertEqual(expected.test(test_id), got.test(test_id), test_id)
        self.assertEqual(dict(expected.setup), dict(got.setup))

    def test_times_dbm_of_the_later_source_wins_and_one_part_is_kept_as_it_is(self) -> None:
        one = History(last_times={"a": 1.0, "b": 2.0}, sources=("one",))
        two = History(last_times={"b": 3.0}, sources=("two",), warnings=("w",))
        merged = digest.merge_planning([one, two])
        self.assertEqual(({"a": 1.0, "b": 3.0}, ("one", "two"), ("w",)),
                         (dict(merged.last_times), merged.sources, merged.warnings))
        self.assertIs(one, digest.merge_planning([one]))


class RepositoryCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.where = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.where / "cache")))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        self.repo = self.where / "project" / ".stestr"
        self.repo.mkdir(parents=True)
        (self.repo / "format").write_text("1\n")
        for n in range(3):
            (self.repo / str(n)).write_bytes(stream([
                TestRecord("m.A.t1", "success", 0.0, 1.0 + n, "worker-0",
                           frozenset({"worker-0"})),
                TestRecord("m.B.t1", "success", 1.5 + n, 2.0 + n, "worker-0", frozenset({"worker-0"})),
                TestRecord("m.C.t1", "skip", 0.0, 0.25, "worker-1", frozenset({"worker-1"}))]))


class TestPlanningHistory(RepositoryCase):
    def test_equals_the_stored_runs_and_writes_nothing_there(self) -> None:
        before = tree_snapshot(self.repo)
        planned = digest.planning_history(self.repo.parent, newest=10, budget_s=None)
        ids = ["m.A.t1", "m.B.t1", "m.C.t1", "m.D.new"]
        expected = build_cost_model(ids, load_history([str(self.repo)]))
        got = build_cost_model(ids, planned)
        self.assertEqual([expected.test(t) for t in ids], [got.test(t) for t in ids])
        self.assertEqual(dict(expected.setup), dict(got.setup))
        self.assertEqual((str(self.repo / "0"), str(self.repo / "2")), (planned.digested[0], planned.digested[-1]))
        self.assertEqual(before, tree_snapshot(self.repo))
        self.assertEqual(f"stestr:{self.repo} (3 runs read)", planned.sources[0])
        newest = digest.planning_history(self.repo, newest=1, budget_s=None)
        self.assertEqual(f"stestr:{self.repo} (1 run read)", newest.sources[0])

    def test_the_label_says_in_plain_words_what_was_read(self) -> None:
        # a new user read "3 runs digested, 0 unread; times.dbm read on demand" as jargon
        size = (self.repo / "2").stat().st_size
        partly = digest.planning_history(self.repo, newest=10, budget_s=1.5 * size / digest.PARSE_BYTES_PER_S)
        self.assertEqual(f"stestr:{self.repo} (1 run read, 2 not read within the planning budget)",
                         partly.sources[0])
        (self.repo / "times.dbm.dat").write_bytes(b"")  # stestr's dbm.dumb: no file named times.dbm itself
        self.assertEqual(f"stestr:{self.repo} (3 runs read; times.dbm for tests the runs miss)",
                         digest.planning_history(self.repo, newest=10, budget_s=None).sources[0])
        empty = self.where / "empty" / ".stestr"
        empty.mkdir(parents=True)
        (empty / "format").write_text("1\n")
        self.assertEqual(f"stestr:{empty} (no runs stored yet)", digest.planning_history(empty, newest=10).sources[0])

    def test_a_copied_repository_hits_the_cache_by_content(self) -> None:
        digest.planning_history(self.repo, newest=10, budget_s=None)
        copy = self.where / "copy" / ".stestr"
        shutil.copytree(self.repo, copy)

        def refuse(data: bytes, name: str, number: int) -> digest.RunDigest:
            raise AssertionError(f"{name} parsed again")

        self.useFixture(fixtures.MonkeyPatch("partitioner.history.digest._parse", refuse))
        planned = digest.planning_history(copy, newest=10, budget_s=0.0)
        self.assertEqual(((), 3), (planned.unread, len(planned.digested)))

    def test_streams_over_the_budget_are_left_out_newest_parsed_first_and_named(self) -> None:
        size = (self.repo / "2").stat().st_size
        planned = digest.planning_history(self.repo, newest=10, budget_s=1.5 * size / digest.PARSE_BYTES_PER_S)
        self.assertEqual((str(self.repo / "2"),), planned.digested)
        self.assertEqual((str(self.repo / "0"), str(self.repo / "1")), planned.unread)
        self.assertEqual(1, len([w for w in planned.warnings if "2 of 3 stored runs not read yet" in w]))
        self.assertEqual(2, len(digest.warm(self.repo)))
        again = digest.planning_history(self.repo, newest=10, budget_s=0.0)
        self.assertEqual(((), ()), (again.unread, tuple(w for w in again.warnings if "not read" in w)))

    def test_when_no_run_fits_the_budget_the_warning_says_what_the_plan_rests_on(self) -> None:
        planned = digest.planning_history(self.repo, newest=10, budget_s=0.0)
        self.assertEqual(((), 3), (planned.digested, len(planned.unread)))
        [warning] = [w for w in planned.warnings if "not read yet" in w]
        self.assertIn("3 of 3 stored runs not read yet", warning)
        self.assertIn("planned from test counts (no times.dbm)", warning)
        self.assertNotIn("other runs", warning)
        (self.repo / "times.dbm").write_bytes(b"")
        [warning] = [w for w in digest.planning_history(self.repo, newest=10, budget_s=0.0).warnings
                     if "not read yet" in w]
        self.assertIn("planned from times.dbm alone (each test's last duration)", warning)

    def test_while_nobody_waits_for_the_plan_runs_over_the_budget_are_parsed_too(self) -> None:
        asked: list[bool] = []

        def listing() -> bool:  # the tool still lists its tests for the first two streams
            asked.append(True)
            return len(asked) <= 2

        planned = digest.planning_history(self.repo, newest=10, budget_s=0.0, idle=listing)
        self.assertEqual(((str(self.repo / "1"), str(self.repo / "2")), (str(self.repo / "0"),)),
                         (planned.digested, planned.unread))
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.digest.IDLE_PARSE_MAX_S", 0.0))  # too large
        self.assertEqual((str(self.repo / "0"),), digest.planning_history(self.repo, newest=10, budget_s=0.0,
                                                                         idle=lambda: True).unread)

    def test_the_warning_names_the_interpreter_that_can_warm_the_cache(self) -> None:
        # `python -m partitioner.history.digest warm` failed for a user whose `python` was tempest's venv's
        [warning] = [w for w in digest.planning_history(self.repo, newest=10, budget_s=0.0).warnings
                     if "not read yet" in w]
        self.assertIn(f"`{sys.executable} -m partitioner.history.digest warm {self.repo}` caches them", warning)
        self.assertRegex(warning, r"about \d\.\d\ds to parse, over the planning budget of 0\.00s")

    def test_a_cached_digest_with_a_duration_that_is_none_is_parsed_again(self) -> None:
        fresh = digest.planning_history(self.repo, newest=10, budget_s=None)
        entries = sorted((self.where / "cache").rglob("*.json"))
        self.assertEqual(3, len(entries))
        ids = ["m.A.t1", "m.B.t1", "m.C.t1"]
        expected = build_cost_model(ids, fresh)
        for bad in ("NaN", "Infinity", "-1.0", "1e308"):
            for entry in entries:  # the first passing duration of every run, damaged
                text = entry.read_text()
                head, _, tail = text.partition('"passing":[[')
                keys, _, rest = tail.partition("],[")
                value, _, after = rest.partition("]")
                numbers = value.split(",")
                entry.write_text(f'{head}"passing":[[{keys}],[{",".join([bad, *numbers[1:]])}]{after}')
            planned = digest.planning_history(self.repo, newest=10, budget_s=None)
            self.assertEqual(3, len(planned.digested), bad)
            got = build_cost_model(ids, planned)
            self.assertEqual([expected.test(t) for t in ids], [got.test(t) for t in ids], bad)
            self.assertNotIn(bad, "".join(e.read_text() for e in entries))  # stored again, parsed from the run

    def test_the_tests_an_interrupted_run_did_not_reach_are_kept_as_named_but_untimed(self) -> None:
        # run 3 was interrupted after m.A.t1: the rest are stored as failures of no duration ("not run")
        (self.repo / "3").write_bytes(stream([
            TestRecord("m.A.t1", "success", 0.0, 1.0, "worker-0", frozenset({"worker-0"})),
            *(TestRecord(t, "fail", 5.0, 5.0, "worker-0", frozenset({"worker-0"})) for t in ("m.D.t1", "m.D.t2")),
            TestRecord("m.E.t1[smoke]", "fail", None, None, None, frozenset())]))
        ids = ["m.A.t1", "m.D.t1", "m.D.t2", "m.E.t1", "m.F.never"]
        for attempt in ("parsed", "cached"):
            planned = digest.planning_history(self.repo, newest=10, budget_s=None)
            self.assertEqual(frozenset({"m.D.t1", "m.D.t2", "m.E.t1"}), planned.untimed, attempt)
            self.assertEqual(3, build_cost_model(ids, planned).untimed_tests, attempt)  # not m.F.never
            self.assertEqual(3, build_cost_model(ids, load_history([str(self.repo)])).untimed_tests, attempt)
        merged = digest.merge_planning([planned, History(runs=(Run("s", (
            TestRecord("m.F.never", "fail", 1.0, 1.0, "worker-0"),), 9),))])
        self.assertEqual(4, build_cost_model(ids, merged).untimed_tests)

    def test_a_digest_cached_before_digests_kept_untimed_tests_still_reads(self) -> None:
        (self.repo / "3").write_bytes(stream([TestRecord("m.D.t1", "fail", 5.0, 5.0, "worker-0",
                                                         frozenset({"worker-0"}))]))
        digest.planning_history(self.repo, newest=10, budget_s=None)
        for entry in (self.where / "cache").rglob("*.json"):  # as an older partitioner wrote them
            text = entry.read_text()
            entry.write_text(text.replace(',"untimed":["m.D.t1"]', ""))
        self.assertNotIn("untimed", "".join(e.read_text() for e in (self.where / "cache").rglob("*.json")))
        planned = digest.planning_history(self.repo, newest=10, budget_s=None)
        self.assertEqual((4, frozenset()), (len(planned.digested), planned.untimed))  # read, not parsed again

    def test_times_dbm_is_read_only_when_a_test_needs_it(self) -> None:
        planned = digest.planning_history(self.repo, newest=10, budget_s=None)
        build_cost_model(["m.A.t1", "m.B.t1"], planned)
        self.assertIsNone(planned.last_times._times)  # type: ignore[attr-defined]
        build_cost_model(["m.A.t1", "m.Q.unseen"], planned)
        self.assertIsNotNone(planned.last_times._times)  # type: ignore[attr-defined]

    def test_a_damaged_stream_is_skipped_with_a_warning(self) -> None:
        (self.repo / "3").write_bytes(b"\xb3garbage")
        planned = digest.planning_history(self.repo, newest=10, budget_s=None)
        self.assertEqual(3, len(planned.digested))
        self.assertEqual(1, len([w for w in planned.warnings if "run skipped" in w]))

    def test_not_a_repository_is_one_clear_error(self) -> None:
        error = self.assertRaises(HistoryError, digest.planning_history, self.where / "nowhere", 10)
        self.assertIn("no such directory", str(error))

    def test_warm_command(self) -> None:
        out = self.useFixture(fixtures.StringStream("stdout"))
        self.useFixture(fixtures.MonkeyPatch("sys.stdout", out.stream))
        self.assertEqual(0, digest.main(["warm", str(self.repo)]))
        self.assertEqual(0, digest.main(["warm", str(self.repo)]))
        out.stream.flush()
        self.assertEqual(["digested 3 runs", "digested 0 runs"], out.getDetails()["stdout"].as_text().split("\n")[:2])

    def test_warm_in_the_background_yields_the_cpu_to_the_next_run(self) -> None:
        # a digest at normal priority took a core for half a second of a run started right after the last one
        code = ("import os, sys; from partitioner.history.digest import main; "
                "main(['warm', sys.argv[1]] + sys.argv[2:]); print(os.nice(0))")
        niceness = [subprocess.run([sys.executable, "-c", code, str(self.repo), *extra], capture_output=True,
                                   text=True, check=True).stdout.split()[-1] for extra in ((), ("--background",))]
        self.assertEqual([str(os.nice(0)), "19"], niceness)

    def test_warm_in_background_digests_for_the_next_plan(self) -> None:
        process = digest.warm_in_background(self.repo)
        self.assertIsNotNone(process)
        assert process is not None
        self.assertIn("--background", process.args)  # type: ignore[operator]
        self.assertEqual(0, process.wait(timeout=120))
        planned = digest.planning_history(self.repo, newest=10, budget_s=0.0)
        self.assertEqual(((), 3), (planned.unread, len(planned.digested)))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "0"))
        self.assertIsNone(digest.warm_in_background(self.repo))
