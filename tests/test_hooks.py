"""Tests for partitioner.hooks: the drop-in's contract, both adapters, install/uninstall."""

from __future__ import annotations

import gc
import math
import os
import re
from pathlib import Path

import fixtures
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner import hooks
from partitioner.errors import HistoryError
from partitioner.history.digest import warm_in_background
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Samples
from partitioner.pipeline import PLAN_RUNS
from tests.generators import id_lists
from tests.suites import tool_callbacks


class TimesOnly:
    """A repository double with only stestr's ``get_test_times``."""

    def __init__(self, times: dict[str, float]) -> None:
        self.times = times

    def get_test_times(self, test_ids: list[str]) -> dict[str, object]:
        known = {t: self.times[t] for t in test_ids if t in self.times}
        return {"known": known, "unknown": set(test_ids) - set(known)}


def by_class(test_id: str) -> str | None:
    match = re.match(r"([^\.]*\.)*", test_id)
    return match.group(0) if match else None


class TestPartitionTests(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_SEED"))
        # partition_tests reads [partitioner] from the working directory: use an empty one
        tmp = self.useFixture(fixtures.TempDir()).path
        cwd = os.getcwd()
        os.chdir(tmp)
        self.addCleanup(os.chdir, cwd)

    @settings(max_examples=40, deadline=None)
    @given(id_lists(), st.integers(min_value=1, max_value=6), st.booleans())
    def test_union_is_the_input(self, ids: list[str], n: int, randomize: bool) -> None:
        parts = hooks.partition_tests(ids, n, None, by_class, randomize, seed=1)
        self.assertEqual(min(n, max(1, len(ids))), len(parts))
        self.assertEqual(sorted(ids), sorted(t for p in parts for t in p))
        homes = {}
        for w, part in enumerate(parts):
            for t in part:
                homes.setdefault(by_class(t), set()).add(w)
        self.assertTrue(all(len(ws) == 1 for ws in homes.values()))

    @settings(max_examples=30, deadline=None)
    @given(id_lists(), st.integers(min_value=1, max_value=5))
    def test_the_tools_own_callback_plans_as_any_equal_callback(self, ids: list[str], n: int) -> None:
        (tool,) = tool_callbacks(r"([^\.]*\.)*")[:1]
        repo = TimesOnly({t: float(len(t) % 7) for t in ids[::2]})
        self.assertEqual(hooks.partition_tests(ids, n, repo, by_class), hooks.partition_tests(ids, n, repo, tool))

    def test_get_test_times_only_repository_balances_by_time(self) -> None:
        repo = TimesOnly({"a.A.t1": 10.0, "a.B.t1": 4.0, "a.C.t1": 3.0, "a.D.t1": 3.0})
        parts = hooks.partition_tests(list(repo.times), 2, repo, by_class)
        self.assertEqual([["a.A.t1"], ["a.B.t1", "a.C.t1", "a.D.t1"]], sorted(parts))

    def test_attr_ids_match_stestr_stripped_times(self) -> None:
        repo = TimesOnly({"a.A.t1": 10.0, "a.B.t1": 4.0, "a.C.t1": 3.0, "a.D.t1": 3.0})
        real = {"a.A.t1[smoke]": 10.0, "a.B.t1": 4.0, "a.C.t1": 3.0, "a.D.t1": 3.0}

        class Stripped(TimesOnly):
            def get_test_times(self, test_ids: list[str]) -> dict[str, object]:
                known = {t: real[t] for t in test_ids}
                return {"known": known, "unknown": set()}

        parts = hooks.partition_tests(list(real), 2, Stripped(repo.times), by_class)
        self.assertIn(["a.A.t1[smoke]"], parts)

    def test_unknown_tests_get_their_class_mean_not_zero(self) -> None:
        repo = TimesOnly({"a.A.t1": 10.0, "a.A.t2": 10.0, "a.B.t1": 1.0, "a.C.t1": 1.0})
        ids = ["a.A.t1", "a.A.t2", "a.A.t3", "a.B.t1", "a.C.t1", "a.D.t1"]
        parts = hooks.partition_tests(ids, 2, repo, by_class)
        self.assertIn(["a.A.t1", "a.A.t2", "a.A.t3"], parts)  # 30s of a.A alone; stestr would add a.D to it

    def test_times_that_are_not_numbers(self) -> None:
        parts = hooks.partition_tests(["a.A.t1", "a.B.t1"], 2, TimesOnly({"a.A.t1": "2.5", "a.B.t1": 1}), by_class)
        self.assertEqual([["a.A.t1"], ["a.B.t1"]], sorted(parts))
        err = self.assertRaises(HistoryError, hooks.partition_tests, ["a.A.t1"], 2, TimesOnly({"a.A.t1": "x"}))
        self.assertIn("not a number", str(err))

    def test_times_that_are_no_duration_are_dropped_as_unknown(self) -> None:
        ids = ["a.A.t1", "a.B.t1", "a.C.t1", "a.D.t1"]
        good = {"a.A.t1": 10.0, "a.B.t1": 4.0, "a.C.t1": 3.0, "a.D.t1": 3.0}
        expected = sorted(hooks.partition_tests(ids, 2, TimesOnly(good), by_class))
        self.assertEqual([["a.A.t1"], ["a.B.t1", "a.C.t1", "a.D.t1"]], expected)
        for bad in (math.nan, math.inf, -math.inf, -1.0, 1e308, "nan", "-5"):
            # a damaged time for a.D.t1 is no measurement: dropped, the test is priced as an unknown one
            times = {**good, "a.D.t1": bad}
            parts = sorted(hooks.partition_tests(ids, 2, TimesOnly(times), by_class))
            self.assertEqual(sorted(ids), sorted(t for p in parts for t in p), bad)
            history = hooks._history_from(TimesOnly(times), ids)
            self.assertEqual({k: v for k, v in good.items() if k != "a.D.t1"}, dict(history.exact_times), bad)

    def test_no_callback_means_every_test_alone(self) -> None:
        parts = hooks.partition_tests(["a.A.t1", "a.A.t2"], 2)
        self.assertEqual([["a.A.t1"], ["a.A.t2"]], sorted(parts))

    def test_the_history_option_is_read_by_the_hook_too(self) -> None:
        # a fresh CI node: the repository is empty, the store (here a timing file) knows the suite
        Path("t.json").write_text(dumps_samples(Samples(tests={"a.A.t1": (9.0,), "a.B.t1": (1.0,),
                                                               "a.C.t1": (1.0,), "a.D.t1": (1.0,)})))
        ids = ["a.A.t1", "a.B.t1", "a.C.t1", "a.D.t1"]
        self.assertNotEqual([["a.A.t1"], ["a.B.t1", "a.C.t1", "a.D.t1"]], sorted(hooks.partition_tests(ids, 2)))
        Path("tox.ini").write_text("[partitioner]\nhistory = t.json\n")
        self.assertEqual([["a.A.t1"], ["a.B.t1", "a.C.t1", "a.D.t1"]], sorted(hooks.partition_tests(ids, 2)))
        # sources given by the caller (exec --history) replace the option; a missing file is an error
        error = self.assertRaises(HistoryError, hooks.plan_partitions, ids, 2, history=["nothing.json"], warn=None)
        self.assertIn("nothing.json", str(error))

    def test_warnings_go_where_asked_and_the_grouping_says_where_it_came_from(self) -> None:
        said: list[str] = []
        _, planned = hooks.plan_partitions(["a.A.t1", "a.B.t1"], 2, None, by_class, warn=said.append)
        self.assertEqual(1, len([w for w in said if "no timing history" in w]), said)
        assert planned is not None
        self.assertEqual(hooks.TOOL_GROUPING, planned.grouping_from)
        _, planned = hooks.plan_partitions(["a.A.t1", "a.B.t1"], 2, warn=None)
        assert planned is not None
        self.assertEqual(("none", "the default"), (planned.plan.grouping, planned.grouping_from))

    def test_the_tool_that_asks_groups_as_its_own_config_file_says(self) -> None:
        # a project with both files, group_regex in .testr.conf alone: `stestr run` (here or under exec) reads
        # .stestr.conf and splits per test, so the plan it gets must too, whatever .testr.conf asks of testr
        Path(".testr.conf").write_text("[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n"
                                       "group_regex=([^\\.]*\\.)*\n")
        Path(".stestr.conf").write_text("[DEFAULT]\ntest_path=./t\n")
        from stestr.repository.file import RepositoryFactory as StestrRepositories
        from testrepository.repository.file import RepositoryFactory as TestrRepositories

        stestr_repo = StestrRepositories().initialise(os.getcwd())
        self.useFixture(fixtures.MonkeyPatch("partitioner.hooks._WARMING", {stestr_repo.base}))  # no warming
        self.assertEqual(("stestr", "testr", None),
                         (hooks.tool_of(stestr_repo), hooks.tool_of(TestrRepositories().initialise(os.getcwd())),
                          hooks.tool_of(None)))
        ids = [f"a.A.t{n}" for n in range(4)]
        _, planned = hooks.plan_partitions(ids, 2, stestr_repo, None, warn=None)
        assert planned is not None
        self.assertEqual("none", planned.plan.grouping)
        self.assertIn(".stestr.conf: no group_regex, stestr splits per test", planned.grouping_from)
        self.assertEqual([2, 2], [len(w.tests) for w in planned.plan.workers])  # one class over both workers
        _, planned = hooks.plan_partitions(ids, 2, None, None, warn=None)  # no tool known: as plans list (testr)
        assert planned is not None
        self.assertEqual("class", planned.plan.grouping)

    def test_a_first_run_s_empty_repository_is_a_note_not_a_warning(self) -> None:
        repo = Path(".stestr")
        repo.mkdir()
        (repo / "format").write_text("1\n")
        self.useFixture(fixtures.MonkeyPatch("partitioner.hooks._WARMING", {str(repo)}))  # no warming process

        class OnDisk:
            base = str(repo)

        said: list[str] = []
        noted: list[str] = []
        hooks.plan_partitions(["a.A.t1", "a.B.t1"], 2, OnDisk(), by_class, warn=said.append, note=noted.append)
        self.assertEqual(([], 1), (said, len([n for n in noted if "holds no runs yet" in n])))
        err = self.useFixture(fixtures.StringStream("stderr"))
        self.useFixture(fixtures.MonkeyPatch("sys.stderr", err.stream))
        hooks.plan_partitions(["a.A.t1", "a.B.t1"], 2, OnDisk(), by_class)  # the defaults: stderr lines
        err.stream.flush()
        self.assertIn("partitioner: note: .stestr: repository holds no runs yet", err.getDetails()["stderr"].as_text())

    def test_a_repository_on_disk_is_digested_in_the_background_at_exit_once(self) -> None:
        registered: list[tuple[object, ...]] = []
        self.useFixture(fixtures.MonkeyPatch("atexit.register", lambda *a: registered.append(a)))
        self.useFixture(fixtures.MonkeyPatch("partitioner.hooks._WARMING", set()))
        repo = Path(".stestr")
        repo.mkdir()
        (repo / "format").write_text("1\n")

        class OnDisk:
            base = str(repo)

        for _ in range(2):
            hooks.plan_partitions(["a.A.t1", "a.B.t1"], 2, OnDisk(), by_class, warn=None)
        self.assertEqual([(warm_in_background, str(repo), PLAN_RUNS)], registered)

    def test_randomize_records_seed_and_repeats_with_it(self) -> None:
        ids = [f"a.C{c}.t{t}" for c in range(5) for t in range(6)]
        first = hooks.partition_tests(ids, 2, None, by_class, randomize=True, seed=42)
        self.assertEqual(42, hooks.LAST_SEED)
        self.assertEqual(first, hooks.partition_tests(ids, 2, None, by_class, randomize=True, seed=42))
        self.assertNotEqual(hooks.partition_tests(ids, 2, None, by_class), first)
        for part in first:  # groups stay contiguous
            keys = [by_class(t) for t in part]
            self.assertEqual(len(set(keys)), sum(1 for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k))

    def test_degenerate_inputs(self) -> None:
        self.assertEqual([[]], hooks.partition_tests([], 2))
        self.assertEqual([["a.A.t1", "a.A.t2"], []], hooks.partition_tests(["a.A.t1", "a.A.t2"], 2, None, by_class))

    def test_a_huge_concurrency_gives_at_most_a_list_per_test(self) -> None:
        parts = hooks.partition_tests(["a.A.t1", "a.B.t1", "a.C.t1"], 10_000_000, None, by_class)
        self.assertEqual([["a.A.t1"], ["a.B.t1"], ["a.C.t1"]], sorted(parts))

    def test_the_collector_never_scans_the_plan_and_is_left_as_found(self) -> None:
        # 200,000 ids in 20,000 classes: the plan holds tens of thousands of containers. The collector is
        # paused while planning and the plan is freed before it resumes, so no collection during the call
        # finds more than a few thousand new objects (before: the first one after planning scanned the plan).
        ids = [f"pkg.m{c // 100}.C{c}.test_{t}" for c in range(20_000) for t in range(10)]
        pending: list[int] = []

        def seen(phase: str, info: dict[str, int]) -> None:
            if phase == "start" and info["generation"] == 0:
                pending.append(gc.get_count()[0])

        self.assertTrue(gc.isenabled())
        gc.callbacks.append(seen)
        try:
            parts = hooks.partition_tests(ids, 4, TimesOnly(dict.fromkeys(ids[::2], 0.01)), by_class)
        finally:
            gc.callbacks.remove(seen)
        self.assertEqual(sorted(ids), sorted(t for p in parts for t in p))
        self.assertTrue(gc.isenabled())
        self.assertLess(max(pending, default=0), 5_000, pending)
        gc.disable()
        try:
            hooks.partition_tests(ids[:100], 2, None, by_class)
            self.assertFalse(gc.isenabled())  # a caller's pause is kept
        finally:
            gc.enable()


class TestInstall(testtools.TestCase):
    def test_install_routes_both_tools_and_uninstall_restores(self) -> None:
        from stestr import scheduler
        from testrepository.testcommand import TestListingFixture

        before = (scheduler.partition_tests, TestListingFixture.partition_tests)
        self.assertEqual(["stestr", "testr"], hooks.install())
        self.addCleanup(hooks.uninstall)
        self.assertIsNot(before[0], scheduler.partition_tests)
        self.assertIs(hooks.testr_partition_tests, TestListingFixture.partition_tests)
        hooks.uninstall()
        self.assertEqual(before, (scheduler.partition_tests, TestListingFixture.partition_tests))

    def test_install_only_the_tool_asked_for(self) -> None:
        from stestr import scheduler
        from testrepository.testcommand import TestListingFixture

        before = (scheduler.partition_tests, TestListingFixture.partition_tests)
        self.addCleanup(hooks.uninstall)
        self.assertEqual(["testr"], hooks.install(hooks.TOOLS_OF["testr"]))
        self.assertIs(before[0], scheduler.partition_tests)
        self.assertIs(hooks.testr_partition_tests, TestListingFixture.partition_tests)
        hooks.uninstall()
        self.assertEqual(["stestr"], hooks.install(hooks.TOOLS_OF["tempest"]))
        self.assertIs(before[1], TestListingFixture.partition_tests)
        hooks.uninstall()
        self.assertEqual(before, (scheduler.partition_tests, TestListingFixture.partition_tests))

    def test_testr_adapter_uses_fixture_repository_and_callback(self) -> None:
        class Fixture:
            repository = TimesOnly({"a.A.t1": 5.0, "a.B.t1": 1.0, "a.B.t2": 1.0})
            _group_callback = staticmethod(by_class)

        parts = hooks.testr_partition_tests(Fixture(), ["a.A.t1", "a.B.t1", "a.B.t2"], 2)
        self.assertEqual([["a.A.t1"], ["a.B.t1", "a.B.t2"]], sorted(parts))
