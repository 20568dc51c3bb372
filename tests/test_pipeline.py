"""Tests for partitioner.pipeline: plan_ids' extra rules, the flag/config/default choices, Planned.explain."""

from __future__ import annotations

from pathlib import Path

import fixtures
import testtools

from partitioner.config import Settings, load_settings
from partitioner.errors import ConfigError, InputError
from partitioner.estimate import build_cost_model
from partitioner.grouping import make_grouper
from partitioner.history.digest import PlanningHistory
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import History, Samples, TestRecord
from partitioner.pipeline import load_planning_history, plan_for_directory, plan_ids, resolve, select_shard
from tests.builders import IDS, SAMPLES, stream

#: a suite of a few tens of milliseconds (as tests/render/test_figures.py's)
FAST = Samples(tests={"m.A.t1": (0.012,), "m.A.t2": (0.008,), "m.B.t1": (0.011,), "m.C.t1": (0.004,)})


class TestPlanIds(testtools.TestCase):
    def test_duplicates_are_planned_once_and_said(self) -> None:
        planned = plan_ids([*IDS, IDS[0]], 2, History(samples=(SAMPLES,)), make_grouper("class"))
        self.assertEqual(sorted(IDS), sorted(t for p in planned.plan.workers for t in p.tests))
        self.assertIn("1 duplicate test ids ignored: each id is planned once", planned.plan.warnings)

    def test_resources_merge_groups_and_serial_groups_leave_the_parallel_phase(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / "tox.ini").write_text("[partitioner]\nresources =\n  db: m\\.(A|B)\\.\nserial = m\\.C\\.\n")
        planned = plan_ids(IDS, 2, History(samples=(SAMPLES,)), make_grouper("class"), settings=load_settings(root))
        self.assertEqual(["resource:db"], [g.key for g in planned.groups])
        self.assertEqual(("m.C.t1",), planned.plan.serial)
        self.assertEqual(("m.A", "m.B"), planned.plan.merged[0].members)
        self.assertTrue(any("is larger than the balanced share" in w for w in planned.plan.warnings))

    def test_the_resource_warning_prints_figures_as_every_text_output_does(self) -> None:
        # a fast suite: its resource group and share were both "0.0s" (.1f) where the table shows milliseconds
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / "tox.ini").write_text("[partitioner]\nresources =\n  db: m\\.(A|B)\\.\n")
        planned = plan_ids(IDS, 2, History(samples=(FAST,)), make_grouper("class"), settings=load_settings(root))
        self.assertIn("resource group resource:db (2 groups, 0.031s) is larger than the balanced share 0.018s: it "
                      "bounds the makespan", planned.plan.warnings)
        blind = plan_ids(IDS, 2, History(), make_grouper("class"), settings=load_settings(root))
        self.assertIn("resource group resource:db (2 groups, 5.0 units) is larger than the balanced share 3.5 units: "
                      "it bounds the makespan", blind.plan.warnings)

    def test_the_shard_line_prints_its_figure_as_every_text_output_does(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / "t.json").write_text(dumps_samples(FAST))
        shard = select_shard(IDS, "1/2", root, {}, concurrency=1, history=[str(root / "t.json")])
        self.assertTrue(shard.describe().endswith(f"{len(shard.tests)} of 4 tests, predicted 0.020s"),
                        shard.describe())

    def test_explain_names_group_worker_and_estimates(self) -> None:
        planned = plan_ids(IDS, 2, History(samples=(SAMPLES,)), make_grouper("class"))
        explained = planned.explain("m.A.t2")
        self.assertEqual(("m.A", planned.plan.worker_of("m.A.t2"), 2.0, 1.0, 7.0),
                         (explained.group.key, explained.worker, explained.estimate.seconds,
                          explained.setup.seconds, explained.cost.cost))
        error = self.assertRaises(InputError, planned.explain, "m.A.t")
        self.assertIn("did you mean m.A.t1, m.A.t2?", str(error))
        self.assertNotIn("--", str(self.assertRaises(InputError, planned.explain, "x.Y.z")))

    def test_an_unknown_id_names_the_list_it_was_looked_for_in(self) -> None:
        planned = plan_ids(IDS, 2, History(samples=(SAMPLES,)), make_grouper("class"))
        listed = "4 tests from discovery of ./t (--test-path)"
        error = str(self.assertRaises(InputError, planned.explain, "x.Y.z", listed))
        self.assertIn(f"'x.Y.z' is not in the test list ({listed}); ", error)
        self.assertIn("list the tests as the run does", error)
        near = str(self.assertRaises(InputError, planned.explain, "m.A.t", listed))
        self.assertIn(f"is not in the test list ({listed}); did you mean m.A.t1, m.A.t2?", near)
        self.assertEqual(1, len(error.splitlines()))


class TestChoices(testtools.TestCase):
    """Flags over the config files over the defaults, for grouping, history and strategy."""

    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        (self.root / "t.json").write_text(dumps_samples(SAMPLES))

    def test_grouping_and_history(self) -> None:
        settings = Settings(group_by="module", history=("t.json",), where={"group_by": "[partitioner] in tox.ini"})
        history, grouper = resolve(self.root, settings)
        self.assertEqual(("module", 1), (grouper.spec, len(history.samples)))
        history, grouper = resolve(self.root, settings, (), "none")
        self.assertEqual("none", grouper.spec)
        history, grouper = resolve(self.root, Settings())
        self.assertEqual(("class", True), (grouper.spec, history.empty))

    def test_a_bad_configured_grouping_names_its_file(self) -> None:
        settings = Settings(group_by="regex:([", where={"group_by": "[partitioner] in tox.ini"})
        error = self.assertRaises(ConfigError, resolve, self.root, settings)
        self.assertIn("in [partitioner] in tox.ini", str(error))

    def test_strategy_from_the_config_files_unless_a_flag_says(self) -> None:
        (self.root / "setup.cfg").write_text("[partitioner]\nstrategy = roundrobin\nhistory = t.json\n")
        self.assertEqual("roundrobin", plan_for_directory(IDS, 2, self.root).plan.strategy)
        self.assertEqual("testr", plan_for_directory(IDS, 2, self.root, strategy="testr").plan.strategy)
        self.assertTrue(plan_for_directory(IDS, 2, self.root).plan.has_history)


class TestPlanningHistory(testtools.TestCase):
    """load_planning_history: what plan, exec and the hooks read (repositories from digests)."""

    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.root / "cache")))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        repo = self.root / ".stestr"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(stream([TestRecord("m.A.t1", "success", 0.0, 4.0, "worker-0"),
                                         TestRecord("m.B.t1", "success", 5.0, 8.0, "worker-0")]))
        (self.root / "t.json").write_text(dumps_samples(Samples(tests={"m.C.t1": (9.0,)})))

    def test_a_found_repository_is_read_from_digests_and_they_are_cached(self) -> None:
        history = load_planning_history(self.root, ())
        self.assertIsInstance(history, PlanningHistory)
        assert isinstance(history, PlanningHistory)
        self.assertEqual((str(self.root / ".stestr" / "0"),), history.digested)
        again = load_planning_history(self.root, (), budget_s=0.0)  # digested above: nothing left to parse
        self.assertEqual((), again.unread)  # type: ignore[attr-defined]

    def test_sources_replace_the_repository_and_mix(self) -> None:
        only_json = load_planning_history(self.root, ("t.json",))
        self.assertEqual({"m.C.t1"}, {k for s in only_json.samples for k in s.tests})
        both = load_planning_history(self.root, ("stestr:.stestr", "t.json", str(self.root / ".stestr")))
        model = build_cost_model(["m.A.t1", "m.B.t1", "m.C.t1"], both)
        self.assertEqual([4.0, 3.0, 9.0], [model.test(t).seconds for t in ("m.A.t1", "m.B.t1", "m.C.t1")])
        self.assertEqual(1, len(both.digested))  # type: ignore[attr-defined]  # the repository given twice: read once

    def test_the_hooks_repository_when_nothing_else_is_given(self) -> None:
        elsewhere = Path(self.useFixture(fixtures.TempDir()).path)
        history = load_planning_history(elsewhere, (), repositories=[str(self.root / ".stestr")])
        self.assertEqual(1, len(history.digested))  # type: ignore[attr-defined]
        self.assertTrue(load_planning_history(elsewhere, ()).empty)

    def test_plan_for_directory_says_where_its_grouping_came_from(self) -> None:
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./t\n")
        planned = plan_for_directory(["m.A.t1", "m.A.t2", "m.B.t1"], 2, self.root)
        self.assertEqual("none", planned.plan.grouping)
        self.assertIn("no group_regex, stestr splits per test", planned.grouping_from)
        self.assertEqual("--group-by", plan_for_directory(["m.A.t1"], 1, self.root, group_by="class").grouping_from)


class TestFewerTestsThanWorkers(testtools.TestCase):
    def test_one_test_reads_in_the_singular(self) -> None:
        planned = plan_ids(["m.A.test_1"], 2, History(), make_grouper("none"))
        self.assertIn("2 workers asked for, but there is only 1 test: planned for 1", planned.plan.warnings)
